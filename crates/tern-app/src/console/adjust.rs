//! Manual wallet adjustments: a credit or debit to a traveller's cash or
//! promotional bucket, with the operator's reason, as one balanced ledger
//! transaction against `system:adjustments:<currency>`, idempotent by
//! `Idempotency-Key` like orders.
//!
//! The reason is free text an operator writes about a person, so it may
//! carry personal data: it is kept in `wallet_adjustments` (shown in the
//! console and the traveller's export, erased at closure) and the audit
//! entry refers to the adjustment by id, never to its text.

use serde::{Deserialize, Serialize};
use serde_json::json;
use tern_domain::ledger::{SystemAccount, TransactionKind};
use tern_domain::money::Bucket;
use tern_store::accounts;
use tern_store::ledger::{self, Entry, NewTransaction, Posted};
use tern_store::wallet_adjustments::{self, AdjustmentRow};

use crate::App;
use crate::clock::rfc3339;
use crate::error::{AppError, AppResult, FieldError};
use crate::error_code::Code;
use crate::idempotency::{self, Request, Scope};
use crate::wallet::{bucket_id, ensure_accounts};

/// Reasons are between these many characters (after trimming).
pub const REASON_CHARS: std::ops::RangeInclusive<usize> = 3..=500;

/// `POST /api/v1/admin/accounts/{id}/wallet-adjustments`.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentInput {
    /// Positive to credit, negative to debit; never zero.
    pub amount_minor: i64,
    /// ISO 4217; must be the wallet currency.
    pub currency: String,
    /// `cash` (refundable) or `promo` (promotional credit).
    pub bucket: String,
    /// Why (3–500 characters); shown to staff, erased with the account.
    pub reason: String,
}

/// A manual adjustment as the console shows it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AdjustmentView {
    #[schema(value_type = String)]
    pub id: tern_domain::AdjustmentId,
    #[schema(value_type = String)]
    pub account_id: tern_domain::AccountId,
    /// The staff account that made it.
    #[schema(value_type = String)]
    pub actor_id: tern_domain::AccountId,
    pub amount_minor: i64,
    pub currency: String,
    #[schema(value_type = String)]
    pub bucket: Bucket,
    /// None once the account has been erased.
    pub reason: Option<String>,
    #[schema(value_type = String)]
    pub transaction_id: tern_domain::TransactionId,
    pub created_at: String,
}

impl AdjustmentView {
    pub(crate) fn from_row(a: &AdjustmentRow) -> Self {
        Self {
            id: a.id.clone(),
            account_id: a.account_id.clone(),
            actor_id: a.actor_id.clone(),
            amount_minor: a.amount_minor,
            currency: a.currency.clone(),
            bucket: a.bucket,
            reason: a.reason.clone(),
            transaction_id: a.transaction_id.clone(),
            created_at: rfc3339(a.created_at),
        }
    }
}

/// The answer to an adjustment, the same for every replay of one key.
#[derive(Debug, Clone)]
pub struct Adjusted {
    pub status: u16,
    pub adjustment: AdjustmentView,
}

fn validate(app: &App, input: &AdjustmentInput) -> AppResult<(String, Bucket)> {
    let mut problems = Vec::new();
    if input.amount_minor == 0 {
        problems.push(FieldError::new("amount_minor", Code::AmountZero));
    } else if input.amount_minor.unsigned_abs() > 100_000_000 {
        problems.push(FieldError::new("amount_minor", Code::AmountTooLarge));
    }
    if input.currency.trim().to_ascii_uppercase() != app.settings.wallet.currency {
        problems.push(FieldError::new("currency", Code::CurrencyNotWallet));
    }
    let bucket = Bucket::parse(&input.bucket);
    if bucket.is_none() {
        problems.push(FieldError::new("bucket", Code::BucketInvalid));
    }
    let reason = input.reason.trim();
    if !REASON_CHARS.contains(&reason.chars().count()) {
        problems.push(FieldError::new("reason", Code::AdjustmentReasonLength));
    }
    match bucket {
        Some(bucket) if problems.is_empty() => Ok((reason.to_owned(), bucket)),
        _ => Err(AppError::Validation(problems)),
    }
}

/// What makes two adjustments the same one.
fn canonical(account_id: &tern_domain::AccountId, input: &AdjustmentInput, reason: &str) -> serde_json::Value {
    json!({ "account": account_id, "amount_minor": input.amount_minor,
        "currency": input.currency.trim().to_ascii_uppercase(), "bucket": input.bucket, "reason": reason })
}

