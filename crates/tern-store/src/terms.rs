//! Terms versions and who accepted which.

use sqlx::{AnyConnection, Row, any::AnyRow};

use crate::Result;

/// A published terms version.
#[derive(Debug, Clone)]
pub struct TermsRow {
    pub version: i64,
    pub text_en: String,
    pub text_zh: String,
    pub effective_at: i64,
    pub requires_acceptance: bool,
    pub published_by: String,
    pub published_at: i64,
}

const COLUMNS: &str = "version, text_en, text_zh, effective_at, requires_acceptance, published_by, published_at";

fn from_row(r: &AnyRow) -> Result<TermsRow> {
    Ok(TermsRow {
        version: r.try_get("version")?,
        text_en: r.try_get("text_en")?,
        text_zh: r.try_get("text_zh")?,
        effective_at: r.try_get("effective_at")?,
        requires_acceptance: r.try_get::<i64, _>("requires_acceptance")? != 0,
        published_by: r.try_get("published_by")?,
        published_at: r.try_get("published_at")?,
    })
}

/// What a new version says.
#[derive(Debug, Clone)]
pub struct NewTerms<'a> {
    pub text_en: &'a str,
    pub text_zh: &'a str,
    pub effective_at: i64,
    pub requires_acceptance: bool,
    pub published_by: &'a str,
    pub now: i64,
}

/// Publishes the next version number; a concurrent publish of the same
/// number is [`crate::StoreError::Conflict`].
pub async fn insert_next(conn: &mut AnyConnection, t: &NewTerms<'_>) -> Result<i64> {
    let version: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) + 1 FROM terms_versions")
        .fetch_one(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO terms_versions (version, text_en, text_zh, effective_at, requires_acceptance, \
         published_by, published_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(version)
    .bind(t.text_en)
    .bind(t.text_zh)
    .bind(t.effective_at)
    .bind(i64::from(t.requires_acceptance))
    .bind(t.published_by)
    .bind(t.now)
    .execute(conn)
    .await?;
    Ok(version)
}

/// Every version, newest first.
pub async fn list(conn: &mut AnyConnection) -> Result<Vec<TermsRow>> {
    let sql = format!("SELECT {COLUMNS} FROM terms_versions ORDER BY version DESC");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(conn).await?;
    rows.iter().map(from_row).collect()
}

pub async fn by_version(conn: &mut AnyConnection, version: i64) -> Result<Option<TermsRow>> {
    let sql = format!("SELECT {COLUMNS} FROM terms_versions WHERE version = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(version)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The version in effect at `now`: the newest whose effective date has come.
pub async fn current(conn: &mut AnyConnection, now: i64) -> Result<Option<TermsRow>> {
    let sql = format!("SELECT {COLUMNS} FROM terms_versions WHERE effective_at <= $1 ORDER BY version DESC LIMIT 1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// (version, effective_at) of every version that requires acceptance.
pub async fn required_schedule(conn: &mut AnyConnection) -> Result<Vec<(i64, i64)>> {
    let rows = sqlx::query("SELECT version, effective_at FROM terms_versions WHERE requires_acceptance = 1")
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("version")?, r.try_get("effective_at")?)))
        .collect()
}

/// Records an acceptance (once per account and version) and raises the
/// account's accepted version; returns when the version was first accepted.
pub async fn accept(
    conn: &mut AnyConnection,
    account_id: &tern_domain::AccountId,
    version: i64,
    now: i64,
) -> Result<i64> {
    sqlx::query(
        "INSERT INTO terms_acceptances (account_id, version, accepted_at) VALUES ($1, $2, $3) \
         ON CONFLICT (account_id, version) DO NOTHING",
    )
    .bind(account_id.as_str())
    .bind(version)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE accounts SET terms_version = $2 WHERE id = $1 AND (terms_version IS NULL OR terms_version < $2)",
    )
    .bind(account_id.as_str())
    .bind(version)
    .execute(&mut *conn)
    .await?;
    Ok(
        sqlx::query_scalar("SELECT accepted_at FROM terms_acceptances WHERE account_id = $1 AND version = $2")
            .bind(account_id.as_str())
            .bind(version)
            .fetch_one(conn)
            .await?,
    )
}

/// An account's acceptances, oldest first: (version, accepted_at).
pub async fn acceptances(conn: &mut AnyConnection, account_id: &tern_domain::AccountId) -> Result<Vec<(i64, i64)>> {
    let rows = sqlx::query("SELECT version, accepted_at FROM terms_acceptances WHERE account_id = $1 ORDER BY version")
        .bind(account_id.as_str())
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("version")?, r.try_get("accepted_at")?)))
        .collect()
}
