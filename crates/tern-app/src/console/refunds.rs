//! Manual refund payouts: what closure settlement could not send back to a
//! card waits as `awaiting_payout`; finance pays it out by bank transfer
//! and marks it done here, which books the money leaving
//! (`refunds_payable` → `payouts`) once per refund.

use serde::{Deserialize, Serialize};
use serde_json::json;
use tern_domain::ledger::{LedgerAccountKind, SystemAccount, TransactionKind};
use tern_domain::payment::RefundState;
use tern_store::closures;
use tern_store::ledger;
use tern_store::refunds::{self, RefundRow};

use crate::App;
use crate::clock::rfc3339;
use crate::error::{AppError, AppResult};
use crate::error_code::Code;

/// A refund line as finance sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RefundView {
    #[schema(value_type = String)]
    pub id: tern_domain::RefundId,
    #[schema(value_type = String)]
    pub closure_id: tern_domain::ClosureId,
    /// The account (a pseudonymous id once erased).
    #[schema(value_type = Option<String>)]
    pub account_id: Option<tern_domain::AccountId>,
    /// The top-up refunded, or `manual`.
    #[schema(value_type = String)]
    pub source: tern_domain::payment::RefundSource,
    pub amount_minor: i64,
    pub currency: String,
    /// `pending`, `refunded`, `awaiting_payout` or `paid_out`.
    #[schema(value_type = String)]
    pub state: RefundState,
    /// The gateway's or the bank transfer's reference.
    pub reference: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// The account is the closure's owner (pseudonymous once erased).
async fn view(conn: &mut tern_store::Conn, r: RefundRow) -> AppResult<RefundView> {
    let account_id = closures::by_id(conn, &r.closure_id).await?.map(|c| c.account_id);
    Ok(view_of(r, account_id))
}

fn view_of(r: RefundRow, account_id: Option<tern_domain::AccountId>) -> RefundView {
    RefundView {
        id: r.id,
        closure_id: r.closure_id,
        account_id,
        source: r.source,
        amount_minor: r.amount.amount_minor,
        currency: r.amount.currency.as_str().to_owned(),
        state: r.state,
        reference: r.gateway_ref,
        created_at: rfc3339(r.created_at),
        updated_at: rfc3339(r.updated_at),
    }
}

/// The refund state a list asks for: `awaiting_payout` (the payout queue)
/// when none is given; an unknown word is 422 `refund_state_invalid`.
pub fn refund_state(word: Option<&str>) -> AppResult<RefundState> {
    match word {
        None => Ok(RefundState::AwaitingPayout),
        Some(s) => RefundState::parse(s).ok_or_else(|| AppError::field("state", Code::RefundStateInvalid)),
    }
}

/// Refund lines in `state`, oldest first.
pub async fn list_refunds(app: &App, state: RefundState) -> AppResult<Vec<RefundView>> {
    let mut conn = app.db.conn().await?;
    let rows = refunds::in_state(&mut conn, state, 500).await?;
    Ok(rows.into_iter().map(|(r, owner)| view_of(r, owner)).collect())
}

/// `POST /api/v1/admin/refunds/{id}/approve`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveInput {
    /// The bank transfer's reference (up to 100 characters), if any.
    #[serde(default)]
    pub reference: Option<String>,
}

/// Marks a manual payout made. A line that is not waiting for a payout is
/// 409 `refund_not_awaiting_payout`; approving twice does nothing more.
pub async fn approve_refund(
    app: &App,
    actor: &tern_domain::AccountId,
    id: &tern_domain::RefundId,
    reference: Option<&str>,
) -> AppResult<RefundView> {
    let reference = reference.map(str::trim).filter(|r| !r.is_empty());
    if reference.is_some_and(|r| r.chars().count() > 100 || r.chars().any(char::is_control)) {
        return Err(AppError::field("reference", Code::PayoutReferenceInvalid));
    }
    let now = app.now_ms();
    let mut tx = app.work_at(now).await?;
    let r = refunds::by_id(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    if r.state != RefundState::AwaitingPayout {
        return Err(AppError::Conflict(Code::RefundNotAwaitingPayout));
    }
    let reference = reference.map_or_else(|| format!("manual:{}", r.id), str::to_owned);
    ledger::ensure_account(
        &mut tx,
        &SystemAccount::RefundsPayable.ledger_id(r.amount.currency.as_str()),
        None,
        LedgerAccountKind::System,
        r.amount.currency.as_str(),
        now,
    )
    .await?;
    ledger::ensure_account(
        &mut tx,
        &SystemAccount::Payouts.ledger_id(r.amount.currency.as_str()),
        None,
        LedgerAccountKind::System,
        r.amount.currency.as_str(),
        now,
    )
    .await?;
    crate::wallet::book_refund(&mut tx, TransactionKind::ManualPayout, SystemAccount::Payouts, &r, now).await?;
    if !refunds::mark_paid_out(&mut tx, &r.id, &reference, now).await? {
        return Err(AppError::Conflict(Code::RefundNotAwaitingPayout));
    }
    tx.audit(
        actor,
        "refund.paid_out",
        &r.id,
        json!({ "closure": r.closure_id, "amount_minor": r.amount.amount_minor, "currency": r.amount.currency.as_str() }),
    )
    .await?;
    let fresh = refunds::by_id(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let out = view(&mut tx, fresh).await?;
    tx.commit().await?;
    metrics::counter!("tern_refunds_total", "method" => "manual").increment(1);
    Ok(out)
}
