//! The notification outbox: every email and SMS is written here in the same
//! transaction as the change that causes it, then delivered by a job.

use sqlx::{AnyConnection, Row};

use crate::Result;

#[derive(Debug, Clone)]
pub struct OutboxRow {
    pub id: tern_domain::OutboxId,
    pub account_id: Option<tern_domain::AccountId>,
    pub channel: String,
    pub recipient: String,
    pub template: String,
    pub locale: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub attempts: i64,
    pub last_error: Option<String>,
}

pub async fn insert(conn: &mut AnyConnection, m: &OutboxRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO outbox (id, account_id, channel, recipient, template, locale, subject, \
         body_text, body_html, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(m.id.as_str())
    .bind(m.account_id.as_deref())
    .bind(m.channel.as_str())
    .bind(m.recipient.as_str())
    .bind(m.template.as_str())
    .bind(m.locale.as_str())
    .bind(m.subject.as_str())
    .bind(m.body_text.as_str())
    .bind(m.body_html.as_deref())
    .bind(m.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn by_id(conn: &mut AnyConnection, id: &tern_domain::OutboxId) -> Result<Option<OutboxRow>> {
    let row = sqlx::query(
        "SELECT id, account_id, channel, recipient, template, locale, subject, body_text, \
         body_html, created_at, sent_at, attempts, last_error FROM outbox WHERE id = $1",
    )
    .bind(id.as_str())
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok(OutboxRow {
            id: crate::decode::id(&r, "id")?,
            account_id: r
                .try_get::<Option<String>, _>("account_id")?
                .map(tern_domain::AccountId::from),
            channel: r.try_get("channel")?,
            recipient: r.try_get("recipient")?,
            template: r.try_get("template")?,
            locale: r.try_get("locale")?,
            subject: r.try_get("subject")?,
            body_text: r.try_get("body_text")?,
            body_html: r.try_get("body_html")?,
            created_at: r.try_get("created_at")?,
            sent_at: r.try_get("sent_at")?,
            attempts: r.try_get("attempts")?,
            last_error: r.try_get("last_error")?,
        })
    })
    .transpose()
}

pub async fn mark_sent(conn: &mut AnyConnection, id: &tern_domain::OutboxId, now: i64) -> Result<()> {
    sqlx::query("UPDATE outbox SET sent_at = $2, attempts = attempts + 1, last_error = NULL WHERE id = $1")
        .bind(id.as_str())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn mark_failed_attempt(conn: &mut AnyConnection, id: &tern_domain::OutboxId, error: &str) -> Result<()> {
    sqlx::query("UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1")
        .bind(id.as_str())
        .bind(error)
        .execute(conn)
        .await?;
    Ok(())
}

/// Counts messages by state, for operators and tests.
pub async fn count_unsent(conn: &mut AnyConnection) -> Result<i64> {
    Ok(sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL")
        .fetch_one(conn)
        .await?
        .try_get("n")?)
}

/// Whether a message from `template` was queued for the account.
pub async fn exists_for(conn: &mut AnyConnection, account_id: &tern_domain::AccountId, template: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE account_id = $1 AND template = $2")
        .bind(account_id.as_str())
        .bind(template)
        .fetch_one(conn)
        .await?;
    Ok(n > 0)
}
