//! The operators' closure desk: requests by state and deadline, a chart of
//! requests per day and of deadline compliance, and one request's steps
//! with hold, resume and retry. Support and admin only.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Value, json};
use tern_app::auth::Principal;
use tern_app::clock::to_datetime;
use tern_app::closure;
use tern_domain::Permission;
use tern_domain::closure::ClosureState;
use tern_i18n::{t, tf};

use super::page::Ctx;
use super::stacked_chart::{Series, stacked_chart};
use crate::state::HttpState;

const DAYS: i64 = 30;

async fn staff(ctx: &Ctx, action: &str) -> Result<Principal, Response> {
    ctx.require(Permission::HoldClosures, action).await
}

fn label(ctx: &Ctx, kind: &str, value: &str) -> String {
    let key = if kind == "step" {
        format!("closure.step.{value}")
    } else {
        format!("admin.closures.{kind}.{value}")
    };
    let s = t(ctx.locale, &key);
    if s == key { value.to_owned() } else { s.to_owned() }
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct Filters {
    state: String,
    deadline: String,
}

/// Requests per day by outcome, and completions on time or late per day.
pub(super) async fn charts(ctx: &Ctx) -> (String, String) {
    let app = &ctx.state.app;
    let now = app.now_ms();
    let since = now - DAYS * 86_400_000;
    let day_label = |d: i64| to_datetime(d * 86_400_000).format("%m-%d").to_string();
    let days: Vec<i64> = (0..DAYS).map(|i| since / 86_400_000 + 1 + i).collect();
    let (counts, completions) = match tern_app::closure::activity(app, since).await {
        Ok(both) => both,
        Err(e) => {
            // The charts are a convenience beside the table; show them empty.
            tracing::warn!(error = %e, "could not read closure activity for the charts");
            (Vec::new(), Vec::new())
        }
    };
    let by_state: Vec<(String, Vec<f64>)> = days
        .iter()
        .map(|d| {
            let n = |pred: &dyn Fn(ClosureState) -> bool| -> f64 {
                counts
                    .iter()
                    .filter(|c| c.day == *d && pred(c.state))
                    .map(|c| c.count as f64)
                    .sum()
            };
            (
                day_label(*d),
                vec![
                    n(&|s| s == ClosureState::Completed),
                    n(&|s| s != ClosureState::Completed && s != ClosureState::Canceled),
                    n(&|s| s == ClosureState::Canceled),
                ],
            )
        })
        .collect();
    let compliance: Vec<(String, Vec<f64>)> = days
        .iter()
        .map(|d| {
            let (mut on_time, mut late) = (0.0, 0.0);
            for c in completions.iter().filter(|c| c.completed_at / 86_400_000 == *d) {
                if c.on_time {
                    on_time += 1.0;
                } else {
                    late += 1.0;
                }
            }
            (day_label(*d), vec![on_time, late])
        })
        .collect();
    let l = ctx.locale;
    let requests = stacked_chart(
        "requests",
        t(l, "admin.closures.chart_requests"),
        &tf(l, "admin.closures.chart_desc", &[("days", &DAYS.to_string())]),
        &[
            Series {
                name: t(l, "admin.closures.series_completed"),
                color: "#1a7f37",
            },
            Series {
                name: t(l, "admin.closures.series_open"),
                color: "#0b5cad",
            },
            Series {
                name: t(l, "admin.closures.series_canceled"),
                color: "#8c959f",
            },
        ],
        &by_state,
    );
    let deadline = stacked_chart(
        "deadline",
        t(l, "admin.closures.chart_deadline"),
        &tf(l, "admin.closures.chart_desc", &[("days", &DAYS.to_string())]),
        &[
            Series {
                name: t(l, "admin.closures.series_on_time"),
                color: "#1a7f37",
            },
            Series {
                name: t(l, "admin.closures.series_late"),
                color: "#cf222e",
            },
        ],
        &compliance,
    );
    (requests, deadline)
}

pub async fn list(State(s): State<HttpState>, headers: HeaderMap, Query(f): Query<Filters>) -> Response {
    let ctx = Ctx::load(s, &headers, "/admin/closures").await;
    if let Err(r) = staff(&ctx, "portal.admin.closures").await {
        return r;
    }
    let app = &ctx.state.app;
    let state = Some(f.state.as_str()).filter(|s| !s.is_empty());
    let deadline = Some(f.deadline.as_str()).filter(|s| !s.is_empty());
    let (rows, error) = match closure::list(app, state, deadline, 200).await {
        Ok(r) => (r, None),
        Err(e) => (Vec::new(), Some(crate::error::message(e.code(), ctx.locale))),
    };
    let rows: Vec<Value> = rows
        .iter()
        .map(|v| {
            json!({ "id": v.id, "short": &v.id[v.id.len().saturating_sub(8)..], "state": label(&ctx, "state", v.state.as_str()),
                    "due_by": v.due_by, "deadline": v.deadline, "deadline_text": label(&ctx, "deadline", &v.deadline),
                    "hold_reason": v.hold_reason, "last_error": v.last_error, "requested_by": v.requested_by })
        })
        .collect();
    let (soon, overdue) = page_try!(ctx, closure::at_risk(app).await);
    let (chart_requests, chart_deadline) = charts(&ctx).await;
    let states: Vec<Value> = tern_domain::closure::ClosureState::ALL
        .iter()
        .map(|s| json!({ "value": s.as_str(), "text": label(&ctx, "state", s.as_str()), "selected": f.state == s.as_str() }))
        .collect();
    let deadlines: Vec<Value> = ["overdue", "due_soon", "ok", "done"]
        .iter()
        .map(|d| json!({ "value": d, "text": label(&ctx, "deadline", d), "selected": f.deadline == *d }))
        .collect();
    ctx.render(
        "admin_closures.html",
        json!({ "rows": rows, "error": error, "due_soon": soon.len(), "overdue": overdue.len(),
                "chart_requests": chart_requests, "chart_deadline": chart_deadline,
                "states": states, "deadlines": deadlines }),
    )
}

async fn detail_page(
    ctx: &Ctx,
    id: &tern_domain::ClosureId,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    match closure::show(&ctx.state.app, id).await {
        Ok(v) => {
            let steps: Vec<Value> = v
                .steps_done
                .iter()
                .map(|s| json!({ "step": label(ctx, "step", &s.step), "done_at": s.done_at }))
                .collect();
            ctx.render(
                "admin_closure.html",
                json!({ "c": v, "state_text": label(ctx, "state", v.state.as_str()), "deadline_text": label(ctx, "deadline", &v.deadline),
                        "steps": steps, "notice": notice, "error": error,
                        "can_hold": v.state.can_be_held(),
                        "can_resume": v.state == ClosureState::OnHold,
                        "can_retry": v.state.can_be_held() }),
            )
        }
        Err(e) => ctx.render_status(
            crate::error::status_of(&e),
            "message.html",
            json!({ "title": t(ctx.locale, "error.not_found"), "body": crate::error::message(e.code(), ctx.locale), "link": "/admin/closures", "link_text": t(ctx.locale, "admin.closures.title") }),
        ),
    }
}

pub async fn show(State(s): State<HttpState>, headers: HeaderMap, Path(id): Path<tern_domain::ClosureId>) -> Response {
    let ctx = Ctx::load(s, &headers, "/admin/closures").await;
    if let Err(r) = staff(&ctx, "portal.admin.closure").await {
        return r;
    }
    detail_page(&ctx, &id, None, None).await
}

#[derive(Debug, serde::Deserialize)]
pub struct ActionForm {
    // A form without the field is refused like a wrong token (403), not
    // as a malformed body.
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// `POST /admin/closures/{id}/{hold|resume|retry}`.
pub async fn act(
    State(s): State<HttpState>,
    headers: HeaderMap,
    Path((id, action)): Path<(tern_domain::ClosureId, String)>,
    Form(f): Form<ActionForm>,
) -> Response {
    let ctx = Ctx::load(s, &headers, "/admin/closures").await;
    if let Err(r) = ctx.check_csrf(&f.csrf) {
        return r;
    }
    let who = match staff(&ctx, &format!("portal.admin.closure.{action}")).await {
        Ok(w) => w,
        Err(r) => return r,
    };
    let app = &ctx.state.app;
    let result = match action.as_str() {
        "hold" => closure::hold(app, &who.account_id, &id, &f.reason).await,
        "resume" => closure::resume(app, &who.account_id, &id).await,
        "retry" => closure::retry(app, &who.account_id, &id).await,
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    match result {
        Ok(_) => Redirect::to(&format!("/admin/closures/{id}")).into_response(),
        Err(e) => {
            let msg = crate::error::message(e.code(), ctx.locale);
            let msg = match &e {
                tern_app::AppError::Validation(fields) => fields
                    .first()
                    .map_or(msg, |f| crate::error::message(f.code, ctx.locale)),
                _ => msg,
            };
            detail_page(&ctx, &id, None, Some(msg)).await
        }
    }
}
