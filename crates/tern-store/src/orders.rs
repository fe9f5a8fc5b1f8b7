//! Orders: a plan bought from the wallet, for a new eSIM or as a top-up.

use sqlx::{AnyConnection, Row, any::AnyRow};

use tern_domain::order::{OrderKind, OrderState};

use crate::Result;
use crate::decode::{self, Stored};

#[derive(Debug, Clone)]
pub struct OrderRow {
    pub id: tern_domain::OrderId,
    pub account_id: tern_domain::AccountId,
    pub plan_code: String,
    pub iccid: Option<tern_domain::ids::Iccid>,
    /// The matching id chosen for confirmOrder, saved with the ICCID.
    pub matching_id: Option<String>,
    pub kind: OrderKind,
    pub state: OrderState,
    pub price: tern_domain::Money,
    pub failure_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, account_id, plan_code, iccid, matching_id, kind, state, price_minor, currency, failure_reason, created_at, \
     updated_at";

fn from_row(r: &AnyRow) -> Result<OrderRow> {
    Ok(OrderRow {
        id: decode::id(r, "id")?,
        account_id: crate::decode::id(r, "account_id")?,
        plan_code: r.try_get("plan_code")?,
        iccid: crate::decode::iccid_opt(r, "iccid")?,
        matching_id: r.try_get("matching_id")?,
        kind: decode::get(r, "kind")?,
        state: decode::get(r, "state")?,
        price: decode::money(r, "price_minor", "currency")?,
        failure_reason: r.try_get("failure_reason")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub async fn insert(conn: &mut AnyConnection, o: &OrderRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO orders (id, account_id, plan_code, iccid, kind, state, price_minor, currency, \
         failure_reason, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(o.id.as_str())
    .bind(o.account_id.as_str())
    .bind(o.plan_code.as_str())
    .bind(o.iccid.as_ref().map(|i| i.as_str()))
    .bind(o.kind.stored())
    .bind(o.state.stored())
    .bind(o.price.amount_minor)
    .bind(o.price.currency.as_str())
    .bind(o.failure_reason.as_deref())
    .bind(o.created_at)
    .bind(o.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn by_id(conn: &mut AnyConnection, id: &tern_domain::OrderId) -> Result<Option<OrderRow>> {
    let sql = format!("SELECT {COLUMNS} FROM orders WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.as_str())
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn for_account(
    conn: &mut AnyConnection,
    account_id: &tern_domain::AccountId,
    limit: i64,
) -> Result<Vec<OrderRow>> {
    let sql = format!("SELECT {COLUMNS} FROM orders WHERE account_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(account_id.as_str())
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.iter().map(from_row).collect()
}

/// Moves an order from `from` to `to`; false when it was not in `from`
/// (another worker got there first).
pub async fn transition(
    conn: &mut AnyConnection,
    id: &tern_domain::OrderId,
    from: OrderState,
    to: OrderState,
    failure_reason: Option<&str>,
    now: i64,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE orders SET state = $3, failure_reason = COALESCE($4, failure_reason), updated_at = $5 \
         WHERE id = $1 AND state = $2",
    )
    .bind(id.as_str())
    .bind(from.stored())
    .bind(to.stored())
    .bind(failure_reason)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Records the profile the SM-DP+ reserved for an order and the matching
/// id Tern will confirm it with, or (both `None`) forgets them when that
/// profile was given back.
pub async fn set_reservation(
    conn: &mut AnyConnection,
    id: &tern_domain::OrderId,
    iccid: Option<&tern_domain::ids::Iccid>,
    matching_id: Option<&str>,
    now: i64,
) -> Result<()> {
    sqlx::query("UPDATE orders SET iccid = $2, matching_id = $3, updated_at = $4 WHERE id = $1")
        .bind(id.as_str())
        .bind(iccid.map(|i| i.as_str()))
        .bind(matching_id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// True when an eSIM, or an order still provisioning, holds `iccid`: the
/// profile is in use by Tern and must not be cancelled at the SM-DP+.
pub async fn iccid_held(conn: &mut AnyConnection, iccid: &tern_domain::ids::Iccid) -> Result<bool> {
    let n: i64 = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM esims WHERE iccid = $1) \
              + (SELECT COUNT(*) FROM orders WHERE iccid = $1 AND state = 'provisioning') AS n",
    )
    .bind(iccid.as_str())
    .fetch_one(conn)
    .await?
    .try_get("n")?;
    Ok(n > 0)
}

/// How many of an account's orders are in `state` (e.g. `provisioning`).
pub async fn count_in_state(
    conn: &mut AnyConnection,
    account_id: &tern_domain::AccountId,
    state: OrderState,
) -> Result<i64> {
    Ok(
        sqlx::query("SELECT COUNT(*) AS n FROM orders WHERE account_id = $1 AND state = $2")
            .bind(account_id.as_str())
            .bind(state.stored())
            .fetch_one(conn)
            .await?
            .try_get("n")?,
    )
}
