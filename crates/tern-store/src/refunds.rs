//! Refunds paid out at closure: through the gateway that took the payment,
//! or as a remainder for a manual payout.

use sqlx::{AnyConnection, Row, any::AnyRow};

use tern_domain::payment::{RefundSource, RefundState};

use crate::Result;
use crate::decode::{self, Stored};

#[derive(Debug, Clone)]
pub struct RefundRow {
    pub id: tern_domain::RefundId,
    pub closure_id: tern_domain::ClosureId,
    pub source: RefundSource,
    pub gateway: String,
    pub amount: tern_domain::Money,
    pub state: RefundState,
    pub gateway_ref: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

fn from_row(r: &AnyRow) -> Result<RefundRow> {
    Ok(RefundRow {
        id: crate::decode::id(r, "id")?,
        closure_id: crate::decode::id(r, "closure_id")?,
        source: RefundSource::from_stored(r.try_get("source")?),
        gateway: r.try_get("gateway")?,
        amount: decode::money(r, "amount_minor", "currency")?,
        state: decode::get(r, "state")?,
        gateway_ref: r.try_get("gateway_ref")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Adds a refund line; false when the closure already has one for `source`.
pub async fn insert(conn: &mut AnyConnection, r: &RefundRow) -> Result<bool> {
    let res = sqlx::query(
        "INSERT INTO refunds (id, closure_id, source, gateway, amount_minor, currency, state, gateway_ref, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (closure_id, source) DO NOTHING",
    )
    .bind(r.id.as_str())
    .bind(r.closure_id.as_str())
    .bind(r.source.as_str())
    .bind(r.gateway.as_str())
    .bind(r.amount.amount_minor)
    .bind(r.amount.currency.as_str())
    .bind(r.state.stored())
    .bind(r.gateway_ref.as_deref())
    .bind(r.created_at)
    .bind(r.updated_at)
    .execute(conn)
    .await?;
    Ok(res.rows_affected() == 1)
}

pub async fn for_closure(conn: &mut AnyConnection, closure_id: &tern_domain::ClosureId) -> Result<Vec<RefundRow>> {
    let rows = sqlx::query(
        "SELECT id, closure_id, source, gateway, amount_minor, currency, state, gateway_ref, created_at, updated_at \
         FROM refunds WHERE closure_id = $1 ORDER BY created_at, id",
    )
    .bind(closure_id.as_str())
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Marks a gateway refund done; false when it already was.
pub async fn mark_refunded(
    conn: &mut AnyConnection,
    id: &tern_domain::RefundId,
    gateway_ref: &str,
    now: i64,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE refunds SET state = 'refunded', gateway_ref = $2, updated_at = $3 WHERE id = $1 AND state = 'pending'",
    )
    .bind(id.as_str())
    .bind(gateway_ref)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Succeeded top-ups of an account that still have money to refund,
/// newest first: (id, gateway, refundable minor units).
pub async fn refundable_top_ups(
    conn: &mut AnyConnection,
    account_id: &tern_domain::AccountId,
) -> Result<Vec<(tern_domain::TopUpId, String, i64)>> {
    let rows = sqlx::query(
        "SELECT id, gateway, amount_minor - refunded_minor AS left_minor FROM top_ups \
         WHERE account_id = $1 AND state = 'succeeded' AND amount_minor > refunded_minor \
         ORDER BY created_at DESC, id DESC",
    )
    .bind(account_id.as_str())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                crate::decode::id(r, "id")?,
                r.try_get("gateway")?,
                r.try_get("left_minor")?,
            ))
        })
        .collect()
}

/// Counts `amount` as refunded on a top-up (fully refunded ones say so).
pub async fn add_to_top_up(
    conn: &mut AnyConnection,
    top_up_id: &tern_domain::TopUpId,
    amount: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE top_ups SET refunded_minor = refunded_minor + $2, updated_at = $3, \
         state = CASE WHEN refunded_minor + $2 >= amount_minor THEN 'refunded' ELSE state END WHERE id = $1",
    )
    .bind(top_up_id.as_str())
    .bind(amount)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Refund lines in `state`, oldest first (the payout queue), each with
/// the account of its closure (one query, however long the queue).
pub async fn in_state(
    conn: &mut AnyConnection,
    state: RefundState,
    limit: i64,
) -> Result<Vec<(RefundRow, Option<tern_domain::AccountId>)>> {
    let rows = sqlx::query(
        "SELECT r.id, r.closure_id, r.source, r.gateway, r.amount_minor, r.currency, r.state, r.gateway_ref, \
         r.created_at, r.updated_at, c.account_id AS owner \
         FROM refunds r LEFT JOIN closure_requests c ON c.id = r.closure_id \
         WHERE r.state = $1 ORDER BY r.created_at, r.id LIMIT $2",
    )
    .bind(state.stored())
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| Ok((from_row(r)?, decode::id_opt(r, "owner")?)))
        .collect()
}

pub async fn by_id(conn: &mut AnyConnection, id: &tern_domain::RefundId) -> Result<Option<RefundRow>> {
    let row = sqlx::query(
        "SELECT id, closure_id, source, gateway, amount_minor, currency, state, gateway_ref, created_at, updated_at \
         FROM refunds WHERE id = $1",
    )
    .bind(id.as_str())
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Marks a manual payout made (`awaiting_payout` → `paid_out`) with the
/// payout's reference; false when it was not waiting.
pub async fn mark_paid_out(
    conn: &mut AnyConnection,
    id: &tern_domain::RefundId,
    reference: &str,
    now: i64,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE refunds SET state = 'paid_out', gateway_ref = $2, updated_at = $3 \
         WHERE id = $1 AND state = 'awaiting_payout'",
    )
    .bind(id.as_str())
    .bind(reference)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}
