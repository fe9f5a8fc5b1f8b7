//! The durable job queue: a table of jobs with leases.
//!
//! A worker claims ready jobs by setting a lease (`locked_until`); a job
//! whose worker died is claimed again once its lease runs out, so every job
//! runs at least once. On PostgreSQL the claim uses `FOR UPDATE SKIP LOCKED`
//! so several workers never block each other; SQLite has one writer at a
//! time and needs no row locks.

use sqlx::{AnyConnection, Row, any::AnyRow};

use crate::decode::{self, Stored};
use crate::{Backend, Result};

/// Where a queued job stands. A job that finished is deleted, so there is
/// no "done".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobState {
    /// Waiting for `run_at`, or for a worker.
    Pending,
    /// Claimed by a worker that holds a lease on it.
    Running,
    /// Out of attempts; an operator may retry it.
    Failed,
}

impl Stored for JobState {
    fn stored(&self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Running => "running",
            JobState::Failed => "failed",
        }
    }

    fn from_stored(s: &str) -> Option<Self> {
        [JobState::Pending, JobState::Running, JobState::Failed]
            .into_iter()
            .find(|st| st.stored() == s)
    }
}

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub payload: &'a str,
    /// When set, a second job with the same key is not added while the
    /// first exists.
    pub dedup_key: Option<&'a str>,
    pub max_attempts: i64,
    pub run_at: i64,
    pub now: i64,
}

/// A job as a worker sees it after claiming it.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub id: String,
    pub kind: String,
    pub payload: String,
    pub attempts: i64,
    pub max_attempts: i64,
}

/// A job as operators see it.
#[derive(Debug, Clone)]
pub struct JobRow {
    pub id: String,
    pub kind: String,
    pub payload: String,
    pub state: JobState,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: i64,
    pub last_error: Option<String>,
    pub updated_at: i64,
}

/// Adds a job; returns false when a job with the same dedup key exists.
pub async fn enqueue(conn: &mut AnyConnection, j: &NewJob<'_>) -> Result<bool> {
    let r = sqlx::query(
        "INSERT INTO jobs (id, kind, payload, dedup_key, state, attempts, max_attempts, run_at, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, 'pending', 0, $5, $6, $7, $7) \
         ON CONFLICT (dedup_key) DO NOTHING",
    )
    .bind(j.id)
    .bind(j.kind)
    .bind(j.payload)
    .bind(j.dedup_key)
    .bind(j.max_attempts)
    .bind(j.run_at)
    .bind(j.now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

fn claimed(r: &AnyRow) -> Result<ClaimedJob> {
    Ok(ClaimedJob {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        payload: r.try_get("payload")?,
        attempts: r.try_get("attempts")?,
        max_attempts: r.try_get("max_attempts")?,
    })
}

/// Leases up to `limit` ready jobs to `worker` until `now + lease_ms`.
pub async fn claim(
    conn: &mut AnyConnection,
    backend: Backend,
    worker: &str,
    limit: i64,
    lease_ms: i64,
    now: i64,
) -> Result<Vec<ClaimedJob>> {
    let lock = match backend {
        Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $2, \
           attempts = attempts + 1, updated_at = $3 \
         WHERE id IN (SELECT id FROM jobs \
           WHERE ((state = 'pending' AND run_at <= $3) OR (state = 'running' AND locked_until < $3)) \
           ORDER BY run_at LIMIT $4 {lock}) \
         RETURNING id, kind, payload, attempts, max_attempts"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(worker)
        .bind(now + lease_ms)
        .bind(now)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.iter().map(claimed).collect()
}

/// Removes a finished job. Only the worker holding the lease may finish
/// it; returns false when the lease was lost to another worker.
pub async fn complete(conn: &mut AnyConnection, id: &str, worker: &str) -> Result<bool> {
    let r = sqlx::query("DELETE FROM jobs WHERE id = $1 AND locked_by = $2")
        .bind(id)
        .bind(worker)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Records a failed attempt: back to `pending` at `retry_at`, or `failed`
/// for good when the attempts are used up (kept for operators).
pub async fn fail(
    conn: &mut AnyConnection,
    id: &str,
    worker: &str,
    error: &str,
    retry_at: Option<i64>,
    now: i64,
) -> Result<()> {
    let (state, run_at) = match retry_at {
        Some(t) => (JobState::Pending, t),
        None => (JobState::Failed, now),
    };
    sqlx::query(
        "UPDATE jobs SET state = $3, run_at = $4, last_error = $5, locked_by = NULL, \
         locked_until = NULL, updated_at = $6 WHERE id = $1 AND locked_by = $2",
    )
    .bind(id)
    .bind(worker)
    .bind(state.stored())
    .bind(run_at)
    .bind(error)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Puts a failed job back in the queue with a fresh set of attempts.
pub async fn retry(conn: &mut AnyConnection, id: &str, now: i64) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE jobs SET state = 'pending', attempts = 0, run_at = $2, updated_at = $2 \
         WHERE id = $1 AND state = 'failed'",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Jobs in a state, oldest first.
pub async fn list(conn: &mut AnyConnection, state: JobState, limit: i64) -> Result<Vec<JobRow>> {
    let rows = sqlx::query(
        "SELECT id, kind, payload, state, attempts, max_attempts, run_at, last_error, updated_at \
         FROM jobs WHERE state = $1 ORDER BY run_at LIMIT $2",
    )
    .bind(state.stored())
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(JobRow {
                id: r.try_get("id")?,
                kind: r.try_get("kind")?,
                payload: r.try_get("payload")?,
                state: decode::get(r, "state")?,
                attempts: r.try_get("attempts")?,
                max_attempts: r.try_get("max_attempts")?,
                run_at: r.try_get("run_at")?,
                last_error: r.try_get("last_error")?,
                updated_at: r.try_get("updated_at")?,
            })
        })
        .collect()
}

/// Jobs that a worker could take now or later (not failed).
pub async fn count_open(conn: &mut AnyConnection) -> Result<i64> {
    Ok(sqlx::query("SELECT COUNT(*) AS n FROM jobs WHERE state <> 'failed'")
        .fetch_one(conn)
        .await?
        .try_get("n")?)
}

/// Jobs ready to run at `now` (pending and due, or with an expired lease).
pub async fn count_ready(conn: &mut AnyConnection, now: i64) -> Result<i64> {
    Ok(sqlx::query(
        "SELECT COUNT(*) AS n FROM jobs WHERE (state = 'pending' AND run_at <= $1) \
         OR (state = 'running' AND locked_until < $1)",
    )
    .bind(now)
    .fetch_one(conn)
    .await?
    .try_get("n")?)
}

pub async fn count_by_state(conn: &mut AnyConnection, state: JobState) -> Result<i64> {
    Ok(sqlx::query("SELECT COUNT(*) AS n FROM jobs WHERE state = $1")
        .bind(state.stored())
        .fetch_one(conn)
        .await?
        .try_get("n")?)
}
