//! Closure requests and the steps their workflow has done.

use sqlx::{AnyConnection, AssertSqlSafe, Row, any::AnyRow};

use tern_domain::closure::ClosureState;

use crate::Result;
use crate::decode::{self, Stored};

/// A closure request as stored.
#[derive(Debug, Clone)]
pub struct ClosureRow {
    pub id: tern_domain::ClosureId,
    pub account_id: tern_domain::AccountId,
    pub state: ClosureState,
    pub requested_by: String,
    pub reason_code: Option<String>,
    pub reason_text: Option<String>,
    pub export_requested: bool,
    pub status_token_hash: String,
    pub received_at: i64,
    pub cooling_off_until: i64,
    pub due_on: String,
    pub hold_reason: Option<String>,
    pub last_error: Option<String>,
    pub sweep_sealed: Option<String>,
    pub receipt: Option<String>,
    pub refund_minor: Option<i64>,
    pub currency: Option<String>,
    pub retain_until: Option<i64>,
    pub purged_at: Option<i64>,
    pub reminded_at: Option<i64>,
    pub completed_at: Option<i64>,
    pub canceled_at: Option<i64>,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, account_id, state, requested_by, reason_code, reason_text, export_requested, \
     status_token_hash, received_at, cooling_off_until, due_on, hold_reason, last_error, sweep_sealed, receipt, \
     refund_minor, currency, retain_until, purged_at, reminded_at, completed_at, canceled_at, updated_at";

fn from_row(r: &AnyRow) -> Result<ClosureRow> {
    Ok(ClosureRow {
        id: crate::decode::id(r, "id")?,
        account_id: crate::decode::id(r, "account_id")?,
        state: decode::get(r, "state")?,
        requested_by: r.try_get("requested_by")?,
        reason_code: r.try_get("reason_code")?,
        reason_text: r.try_get("reason_text")?,
        export_requested: r.try_get::<i64, _>("export_requested")? != 0,
        status_token_hash: r.try_get("status_token_hash")?,
        received_at: r.try_get("received_at")?,
        cooling_off_until: r.try_get("cooling_off_until")?,
        due_on: r.try_get("due_on")?,
        hold_reason: r.try_get("hold_reason")?,
        last_error: r.try_get("last_error")?,
        sweep_sealed: r.try_get("sweep_sealed")?,
        receipt: r.try_get("receipt")?,
        refund_minor: r.try_get("refund_minor")?,
        currency: r.try_get("currency")?,
        retain_until: r.try_get("retain_until")?,
        purged_at: r.try_get("purged_at")?,
        reminded_at: r.try_get("reminded_at")?,
        completed_at: r.try_get("completed_at")?,
        canceled_at: r.try_get("canceled_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Inserts an open request; false when the account already has one open
/// (the `open_for` unique key), concurrent or not.
pub async fn insert_open(conn: &mut AnyConnection, c: &ClosureRow) -> Result<bool> {
    let r = sqlx::query(
        "INSERT INTO closure_requests (id, account_id, open_for, state, requested_by, reason_code, reason_text, \
         export_requested, status_token_hash, received_at, cooling_off_until, due_on, updated_at) \
         VALUES ($1, $2, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $9) ON CONFLICT (open_for) DO NOTHING",
    )
    .bind(c.id.as_str())
    .bind(c.account_id.as_str())
    .bind(c.state.stored())
    .bind(c.requested_by.as_str())
    .bind(c.reason_code.as_deref())
    .bind(c.reason_text.as_deref())
    .bind(i64::from(c.export_requested))
    .bind(c.status_token_hash.as_str())
    .bind(c.received_at)
    .bind(c.cooling_off_until)
    .bind(c.due_on.as_str())
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

async fn one(conn: &mut AnyConnection, filter: &str, value: &str) -> Result<Option<ClosureRow>> {
    let sql = format!("SELECT {COLUMNS} FROM closure_requests WHERE {filter} ORDER BY received_at DESC LIMIT 1");
    let row = sqlx::query(AssertSqlSafe(sql)).bind(value).fetch_optional(conn).await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn by_id(conn: &mut AnyConnection, id: &tern_domain::ClosureId) -> Result<Option<ClosureRow>> {
    one(conn, "id = $1", id).await
}

/// The account's open request, if any.
pub async fn open_for(conn: &mut AnyConnection, account_id: &tern_domain::AccountId) -> Result<Option<ClosureRow>> {
    one(conn, "open_for = $1", account_id).await
}

/// The account's most recent request, open or not.
pub async fn latest_for(conn: &mut AnyConnection, account_id: &tern_domain::AccountId) -> Result<Option<ClosureRow>> {
    one(conn, "account_id = $1", account_id).await
}

pub async fn by_token_hash(conn: &mut AnyConnection, hash: &str) -> Result<Option<ClosureRow>> {
    one(conn, "status_token_hash = $1", hash).await
}

/// Moves a request from `from` to `to` (the caller checked the move with
/// the domain type); false when it was no longer in `from`. Ending states
/// free the account's open slot.
pub async fn transition(
    conn: &mut AnyConnection,
    id: &tern_domain::ClosureId,
    from: ClosureState,
    to: ClosureState,
    hold_reason: Option<&str>,
    now: i64,
) -> Result<bool> {
    let ended = matches!(to, ClosureState::Completed | ClosureState::Canceled);
    let r = sqlx::query(
        "UPDATE closure_requests SET state = $3, hold_reason = $4, updated_at = $5, \
         open_for = CASE WHEN $6 = 1 THEN NULL ELSE open_for END, \
         completed_at = CASE WHEN $3 = 'completed' THEN $5 ELSE completed_at END, \
         canceled_at = CASE WHEN $3 = 'canceled' THEN $5 ELSE canceled_at END \
         WHERE id = $1 AND state = $2",
    )
    .bind(id.as_str())
    .bind(from.stored())
    .bind(to.stored())
    .bind(hold_reason)
    .bind(now)
    .bind(i64::from(ended))
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Records the last error of a step (shown to operators); `None` clears it.
pub async fn set_error(
    conn: &mut AnyConnection,
    id: &tern_domain::ClosureId,
    error: Option<&str>,
    now: i64,
) -> Result<()> {
    sqlx::query("UPDATE closure_requests SET last_error = $2, updated_at = $3 WHERE id = $1")
        .bind(id.as_str())
        .bind(error)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Sets (or with `None`, removes) the sealed identifiers the sweep looks for.
pub async fn set_sealed(conn: &mut AnyConnection, id: &tern_domain::ClosureId, sealed: Option<&str>) -> Result<()> {
    sqlx::query("UPDATE closure_requests SET sweep_sealed = $2 WHERE id = $1")
        .bind(id.as_str())
        .bind(sealed)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records the settlement's refund.
pub async fn set_refund(
    conn: &mut AnyConnection,
    id: &tern_domain::ClosureId,
    refund_minor: i64,
    currency: &str,
) -> Result<()> {
    sqlx::query("UPDATE closure_requests SET refund_minor = $2, currency = $3 WHERE id = $1")
        .bind(id.as_str())
        .bind(refund_minor)
        .bind(currency)
        .execute(conn)
        .await?;
    Ok(())
}

/// Stores the receipt and the end of retention.
pub async fn set_receipt(
    conn: &mut AnyConnection,
    id: &tern_domain::ClosureId,
    receipt: &str,
    retain_until: Option<i64>,
) -> Result<()> {
    sqlx::query(
        "UPDATE closure_requests SET receipt = $2, retain_until = COALESCE($3, retain_until), \
         reason_text = NULL WHERE id = $1",
    )
    .bind(id.as_str())
    .bind(receipt)
    .bind(retain_until)
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks the cooling-off reminder sent; false when it already was.
pub async fn mark_reminded(conn: &mut AnyConnection, id: &tern_domain::ClosureId, now: i64) -> Result<bool> {
    let r = sqlx::query("UPDATE closure_requests SET reminded_at = $2 WHERE id = $1 AND reminded_at IS NULL")
        .bind(id.as_str())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn mark_purged(conn: &mut AnyConnection, id: &tern_domain::ClosureId, now: i64) -> Result<()> {
    sqlx::query("UPDATE closure_requests SET purged_at = $2 WHERE id = $1")
        .bind(id.as_str())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// One step done, with its result.
#[derive(Debug, Clone)]
pub struct StepRow {
    pub step: String,
    pub result: String,
    pub done_at: i64,
}

/// The steps done so far, in the order they were done.
pub async fn steps(conn: &mut AnyConnection, closure_id: &tern_domain::ClosureId) -> Result<Vec<StepRow>> {
    let rows = sqlx::query("SELECT step, result, done_at FROM closure_steps WHERE closure_id = $1 ORDER BY done_at")
        .bind(closure_id.as_str())
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(StepRow {
                step: r.try_get("step")?,
                result: r.try_get("result")?,
                done_at: r.try_get("done_at")?,
            })
        })
        .collect()
}

/// Records a step done; false when it already was (a repeat after a crash
/// or by a second worker keeps the first result).
pub async fn mark_step(
    conn: &mut AnyConnection,
    closure_id: &tern_domain::ClosureId,
    step: &str,
    result: &str,
    now: i64,
) -> Result<bool> {
    let r = sqlx::query(
        "INSERT INTO closure_steps (closure_id, step, result, done_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (closure_id, step) DO NOTHING",
    )
    .bind(closure_id.as_str())
    .bind(step)
    .bind(result)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Requests for operators: by state (or all), oldest due first.
pub async fn list(conn: &mut AnyConnection, state: Option<ClosureState>, limit: i64) -> Result<Vec<ClosureRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM closure_requests WHERE ($1 = '' OR state = $1) ORDER BY due_on, received_at LIMIT $2"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(state.map_or("", |s| s.stored()))
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.iter().map(from_row).collect()
}

/// Open requests due on or before `day` (YYYY-MM-DD).
pub async fn open_due_by(conn: &mut AnyConnection, day: &str) -> Result<Vec<ClosureRow>> {
    let sql =
        format!("SELECT {COLUMNS} FROM closure_requests WHERE open_for IS NOT NULL AND due_on <= $1 ORDER BY due_on");
    let rows = sqlx::query(AssertSqlSafe(sql)).bind(day).fetch_all(conn).await?;
    rows.iter().map(from_row).collect()
}

/// Completed requests whose retention has run out and are not purged yet.
pub async fn due_for_purge(conn: &mut AnyConnection, now: i64, limit: i64) -> Result<Vec<ClosureRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM closure_requests WHERE state = 'completed' AND purged_at IS NULL \
         AND retain_until IS NOT NULL AND retain_until <= $1 ORDER BY retain_until LIMIT $2"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(now)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.iter().map(from_row).collect()
}

/// Requests per (day received as YYYY-MM-DD in UTC, state), for charts.
pub async fn counts_by_day(conn: &mut AnyConnection, since: i64) -> Result<Vec<(i64, ClosureState, i64)>> {
    let rows = sqlx::query(
        "SELECT received_at / 86400000 AS day, state, COUNT(*) AS n FROM closure_requests \
         WHERE received_at >= $1 GROUP BY received_at / 86400000, state ORDER BY day",
    )
    .bind(since)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            let day: i64 = r.try_get("day")?;
            let n: i64 = r.try_get("n")?;
            Ok((day, decode::get(r, "state")?, n))
        })
        .collect()
}

/// Requests whose erasure is done and whose sweep is not: their sealed
/// identifiers are searched for together in one pass.
pub async fn awaiting_sweep(conn: &mut AnyConnection, limit: i64) -> Result<Vec<ClosureRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM closure_requests c WHERE sweep_sealed IS NOT NULL AND state = 'processing' \
         AND EXISTS (SELECT 1 FROM closure_steps s WHERE s.closure_id = c.id AND s.step = 'erase') \
         ORDER BY received_at LIMIT $1"
    );
    let rows = sqlx::query(AssertSqlSafe(sql)).bind(limit).fetch_all(conn).await?;
    rows.iter().map(from_row).collect()
}

/// Completed requests since `since`: (completed_at, due_on), for the
/// deadline-compliance chart.
pub async fn completions_since(conn: &mut AnyConnection, since: i64) -> Result<Vec<(i64, String)>> {
    let rows = sqlx::query(
        "SELECT completed_at, due_on FROM closure_requests WHERE state = 'completed' AND completed_at >= $1",
    )
    .bind(since)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("completed_at")?, r.try_get("due_on")?)))
        .collect()
}
