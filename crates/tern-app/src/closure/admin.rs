//! What operators do with closure requests: list, look into, hold, resume
//! and retry (each audited), and the deadline watch.

use serde::Serialize;
use serde_json::json;
use tern_domain::closure::ClosureState;
use tern_store::closures::{self, ClosureRow};

use super::StepView;
use super::workflow::move_to;
use super::{AdvanceClosure, Wake};
use crate::App;
use crate::clock::{rfc3339, to_datetime};
use crate::error::{AppError, AppResult};
use crate::error_code::Code;

/// A closure request as operators see it (no personal data: the account
/// is shown by id).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AdminView {
    #[schema(value_type = String)]
    pub id: tern_domain::ClosureId,
    #[schema(value_type = String)]
    pub account_id: tern_domain::AccountId,
    #[schema(value_type = String)]
    pub state: ClosureState,
    pub requested_by: String,
    pub reason_code: Option<String>,
    pub received_at: String,
    pub cooling_off_until: String,
    pub due_by: String,
    /// `overdue`, `due_soon` (within the configured working days) or `ok`;
    /// `done` once completed or canceled.
    pub deadline: String,
    pub hold_reason: Option<String>,
    pub last_error: Option<String>,
    pub steps_done: Vec<StepView>,
    pub refund_minor: Option<i64>,
    pub completed_at: Option<String>,
}

fn deadline(app: &App, c: &ClosureRow) -> AppResult<&'static str> {
    if !c.state.is_open() {
        return Ok("done");
    }
    let today = to_datetime(app.now_ms()).date_naive();
    let due: chrono::NaiveDate = c
        .due_on
        .parse()
        .map_err(|_| AppError::Internal(format!("bad due date {:?}", c.due_on)))?;
    if today > due {
        return Ok("overdue");
    }
    let cal = super::calendar(app)?;
    if cal.working_days_between(today, due) <= app.settings.closure.at_risk_working_days {
        return Ok("due_soon");
    }
    Ok("ok")
}

async fn admin_view(app: &App, conn: &mut tern_store::Conn, c: &ClosureRow) -> AppResult<AdminView> {
    let steps = super::in_order(closures::steps(conn, &c.id).await?);
    Ok(AdminView {
        id: c.id.clone(),
        account_id: c.account_id.clone(),
        state: c.state,
        requested_by: c.requested_by.clone(),
        reason_code: c.reason_code.clone(),
        received_at: rfc3339(c.received_at),
        cooling_off_until: rfc3339(c.cooling_off_until),
        due_by: c.due_on.clone(),
        deadline: deadline(app, c)?.to_owned(),
        hold_reason: c.hold_reason.clone(),
        last_error: c.last_error.clone(),
        steps_done: steps
            .iter()
            .map(|s| StepView {
                step: s.step.clone(),
                done_at: rfc3339(s.done_at),
            })
            .collect(),
        refund_minor: c.refund_minor,
        completed_at: c.completed_at.map(rfc3339),
    })
}

/// Requests by state (`None`: all), optionally only `overdue` or
/// `due_soon` ones, soonest due first.
pub async fn list(
    app: &App,
    state: Option<&str>,
    deadline_filter: Option<&str>,
    limit: i64,
) -> AppResult<Vec<AdminView>> {
    let state = state
        .map(|s| ClosureState::parse(s).ok_or_else(|| AppError::field("state", Code::ClosureStateInvalid)))
        .transpose()?;
    if let Some(d) = deadline_filter
        && !matches!(d, "overdue" | "due_soon" | "ok" | "done")
    {
        return Err(AppError::field("deadline", Code::DeadlineFilterInvalid));
    }
    let mut conn = app.db.conn().await?;
    let rows = closures::list(&mut conn, state, limit.clamp(1, 1000)).await?;
    let mut out = Vec::new();
    for c in &rows {
        let v = admin_view(app, &mut conn, c).await?;
        if deadline_filter.is_none_or(|d| d == v.deadline) {
            out.push(v);
        }
    }
    Ok(out)
}

pub async fn show(app: &App, id: &tern_domain::ClosureId) -> AppResult<AdminView> {
    let mut conn = app.db.conn().await?;
    let c = closures::by_id(&mut conn, id).await?.ok_or(AppError::NotFound)?;
    admin_view(app, &mut conn, &c).await
}

async fn load(app: &App, id: &tern_domain::ClosureId) -> AppResult<ClosureRow> {
    let mut conn = app.db.conn().await?;
    closures::by_id(&mut conn, id).await?.ok_or(AppError::NotFound)
}

