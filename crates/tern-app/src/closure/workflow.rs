//! Running a closure request: the cooling-off clock, then each step in
//! order, recording each one done so a crash or retry resumes where it
//! stopped. A step that keeps failing puts the request on hold for an
//! operator, with the error.

use serde_json::{Value, json};
use tern_domain::closure::{ClosureState, ClosureStep};
use tern_store::closures::{self, ClosureRow};
use tern_store::erasure;

use crate::App;
use crate::audit;
use crate::clock::ms;
use crate::error::{AppError, AppResult};
use crate::jobs::{self, Job};

fn state_of(c: &ClosureRow) -> AppResult<ClosureState> {
    ClosureState::parse(&c.state).ok_or_else(|| AppError::Internal(format!("unknown closure state {:?}", c.state)))
}

/// Moves a request along its state machine (checked by the domain type);
/// false when another worker moved it first.
pub(crate) async fn move_to(
    app: &App,
    c: &ClosureRow,
    to: ClosureState,
    hold_reason: Option<&str>,
    actor: &str,
) -> AppResult<bool> {
    let from = state_of(c)?;
    from.transition(to)
        .map_err(|_| AppError::Conflict("closure_transition_not_allowed"))?;
    let now = app.now_ms();
    let mut tx = app.db.begin().await?;
    if !closures::transition(&mut tx, &c.id, from.as_str(), to.as_str(), hold_reason, now).await? {
        return Ok(false);
    }
    audit::record(
        &mut tx,
        app.db.backend(),
        actor,
        &format!("closure.{}", to.as_str()),
        &c.account_id,
        json!({ "closure": c.id, "from": from.as_str() }),
        now,
    )
    .await?;
    tx.commit().await.map_err(tern_store::StoreError::from)?;
    metrics::counter!("tern_closure_transitions_total", "to" => to.as_str()).increment(1);
    Ok(true)
}

async fn load(app: &App, id: &str) -> AppResult<Option<ClosureRow>> {
    let mut conn = app.db.conn().await?;
    Ok(closures::by_id(&mut conn, id).await?)
}

