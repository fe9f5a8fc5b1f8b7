//! Accounts: travellers and staff.

use sqlx::{AnyConnection, Row, any::AnyRow};

use tern_domain::{AccountId, AccountStatus, Role};

use crate::Result;
use crate::decode::{self, Stored};

/// An account as stored. Personal fields are `None` once erased.
#[derive(Debug, Clone)]
pub struct AccountRow {
    pub id: AccountId,
    pub email: Option<String>,
    pub email_verified_at: Option<i64>,
    pub phone: Option<String>,
    pub phone_verified_at: Option<i64>,
    pub name: Option<String>,
    pub password_hash: Option<String>,
    pub locale: String,
    pub role: Role,
    pub status: AccountStatus,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_login_at: Option<i64>,
}

pub(crate) const COLUMNS: &str = "id, email, email_verified_at, phone, phone_verified_at, name, \
     password_hash, locale, role, status, created_at, updated_at, last_login_at";

pub(crate) fn from_row(r: &AnyRow) -> Result<AccountRow> {
    Ok(AccountRow {
        id: AccountId::from(r.try_get::<String, _>("id")?),
        email: r.try_get("email")?,
        email_verified_at: r.try_get("email_verified_at")?,
        phone: r.try_get("phone")?,
        phone_verified_at: r.try_get("phone_verified_at")?,
        name: r.try_get("name")?,
        password_hash: r.try_get("password_hash")?,
        locale: r.try_get("locale")?,
        role: decode::get(r, "role")?,
        status: decode::get(r, "status")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        last_login_at: r.try_get("last_login_at")?,
    })
}

/// What a new account starts with.
#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub phone: Option<&'a str>,
    pub name: Option<&'a str>,
    pub password_hash: &'a str,
    pub locale: &'a str,
    pub role: Role,
    pub verified_at: Option<i64>,
    pub now: i64,
}

/// Inserts an account; a taken email is [`crate::StoreError::Conflict`].
pub async fn insert(conn: &mut AnyConnection, a: &NewAccount<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO accounts (id, email, email_verified_at, phone, name, password_hash, \
         locale, role, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', $9, $9)",
    )
    .bind(a.id)
    .bind(a.email)
    .bind(a.verified_at)
    .bind(a.phone)
    .bind(a.name)
    .bind(a.password_hash)
    .bind(a.locale)
    .bind(a.role.stored())
    .bind(a.now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<AccountRow>> {
    let sql = format!("SELECT {COLUMNS} FROM accounts WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn by_email(conn: &mut AnyConnection, email: &str) -> Result<Option<AccountRow>> {
    let sql = format!("SELECT {COLUMNS} FROM accounts WHERE email = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(email)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn set_email_verified(conn: &mut AnyConnection, id: &str, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE accounts SET email_verified_at = COALESCE(email_verified_at, $2), updated_at = $2 \
         WHERE id = $1",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_password(conn: &mut AnyConnection, id: &str, hash: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE accounts SET password_hash = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(hash)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// The profile fields a user may change themselves; `None` leaves a field.
#[derive(Debug, Clone, Default)]
pub struct ProfilePatch {
    pub name: Option<Option<String>>,
    pub locale: Option<String>,
    /// A new phone resets its verification.
    pub phone: Option<Option<String>>,
}

pub async fn update_profile(conn: &mut AnyConnection, id: &str, p: &ProfilePatch, now: i64) -> Result<()> {
    if let Some(name) = &p.name {
        sqlx::query("UPDATE accounts SET name = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(name.as_deref())
            .bind(now)
            .execute(&mut *conn)
            .await?;
    }
    if let Some(locale) = &p.locale {
        sqlx::query("UPDATE accounts SET locale = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(locale.as_str())
            .bind(now)
            .execute(&mut *conn)
            .await?;
    }
    if let Some(phone) = &p.phone {
        sqlx::query(
            "UPDATE accounts SET phone = $2, phone_verified_at = NULL, updated_at = $3 \
             WHERE id = $1 AND (phone IS NULL OR phone <> $2 OR $2 IS NULL)",
        )
        .bind(id)
        .bind(phone.as_deref())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub async fn set_phone_verified(conn: &mut AnyConnection, id: &str, phone: &str, now: i64) -> Result<bool> {
    let r = sqlx::query("UPDATE accounts SET phone_verified_at = $3, updated_at = $3 WHERE id = $1 AND phone = $2")
        .bind(id)
        .bind(phone)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn touch_login(conn: &mut AnyConnection, id: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE accounts SET last_login_at = $2, dormant_warned_at = NULL WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_role(conn: &mut AnyConnection, id: &str, role: Role, now: i64) -> Result<()> {
    sqlx::query("UPDATE accounts SET role = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(role.stored())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn count(conn: &mut AnyConnection) -> Result<i64> {
    Ok(sqlx::query("SELECT COUNT(*) AS n FROM accounts")
        .fetch_one(conn)
        .await?
        .try_get("n")?)
}

/// Moves an account from status `from` to `to`; false when it was not in `from`.
pub async fn set_status(
    conn: &mut AnyConnection,
    id: &str,
    from: AccountStatus,
    to: AccountStatus,
    now: i64,
) -> Result<bool> {
    let r = sqlx::query("UPDATE accounts SET status = $3, updated_at = $4 WHERE id = $1 AND status = $2")
        .bind(id)
        .bind(from.stored())
        .bind(to.stored())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Active travellers not seen since `before` and not yet warned.
pub async fn dormant_to_warn(conn: &mut AnyConnection, before: i64, limit: i64) -> Result<Vec<AccountRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM accounts WHERE role = 'user' AND status = 'active' AND dormant_warned_at IS NULL \
         AND COALESCE(last_login_at, created_at) < $1 ORDER BY created_at LIMIT $2"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(before)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.iter().map(from_row).collect()
}

/// Marks the dormancy warning sent; false when it already was.
pub async fn mark_dormant_warned(conn: &mut AnyConnection, id: &str, now: i64) -> Result<bool> {
    let r = sqlx::query("UPDATE accounts SET dormant_warned_at = $2 WHERE id = $1 AND dormant_warned_at IS NULL")
        .bind(id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Warned before `warned_before` and not signed in since: ids to close.
pub async fn dormant_to_close(
    conn: &mut AnyConnection,
    warned_before: i64,
    limit: i64,
) -> Result<Vec<tern_domain::AccountId>> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM accounts WHERE role = 'user' AND status = 'active' AND dormant_warned_at IS NOT NULL \
         AND dormant_warned_at < $1 AND COALESCE(last_login_at, created_at) < dormant_warned_at \
         ORDER BY dormant_warned_at LIMIT $2",
    )
    .bind(warned_before)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(ids.into_iter().map(tern_domain::AccountId::from).collect())
}