/// Puts an open request on hold with a reason; the workflow stops before
/// its next step.
pub async fn hold(app: &App, actor: &str, id: &tern_domain::ClosureId, reason: &str) -> AppResult<AdminView> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(AppError::field("reason", Code::HoldReasonRequired));
    }
    let c = load(app, id).await?;
    if !move_to(app, &c, ClosureState::OnHold, Some(reason), actor).await? {
        return Err(AppError::Conflict(Code::ClosureStateChanged));
    }
    show(app, id).await
}

/// Takes a request off hold: back to cooling-off if that has not run out,
/// else to processing, and runs it.
pub async fn resume(app: &App, actor: &str, id: &tern_domain::ClosureId) -> AppResult<AdminView> {
    let c = load(app, id).await?;
    let to = if app.now_ms() < c.cooling_off_until {
        ClosureState::CoolingOff
    } else {
        ClosureState::Processing
    };
    if !move_to(app, &c, to, None, actor).await? {
        return Err(AppError::Conflict(Code::ClosureStateChanged));
    }
    kick(app, &c, actor, "closure.resume_requested").await?;
    show(app, id).await
}

/// Runs a processing request's workflow again now (after fixing what made
/// a step fail); an on-hold request is resumed.
pub async fn retry(app: &App, actor: &str, id: &tern_domain::ClosureId) -> AppResult<AdminView> {
    let c = load(app, id).await?;
    match c.state {
        ClosureState::OnHold => resume(app, actor, id).await,
        state if state.can_be_held() => {
            kick(app, &c, actor, "closure.retry_requested").await?;
            show(app, id).await
        }
        _ => Err(AppError::Conflict(Code::ClosureNotOpen)),
    }
}

async fn kick(app: &App, c: &ClosureRow, actor: &str, action: &str) -> AppResult<()> {
    let now = app.now_ms();
    let mut tx = app.work_at(now).await?;
    tx.enqueue(&AdvanceClosure {
        closure_id: c.id.clone(),
        wake: Wake::Kicked,
    })
    .await?;
    tx.audit(actor, action, &c.account_id, json!({ "closure": c.id }))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Open requests due within the warning window and overdue ones; also
/// sets the `tern_closures_due_soon` and `tern_closures_overdue` gauges.
pub async fn at_risk(app: &App) -> AppResult<(Vec<AdminView>, Vec<AdminView>)> {
    let cal = super::calendar(app)?;
    let today = to_datetime(app.now_ms()).date_naive();
    let horizon = cal.add_working_days(today, app.settings.closure.at_risk_working_days);
    let mut conn = app.db.conn().await?;
    let rows = closures::open_due_by(&mut conn, &horizon.to_string()).await?;
    let (mut soon, mut overdue) = (Vec::new(), Vec::new());
    for c in &rows {
        let v = admin_view(app, &mut conn, c).await?;
        match v.deadline.as_str() {
            "overdue" => overdue.push(v),
            "due_soon" => soon.push(v),
            _ => {}
        }
    }
    metrics::gauge!("tern_closures_due_soon").set(soon.len() as f64);
    metrics::gauge!("tern_closures_overdue").set(overdue.len() as f64);
    Ok((soon, overdue))
}

/// Requests opened on one UTC day (days since the epoch) that are now in
/// `state`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayCount {
    pub day: i64,
    pub state: ClosureState,
    pub count: i64,
}

/// A completed request: when, and whether by its deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub completed_at: i64,
    pub on_time: bool,
}

/// Requests received and completed since `since` (Unix ms), for the
/// console's charts.
pub async fn activity(app: &App, since: i64) -> AppResult<(Vec<DayCount>, Vec<Completion>)> {
    let mut conn = app.db.conn().await?;
    let counts = closures::counts_by_day(&mut conn, since).await?;
    let opened = counts
        .into_iter()
        .map(|(day, state, count)| DayCount { day, state, count })
        .collect();
    let completions = closures::completions_since(&mut conn, since)
        .await?
        .into_iter()
        .map(|(completed_at, due_on)| Completion {
            completed_at,
            // Both are `YYYY-MM-DD`, so they compare as text.
            on_time: to_datetime(completed_at).date_naive().to_string() <= due_on,
        })
        .collect();
    Ok((opened, completions))
}

/// When the account's open request ends its cooling-off, while it can
/// still be called off; `None` when there is none or it is past that.
pub async fn cancelable_until(app: &App, account_id: &tern_domain::AccountId) -> AppResult<Option<i64>> {
    let mut conn = app.db.conn().await?;
    let Some(open) = closures::open_for(&mut conn, account_id).await? else {
        return Ok(None);
    };
    Ok(open.state.is_cancelable().then_some(open.cooling_off_until))
}
