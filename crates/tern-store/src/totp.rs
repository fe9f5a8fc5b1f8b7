//! TOTP two-factor: one factor per account (sealed secret, whether it is
//! on, the last step accepted) and its single-use recovery codes (hashes).

use sqlx::{AnyConnection, Row};

use crate::Result;

/// An account's factor as stored.
#[derive(Debug, Clone)]
pub struct FactorRow {
    pub account_id: tern_domain::AccountId,
    /// The shared secret, sealed by the service layer.
    pub secret_sealed: String,
    /// When a confirmed code turned it on; `None` while enrolling.
    pub enabled_at: Option<i64>,
    /// The 30-second step of the last code accepted.
    pub last_step: i64,
    pub created_at: i64,
}

/// The account's factor, enabled or still enrolling.
pub async fn factor(conn: &mut AnyConnection, account_id: &tern_domain::AccountId) -> Result<Option<FactorRow>> {
    let row = sqlx::query(
        "SELECT account_id, secret_sealed, enabled_at, last_step, created_at FROM totp_factors WHERE account_id = $1",
    )
    .bind(account_id.as_str())
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok(FactorRow {
            account_id: crate::decode::id(&r, "account_id")?,
            secret_sealed: r.try_get("secret_sealed")?,
            enabled_at: r.try_get("enabled_at")?,
            last_step: r.try_get("last_step")?,
            created_at: r.try_get("created_at")?,
        })
    })
    .transpose()
}

/// Starts (or restarts) enrolment with a new sealed secret. Refuses (false)
/// when the account's factor is already enabled.
pub async fn start_enrolment(
    conn: &mut AnyConnection,
    account_id: &tern_domain::AccountId,
    sealed: &str,
    now: i64,
) -> Result<bool> {
    sqlx::query("DELETE FROM totp_factors WHERE account_id = $1 AND enabled_at IS NULL")
        .bind(account_id.as_str())
        .execute(&mut *conn)
        .await?;
    let r = sqlx::query(
        "INSERT INTO totp_factors (account_id, secret_sealed, enabled_at, last_step, created_at, updated_at) \
         VALUES ($1, $2, NULL, 0, $3, $3) ON CONFLICT (account_id) DO NOTHING",
    )
    .bind(account_id.as_str())
    .bind(sealed)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Records that a code of `step` was accepted, unless a code of this step
/// or a later one already was (the update is the check, so the same code
/// cannot be used twice, even concurrently). Turns the factor on when
/// `enable` is set.
pub async fn accept_step(
    conn: &mut AnyConnection,
    account_id: &tern_domain::AccountId,
    step: i64,
    enable: bool,
    now: i64,
) -> Result<bool> {
    let sql = if enable {
        "UPDATE totp_factors SET last_step = $2, enabled_at = COALESCE(enabled_at, $3), updated_at = $3 \
         WHERE account_id = $1 AND last_step < $2"
    } else {
        "UPDATE totp_factors SET last_step = $2, updated_at = $3 \
         WHERE account_id = $1 AND last_step < $2 AND enabled_at IS NOT NULL"
    };
    let r = sqlx::query(sql)
        .bind(account_id.as_str())
        .bind(step)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Replaces the account's recovery codes with these hashes.
pub async fn replace_recovery_codes(
    conn: &mut AnyConnection,
    account_id: &tern_domain::AccountId,
    hashes: &[(String, String)],
    now: i64,
) -> Result<()> {
    sqlx::query("DELETE FROM totp_recovery_codes WHERE account_id = $1")
        .bind(account_id.as_str())
        .execute(&mut *conn)
        .await?;
    for (id, hash) in hashes {
        sqlx::query(
            "INSERT INTO totp_recovery_codes (id, account_id, code_hash, created_at, used_at) VALUES ($1, $2, $3, $4, NULL)",
        )
        .bind(id.as_str())
        .bind(account_id.as_str())
        .bind(hash.as_str())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Uses the unused recovery code with this hash; false when there is none
/// (unknown or already used). The update is the check.
pub async fn use_recovery_code(
    conn: &mut AnyConnection,
    account_id: &tern_domain::AccountId,
    code_hash: &str,
    now: i64,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE totp_recovery_codes SET used_at = $3 WHERE account_id = $1 AND code_hash = $2 AND used_at IS NULL",
    )
    .bind(account_id.as_str())
    .bind(code_hash)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Recovery codes not used yet.
pub async fn recovery_codes_left(conn: &mut AnyConnection, account_id: &tern_domain::AccountId) -> Result<i64> {
    Ok(
        sqlx::query("SELECT COUNT(*) AS n FROM totp_recovery_codes WHERE account_id = $1 AND used_at IS NULL")
            .bind(account_id.as_str())
            .fetch_one(conn)
            .await?
            .try_get("n")?,
    )
}

/// Removes the factor and its recovery codes; returns how many rows went.
pub async fn delete_all(conn: &mut AnyConnection, account_id: &tern_domain::AccountId) -> Result<i64> {
    let mut n = 0;
    for sql in [
        "DELETE FROM totp_recovery_codes WHERE account_id = $1",
        "DELETE FROM totp_factors WHERE account_id = $1",
    ] {
        let r = sqlx::query(sql).bind(account_id.as_str()).execute(&mut *conn).await?;
        n += i64::try_from(r.rows_affected()).unwrap_or(i64::MAX);
    }
    Ok(n)
}
