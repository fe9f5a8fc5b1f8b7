//! Throttling repeated attempts (logins, codes, resets) across processes.

use std::time::Duration;

use tern_store::{Conn, rate_limits};

use crate::clock::ms;
use crate::error::{AppError, AppResult};

/// A limit: at most `max` hits per `window`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

fn retry_after(until: i64, now: i64) -> u64 {
    u64::try_from((until - now + 999) / 1000).unwrap_or(1).max(1)
}

/// Refuses with 429 when `key` already used its allowance, without
/// counting this call.
pub async fn check(conn: &mut Conn, key: &str, limit: Limit, now: i64) -> AppResult<()> {
    let (n, until) = rate_limits::peek(conn, key, ms(limit.window), now).await?;
    if n >= i64::from(limit.max) {
        return Err(AppError::RateLimited {
            retry_after_secs: retry_after(until, now),
        });
    }
    Ok(())
}

/// Counts one hit against `key`.
pub async fn hit(conn: &mut Conn, key: &str, limit: Limit, now: i64) -> AppResult<()> {
    rate_limits::hit(conn, key, ms(limit.window), now).await?;
    Ok(())
}

/// Counts one hit and refuses with 429 when it goes over the allowance.
pub async fn take(conn: &mut Conn, key: &str, limit: Limit, now: i64) -> AppResult<()> {
    let (n, until) = rate_limits::hit(conn, key, ms(limit.window), now).await?;
    if n > i64::from(limit.max) {
        return Err(AppError::RateLimited {
            retry_after_secs: retry_after(until, now),
        });
    }
    Ok(())
}

pub async fn clear(conn: &mut Conn, key: &str) -> AppResult<()> {
    rate_limits::clear(conn, key).await?;
    Ok(())
}
