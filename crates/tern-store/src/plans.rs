//! The plan catalogue.

use sqlx::{AnyConnection, Row};

use crate::Result;

/// A stored plan: the indexed columns and the plan document.
#[derive(Debug, Clone)]
pub struct PlanRow {
    pub code: String,
    /// Country codes separated by spaces.
    pub countries: String,
    /// `local`, `regional` or `global`.
    pub region: String,
    pub active: bool,
    /// The plan as JSON.
    pub doc: String,
}

/// Inserts or replaces a plan by code; true when it was new.
pub async fn upsert(conn: &mut AnyConnection, p: &PlanRow, now: i64) -> Result<bool> {
    let padded = format!(" {} ", p.countries.trim());
    let existed = sqlx::query("SELECT code FROM plans WHERE code = $1")
        .bind(p.code.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO plans (code, countries, region, active, doc, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (code) DO UPDATE SET countries = $2, region = $3, active = $4, doc = $5, updated_at = $6",
    )
    .bind(p.code.as_str())
    .bind(padded)
    .bind(p.region.as_str())
    .bind(i64::from(p.active))
    .bind(p.doc.as_str())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(existed.is_none())
}

fn row(r: &sqlx::any::AnyRow) -> Result<PlanRow> {
    let active: i64 = r.try_get("active")?;
    let countries: String = r.try_get("countries")?;
    Ok(PlanRow {
        code: r.try_get("code")?,
        countries: countries.trim().to_owned(),
        region: r.try_get("region")?,
        active: active != 0,
        doc: r.try_get("doc")?,
    })
}

pub async fn by_code(conn: &mut AnyConnection, code: &str) -> Result<Option<PlanRow>> {
    let r = sqlx::query("SELECT code, countries, region, active, doc FROM plans WHERE code = $1")
        .bind(code)
        .fetch_optional(conn)
        .await?;
    r.as_ref().map(row).transpose()
}

/// Active plans, optionally only those covering `country` and/or of
/// `region` kind, cheapest first is up to the caller.
pub async fn list_active(
    conn: &mut AnyConnection,
    country: Option<&str>,
    region: Option<&str>,
) -> Result<Vec<PlanRow>> {
    let pattern = country.map(|c| format!("% {c} %"));
    let rows = sqlx::query(
        "SELECT code, countries, region, active, doc FROM plans WHERE active = 1 \
         AND ($1 IS NULL OR countries LIKE $1) AND ($2 IS NULL OR region = $2) ORDER BY code",
    )
    .bind(pattern)
    .bind(region)
    .fetch_all(conn)
    .await?;
    rows.iter().map(row).collect()
}

pub async fn count(conn: &mut AnyConnection) -> Result<i64> {
    Ok(sqlx::query("SELECT COUNT(*) AS n FROM plans")
        .fetch_one(conn)
        .await?
        .try_get("n")?)
}

/// Every plan, active or not, by code.
pub async fn list_all(conn: &mut AnyConnection) -> Result<Vec<PlanRow>> {
    let rows = sqlx::query("SELECT code, countries, region, active, doc FROM plans ORDER BY code")
        .fetch_all(conn)
        .await?;
    rows.iter().map(row).collect()
}

/// Sets a plan's active flag and its document (which carries the flag
/// too); false when there is no such plan.
pub async fn set_active(conn: &mut AnyConnection, code: &str, active: bool, doc: &str, now: i64) -> Result<bool> {
    let r = sqlx::query("UPDATE plans SET active = $2, doc = $3, updated_at = $4 WHERE code = $1")
        .bind(code)
        .bind(i64::from(active))
        .bind(doc)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}
