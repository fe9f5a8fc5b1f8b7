//! Running a closure request: the cooling-off clock, then each step in
//! order, recording each one done so a crash or retry resumes where it
//! stopped. A step that keeps failing puts the request on hold for an
//! operator, with the error.

use futures::future::BoxFuture;
use serde_json::json;
use tern_domain::closure::{ClosureState, ClosureStep};
use tern_store::closures::{self, ClosureRow};
use tern_store::erasure;

use super::steps::{self, Step};
use super::{AdvanceClosure, Wake};
use crate::App;
use crate::error::{AppError, AppResult};
use crate::error_code::Code;
use crate::jobs;

/// Moves a request along its state machine (checked by the domain type);
/// false when another worker moved it first.
pub(crate) async fn move_to(
    app: &App,
    c: &ClosureRow,
    to: ClosureState,
    hold_reason: Option<&str>,
    actor: &str,
) -> AppResult<bool> {
    let from = c.state;
    from.transition(to)
        .map_err(|_| AppError::Conflict(Code::ClosureTransitionNotAllowed))?;
    let now = app.now_ms();
    let mut tx = app.work_at(now).await?;
    if !closures::transition(&mut tx, &c.id, from, to, hold_reason, now).await? {
        return Ok(false);
    }
    tx.audit(
        actor,
        &format!("closure.{}", to.as_str()),
        &c.account_id,
        json!({ "closure": c.id, "from": from.as_str() }),
    )
    .await?;
    tx.commit().await?;
    metrics::counter!("tern_closure_transitions_total", "to" => to.as_str()).increment(1);
    Ok(true)
}

async fn load(app: &App, id: &tern_domain::ClosureId) -> AppResult<Option<ClosureRow>> {
    let mut conn = app.db.conn().await?;
    Ok(closures::by_id(&mut conn, id).await?)
}

/// The `closure` job: advances the request as far as it can go now.
pub async fn advance(app: &App, closure_id: &tern_domain::ClosureId, last_attempt: bool) -> AppResult<()> {
    loop {
        let Some(c) = load(app, closure_id).await? else {
            return Ok(());
        };
        match c.state {
            ClosureState::Received => {
                move_to(app, &c, ClosureState::CoolingOff, None, "closure").await?;
            }
            ClosureState::CoolingOff => {
                if app.now_ms() < c.cooling_off_until {
                    let mut conn = app.db.conn().await?;
                    let job = AdvanceClosure {
                        closure_id: c.id.clone(),
                        wake: Wake::CoolingOffEnds,
                    };
                    jobs::enqueue_at(app, &mut conn, &job, c.cooling_off_until).await?;
                    return Ok(());
                }
                move_to(app, &c, ClosureState::Processing, None, "closure").await?;
            }
            ClosureState::Processing => {
                let done = {
                    let mut conn = app.db.conn().await?;
                    closures::steps(&mut conn, &c.id).await?
                };
                let done: Vec<ClosureStep> = done.iter().filter_map(|s| ClosureStep::parse(&s.step)).collect();
                let Some(stage) = PIPELINE.iter().find(|s| !done.contains(&s.step())) else {
                    return Ok(());
                };
                if let Err(e) = stage.run(app, &c).await {
                    return failed(app, &c, stage.step(), e, last_attempt).await;
                }
            }
            ClosureState::Completed | ClosureState::Canceled | ClosureState::OnHold => return Ok(()),
        }
    }
}

async fn failed(app: &App, c: &ClosureRow, step: ClosureStep, e: AppError, last_attempt: bool) -> AppResult<()> {
    let message = format!("{}: {e}", step.as_str());
    tracing::warn!(closure = %c.id, step = step.as_str(), error = %e, last_attempt, "closure step failed");
    let mut conn = app.db.conn().await?;
    closures::set_error(&mut conn, &c.id, Some(&message), app.now_ms()).await?;
    drop(conn);
    if last_attempt {
        // Out of retries: an operator looks at it and resumes it.
        move_to(app, c, ClosureState::OnHold, Some(&message), "closure").await?;
        metrics::counter!("tern_closures_held_total").increment(1);
        return Ok(());
    }
    Err(e)
}

/// One step as the workflow drives it, whatever its output type.
trait Stage: Sync {
    fn step(&self) -> ClosureStep;
    fn run<'a>(&'a self, app: &'a App, c: &'a ClosureRow) -> BoxFuture<'a, AppResult<()>>;
}

impl<S: Step> Stage for S {
    fn step(&self) -> ClosureStep {
        S::STEP
    }

    fn run<'a>(&'a self, app: &'a App, c: &'a ClosureRow) -> BoxFuture<'a, AppResult<()>> {
        Box::pin(run_and_record(self, app, c))
    }
}

/// The workflow, in order (the same order as `ClosureStep::ALL`).
const PIPELINE: [&dyn Stage; 8] = [
    &steps::Freeze,
    &steps::CancelEsims,
    &steps::Settle,
    &steps::Export,
    &steps::Notify,
    &steps::Erase,
    &steps::Sweep,
    &steps::Close,
];

/// Runs a step, then records its output as done, clears the last error
/// and makes the step's own finishing writes, in one transaction.
async fn run_and_record<S: Step>(step: &S, app: &App, c: &ClosureRow) -> AppResult<()> {
    let out = step.run(app, c).await?;
    let text = serde_json::to_string(&out).map_err(|e| AppError::Internal(e.to_string()))?;
    let now = app.now_ms();
    let mut tx = app.work().await?;
    closures::mark_step(&mut tx, &c.id, S::STEP.as_str(), &text, now).await?;
    closures::set_error(&mut tx, &c.id, None, now).await?;
    step.finish(app, &mut tx, c, &out).await?;
    tx.commit().await?;
    Ok(())
}

/// The `closure_reminder` job: "closing starts tomorrow", once.
pub async fn remind(app: &App, closure_id: &tern_domain::ClosureId) -> AppResult<()> {
    let mut tx = app.work().await?;
    let Some(c) = closures::by_id(&mut tx, closure_id).await? else {
        return Ok(());
    };
    if !c.state.is_cancelable() || !closures::mark_reminded(&mut tx, &c.id, app.now_ms()).await? {
        return Ok(());
    }
    super::request::notify_account(app, &mut tx, &c, "closure_reminder").await?;
    tx.commit().await?;
    Ok(())
}

/// Purges pseudonymised records whose retention has ended; returns how
/// many requests were purged.
pub async fn purge_retention(app: &App) -> AppResult<usize> {
    let now = app.now_ms();
    let due = {
        let mut conn = app.db.conn().await?;
        closures::due_for_purge(&mut conn, now, 100).await?
    };
    for c in &due {
        let mut tx = app.work_at(now).await?;
        let cur = c
            .currency
            .clone()
            .unwrap_or_else(|| app.settings.wallet.currency.clone());
        let n = erasure::purge_retained(&mut tx, &c.account_id, &cur, now).await?;
        closures::mark_purged(&mut tx, &c.id, now).await?;
        tx.audit(
            "closure",
            "closure.retention_purged",
            &c.account_id,
            json!({ "closure": c.id, "records": n }),
        )
        .await?;
        tx.commit().await?;
    }
    Ok(due.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pipeline_runs_every_step_once_in_order() {
        let order: Vec<ClosureStep> = PIPELINE.iter().map(|s| s.step()).collect();
        assert_eq!(order, ClosureStep::ALL);
    }
}
