//! Announcements, who they are for, who read them, and who was mailed.

use sqlx::{AnyConnection, Row, any::AnyRow};

use tern_domain::announcement::AnnouncementKind;

use crate::Result;
use crate::decode::{self, Stored};

/// An announcement as stored.
#[derive(Debug, Clone)]
pub struct AnnouncementRow {
    pub id: tern_domain::AnnouncementId,
    pub kind: AnnouncementKind,
    pub important: bool,
    pub title_en: String,
    pub body_en: String,
    pub title_zh: String,
    pub body_zh: String,
    pub audience: String,
    /// For the `countries` audience: ISO codes, sorted.
    pub countries: Vec<String>,
    pub publish_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub mail_done_at: Option<i64>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "a.id, a.kind, a.important, a.title_en, a.body_en, a.title_zh, a.body_zh, a.audience, \
     a.publish_at, a.expires_at, a.mail_done_at, a.created_by, a.created_at, a.updated_at";

fn from_row(r: &AnyRow) -> Result<AnnouncementRow> {
    Ok(AnnouncementRow {
        id: crate::decode::id(r, "id")?,
        kind: decode::get(r, "kind")?,
        important: r.try_get::<i64, _>("important")? != 0,
        title_en: r.try_get("title_en")?,
        body_en: r.try_get("body_en")?,
        title_zh: r.try_get("title_zh")?,
        body_zh: r.try_get("body_zh")?,
        audience: r.try_get("audience")?,
        countries: Vec::new(),
        publish_at: r.try_get("publish_at")?,
        expires_at: r.try_get("expires_at")?,
        mail_done_at: r.try_get("mail_done_at")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Whether the account in column `acct` belongs to the audience of the
/// announcement aliased `a`: everyone; or it has an eSIM in service with
/// a plan not used up, expired or canceled; or such a plan covers one of
/// the announcement's countries.
fn in_audience(acct: &str) -> String {
    let live = format!(
        "SELECT 1 FROM packages p JOIN esims e ON e.iccid = p.iccid WHERE p.account_id = {acct} \
         AND p.state IN ('pending', 'active') AND e.state IN ('released', 'downloaded', 'installed')"
    );
    format!(
        "(a.audience = 'everyone' \
          OR (a.audience = 'active_esim' AND EXISTS ({live})) \
          OR (a.audience = 'countries' AND EXISTS ({live} AND EXISTS (SELECT 1 FROM announcement_countries c \
              WHERE c.announcement_id = a.id AND (' ' || p.countries || ' ') LIKE ('% ' || c.country || ' %')))))"
    )
}

/// Published, not expired, at `$2`.
const LIVE: &str = "a.publish_at IS NOT NULL AND a.publish_at <= $2 AND (a.expires_at IS NULL OR a.expires_at > $2)";

async fn with_countries(conn: &mut AnyConnection, mut rows: Vec<AnnouncementRow>) -> Result<Vec<AnnouncementRow>> {
    for r in &mut rows {
        if r.audience == "countries" {
            r.countries = sqlx::query_scalar(
                "SELECT country FROM announcement_countries WHERE announcement_id = $1 ORDER BY country",
            )
            .bind(r.id.as_str())
            .fetch_all(&mut *conn)
            .await?;
        }
    }
    Ok(rows)
}

/// Stores a new announcement with its countries.
pub async fn insert(conn: &mut AnyConnection, a: &AnnouncementRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO announcements (id, kind, important, title_en, body_en, title_zh, body_zh, audience, \
         publish_at, expires_at, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
    )
    .bind(a.id.as_str())
    .bind(a.kind.stored())
    .bind(i64::from(a.important))
    .bind(a.title_en.as_str())
    .bind(a.body_en.as_str())
    .bind(a.title_zh.as_str())
    .bind(a.body_zh.as_str())
    .bind(a.audience.as_str())
    .bind(a.publish_at)
    .bind(a.expires_at)
    .bind(a.created_by.as_str())
    .bind(a.created_at)
    .execute(&mut *conn)
    .await?;
    for c in &a.countries {
        sqlx::query("INSERT INTO announcement_countries (announcement_id, country) VALUES ($1, $2)")
            .bind(a.id.as_str())
            .bind(c.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn by_id(conn: &mut AnyConnection, id: &tern_domain::AnnouncementId) -> Result<Option<AnnouncementRow>> {
    let sql = format!("SELECT {COLUMNS} FROM announcements a WHERE a.id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    let rows = row.as_ref().map(from_row).transpose()?.into_iter().collect();
    Ok(with_countries(conn, rows).await?.pop())
}

/// Every announcement, newest first (the operators' list).
pub async fn list(conn: &mut AnyConnection, limit: i64) -> Result<Vec<AnnouncementRow>> {
    let sql = format!("SELECT {COLUMNS} FROM announcements a ORDER BY a.created_at DESC, a.id LIMIT $1");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    let rows = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
    with_countries(conn, rows).await
}

/// Publishes a draft from `at`; false when it was already published.
pub async fn publish(conn: &mut AnyConnection, id: &tern_domain::AnnouncementId, at: i64, now: i64) -> Result<bool> {
    let r =
        sqlx::query("UPDATE announcements SET publish_at = $2, updated_at = $3 WHERE id = $1 AND publish_at IS NULL")
            .bind(id.as_str())
            .bind(at)
            .bind(now)
            .execute(conn)
            .await?;
    Ok(r.rows_affected() == 1)
}

/// The announcements an account sees at `now`, newest first, each with
/// when the account read it.
pub async fn visible_to(
    conn: &mut AnyConnection,
    account_id: &tern_domain::AccountId,
    now: i64,
) -> Result<Vec<(AnnouncementRow, Option<i64>)>> {
    let sql = format!(
        "SELECT {COLUMNS}, r.read_at FROM announcements a \
         LEFT JOIN announcement_reads r ON r.announcement_id = a.id AND r.account_id = $1 \
         WHERE {LIVE} AND {} ORDER BY a.publish_at DESC, a.created_at DESC, a.id DESC LIMIT 100",
        in_audience("$1")
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(account_id.as_str())
        .bind(now)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(|r| Ok((from_row(r)?, r.try_get("read_at")?))).collect()
}

/// Whether announcement `id` is visible to the account at `now`.
pub async fn is_visible_to(
    conn: &mut AnyConnection,
    id: &tern_domain::AnnouncementId,
    account_id: &tern_domain::AccountId,
    now: i64,
) -> Result<bool> {
    let sql = format!(
        "SELECT a.id FROM announcements a WHERE a.id = $3 AND {LIVE} AND {}",
        in_audience("$1")
    );
    Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(account_id.as_str())
        .bind(now)
        .bind(id.as_str())
        .fetch_optional(conn)
        .await?
        .is_some())
}

/// Records that the account read an announcement; false when it had.
pub async fn mark_read(
    conn: &mut AnyConnection,
    id: &tern_domain::AnnouncementId,
    account_id: &tern_domain::AccountId,
    now: i64,
) -> Result<bool> {
    let r = sqlx::query(
        "INSERT INTO announcement_reads (announcement_id, account_id, read_at) VALUES ($1, $2, $3) \
         ON CONFLICT (announcement_id, account_id) DO NOTHING",
    )
    .bind(id.as_str())
    .bind(account_id.as_str())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// A traveller to mail an announcement to.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub account_id: tern_domain::AccountId,
    pub email: String,
    pub locale: String,
    pub promotions_opt_out: bool,
}

/// Active travellers in the announcement's audience with an email
/// address and no delivery recorded yet, in a stable order.
const PENDING: &str = "FROM accounts ac JOIN announcements a ON a.id = $1 \
     WHERE ac.role = 'user' AND ac.status = 'active' AND ac.email IS NOT NULL \
     AND NOT EXISTS (SELECT 1 FROM announcement_deliveries d WHERE d.announcement_id = a.id AND d.account_id = ac.id)";

/// The next `limit` travellers still to be mailed announcement `id`.
pub async fn pending_recipients(
    conn: &mut AnyConnection,
    id: &tern_domain::AnnouncementId,
    limit: i64,
) -> Result<Vec<Recipient>> {
    let sql = format!(
        "SELECT ac.id, ac.email, ac.locale, ac.promotions_opt_out {PENDING} AND {} ORDER BY ac.id LIMIT $2",
        in_audience("ac.id")
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.as_str())
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Recipient {
                account_id: crate::decode::id(r, "id")?,
                email: r.try_get("email")?,
                locale: r.try_get("locale")?,
                promotions_opt_out: r.try_get::<i64, _>("promotions_opt_out")? != 0,
            })
        })
        .collect()
}

/// How many travellers are still to be mailed announcement `id`.
pub async fn pending_count(conn: &mut AnyConnection, id: &tern_domain::AnnouncementId) -> Result<i64> {
    let sql = format!("SELECT COUNT(*) AS n {PENDING} AND {}", in_audience("ac.id"));
    Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.as_str())
        .fetch_one(conn)
        .await?
        .try_get("n")?)
}

/// Records a delivery (`queued` or `skipped`); false when the account
/// already had one for this announcement, in which case nothing is sent.
pub async fn insert_delivery(
    conn: &mut AnyConnection,
    id: &tern_domain::AnnouncementId,
    account_id: &tern_domain::AccountId,
    state: &str,
    now: i64,
) -> Result<bool> {
    let r = sqlx::query(
        "INSERT INTO announcement_deliveries (announcement_id, account_id, state, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (announcement_id, account_id) DO NOTHING",
    )
    .bind(id.as_str())
    .bind(account_id.as_str())
    .bind(state)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Deliveries recorded so far: (queued, skipped).
pub async fn delivery_counts(conn: &mut AnyConnection, id: &tern_domain::AnnouncementId) -> Result<(i64, i64)> {
    let rows = sqlx::query(
        "SELECT state, COUNT(*) AS n FROM announcement_deliveries WHERE announcement_id = $1 GROUP BY state",
    )
    .bind(id.as_str())
    .fetch_all(conn)
    .await?;
    let mut out = (0, 0);
    for r in rows {
        let state: String = r.try_get("state")?;
        let n: i64 = r.try_get("n")?;
        match state.as_str() {
            "queued" => out.0 += n,
            _ => out.1 += n,
        }
    }
    Ok(out)
}

pub async fn mark_mail_done(conn: &mut AnyConnection, id: &tern_domain::AnnouncementId, now: i64) -> Result<()> {
    sqlx::query("UPDATE announcements SET mail_done_at = $2 WHERE id = $1 AND mail_done_at IS NULL")
        .bind(id.as_str())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Sets whether an account wants promotional mail.
pub async fn set_promotions_opt_out(
    conn: &mut AnyConnection,
    account_id: &tern_domain::AccountId,
    opt_out: bool,
    now: i64,
) -> Result<()> {
    sqlx::query("UPDATE accounts SET promotions_opt_out = $2, updated_at = $3 WHERE id = $1")
        .bind(account_id.as_str())
        .bind(i64::from(opt_out))
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn promotions_opt_out(conn: &mut AnyConnection, account_id: &tern_domain::AccountId) -> Result<bool> {
    let v: Option<i64> = sqlx::query_scalar("SELECT promotions_opt_out FROM accounts WHERE id = $1")
        .bind(account_id.as_str())
        .fetch_optional(conn)
        .await?;
    Ok(v.unwrap_or(0) != 0)
}

/// Forgets an account's read marks and delivery records (closure's erase).
pub async fn erase_account(conn: &mut AnyConnection, account_id: &tern_domain::AccountId) -> Result<()> {
    for sql in [
        "DELETE FROM announcement_reads WHERE account_id = $1",
        "DELETE FROM announcement_deliveries WHERE account_id = $1",
    ] {
        sqlx::query(sql).bind(account_id.as_str()).execute(&mut *conn).await?;
    }
    Ok(())
}
