//! Manual wallet adjustments made by finance staff: the amount, the
//! bucket, the ledger transaction that moved the money, and the
//! operator's reason (free text, erased with the account).

use sqlx::{AnyConnection, Row, any::AnyRow};

use crate::Result;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdjustmentRow {
    pub id: tern_domain::AdjustmentId,
    pub account_id: tern_domain::AccountId,
    pub actor_id: tern_domain::AccountId,
    pub amount_minor: i64,
    pub currency: String,
    /// `cash` or `promo`.
    pub bucket: tern_domain::money::Bucket,
    /// None once the account has been erased.
    pub reason: Option<String>,
    pub transaction_id: tern_domain::TransactionId,
    pub created_at: i64,
}

const COLUMNS: &str = "id, account_id, actor_id, amount_minor, currency, bucket, reason, transaction_id, created_at";

fn from_row(r: &AnyRow) -> Result<AdjustmentRow> {
    Ok(AdjustmentRow {
        id: crate::decode::id(r, "id")?,
        account_id: crate::decode::id(r, "account_id")?,
        actor_id: crate::decode::id(r, "actor_id")?,
        amount_minor: r.try_get("amount_minor")?,
        currency: r.try_get("currency")?,
        bucket: crate::decode::get(r, "bucket")?,
        reason: r.try_get("reason")?,
        transaction_id: crate::decode::id(r, "transaction_id")?,
        created_at: r.try_get("created_at")?,
    })
}

pub async fn insert(conn: &mut AnyConnection, a: &AdjustmentRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO wallet_adjustments (id, account_id, actor_id, amount_minor, currency, bucket, reason, \
         transaction_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(a.id.as_str())
    .bind(a.account_id.as_str())
    .bind(a.actor_id.as_str())
    .bind(a.amount_minor)
    .bind(a.currency.as_str())
    .bind(a.bucket.as_str())
    .bind(a.reason.as_deref())
    .bind(a.transaction_id.as_str())
    .bind(a.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// An account's adjustments, newest first.
pub async fn for_account(
    conn: &mut AnyConnection,
    account_id: &tern_domain::AccountId,
    limit: i64,
) -> Result<Vec<AdjustmentRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM wallet_adjustments WHERE account_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
    )))
    .bind(account_id.as_str())
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Forgets the operators' reasons about an account (closure's erase
/// step); returns how many were cleared.
pub async fn erase_reasons(conn: &mut AnyConnection, account_id: &tern_domain::AccountId) -> Result<u64> {
    let r = sqlx::query("UPDATE wallet_adjustments SET reason = NULL WHERE account_id = $1 AND reason IS NOT NULL")
        .bind(account_id.as_str())
        .execute(conn)
        .await?;
    Ok(r.rows_affected())
}

pub async fn by_id(conn: &mut AnyConnection, id: &tern_domain::AdjustmentId) -> Result<Option<AdjustmentRow>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM wallet_adjustments WHERE id = $1"
    )))
    .bind(id.as_str())
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}
