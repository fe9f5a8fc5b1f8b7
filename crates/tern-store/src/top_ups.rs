//! Wallet top-ups paid through a payment gateway.

use sqlx::{AnyConnection, Row, any::AnyRow};

use tern_domain::payment::TopUpState;

use crate::Result;
use crate::decode::{self, Stored};

#[derive(Debug, Clone)]
pub struct TopUpRow {
    pub id: tern_domain::TopUpId,
    pub account_id: tern_domain::AccountId,
    pub amount: tern_domain::Money,
    pub gateway: String,
    pub state: TopUpState,
    pub failure_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

fn from_row(r: &AnyRow) -> Result<TopUpRow> {
    Ok(TopUpRow {
        id: crate::decode::id(r, "id")?,
        account_id: crate::decode::id(r, "account_id")?,
        amount: decode::money(r, "amount_minor", "currency")?,
        gateway: r.try_get("gateway")?,
        state: decode::get(r, "state")?,
        failure_reason: r.try_get("failure_reason")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub async fn insert(conn: &mut AnyConnection, t: &TopUpRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO top_ups (id, account_id, amount_minor, currency, gateway, state, failure_reason, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(t.id.as_str())
    .bind(t.account_id.as_str())
    .bind(t.amount.amount_minor)
    .bind(t.amount.currency.as_str())
    .bind(t.gateway.as_str())
    .bind(t.state.stored())
    .bind(t.failure_reason.as_deref())
    .bind(t.created_at)
    .bind(t.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn by_id(conn: &mut AnyConnection, id: &tern_domain::TopUpId) -> Result<Option<TopUpRow>> {
    let row = sqlx::query(
        "SELECT id, account_id, amount_minor, currency, gateway, state, failure_reason, created_at, updated_at \
         FROM top_ups WHERE id = $1",
    )
    .bind(id.as_str())
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Moves a top-up from `from` to `to`; false when it was not in `from`
/// (a repeated webhook).
pub async fn transition(
    conn: &mut AnyConnection,
    id: &tern_domain::TopUpId,
    from: TopUpState,
    to: TopUpState,
    reason: Option<&str>,
    now: i64,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE top_ups SET state = $3, failure_reason = COALESCE($4, failure_reason), updated_at = $5 \
         WHERE id = $1 AND state = $2",
    )
    .bind(id.as_str())
    .bind(from.stored())
    .bind(to.stored())
    .bind(reason)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Top-ups still waiting for the gateway: a closure must wait for them.
pub async fn pending_for(conn: &mut AnyConnection, account_id: &tern_domain::AccountId) -> Result<i64> {
    Ok(
        sqlx::query("SELECT COUNT(*) AS n FROM top_ups WHERE account_id = $1 AND state = 'pending'")
            .bind(account_id.as_str())
            .fetch_one(conn)
            .await?
            .try_get("n")?,
    )
}

/// Marks an account's top-ups still pending from before `before` as failed
/// (`abandoned`); returns how many.
pub async fn abandon_pending(
    conn: &mut AnyConnection,
    account_id: &tern_domain::AccountId,
    before: i64,
    now: i64,
) -> Result<u64> {
    let r = sqlx::query(
        "UPDATE top_ups SET state = 'failed', failure_reason = 'abandoned', updated_at = $3 \
         WHERE account_id = $1 AND state = 'pending' AND created_at < $2",
    )
    .bind(account_id.as_str())
    .bind(before)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected())
}
