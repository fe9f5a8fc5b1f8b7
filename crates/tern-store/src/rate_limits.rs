//! Fixed-window counters in the database, so every process of a
//! multi-node deployment sees the same limits.

use sqlx::{AnyConnection, Row};

use crate::Result;

/// Adds one hit to `key` in the window of `window_ms` starting at the
/// window's first hit, and returns the hits in the current window and
/// when that window ends.
pub async fn hit(conn: &mut AnyConnection, key: &str, window_ms: i64, now: i64) -> Result<(i64, i64)> {
    let row = sqlx::query(
        "INSERT INTO rate_limits (key, window_start, count) VALUES ($1, $2, 1) \
         ON CONFLICT (key) DO UPDATE SET \
           count = CASE WHEN rate_limits.window_start <= $3 THEN 1 ELSE rate_limits.count + 1 END, \
           window_start = CASE WHEN rate_limits.window_start <= $3 THEN $2 ELSE rate_limits.window_start END \
         RETURNING count, window_start",
    )
    .bind(key)
    .bind(now)
    .bind(now - window_ms)
    .fetch_one(conn)
    .await?;
    let count: i64 = row.try_get("count")?;
    let start: i64 = row.try_get("window_start")?;
    Ok((count, start + window_ms))
}

/// The hits in the current window without adding one.
pub async fn peek(conn: &mut AnyConnection, key: &str, window_ms: i64, now: i64) -> Result<(i64, i64)> {
    let row = sqlx::query("SELECT count, window_start FROM rate_limits WHERE key = $1")
        .bind(key)
        .fetch_optional(conn)
        .await?;
    match row {
        Some(r) => {
            let start: i64 = r.try_get("window_start")?;
            if start <= now - window_ms {
                Ok((0, now))
            } else {
                Ok((r.try_get("count")?, start + window_ms))
            }
        }
        None => Ok((0, now)),
    }
}

/// Forgets a key (a successful login clears the account's failures).
pub async fn clear(conn: &mut AnyConnection, key: &str) -> Result<()> {
    sqlx::query("DELETE FROM rate_limits WHERE key = $1")
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}
