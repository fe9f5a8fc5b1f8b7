//! Personal data exports: one row per ZIP built for an account, from
//! `pending` to `ready` (the link is mailed) to `expired` (the file is
//! deleted), or `failed`.
//!
//! What an export reads of the other tables is in [`personal_data`], so
//! the whole footprint of "everything about one account" is in one place.

pub mod personal_data;

use sqlx::{AnyConnection, Row, any::AnyRow};

use tern_domain::export::ExportState;

use crate::decode;
use crate::{Backend, Result};

/// An export as stored. The download token itself is never stored.
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub id: tern_domain::ExportId,
    pub account_id: tern_domain::AccountId,
    pub closure_id: Option<tern_domain::ClosureId>,
    pub state: ExportState,
    pub file_name: Option<String>,
    pub size_bytes: Option<i64>,
    pub created_at: i64,
    pub ready_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub downloaded_at: Option<i64>,
}

const COLUMNS: &str =
    "id, account_id, closure_id, state, file_name, size_bytes, created_at, ready_at, expires_at, downloaded_at";

fn from_row(r: &AnyRow) -> Result<ExportRow> {
    Ok(ExportRow {
        id: crate::decode::id(r, "id")?,
        account_id: crate::decode::id(r, "account_id")?,
        closure_id: crate::decode::id_opt(r, "closure_id")?,
        state: decode::get(r, "state")?,
        file_name: r.try_get("file_name")?,
        size_bytes: r.try_get("size_bytes")?,
        created_at: r.try_get("created_at")?,
        ready_at: r.try_get("ready_at")?,
        expires_at: r.try_get("expires_at")?,
        downloaded_at: r.try_get("downloaded_at")?,
    })
}

async fn one(conn: &mut AnyConnection, filter: &str, value: &str) -> Result<Option<ExportRow>> {
    let sql = format!("SELECT {COLUMNS} FROM exports WHERE {filter} = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(value)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Stores a new pending export. With a `closure_id` that already has an
/// export nothing is written and the answer is false.
pub async fn insert(
    conn: &mut AnyConnection,
    id: &tern_domain::ExportId,
    account_id: &tern_domain::AccountId,
    closure_id: Option<&tern_domain::ClosureId>,
    now: i64,
) -> Result<bool> {
    let r = sqlx::query(
        "INSERT INTO exports (id, account_id, closure_id, state, created_at) VALUES ($1, $2, $3, 'pending', $4) \
         ON CONFLICT (closure_id) DO NOTHING",
    )
    .bind(id.as_str())
    .bind(account_id.as_str())
    .bind(closure_id.map(|c| c.as_str()))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn by_id(conn: &mut AnyConnection, id: &tern_domain::ExportId) -> Result<Option<ExportRow>> {
    one(conn, "id", id).await
}

pub async fn by_closure(conn: &mut AnyConnection, closure_id: &tern_domain::ClosureId) -> Result<Option<ExportRow>> {
    one(conn, "closure_id", closure_id).await
}

pub async fn by_token_hash(conn: &mut AnyConnection, token_hash: &str) -> Result<Option<ExportRow>> {
    one(conn, "token_hash", token_hash).await
}

/// The account's most recent export of any kind (for its account page).
pub async fn latest_for_account(
    conn: &mut AnyConnection,
    account_id: &tern_domain::AccountId,
) -> Result<Option<ExportRow>> {
    let sql = format!("SELECT {COLUMNS} FROM exports WHERE account_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(account_id.as_str())
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// When the account last asked for an export itself (closure exports and
/// failed ones do not count), for the once-a-day limit.
pub async fn last_requested_at(conn: &mut AnyConnection, account_id: &tern_domain::AccountId) -> Result<Option<i64>> {
    let row = sqlx::query(
        "SELECT MAX(created_at) AS at FROM exports \
         WHERE account_id = $1 AND closure_id IS NULL AND state <> 'failed'",
    )
    .bind(account_id.as_str())
    .fetch_one(conn)
    .await?;
    Ok(row.try_get("at")?)
}

/// Makes concurrent export requests of one account wait for each other
/// until the transaction ends (PostgreSQL; SQLite writers are serialised
/// already), so the once-a-day check cannot be passed twice at once.
pub async fn serialise_requests(
    conn: &mut AnyConnection,
    backend: Backend,
    account_id: &tern_domain::AccountId,
) -> Result<()> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(7403, hashtext($1))")
            .bind(account_id.as_str())
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// What a built export records.
#[derive(Debug, Clone)]
pub struct Ready<'a> {
    pub token_hash: &'a str,
    pub file_name: &'a str,
    pub size_bytes: i64,
    pub now: i64,
    pub expires_at: i64,
}

/// Moves a pending export to `ready`; false when it was not pending
/// (another worker finished it first).
pub async fn mark_ready(conn: &mut AnyConnection, id: &tern_domain::ExportId, r: &Ready<'_>) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE exports SET state = 'ready', token_hash = $2, file_name = $3, size_bytes = $4, ready_at = $5, \
         expires_at = $6 WHERE id = $1 AND state = 'pending'",
    )
    .bind(id.as_str())
    .bind(r.token_hash)
    .bind(r.file_name)
    .bind(r.size_bytes)
    .bind(r.now)
    .bind(r.expires_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives up on a pending export; false when it was not pending.
pub async fn mark_failed(conn: &mut AnyConnection, id: &tern_domain::ExportId) -> Result<bool> {
    let r = sqlx::query("UPDATE exports SET state = 'failed' WHERE id = $1 AND state = 'pending'")
        .bind(id.as_str())
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Records the first download.
pub async fn mark_downloaded(conn: &mut AnyConnection, id: &tern_domain::ExportId, now: i64) -> Result<()> {
    sqlx::query("UPDATE exports SET downloaded_at = COALESCE(downloaded_at, $2) WHERE id = $1")
        .bind(id.as_str())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Ready exports whose link has run out, oldest first.
pub async fn due_to_expire(conn: &mut AnyConnection, now: i64, limit: i64) -> Result<Vec<ExportRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM exports WHERE state = 'ready' AND expires_at <= $1 ORDER BY expires_at LIMIT $2"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.iter().map(from_row).collect()
}

/// Marks a ready export expired once its file is gone; false when it was
/// not ready.
pub async fn mark_expired(conn: &mut AnyConnection, id: &tern_domain::ExportId) -> Result<bool> {
    let r = sqlx::query("UPDATE exports SET state = 'expired' WHERE id = $1 AND state = 'ready'")
        .bind(id.as_str())
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}
