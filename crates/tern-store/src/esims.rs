//! eSIMs and the packages on them.

use sqlx::{AnyConnection, Row, any::AnyRow};

use crate::Result;

#[derive(Debug, Clone)]
pub struct EsimRow {
    pub iccid: String,
    pub account_id: String,
    pub state: String,
    pub smdp_address: String,
    pub matching_id: String,
    pub activation_code: String,
    pub eid: Option<String>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub installed_at: Option<i64>,
}

const ESIM_COLUMNS: &str = "iccid, account_id, state, smdp_address, matching_id, activation_code, eid, last_error, \
     created_at, updated_at, installed_at";

fn esim(r: &AnyRow) -> Result<EsimRow> {
    Ok(EsimRow {
        iccid: r.try_get("iccid")?,
        account_id: r.try_get("account_id")?,
        state: r.try_get("state")?,
        smdp_address: r.try_get("smdp_address")?,
        matching_id: r.try_get("matching_id")?,
        activation_code: r.try_get("activation_code")?,
        eid: r.try_get("eid")?,
        last_error: r.try_get("last_error")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        installed_at: r.try_get("installed_at")?,
    })
}

pub async fn insert(conn: &mut AnyConnection, e: &EsimRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO esims (iccid, account_id, state, smdp_address, matching_id, activation_code, eid, \
         last_error, created_at, updated_at, installed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(e.iccid.as_str())
    .bind(e.account_id.as_str())
    .bind(e.state.as_str())
    .bind(e.smdp_address.as_str())
    .bind(e.matching_id.as_str())
    .bind(e.activation_code.as_str())
    .bind(e.eid.as_deref())
    .bind(e.last_error.as_deref())
    .bind(e.created_at)
    .bind(e.updated_at)
    .bind(e.installed_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn by_iccid(conn: &mut AnyConnection, iccid: &str) -> Result<Option<EsimRow>> {
    let sql = format!("SELECT {ESIM_COLUMNS} FROM esims WHERE iccid = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(iccid)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(esim).transpose()
}

pub async fn for_account(conn: &mut AnyConnection, account_id: &str) -> Result<Vec<EsimRow>> {
    let sql = format!("SELECT {ESIM_COLUMNS} FROM esims WHERE account_id = $1 ORDER BY created_at DESC");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(account_id)
        .fetch_all(conn)
        .await?;
    rows.iter().map(esim).collect()
}

#[derive(Debug, Clone)]
pub struct PackageRow {
    pub id: String,
    pub iccid: String,
    pub order_id: String,
    pub account_id: String,
    pub plan_code: String,
    pub countries: String,
    pub data_limit_bytes: Option<i64>,
    pub fair_use_bytes: Option<i64>,
    pub voice_limit_seconds: i64,
    pub sms_limit: i64,
    pub used_data_bytes: i64,
    pub used_voice_seconds: i64,
    pub used_sms: i64,
    pub activation: String,
    pub validity_days: i64,
    pub starts_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub state: String,
    pub created_at: i64,
}

const PACKAGE_COLUMNS: &str = "id, iccid, order_id, account_id, plan_code, countries, data_limit_bytes, fair_use_bytes, \
     voice_limit_seconds, sms_limit, used_data_bytes, used_voice_seconds, used_sms, activation, validity_days, \
     starts_at, expires_at, state, created_at";

fn package(r: &AnyRow) -> Result<PackageRow> {
    Ok(PackageRow {
        id: r.try_get("id")?,
        iccid: r.try_get("iccid")?,
        order_id: r.try_get("order_id")?,
        account_id: r.try_get("account_id")?,
        plan_code: r.try_get("plan_code")?,
        countries: r.try_get("countries")?,
        data_limit_bytes: r.try_get("data_limit_bytes")?,
        fair_use_bytes: r.try_get("fair_use_bytes")?,
        voice_limit_seconds: r.try_get("voice_limit_seconds")?,
        sms_limit: r.try_get("sms_limit")?,
        used_data_bytes: r.try_get("used_data_bytes")?,
        used_voice_seconds: r.try_get("used_voice_seconds")?,
        used_sms: r.try_get("used_sms")?,
        activation: r.try_get("activation")?,
        validity_days: r.try_get("validity_days")?,
        starts_at: r.try_get("starts_at")?,
        expires_at: r.try_get("expires_at")?,
        state: r.try_get("state")?,
        created_at: r.try_get("created_at")?,
    })
}

pub async fn insert_package(conn: &mut AnyConnection, p: &PackageRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO packages (id, iccid, order_id, account_id, plan_code, countries, data_limit_bytes, \
         fair_use_bytes, voice_limit_seconds, sms_limit, used_data_bytes, used_voice_seconds, used_sms, activation, \
         validity_days, starts_at, expires_at, state, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
    )
    .bind(p.id.as_str())
    .bind(p.iccid.as_str())
    .bind(p.order_id.as_str())
    .bind(p.account_id.as_str())
    .bind(p.plan_code.as_str())
    .bind(p.countries.as_str())
    .bind(p.data_limit_bytes)
    .bind(p.fair_use_bytes)
    .bind(p.voice_limit_seconds)
    .bind(p.sms_limit)
    .bind(p.used_data_bytes)
    .bind(p.used_voice_seconds)
    .bind(p.used_sms)
    .bind(p.activation.as_str())
    .bind(p.validity_days)
    .bind(p.starts_at)
    .bind(p.expires_at)
    .bind(p.state.as_str())
    .bind(p.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn packages_of(conn: &mut AnyConnection, iccid: &str) -> Result<Vec<PackageRow>> {
    let sql = format!("SELECT {PACKAGE_COLUMNS} FROM packages WHERE iccid = $1 ORDER BY created_at");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(iccid)
        .fetch_all(conn)
        .await?;
    rows.iter().map(package).collect()
}

pub async fn package_of_order(conn: &mut AnyConnection, order_id: &str) -> Result<Option<PackageRow>> {
    let sql = format!("SELECT {PACKAGE_COLUMNS} FROM packages WHERE order_id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(order_id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(package).transpose()
}

/// Moves a package between states; false when it was not in `from`.
pub async fn set_package_state(conn: &mut AnyConnection, id: &str, from: &str, to: &str) -> Result<bool> {
    let r = sqlx::query("UPDATE packages SET state = $3 WHERE id = $1 AND state = $2")
        .bind(id)
        .bind(from)
        .bind(to)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Sets an eSIM's state.
pub async fn set_state(conn: &mut AnyConnection, iccid: &str, state: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE esims SET state = $2, updated_at = $3 WHERE iccid = $1")
        .bind(iccid)
        .bind(state)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records a failed download or install step.
pub async fn set_error(conn: &mut AnyConnection, iccid: &str, reason: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE esims SET state = 'error', last_error = $2, updated_at = $3 WHERE iccid = $1")
        .bind(iccid)
        .bind(reason)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Moves an eSIM forward to `downloaded` or `installed`.
pub async fn advance(conn: &mut AnyConnection, iccid: &str, state: &str, eid: Option<&str>, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE esims SET state = $2, eid = COALESCE($3, eid), updated_at = $4, \
         installed_at = CASE WHEN $2 = 'installed' THEN $4 ELSE installed_at END WHERE iccid = $1",
    )
    .bind(iccid)
    .bind(state)
    .bind(eid)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Starts the validity of packages that start on install; returns how many.
pub async fn start_on_install(conn: &mut AnyConnection, iccid: &str, now: i64) -> Result<u64> {
    let r = sqlx::query(
        "UPDATE packages SET state = 'active', starts_at = $2, expires_at = $2 + validity_days * 86400000 \
         WHERE iccid = $1 AND state = 'pending' AND activation = 'on_install'",
    )
    .bind(iccid)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected())
}