/// Credits or debits `account_id`'s wallet. A debit larger than the
/// bucket's balance is 409 `adjustment_exceeds_balance` (a wallet never
/// goes below zero); an account that is not active is 409
/// `account_not_active`; an unknown one 404.
///
/// The stored answer never holds the reason's text (so erasing the
/// account's adjustments erases it everywhere); a replay reads it back
/// from the adjustment's row.
pub async fn adjust_wallet(
    app: &App,
    actor: &tern_domain::AccountId,
    account_id: &tern_domain::AccountId,
    input: AdjustmentInput,
    key: Option<&str>,
) -> AppResult<Adjusted> {
    let (reason, bucket) = validate(app, &input)?;
    let req = Request::new(
        actor,
        Scope::WalletAdjustment,
        key,
        &canonical(account_id, &input, &reason),
    )?;
    let answered = idempotency::once(app, req.as_ref(), async || {
        adjust_in_tx(app, actor, account_id, &input, (&reason, bucket), req.as_ref()).await
    })
    .await?;
    let mut adjustment: AdjustmentView = answered.body;
    if answered.replayed {
        let mut conn = app.db.conn().await?;
        adjustment.reason = wallet_adjustments::by_id(&mut conn, &adjustment.id)
            .await?
            .and_then(|r| r.reason);
    }
    Ok(Adjusted {
        status: answered.status,
        adjustment,
    })
}

async fn adjust_in_tx(
    app: &App,
    actor: &tern_domain::AccountId,
    account_id: &tern_domain::AccountId,
    input: &AdjustmentInput,
    (reason, bucket): (&str, Bucket),
    req: Option<&Request>,
) -> AppResult<(u16, AdjustmentView)> {
    let now = app.now_ms();
    let cur = app.settings.wallet.currency.clone();
    let mut tx = app.work_at(now).await?;
    let target = accounts::by_id(&mut tx, account_id).await?.ok_or(AppError::NotFound)?;
    if target.status != tern_domain::AccountStatus::Active {
        return Err(AppError::Conflict(Code::AccountNotActive));
    }
    ensure_accounts(app, &mut tx, account_id, &[SystemAccount::Adjustments]).await?;
    let wallet = bucket_id(bucket, account_id, &cur);
    ledger::lock(&mut tx, app.db.backend(), &[&wallet]).await?;
    if input.amount_minor < 0 && ledger::balance(&mut tx, &wallet).await? + input.amount_minor < 0 {
        return Err(AppError::Conflict(Code::AdjustmentExceedsBalance));
    }
    let id: tern_domain::AdjustmentId = crate::tokens::new_id().into();
    let transaction_id: tern_domain::TransactionId = crate::tokens::new_id().into();
    let entries = [
        Entry {
            ledger_account_id: SystemAccount::Adjustments.ledger_id(&cur),
            amount_minor: -input.amount_minor,
        },
        Entry {
            ledger_account_id: wallet,
            amount_minor: input.amount_minor,
        },
    ];
    let posted = ledger::post(
        &mut tx,
        &NewTransaction {
            id: &transaction_id,
            kind: TransactionKind::Adjustment,
            reference: &id,
            memo: None,
            currency: &cur,
            entries: &entries,
            now,
        },
    )
    .await?;
    match posted {
        Posted::Done => {}
        Posted::Insufficient { .. } => return Err(AppError::Conflict(Code::AdjustmentExceedsBalance)),
        other => {
            return Err(AppError::Internal(format!(
                "adjustment refused by the ledger: {other:?}"
            )));
        }
    }
    let row = AdjustmentRow {
        id: id.clone(),
        account_id: account_id.clone(),
        actor_id: actor.clone(),
        amount_minor: input.amount_minor,
        currency: cur.clone(),
        bucket,
        reason: Some(reason.to_owned()),
        transaction_id,
        created_at: now,
    };
    wallet_adjustments::insert(&mut tx, &row).await?;
    let view = AdjustmentView::from_row(&row);
    if let Some(r) = req {
        let without_reason = AdjustmentView {
            reason: None,
            ..view.clone()
        };
        r.remember(&mut tx, now, 201, &without_reason).await?;
    }
    tx.audit(
        actor,
        "wallet.adjusted",
        account_id,
        json!({ "adjustment": id, "amount_minor": input.amount_minor, "currency": cur, "bucket": bucket.as_str() }),
    )
    .await?;
    tx.commit().await?;
    metrics::counter!("tern_wallet_adjustments_total").increment(1);
    Ok((201, view))
}
