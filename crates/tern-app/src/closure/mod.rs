//! Account closure: preview, request, cooling-off, the durable workflow
//! that freezes, stops services, settles the wallet, exports, notifies,
//! erases and sweeps, and the public status page. See
//! `tern_domain::closure` for the states and steps.

mod admin;
mod dormant;
mod jobs;
mod network;
mod preview;
mod request;
mod seal;
mod sqlite_files;
mod steps;
mod sweep;
mod workflow;

pub use admin::{
    AdminView, Completion, DayCount, activity, at_risk, cancelable_until, hold, list, resume, retry, show,
};
pub use dormant::dormant_sweep;
pub use jobs::{AdvanceClosure, RemindClosure, Wake};
pub use network::{HttpNetwork, Network};
pub use preview::{Preview, preview};
pub use request::{ClosureInput, cancel, current, request, status_by_token};
pub use steps::{
    Delivered, ErasedCounts, ExportSent, Frozen, Receipt, Retained, ServicesStopped, Settled, Step, SweepReport, Swept,
};
pub use workflow::{advance, purge_retention, remind};

use chrono::NaiveDate;
use serde::Serialize;
use tern_domain::calendar::WorkCalendar;
use tern_domain::closure::ClosureState;
use tern_store::closures::{ClosureRow, StepRow};

use crate::App;
use crate::clock::{rfc3339, to_datetime};
use crate::error::{AppError, AppResult};

/// A closure request as its owner sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClosureView {
    #[schema(value_type = String)]
    pub id: tern_domain::ClosureId,
    /// `received`, `cooling_off`, `processing`, `completed`, `canceled`, `on_hold`.
    #[schema(value_type = String)]
    pub state: ClosureState,
    /// Public page with the progress; works without signing in.
    pub status_url: String,
    pub received_at: String,
    pub cooling_off_until: String,
    /// The date by which it will be done (YYYY-MM-DD).
    pub due_by: String,
    pub reason_code: Option<String>,
    pub export_requested: bool,
    /// Why it is on hold, when it is.
    pub hold_reason: Option<String>,
    pub cancelable: bool,
    pub completed_at: Option<String>,
    pub canceled_at: Option<String>,
}

/// One step of the workflow on the public status page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StepView {
    pub step: String,
    pub done_at: String,
}

/// The public status of a request: no personal data.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatusView {
    #[schema(value_type = String)]
    pub state: ClosureState,
    pub received_at: String,
    pub cooling_off_until: String,
    pub due_by: String,
    pub hold_reason: Option<String>,
    pub steps_done: Vec<StepView>,
    /// Steps still to do, in order.
    pub steps_left: Vec<String>,
    pub completed_at: Option<String>,
    pub canceled_at: Option<String>,
    /// The receipt, once the request is completed.
    #[schema(value_type = Option<Object>)]
    pub receipt: Option<Receipt>,
}

/// The working-day calendar the due dates are counted on.
pub fn calendar(app: &App) -> AppResult<WorkCalendar> {
    let name = app.settings.closure.calendar.as_str();
    if let Some(c) = WorkCalendar::builtin(name) {
        return Ok(c);
    }
    let text =
        std::fs::read_to_string(name).map_err(|e| AppError::Internal(format!("closure.calendar {name:?}: {e}")))?;
    WorkCalendar::from_toml(&text).map_err(|e| AppError::Internal(format!("closure.calendar {name:?}: {e}")))
}

/// The due date of a request received at `received_ms`: the configured
/// number of working days, counted from the day after receipt (UTC).
pub fn due_date(app: &App, received_ms: i64) -> AppResult<NaiveDate> {
    let day = to_datetime(received_ms).date_naive();
    Ok(calendar(app)?.add_working_days(day, app.settings.closure.due_working_days))
}

/// The public status token of a request: an HMAC of its id under the
/// server key, so it is unguessable, can be shown again to the owner, and
/// only its SHA-256 is stored for the lookup.
pub(crate) fn status_token(app: &App, closure_id: &tern_domain::ClosureId) -> String {
    crate::tokens::keyed_hash(app.secret_key(), &format!("closure-status:{closure_id}"))
}

pub(crate) fn status_url(app: &App, closure_id: &tern_domain::ClosureId) -> String {
    format!(
        "{}/closure-status/{}",
        app.settings.base_url(),
        status_token(app, closure_id)
    )
}

fn opt_time(ms: Option<i64>) -> Option<String> {
    ms.map(rfc3339)
}

pub(crate) fn view(app: &App, c: &ClosureRow) -> ClosureView {
    ClosureView {
        id: c.id.clone(),
        state: c.state,
        status_url: status_url(app, &c.id),
        received_at: rfc3339(c.received_at),
        cooling_off_until: rfc3339(c.cooling_off_until),
        due_by: c.due_on.clone(),
        reason_code: c.reason_code.clone(),
        export_requested: c.export_requested,
        hold_reason: c.hold_reason.clone(),
        cancelable: c.state.is_cancelable(),
        completed_at: opt_time(c.completed_at),
        canceled_at: opt_time(c.canceled_at),
    }
}

/// Steps in workflow order (several can finish within one millisecond).
pub(crate) fn in_order(mut steps: Vec<StepRow>) -> Vec<StepRow> {
    use tern_domain::closure::ClosureStep;
    steps.sort_by_key(|s| ClosureStep::parse(&s.step).map_or(usize::MAX, |x| x as usize));
    steps
}

pub(crate) fn status_view(c: &ClosureRow, steps: &[StepRow]) -> StatusView {
    use tern_domain::closure::ClosureStep;
    let done: Vec<ClosureStep> = steps.iter().filter_map(|s| ClosureStep::parse(&s.step)).collect();
    let left = if c.state == tern_domain::closure::ClosureState::Canceled {
        Vec::new()
    } else {
        ClosureStep::ALL
            .into_iter()
            .filter(|s| !done.contains(s))
            .map(|s| s.as_str().to_owned())
            .collect()
    };
    StatusView {
        state: c.state,
        received_at: rfc3339(c.received_at),
        cooling_off_until: rfc3339(c.cooling_off_until),
        due_by: c.due_on.clone(),
        hold_reason: c.hold_reason.clone(),
        steps_done: steps
            .iter()
            .map(|s| StepView {
                step: s.step.clone(),
                done_at: rfc3339(s.done_at),
            })
            .collect(),
        steps_left: left,
        completed_at: opt_time(c.completed_at),
        canceled_at: opt_time(c.canceled_at),
        receipt: c.receipt.as_deref().and_then(|r| read_receipt(&c.id, r)),
    }
}

/// A stored receipt. One that does not decode is left off the page (the
/// rest of the status still shows) and logged, since it means a receipt
/// was written in a shape this build cannot read.
fn read_receipt(id: &tern_domain::ClosureId, stored: &str) -> Option<Receipt> {
    serde_json::from_str(stored)
        .map_err(|e| tracing::error!(closure = %id, error = %e, "stored closure receipt does not decode"))
        .ok()
}