/// The `closure` job: advances the request as far as it can go now.
pub async fn advance(app: &App, closure_id: &str, last_attempt: bool) -> AppResult<()> {
    loop {
        let Some(c) = load(app, closure_id).await? else {
            return Ok(());
        };
        match state_of(&c)? {
            ClosureState::Received => {
                move_to(app, &c, ClosureState::CoolingOff, None, "closure").await?;
            }
            ClosureState::CoolingOff => {
                if app.now_ms() < c.cooling_off_until {
                    let mut conn = app.db.conn().await?;
                    let key = format!("closure:{}:after-cooling-off", c.id);
                    jobs::enqueue_at(
                        app,
                        &mut conn,
                        &Job::Closure {
                            closure_id: c.id.clone(),
                        },
                        Some(&key),
                        c.cooling_off_until,
                    )
                    .await?;
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
                let Some(step) = ClosureStep::next(&done) else {
                    return Ok(());
                };
                if let Err(e) = run_step(app, &c, step).await {
                    return failed(app, &c, step, e, last_attempt).await;
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

async fn run_step(app: &App, c: &ClosureRow, step: ClosureStep) -> AppResult<()> {
    let result: Value = match step {
        ClosureStep::Freeze => super::steps::freeze(app, c).await?,
        ClosureStep::StopServices => super::steps::stop_services(app, c).await?,
        ClosureStep::SettleWallet => super::steps::settle_wallet(app, c).await?,
        ClosureStep::Export => super::steps::export(app, c).await?,
        ClosureStep::Notify => super::steps::notify(app, c).await?,
        ClosureStep::Erase => super::steps::erase(app, c).await?,
        ClosureStep::Sweep => {
            let result = super::sweep::sweep(app, c).await?;
            let now = app.now_ms();
            let mut tx = app.db.begin().await?;
            closures::mark_step(&mut tx, &c.id, step.as_str(), &result.to_string(), now).await?;
            closures::set_sealed(&mut tx, &c.id, None).await?;
            closures::set_error(&mut tx, &c.id, None, now).await?;
            tx.commit().await.map_err(tern_store::StoreError::from)?;
            return Ok(());
        }
        ClosureStep::Close => return close(app, c).await,
    };
    let now = app.now_ms();
    let mut conn = app.db.conn().await?;
    closures::mark_step(&mut conn, &c.id, step.as_str(), &result.to_string(), now).await?;
    closures::set_error(&mut conn, &c.id, None, now).await?;
    Ok(())
}

/// Writes the receipt (no personal data) and completes the request.
async fn close(app: &App, c: &ClosureRow) -> AppResult<()> {
    let now = app.now_ms();
    let retain_until = now + ms(app.settings.closure.retention);
    let mut tx = app.db.begin().await?;
    let steps = closures::steps(&mut tx, &c.id).await?;
    let result = |name: &str| -> Value {
        steps
            .iter()
            .find(|s| s.step == name)
            .and_then(|s| serde_json::from_str(&s.result).ok())
            .unwrap_or(Value::Null)
    };
    let retained: Vec<Value> = erasure::retained_counts(&mut tx, &c.account_id)
        .await?
        .into_iter()
        .map(|(kind, count)| json!({ "kind": kind, "count": count, "until": crate::clock::rfc3339(retain_until) }))
        .collect();
    let receipt = json!({
        "deleted": result("erase"),
        "retained": retained,
        "pseudonymised": true,
        "refund": result("settle_wallet"),
        "services": result("stop_services"),
        "export": result("export"),
        "sweep": result("sweep"),
        "sessions_ended": result("freeze")["sessions_ended"],
    });
    closures::set_receipt(&mut tx, &c.id, &receipt.to_string(), Some(retain_until)).await?;
    closures::mark_step(&mut tx, &c.id, ClosureStep::Close.as_str(), "{}", now).await?;
    let moved = closures::transition(&mut tx, &c.id, "processing", "completed", None, now).await?;
    if moved {
        audit::record(
            &mut tx,
            app.db.backend(),
            "closure",
            "closure.completed",
            &c.account_id,
            json!({ "closure": c.id }),
            now,
        )
        .await?;
    }
    tx.commit().await.map_err(tern_store::StoreError::from)?;
    if moved {
        metrics::counter!("tern_closures_completed_total").increment(1);
        let took_days = (now - c.received_at) as f64 / 86_400_000.0;
        metrics::histogram!("tern_closure_days").record(took_days);
    }
    Ok(())
}

/// The `closure_reminder` job: "closing starts tomorrow", once.
pub async fn remind(app: &App, closure_id: &str) -> AppResult<()> {
    let mut tx = app.db.begin().await?;
    let Some(c) = closures::by_id(&mut tx, closure_id).await? else {
        return Ok(());
    };
    if !state_of(&c)?.is_cancelable() || !closures::mark_reminded(&mut tx, &c.id, app.now_ms()).await? {
        return Ok(());
    }
    super::request::notify_account(app, &mut tx, &c, "closure_reminder").await?;
    tx.commit().await.map_err(tern_store::StoreError::from)?;
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
        let mut tx = app.db.begin().await?;
        let cur = c
            .currency
            .clone()
            .unwrap_or_else(|| app.settings.wallet.currency.clone());
        let n = erasure::purge_retained(&mut tx, &c.account_id, &cur, now).await?;
        closures::mark_purged(&mut tx, &c.id, now).await?;
        audit::record(
            &mut tx,
            app.db.backend(),
            "closure",
            "closure.retention_purged",
            &c.account_id,
            json!({ "closure": c.id, "records": n }),
            now,
        )
        .await?;
        tx.commit().await.map_err(tern_store::StoreError::from)?;
    }
    Ok(due.len())
}
