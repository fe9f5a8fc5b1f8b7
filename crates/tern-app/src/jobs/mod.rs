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
    /// Remove expired sessions and tokens.
    Housekeeping,
    /// Get a new eSIM from the SM-DP+ for an order.
    ProvisionOrder { order_id: String },
    /// Mark ended packages expired and send "expires in a day" reminders.
    UsageSweep,
}

impl Job {
    pub fn kind(&self) -> &'static str {
        match self {
            Job::DeliverNotification { .. } => "deliver_notification",
            Job::Housekeeping => "housekeeping",
            Job::ProvisionOrder { .. } => "provision_order",
            Job::UsageSweep => "usage_sweep",
        }
    }

    /// Runs the job's effect. `last_attempt` lets a handler settle for
    /// good (e.g. fail an order and return its money) rather than leave
    /// work half-done when no retry will follow.
    pub async fn run(&self, app: &App, last_attempt: bool) -> AppResult<()> {
        match self {
            Job::ProvisionOrder { order_id } => crate::orders::provision(app, order_id, last_attempt).await,
            Job::DeliverNotification { outbox_id } => crate::notify::deliver(app, outbox_id).await,
            Job::UsageSweep => crate::usage::sweep(app).await.map(|_| ()),
            Job::Housekeeping => {
                let mut conn = app.db.conn().await?;
                tern_store::sessions::delete_expired(&mut conn, app.now_ms()).await?;
                Ok(())
            }
        }
    }
}

/// Queues `job` in the caller's transaction. With a `dedup_key`, a job
/// with the same key that is still queued makes this a no-op.
pub async fn enqueue(app: &App, conn: &mut Conn, job: &Job, dedup_key: Option<&str>) -> AppResult<bool> {
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
            run_at: now,
            now,
        },
    )
    .await?)
}
