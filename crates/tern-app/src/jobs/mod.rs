//! Background jobs: typed, stored in the database with the change that
//! causes them, run at least once by a worker, with exponential backoff.
//! Every handler is idempotent, so a job that runs twice does no harm.

mod worker;

pub use worker::{Worker, run_pending};

use serde::{Deserialize, Serialize};
use tern_store::Conn;
use tern_store::jobs::{self as queue, NewJob};

use crate::App;
use crate::error::AppResult;

/// Every kind of job, with its payload.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// Send one email or SMS from the outbox.
    DeliverNotification { outbox_id: String },
    /// Remove expired sessions and tokens, and expired exports' files.
    Housekeeping,
    /// Get a new eSIM from the SM-DP+ for an order.
    ProvisionOrder { order_id: String },
    /// Give a failed order's profile back to the SM-DP+ (ES2+ cancelOrder).
    CancelProfile { iccid: String, matching_id: Option<String> },
    /// Mark ended packages expired and send "expires in a day" reminders.
    UsageSweep,
    /// Build a personal data export the user asked for and mail its link.
    BuildExport { export_id: String },
    /// Advance an account closure request as far as it can go now.
    Closure { closure_id: String },
    /// "Closing starts tomorrow", a day before cooling-off ends.
    ClosureReminder { closure_id: String },
    /// Email the next batch of an important announcement's audience.
    AnnouncementMail { announcement_id: String },
}

impl Job {
    pub fn kind(&self) -> &'static str {
        match self {
            Job::DeliverNotification { .. } => "deliver_notification",
            Job::Housekeeping => "housekeeping",
            Job::ProvisionOrder { .. } => "provision_order",
            Job::CancelProfile { .. } => "cancel_profile",
            Job::UsageSweep => "usage_sweep",
            Job::BuildExport { .. } => "build_export",
            Job::Closure { .. } => "closure",
            Job::ClosureReminder { .. } => "closure_reminder",
            Job::AnnouncementMail { .. } => "announcement_mail",
        }
    }

    /// Runs the job's effect. `last_attempt` lets a handler settle for
    /// good (e.g. fail an order and return its money) rather than leave
    /// work half-done when no retry will follow.
    pub async fn run(&self, app: &App, last_attempt: bool) -> AppResult<()> {
        match self {
            Job::ProvisionOrder { order_id } => crate::orders::provision(app, order_id, last_attempt).await,
            Job::CancelProfile { iccid, matching_id } => {
                crate::orders::cancel_profile(app, iccid, matching_id.as_deref()).await
            }
            Job::DeliverNotification { outbox_id } => crate::notify::deliver(app, outbox_id).await,
            Job::UsageSweep => crate::usage::sweep(app).await.map(|_| ()),
            Job::Closure { closure_id } => crate::closure::advance(app, closure_id, last_attempt).await,
            Job::ClosureReminder { closure_id } => crate::closure::remind(app, closure_id).await,
            Job::BuildExport { export_id } => crate::exports::build(app, export_id, last_attempt).await,
            Job::AnnouncementMail { announcement_id } => {
                crate::announcements::mail_batch(app, announcement_id).await.map(|_| ())
            }
            Job::Housekeeping => {
                let mut conn = app.db.conn().await?;
                tern_store::sessions::delete_expired(&mut conn, app.now_ms()).await?;
                drop(conn);
                crate::exports::purge_expired(app).await?;
                crate::closure::dormant_sweep(app).await?;
                crate::closure::purge_retention(app).await?;
                crate::closure::at_risk(app).await?;
                Ok(())
            }
        }
    }
}

/// Queues `job` in the caller's transaction. With a `dedup_key`, a job
/// with the same key that is still queued makes this a no-op.
pub async fn enqueue(app: &App, conn: &mut Conn, job: &Job, dedup_key: Option<&str>) -> AppResult<bool> {
    enqueue_at(app, conn, job, dedup_key, app.now_ms()).await
}

/// [`enqueue`] to run no earlier than `run_at` (Unix ms).
pub async fn enqueue_at(
    app: &App,
    conn: &mut Conn,
    job: &Job,
    dedup_key: Option<&str>,
    run_at: i64,
) -> AppResult<bool> {
    let payload = serde_json::to_string(job).map_err(|e| crate::AppError::Internal(e.to_string()))?;
    let id = crate::tokens::new_id();
    let now = app.now_ms();
    Ok(queue::enqueue(
        conn,
        &NewJob {
            id: &id,
            kind: job.kind(),
            payload: &payload,
            dedup_key,
            max_attempts: i64::from(app.settings.jobs.max_attempts),
            run_at,
            now,
        },
    )
    .await?)
}
