//! Topping up the wallet through a payment gateway.
//!
//! [`PaymentGateway`] is what a real provider plugs into; Tern ships a
//! sandbox (a hosted checkout page that takes test cards, and a signed
//! webhook) so the whole flow runs on one machine. The wallet is credited
//! only by a verified webhook, exactly once per top-up.

mod sandbox;

pub use sandbox::{SANDBOX, SandboxGateway, TestCardOutcome, sandbox_charge};

use serde::Serialize;
use serde_json::json;
use tern_domain::Money;
use tern_domain::ledger::{SystemAccount, TransactionKind};
use tern_domain::payment::TopUpState;
use tern_store::ledger::{self, Entry, NewTransaction, Posted};
use tern_store::top_ups::{self, TopUpRow};

use crate::App;
use crate::auth::Principal;
use crate::clock::rfc3339;
use crate::error::{AppError, AppResult};
use crate::error_code::Code;
use crate::wallet::{MoneySchema, cash_id, ensure_accounts};

/// What a gateway reports about a payment, after its signature checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentEvent {
    /// Our top-up id, which the gateway echoes back.
    pub top_up_id: tern_domain::TopUpId,
    pub succeeded: bool,
    pub amount_minor: i64,
    pub currency: String,
    pub reason: Option<String>,
}

/// A payment provider.
#[async_trait::async_trait]
pub trait PaymentGateway: Send + Sync {
    /// The name in webhook URLs (`/api/v1/payments/webhook/{name}`).
    fn name(&self) -> &'static str;
    /// Where to send the traveller to pay for `top_up`.
    fn checkout_url(&self, app: &App, top_up: &TopUpRow) -> String;
    /// Checks a webhook's signature and reads its event; `None` when the
    /// signature or the body is not right.
    fn verify_webhook(&self, app: &App, signature: &str, body: &[u8]) -> Option<PaymentEvent>;
    /// Refunds `amount_minor` of the payment for `top_up`, at most once per
    /// `idempotency_key` (a repeat returns the first refund's reference).
    /// Returns the gateway's reference for the refund.
    async fn refund(&self, app: &App, top_up: &TopUpRow, amount_minor: i64, idempotency_key: &str)
    -> AppResult<String>;
}

/// The gateway a top-up was paid through.
pub fn gateway(name: &str) -> Option<&'static dyn PaymentGateway> {
    match name {
        SANDBOX => Some(&SandboxGateway),
        _ => None,
    }
}

/// A top-up as its owner sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TopUpView {
    #[schema(value_type = String)]
    pub id: tern_domain::TopUpId,
    /// `pending`, `succeeded`, `failed` or `refunded`.
    #[schema(value_type = String)]
    pub state: TopUpState,
    #[schema(value_type = MoneySchema)]
    pub amount: Money,
    /// Open this to pay.
    pub checkout_url: String,
    pub failure_reason: Option<String>,
    pub created_at: String,
}

fn view(app: &App, t: &TopUpRow) -> TopUpView {
    TopUpView {
        id: t.id.clone(),
        state: t.state,
        amount: t.amount,
        checkout_url: SandboxGateway.checkout_url(app, t),
        failure_reason: t.failure_reason.clone(),
        created_at: rfc3339(t.created_at),
    }
}

/// Smallest and largest top-up, in minor units.
pub const MIN_TOP_UP: i64 = 100;
pub const MAX_TOP_UP: i64 = 50_000;

