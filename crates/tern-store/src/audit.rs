//! The append-only, hash-chained audit log.

use sqlx::{AnyConnection, Row};
use tern_domain::audit::{AuditFields, GENESIS, StoredEntry, chain_hash};

use crate::{Backend, Result};

/// One thing that happened, as the caller describes it. Never put personal
/// data (email, phone, name, addresses) here: the log is kept for good and
/// cannot be edited, so it refers to accounts by id only.
#[derive(Debug, Clone)]
pub struct AuditEvent<'a> {
    /// Account id of who did it, or `system`, `anonymous`, `cli`.
    pub actor: &'a str,
    /// What happened, e.g. `account.login_failed`.
    pub action: &'a str,
    /// Account or object it happened to.
    pub subject: &'a str,
    /// JSON with further facts.
    pub details: &'a str,
}

/// Appends an entry inside the caller's transaction. Appends are
/// serialised (an advisory lock on PostgreSQL; SQLite's single writer) so
/// the chain never forks.
pub async fn append(conn: &mut AnyConnection, backend: Backend, e: &AuditEvent<'_>, now: i64) -> Result<i64> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(7402)")
            .execute(&mut *conn)
            .await?;
    }
    let last = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?;
    let (prev_seq, prev_hash): (i64, String) = match last {
        Some(r) => (r.try_get("seq")?, r.try_get("hash")?),
        None => (0, GENESIS.to_owned()),
    };
    let seq = prev_seq + 1;
    let hash = chain_hash(
        &prev_hash,
        &AuditFields {
            seq,
            at_ms: now,
            actor: e.actor,
            action: e.action,
            subject: e.subject,
            details: e.details,
        },
    );
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, action, subject, details, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(seq)
    .bind(now)
    .bind(e.actor)
    .bind(e.action)
    .bind(e.subject)
    .bind(e.details)
    .bind(prev_hash)
    .bind(hash)
    .execute(conn)
    .await?;
    Ok(seq)
}

fn entry(r: &sqlx::any::AnyRow) -> Result<StoredEntry> {
    Ok(StoredEntry {
        seq: r.try_get("seq")?,
        at_ms: r.try_get("at")?,
        actor: r.try_get("actor")?,
        action: r.try_get("action")?,
        subject: r.try_get("subject")?,
        details: r.try_get("details")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

/// A page of entries after `after_seq`, in order.
pub async fn page(conn: &mut AnyConnection, after_seq: i64, limit: i64) -> Result<Vec<StoredEntry>> {
    let rows = sqlx::query(
        "SELECT seq, at, actor, action, subject, details, prev_hash, hash FROM audit_log \
         WHERE seq > $1 ORDER BY seq LIMIT $2",
    )
    .bind(after_seq)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(entry).collect()
}

/// Entries about one subject or by one actor, newest first.
pub async fn for_account(
    conn: &mut AnyConnection,
    account_id: &tern_domain::AccountId,
    limit: i64,
) -> Result<Vec<StoredEntry>> {
    let rows = sqlx::query(
        "SELECT seq, at, actor, action, subject, details, prev_hash, hash FROM audit_log \
         WHERE subject = $1 OR actor = $1 ORDER BY seq DESC LIMIT $2",
    )
    .bind(account_id.as_str())
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(entry).collect()
}

pub async fn count(conn: &mut AnyConnection) -> Result<i64> {
    Ok(sqlx::query("SELECT COUNT(*) AS n FROM audit_log")
        .fetch_one(conn)
        .await?
        .try_get("n")?)
}
