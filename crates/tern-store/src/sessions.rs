//! Sessions and API tokens: one table, told apart by `kind`.
//!
//! Only a SHA-256 of each token is stored, so a copy of the database does
//! not let anyone log in.

use sqlx::{AnyConnection, Row, any::AnyRow};

use crate::Result;
use crate::decode::Stored;

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: tern_domain::SessionId,
    pub account_id: tern_domain::AccountId,
    pub kind: tern_domain::SessionKind,
    pub label: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_seen_at: i64,
    pub reauth_at: Option<i64>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

const COLUMNS: &str = "id, account_id, kind, label, created_at, expires_at, last_seen_at, reauth_at, ip, user_agent";

fn from_row(r: &AnyRow) -> Result<SessionRow> {
    Ok(SessionRow {
        id: crate::decode::id(r, "id")?,
        account_id: crate::decode::id(r, "account_id")?,
        kind: crate::decode::get(r, "kind")?,
        label: r.try_get("label")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        last_seen_at: r.try_get("last_seen_at")?,
        reauth_at: r.try_get("reauth_at")?,
        ip: r.try_get("ip")?,
        user_agent: r.try_get("user_agent")?,
    })
}

#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub id: &'a tern_domain::SessionId,
    pub account_id: &'a tern_domain::AccountId,
    pub token_hash: &'a str,
    pub kind: tern_domain::SessionKind,
    pub label: Option<&'a str>,
    pub expires_at: i64,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub now: i64,
}

/// Stores a session. A fresh login counts as a re-authentication.
pub async fn insert(conn: &mut AnyConnection, s: &NewSession<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id, account_id, token_hash, kind, label, created_at, expires_at, \
         last_seen_at, reauth_at, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7, $6, $6, $8, $9)",
    )
    .bind(s.id.as_str())
    .bind(s.account_id.as_str())
    .bind(s.token_hash)
    .bind(s.kind.stored())
    .bind(s.label)
    .bind(s.now)
    .bind(s.expires_at)
    .bind(s.ip)
    .bind(s.user_agent)
    .execute(conn)
    .await?;
    Ok(())
}

/// The live session a token hash belongs to, if any.
pub async fn by_token_hash(conn: &mut AnyConnection, token_hash: &str, now: i64) -> Result<Option<SessionRow>> {
    let sql = format!("SELECT {COLUMNS} FROM sessions WHERE token_hash = $1 AND expires_at > $2");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(token_hash)
        .bind(now)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Records activity, at most about once a minute per session to keep
/// reads from turning into writes.
pub async fn touch(conn: &mut AnyConnection, id: &tern_domain::SessionId, now: i64) -> Result<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at < $3")
        .bind(id.as_str())
        .bind(now)
        .bind(now - 60_000)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_reauth(conn: &mut AnyConnection, id: &tern_domain::SessionId, now: i64) -> Result<()> {
    sqlx::query("UPDATE sessions SET reauth_at = $2 WHERE id = $1")
        .bind(id.as_str())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn list_for_account(
    conn: &mut AnyConnection,
    account_id: &tern_domain::AccountId,
    now: i64,
) -> Result<Vec<SessionRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM sessions WHERE account_id = $1 AND expires_at > $2 \
         ORDER BY last_seen_at DESC"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(account_id.as_str())
        .bind(now)
        .fetch_all(conn)
        .await?;
    rows.iter().map(from_row).collect()
}

/// Ends one session of an account; false when there was none.
pub async fn delete(
    conn: &mut AnyConnection,
    account_id: &tern_domain::AccountId,
    id: &tern_domain::SessionId,
) -> Result<bool> {
    let r = sqlx::query("DELETE FROM sessions WHERE id = $1 AND account_id = $2")
        .bind(id.as_str())
        .bind(account_id.as_str())
        .execute(conn)
        .await?;
    Ok(r.rows_affected() > 0)
}

/// Ends every session and token of an account except `keep`; returns how many.
pub async fn delete_all_for_account(
    conn: &mut AnyConnection,
    account_id: &tern_domain::AccountId,
    keep: Option<&str>,
) -> Result<u64> {
    let r = sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND id <> $2")
        .bind(account_id.as_str())
        .bind(keep.unwrap_or(""))
        .execute(conn)
        .await?;
    Ok(r.rows_affected())
}

/// Removes expired sessions (housekeeping).
pub async fn delete_expired(conn: &mut AnyConnection, now: i64) -> Result<u64> {
    let r = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(conn)
        .await?;
    Ok(r.rows_affected())
}

/// A live session together with what authorisation needs of its account,
/// in one query (the hot path of every signed-in request). The fields are
/// in the order queries select them (see [`session_account_at`]).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct SessionAccount {
    pub session_id: tern_domain::SessionId,
    pub account_id: tern_domain::AccountId,
    pub last_seen_at: i64,
    pub reauth_at: Option<i64>,
    pub role: tern_domain::Role,
    pub locale: String,
    pub status: tern_domain::AccountStatus,
    /// The newest terms version the account accepted.
    pub terms_version: Option<i64>,
}

pub async fn with_account_by_token_hash(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: i64,
) -> Result<Option<SessionAccount>> {
    let row = sqlx::query(
        "SELECT s.id, s.account_id, s.last_seen_at, s.reauth_at, a.role, a.locale, a.status, a.terms_version \
         FROM sessions s JOIN accounts a ON a.id = s.account_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(|r| session_account_at(r, 0)).transpose()
}

/// Reads the columns `at…` of a row selected as `s.id, s.account_id,
/// s.last_seen_at, s.reauth_at, a.role, a.locale, a.status, a.terms_version` (by position,
/// so a query can select more around them).
pub(crate) fn session_account_at<R>(r: &R, at: usize) -> Result<SessionAccount>
where
    R: Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> &'r str: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(SessionAccount {
        session_id: tern_domain::SessionId::from(r.try_get::<String, _>(at)?),
        account_id: tern_domain::AccountId::from(r.try_get::<String, _>(at + 1)?),
        last_seen_at: r.try_get(at + 2)?,
        reauth_at: r.try_get(at + 3)?,
        role: crate::decode::get(r, at + 4)?,
        locale: r.try_get(at + 5)?,
        status: crate::decode::get(r, at + 6)?,
        terms_version: r.try_get(at + 7)?,
    })
}
