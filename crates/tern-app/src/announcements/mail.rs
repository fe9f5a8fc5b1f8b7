//! Emailing an important announcement to its audience, in batches.
//!
//! Each batch is one transaction: for each of the next [`MAIL_BATCH`]
//! travellers in the audience without a delivery record, it inserts the
//! record (unique per announcement and account) and, only when that insert
//! took, queues the mail in the outbox; then it queues the next batch's
//! job. A crash before the commit leaves nothing behind, a crash after it
//! leaves the batch done, and two runs at once cannot both insert a
//! record, so no traveller is ever mailed twice for one announcement.

use serde_json::json;
use tern_domain::Locale;
use tern_store::announcements::{self as store, AnnouncementRow};

use super::MailAnnouncement;
use crate::App;
use crate::error::AppResult;
use crate::jobs;
use crate::notify::{Channel, Message};

/// Travellers mailed per batch (per run of the job).
pub const MAIL_BATCH: i64 = 200;

/// How far an announcement's email has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct MailProgress {
    /// Travellers whose mail is in the outbox.
    pub sent: i64,
    /// Travellers spared it (they opted out of promotions).
    pub skipped: i64,
    /// Everyone in the audience: sent, skipped and still to go.
    pub total: i64,
    pub done: bool,
}

pub async fn mail_progress(app: &App, a: &AnnouncementRow) -> AppResult<MailProgress> {
    let mut conn = app.db.conn().await?;
    let (sent, skipped) = store::delivery_counts(&mut conn, &a.id).await?;
    let pending = if a.mail_done_at.is_some() {
        0
    } else {
        store::pending_count(&mut conn, &a.id).await?
    };
    Ok(MailProgress {
        sent,
        skipped,
        total: sent + skipped + pending,
        done: a.mail_done_at.is_some(),
    })
}

/// Mails the next batch of announcement `id` (the `announcement_mail`
/// job, and `tern announcements send`); returns the progress after it.
/// Before the publish time it only makes sure the job waits for it.
pub async fn mail_batch(app: &App, id: &tern_domain::AnnouncementId) -> AppResult<Option<MailProgress>> {
    let now = app.now_ms();
    let a = {
        let mut conn = app.db.conn().await?;
        store::by_id(&mut conn, id).await?
    };
    let Some(a) = a else {
        return Ok(None);
    };
    let Some(publish_at) = a.publish_at.filter(|_| a.important) else {
        return Ok(None);
    };
    let mut job = MailAnnouncement {
        announcement_id: a.id.clone(),
        handled: None,
    };
    if a.mail_done_at.is_some() {
        return mail_progress(app, &a).await.map(Some);
    }
    if publish_at > now {
        let mut conn = app.db.conn().await?;
        jobs::enqueue_at(app, &mut conn, &job, publish_at).await?;
        return mail_progress(app, &a).await.map(Some);
    }
    let optional = a.kind.mail_is_optional();
    let mut tx = app.work().await?;
    let batch = store::pending_recipients(&mut tx, &a.id, MAIL_BATCH).await?;
    let expired = a.expires_at.is_some_and(|e| e <= now);
    for r in batch.iter().filter(|_| !expired) {
        let skip = optional && r.promotions_opt_out;
        if !store::insert_delivery(
            &mut tx,
            &a.id,
            &r.account_id,
            if skip { "skipped" } else { "queued" },
            now,
        )
        .await?
            || skip
        {
            continue;
        }
        let locale = Locale::parse(&r.locale).unwrap_or_default();
        let (title, body) = match locale {
            Locale::En => (&a.title_en, &a.body_en),
            Locale::ZhCn => (&a.title_zh, &a.body_zh),
        };
        let base = app.settings.base_url();
        tx.notify(Message {
                channel: Channel::Email,
                account_id: Some(&r.account_id),
                recipient: &r.email,
                template: "announcement",
                locale,
                values: json!({ "title": title, "body": body, "link": format!("{base}/announcements"),
                                "promotion": optional, "preferences_link": format!("{base}/announcements#preferences") }),
            },
        )
        .await?;
    }
    let finished = expired || (batch.len() as i64) < MAIL_BATCH;
    if finished {
        store::mark_mail_done(&mut tx, &a.id, now).await?;
    } else {
        let (sent, skipped) = store::delivery_counts(&mut tx, &a.id).await?;
        job.handled = Some(sent + skipped);
        tx.enqueue(&job).await?;
    }
    tx.commit().await?;
    metrics::counter!("tern_announcement_mails_total").increment(batch.len() as u64);
    let a = {
        let mut conn = app.db.conn().await?;
        store::by_id(&mut conn, id).await?
    };
    match a {
        Some(a) => mail_progress(app, &a).await.map(Some),
        None => Ok(None),
    }
}
