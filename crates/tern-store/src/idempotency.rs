//! Stored first responses for `Idempotency-Key`.

use sqlx::{AnyConnection, Row};

use crate::Result;

/// A response kept for a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub request_hash: String,
    pub status: i64,
    pub response: String,
}

pub async fn get(conn: &mut AnyConnection, account_id: &tern_domain::AccountId, key: &str) -> Result<Option<Stored>> {
    let row =
        sqlx::query("SELECT request_hash, status, response FROM idempotency_keys WHERE account_id = $1 AND key = $2")
            .bind(account_id.as_str())
            .bind(key)
            .fetch_optional(conn)
            .await?;
    row.map(|r| {
        Ok(Stored {
            request_hash: r.try_get("request_hash")?,
            status: r.try_get("status")?,
            response: r.try_get("response")?,
        })
    })
    .transpose()
}

/// Stores the first response for a key; a concurrent request with the same
/// key that got there first makes this a unique violation (`Conflict`),
/// and the caller rolls back and replays the stored one.
pub async fn put(
    conn: &mut AnyConnection,
    account_id: &tern_domain::AccountId,
    key: &str,
    s: &Stored,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO idempotency_keys (account_id, key, request_hash, status, response, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(account_id.as_str())
    .bind(key)
    .bind(s.request_hash.as_str())
    .bind(s.status)
    .bind(s.response.as_str())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}
