//! Background jobs: typed, stored in the database with the change that
//! causes them, run at least once by a worker, with exponential backoff.
//! Every handler is idempotent, so a job that runs twice does no harm.
//!
//! A job is a type that implements [`Job`] in its feature's own file (its
//! name, its deduplication key and `run`); a feature queues one with
//! [`enqueue`] or `work.enqueue(&job)`. The worker finds the type by name
//! in [`crate::registry`], the one list of every job, so this module
//! knows no feature and no feature knows the worker.

mod worker;

pub use worker::{Worker, run_pending};

use std::future::Future;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tern_store::Conn;
use tern_store::jobs::{self as queue, NewJob};

use crate::App;
use crate::error::{AppError, AppResult};

/// One kind of background job. The payload is the value itself, stored
/// as JSON; `NAME` goes in the queue's `kind` column and metrics.
pub trait Job: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The stable name stored with every queued job of this kind.
    const NAME: &'static str;

    /// A key that makes a second copy a no-op while one is still queued;
    /// `None` queues every copy.
    fn dedup_key(&self) -> Option<String> {
        None
    }

    /// Runs the job's effect. `last_attempt` lets a handler settle for
    /// good (fail an order and return its money, say) rather than leave
    /// work half-done when no retry will follow.
    fn run(&self, app: &App, last_attempt: bool) -> impl Future<Output = AppResult<()>> + Send;
}

/// Queues `job` in the caller's transaction to run now; returns false when
/// its dedup key found a copy still queued.
pub async fn enqueue<J: Job>(app: &App, conn: &mut Conn, job: &J) -> AppResult<bool> {
    enqueue_at(app, conn, job, app.now_ms()).await
}

/// [`enqueue`] to run no earlier than `run_at` (Unix ms).
pub async fn enqueue_at<J: Job>(app: &App, conn: &mut Conn, job: &J, run_at: i64) -> AppResult<bool> {
    let payload = serde_json::to_string(job).map_err(|e| AppError::Internal(e.to_string()))?;
    let id = crate::tokens::new_id();
    let dedup_key = job.dedup_key();
    Ok(queue::enqueue(
        conn,
        &NewJob {
            id: &id,
            kind: J::NAME,
            payload: &payload,
            dedup_key: dedup_key.as_deref(),
            max_attempts: i64::from(app.settings.jobs.max_attempts),
            run_at,
            now: app.now_ms(),
        },
    )
    .await?)
}

/// Decodes a stored payload as `J` and runs it (the registry calls this
/// for the kind it found). Payloads written before jobs were types carry
/// a `kind` field as well; it is ignored.
pub async fn decode_and_run<J: Job>(app: &App, payload: &str, last_attempt: bool) -> Result<(), String> {
    let job: J = serde_json::from_str(payload).map_err(|e| format!("unreadable {} payload: {e}", J::NAME))?;
    job.run(app, last_attempt).await.map_err(|e| e.to_string())
}
