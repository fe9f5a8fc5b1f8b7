//! Single-use tokens and codes: email verification, password reset and
//! phone verification. Stored as hashes; each can be used once.

use sqlx::{AnyConnection, Row};

use crate::Result;

#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: String,
    pub account_id: tern_domain::AccountId,
    pub target: Option<String>,
    pub attempts: i64,
    pub expires_at: i64,
}

/// A token to store.
#[derive(Debug, Clone)]
pub struct NewToken<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub purpose: &'a str,
    pub token_hash: &'a str,
    /// What the token proves, e.g. the phone number a code was sent to.
    pub target: Option<&'a str>,
    pub now: i64,
    pub expires_at: i64,
}

pub async fn insert(conn: &mut AnyConnection, t: &NewToken<'_>) -> Result<()> {
    let NewToken {
        id,
        account_id,
        purpose,
        token_hash,
        target,
        now,
        expires_at,
    } = *t;
    sqlx::query(
        "INSERT INTO one_time_tokens (id, account_id, purpose, token_hash, target, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(account_id)
    .bind(purpose)
    .bind(token_hash)
    .bind(target)
    .bind(now)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks the unused, unexpired token with this hash as used and returns it.
/// The update is the check, so two concurrent uses cannot both succeed.
pub async fn consume(conn: &mut AnyConnection, purpose: &str, token_hash: &str, now: i64) -> Result<Option<TokenRow>> {
    let row = sqlx::query(
        "UPDATE one_time_tokens SET used_at = $3 \
         WHERE purpose = $1 AND token_hash = $2 AND used_at IS NULL AND expires_at > $3 \
         RETURNING id, account_id, target, attempts, expires_at",
    )
    .bind(purpose)
    .bind(token_hash)
    .bind(now)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok(TokenRow {
            id: r.try_get("id")?,
            account_id: crate::decode::id(&r, "account_id")?,
            target: r.try_get("target")?,
            attempts: r.try_get("attempts")?,
            expires_at: r.try_get("expires_at")?,
        })
    })
    .transpose()
}

/// The newest live code for an account and purpose (for codes that are
/// checked by the account rather than looked up by hash).
pub async fn latest_live(
    conn: &mut AnyConnection,
    account_id: &tern_domain::AccountId,
    purpose: &str,
    now: i64,
) -> Result<Option<(TokenRow, String)>> {
    let row = sqlx::query(
        "SELECT id, account_id, target, attempts, expires_at, token_hash FROM one_time_tokens \
         WHERE account_id = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 \
         ORDER BY created_at DESC LIMIT 1",
    )
    .bind(account_id.as_str())
    .bind(purpose)
    .bind(now)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok((
            TokenRow {
                id: r.try_get("id")?,
                account_id: crate::decode::id(&r, "account_id")?,
                target: r.try_get("target")?,
                attempts: r.try_get("attempts")?,
                expires_at: r.try_get("expires_at")?,
            },
            r.try_get("token_hash")?,
        ))
    })
    .transpose()
}

/// Counts a wrong guess; returns the attempts so far.
pub async fn add_attempt(conn: &mut AnyConnection, id: &str) -> Result<i64> {
    let r = sqlx::query("UPDATE one_time_tokens SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts")
        .bind(id)
        .fetch_one(conn)
        .await?;
    Ok(r.try_get("attempts")?)
}

pub async fn mark_used(conn: &mut AnyConnection, id: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE one_time_tokens SET used_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Voids every unused token of a purpose for an account (a new reset link
/// replaces the old one; a password change voids pending resets).
pub async fn void_all(
    conn: &mut AnyConnection,
    account_id: &tern_domain::AccountId,
    purpose: &str,
    now: i64,
) -> Result<()> {
    sqlx::query("UPDATE one_time_tokens SET used_at = $3 WHERE account_id = $1 AND purpose = $2 AND used_at IS NULL")
        .bind(account_id.as_str())
        .bind(purpose)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// The account of a live token and its expiry, without using it.
pub async fn peek(
    conn: &mut AnyConnection,
    purpose: &str,
    token_hash: &str,
    now: i64,
) -> Result<Option<(String, i64)>> {
    let row = sqlx::query(
        "SELECT account_id, expires_at FROM one_time_tokens \
         WHERE purpose = $1 AND token_hash = $2 AND used_at IS NULL AND expires_at > $3",
    )
    .bind(purpose)
    .bind(token_hash)
    .bind(now)
    .fetch_optional(conn)
    .await?;
    row.map(|r| Ok((r.try_get("account_id")?, r.try_get("expires_at")?)))
        .transpose()
}
