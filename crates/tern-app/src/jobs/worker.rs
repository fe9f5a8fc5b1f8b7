//! The worker loop: claim ready jobs under a lease, run them, record the
//! outcome; stop claiming on shutdown and let running jobs finish.

use std::time::Duration;

use tern_store::jobs::{self as queue, ClaimedJob};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::App;
use crate::clock::ms;
use crate::error::AppResult;

/// One worker process (or task); its id marks the leases it holds.
pub struct Worker {
    app: App,
    id: String,
}

impl Worker {
    pub fn new(app: App) -> Self {
        let id = format!("{}-{}", hostname(), &crate::tokens::new_id()[..8]);
        Self { app, id }
    }

    /// Runs until `shutdown` turns true, then waits for running jobs.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let concurrency = self.app.settings.jobs.concurrency.max(1) as usize;
        let poll = self.app.settings.jobs.poll_interval;
        let mut running: JoinSet<()> = JoinSet::new();
        tracing::info!(worker = %self.id, concurrency, "worker started");
        let every = self.app.settings.jobs.housekeeping_every;
        let mut next_housekeeping = std::time::Instant::now();
        loop {
            if *shutdown.borrow() {
                break;
            }
            if !every.is_zero() && std::time::Instant::now() >= next_housekeeping {
                next_housekeeping = std::time::Instant::now() + every;
                if let Err(e) = schedule_housekeeping(&self.app).await {
                    tracing::warn!(error = %e, "could not schedule housekeeping; will retry");
                }
            }
            let free = concurrency - running.len();
            let mut claimed_any = false;
            if free > 0 {
                match claim(&self.app, &self.id, free as i64).await {
                    Ok(jobs) => {
                        claimed_any = !jobs.is_empty();
                        for job in jobs {
                            let app = self.app.clone();
                            let id = self.id.clone();
                            running.spawn(async move { execute(&app, &id, job).await });
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "could not claim jobs; will retry"),
                }
            }
            if claimed_any && running.len() < concurrency {
                continue;
            }
            tokio::select! {
                _ = shutdown.changed() => {}
                Some(_) = running.join_next(), if !running.is_empty() => {}
                _ = tokio::time::sleep(poll) => {}
            }
        }
        tracing::info!(worker = %self.id, in_flight = running.len(), "worker stopping; finishing running jobs");
        let drain = async { while running.join_next().await.is_some() {} };
        if tokio::time::timeout(Duration::from_secs(30), drain).await.is_err() {
            tracing::warn!("jobs still running after 30 s; their leases will expire and another worker will take them");
        }
    }
}

/// Queues housekeeping unless it is queued already (every worker asks;
/// the dedup key keeps it to one).
async fn schedule_housekeeping(app: &App) -> AppResult<()> {
    let mut conn = app.db.conn().await?;
    super::enqueue(app, &mut conn, &crate::housekeeping::Housekeeping {}).await?;
    Ok(())
}

async fn claim(app: &App, worker: &str, limit: i64) -> AppResult<Vec<ClaimedJob>> {
    let mut tx = app.work().await?;
    let jobs = queue::claim(
        &mut tx,
        app.db.backend(),
        worker,
        limit,
        ms(app.settings.jobs.lease),
        app.now_ms(),
    )
    .await?;
    tx.commit().await?;
    Ok(jobs)
}

/// Delay before retry `attempt` (1-based): base × 2^(attempt-1), at most an hour.
pub fn backoff(base: Duration, attempt: i64) -> Duration {
    let exp = u32::try_from(attempt.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    base.saturating_mul(2u32.saturating_pow(exp))
        .min(Duration::from_secs(3600))
}

/// Runs one claimed job and records its outcome.
async fn execute(app: &App, worker: &str, claimed: ClaimedJob) {
    let started = std::time::Instant::now();
    let last_attempt = claimed.attempts >= claimed.max_attempts;
    let outcome = crate::registry::run(app, &claimed.kind, &claimed.payload, last_attempt).await;
    let now = app.now_ms();
    let recorded = async {
        let mut conn = app.db.conn().await?;
        match &outcome {
            Ok(()) => {
                queue::complete(&mut conn, &claimed.id, worker).await?;
            }
            Err(err) => {
                let retry_at = (claimed.attempts < claimed.max_attempts)
                    .then(|| now + ms(backoff(app.settings.jobs.retry_base, claimed.attempts)));
                queue::fail(&mut conn, &claimed.id, worker, err, retry_at, now).await?;
                if retry_at.is_none() {
                    tracing::error!(job = %claimed.id, kind = %claimed.kind, error = %err, "job failed for good; an operator must retry it");
                } else {
                    tracing::warn!(job = %claimed.id, kind = %claimed.kind, attempt = claimed.attempts, error = %err, "job failed; will retry");
                }
            }
        }
        Ok::<_, tern_store::StoreError>(())
    };
    if let Err(e) = recorded.await {
        tracing::warn!(job = %claimed.id, error = %e, "could not record job outcome; the lease will expire and it runs again");
    }
    let label = if outcome.is_ok() { "ok" } else { "error" };
    metrics::counter!("tern_jobs_total", "kind" => claimed.kind.clone(), "outcome" => label).increment(1);
    metrics::histogram!("tern_job_seconds", "kind" => claimed.kind).record(started.elapsed().as_secs_f64());
}

/// Runs every job that is ready now, one at a time, until none is left;
/// returns how many ran. Jobs scheduled for later (retries) are left.
/// Used by `tern jobs run-pending` and by tests.
pub async fn run_pending(app: &App) -> AppResult<usize> {
    let worker = format!("run-pending-{}", &crate::tokens::new_id()[..8]);
    let mut n = 0;
    loop {
        let jobs = claim(app, &worker, 16).await?;
        if jobs.is_empty() {
            return Ok(n);
        }
        for job in jobs {
            execute(app, &worker, job).await;
            n += 1;
        }
    }
}

fn hostname() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| "worker".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let b = Duration::from_secs(2);
        assert_eq!(backoff(b, 1), Duration::from_secs(2));
        assert_eq!(backoff(b, 3), Duration::from_secs(8));
        assert_eq!(backoff(b, 30), Duration::from_secs(3600));
    }
}