/// Starts a top-up of `amount_minor` in the wallet currency.
pub async fn start(app: &App, who: &Principal, amount_minor: i64) -> AppResult<TopUpView> {
    if !(MIN_TOP_UP..=MAX_TOP_UP).contains(&amount_minor) {
        return Err(AppError::field("amount_minor", Code::TopUpAmountOutOfRange));
    }
    let now = app.now_ms();
    let row = TopUpRow {
        id: crate::tokens::new_id().into(),
        account_id: who.account_id.clone(),
        amount: Money::new(amount_minor, crate::wallet::currency(app)?),
        gateway: SANDBOX.to_owned(),
        state: TopUpState::Pending,
        failure_reason: None,
        created_at: now,
        updated_at: now,
    };
    let mut tx = app.work_at(now).await?;
    top_ups::insert(&mut tx, &row).await?;
    tx.audit(
        &who.account_id,
        "wallet.top_up_started",
        &row.id,
        json!({ "amount_minor": amount_minor }),
    )
    .await?;
    tx.commit().await?;
    Ok(view(app, &row))
}

/// One of the caller's top-ups.
pub async fn get(app: &App, who: &Principal, id: &tern_domain::TopUpId) -> AppResult<TopUpView> {
    let mut conn = app.db.conn().await?;
    match top_ups::by_id(&mut conn, id).await? {
        Some(t) if t.account_id == who.account_id => Ok(view(app, &t)),
        _ => Err(AppError::NotFound),
    }
}

/// Applies a gateway webhook: credits the wallet once for a successful
/// payment of the right amount, or marks the top-up failed. Repeats are
/// acknowledged and change nothing.
pub async fn webhook(app: &App, gateway: &dyn PaymentGateway, signature: &str, body: &[u8]) -> AppResult<()> {
    let now = app.now_ms();
    let event = gateway
        .verify_webhook(app, signature, body)
        .ok_or(AppError::Unauthenticated)?;
    let mut tx = app.work_at(now).await?;
    let top_up = top_ups::by_id(&mut tx, &event.top_up_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if top_up.gateway != gateway.name() {
        return Err(AppError::NotFound);
    }
    if !event.succeeded {
        if top_ups::transition(
            &mut tx,
            &top_up.id,
            TopUpState::Pending,
            TopUpState::Failed,
            event.reason.as_deref(),
            now,
        )
        .await?
        {
            tx.audit(gateway.name(), "wallet.top_up_failed", &top_up.id, json!({}))
                .await?;
        }
        tx.commit().await?;
        return Ok(());
    }
    if event.amount_minor != top_up.amount.amount_minor || event.currency != top_up.amount.currency.as_str() {
        tracing::error!(top_up = %top_up.id, "gateway reported a different amount; not credited");
        return Err(AppError::Conflict(Code::PaymentAmountMismatch));
    }
    if !top_ups::transition(
        &mut tx,
        &top_up.id,
        TopUpState::Pending,
        TopUpState::Succeeded,
        None,
        now,
    )
    .await?
    {
        return Ok(());
    }
    ensure_accounts(app, &mut tx, &top_up.account_id, &[SystemAccount::Gateway]).await?;
    let cur = top_up.amount.currency.as_str();
    let entries = [
        Entry {
            ledger_account_id: SystemAccount::Gateway.ledger_id(cur),
            amount_minor: -top_up.amount.amount_minor,
        },
        Entry {
            ledger_account_id: cash_id(&top_up.account_id, cur),
            amount_minor: top_up.amount.amount_minor,
        },
    ];
    let id = tern_domain::TransactionId::from(crate::tokens::new_id());
    let posted = ledger::post(
        &mut tx,
        &NewTransaction {
            id: &id,
            kind: TransactionKind::TopUp,
            reference: &top_up.id,
            memo: None,
            currency: cur,
            entries: &entries,
            now,
        },
    )
    .await?;
    if posted != Posted::Done && posted != Posted::AlreadyPosted {
        return Err(AppError::Internal(format!("top-up posting refused: {posted:?}")));
    }
    tx.audit(
        gateway.name(),
        "wallet.top_up_succeeded",
        &top_up.account_id,
        json!({ "top_up": top_up.id, "amount_minor": top_up.amount.amount_minor }),
    )
    .await?;
    tx.commit().await?;
    metrics::counter!("tern_top_ups_total").increment(1);
    Ok(())
}
