//! The operators' support queue: tickets by state, assignee and category
//! with the figures (open work, first-response and resolution times,
//! tickets opened per day), and one ticket's thread with reply, assign and
//! state forms. Support and admin only; every action is audited by the
//! service.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Value, json};
use tern_app::AppError;
use tern_app::auth::Principal;
use tern_app::clock::to_datetime;
use tern_app::tickets::StaffMember;
use tern_app::tickets::{self, AdminTicketView, QueueParams};
use tern_domain::Locale;
use tern_domain::ticket::TicketState;
use tern_i18n::{t, tf};

use super::chart::{Bar, bar_chart};
use super::page::Ctx;
use super::support::{categories, label, lines};
use crate::state::HttpState;

async fn staff(ctx: &Ctx, action: &str) -> Result<Principal, Response> {
    ctx.require(tern_domain::Permission::WorkTickets, action).await
}

/// `3 min`, `2 h 5 min`, `3 d 4 h`.
pub(super) fn duration_text(locale: Locale, secs: Option<i64>) -> String {
    let Some(secs) = secs else {
        return t(locale, "support.admin.no_figure").to_owned();
    };
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    let (key, args) = if d > 0 {
        ("support.admin.days_hours", [("d", d), ("h", h)])
    } else if h > 0 {
        ("support.admin.hours_minutes", [("h", h), ("m", m)])
    } else {
        (
            "support.admin.minutes",
            [("m", m.max(if secs > 0 { 1 } else { 0 })), ("h", 0)],
        )
    };
    let args: Vec<(&str, String)> = args.iter().map(|(k, v)| (*k, v.to_string())).collect();
    let refs: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    tf(locale, key, &refs)
}

/// Every active support and admin account, for the assign form and names.
async fn staff_list(ctx: &Ctx) -> Vec<StaffMember> {
    tickets::staff(&ctx.state.app).await.unwrap_or_else(|e| {
        // Without names the queue still works: ids are shown instead.
        tracing::warn!(error = %e, "could not list staff for the ticket console");
        Vec::new()
    })
}

fn staff_name(list: &[StaffMember], id: Option<&str>) -> Option<String> {
    let id = id?;
    Some(
        list.iter()
            .find(|m| m.id == id)
            .and_then(|m| m.email.clone())
            .unwrap_or_else(|| id.to_owned()),
    )
}

fn row(l: Locale, v: &AdminTicketView, people: &[StaffMember]) -> Value {
    json!({ "id": v.id, "short": &v.id[v.id.len().saturating_sub(8)..], "subject": v.subject, "erased": v.erased,
            "state": v.state, "state_text": label(l, "state", v.state.as_str()), "category_text": label(l, "category", &v.category),
            "assignee": staff_name(people, v.assignee_id.as_deref()), "last_message_at": v.last_message_at,
            "first_response": duration_text(l, v.first_response_secs), "resolution": duration_text(l, v.resolution_secs),
            "answered": v.first_response_secs.is_some() })
}

/// The figures and the tickets-per-day chart (the queue and the dashboard).
pub(super) async fn figures(ctx: &Ctx) -> Value {
    let l = ctx.locale;
    let Ok(s) = tickets::stats(&ctx.state.app).await else {
        return Value::Null;
    };
    let days = tickets::STATS_DAYS;
    let today = ctx.state.app.now_ms() / 86_400_000;
    let bars: Vec<Bar> = (today - days + 1..=today)
        .map(|d| Bar {
            label: to_datetime(d * 86_400_000).format("%m-%d").to_string(),
            value: s
                .opened_per_day
                .iter()
                .find(|(day, _)| *day == d)
                .map_or(0.0, |(_, n)| *n as f64),
        })
        .collect();
    let chart = bar_chart(
        t(l, "support.admin.chart_title"),
        &tf(l, "support.admin.chart_desc", &[("days", &days.to_string())]),
        t(l, "support.admin.chart_unit"),
        &bars,
    );
    json!({ "open": s.open, "awaiting": s.awaiting_first_response, "answered": s.answered,
            "median_first": duration_text(l, s.median_first_response_secs),
            "avg_first": duration_text(l, s.avg_first_response_secs),
            "avg_resolution": duration_text(l, s.avg_resolution_secs), "chart": chart, "days": days })
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct Filters {
    state: String,
    assignee: String,
    category: String,
}

pub async fn list(State(s): State<HttpState>, headers: HeaderMap, Query(f): Query<Filters>) -> Response {
    let ctx = Ctx::load(s, &headers, "/admin/tickets").await;
    let who = match staff(&ctx, "portal.admin.tickets").await {
        Ok(w) => w,
        Err(r) => return r,
    };
    let l = ctx.locale;
    let app = &ctx.state.app;
    let some = |s: &str| Some(s.to_owned()).filter(|s| !s.is_empty());
    let params = QueueParams {
        state: some(&f.state),
        assignee: some(&f.assignee),
        category: some(&f.category),
        limit: Some(200),
    };
    let people = staff_list(&ctx).await;
    let (rows, error) = match tickets::queue(app, &who.account_id, &params).await {
        Ok(r) => (r.iter().map(|v| row(l, v, &people)).collect::<Vec<_>>(), None),
        Err(e) => (Vec::new(), Some(ctx.errors(&e))),
    };
    let states: Vec<Value> = TicketState::ALL
        .iter()
        .map(|s| json!({ "value": s.as_str(), "text": label(l, "state", s.as_str()), "selected": f.state == s.as_str() }))
        .collect();
    let mut assignees = vec![
        json!({ "value": "me", "text": t(l, "support.admin.assignee_me"), "selected": f.assignee == "me" }),
        json!({ "value": "none", "text": t(l, "support.admin.assignee_none"), "selected": f.assignee == "none" }),
    ];
    assignees.extend(people.iter().map(|m| {
        json!({ "value": m.id, "text": m.email.clone().unwrap_or_else(|| m.id.to_string()), "selected": m.id == f.assignee.as_str() })
    }));
    ctx.render(
        "admin_tickets.html",
        json!({ "queue": rows, "queue_error": error, "figures": figures(&ctx).await, "states": states,
                "assignees": assignees, "categories": categories(l, &f.category) }),
    )
}

async fn detail_page(
    ctx: &Ctx,
    who: &Principal,
    id: &tern_domain::TicketId,
    status: StatusCode,
    errors: Value,
) -> Response {
    let l = ctx.locale;
    match tickets::show_for_staff(&ctx.state.app, &who.account_id, id).await {
        Ok(v) => {
            let people = staff_list(ctx).await;
            let messages: Vec<Value> = v
                .messages
                .as_deref()
                .unwrap_or_default()
                .iter()
                .map(|m| {
                    let author = match m.staff_id.as_deref() {
                        Some(_) => staff_name(&people, m.staff_id.as_deref()).unwrap_or_default(),
                        None => t(l, "support.admin.customer").to_owned(),
                    };
                    json!({ "from_support": m.author == "staff", "author": author, "lines": lines(&m.body), "created_at": m.created_at })
                })
                .collect();
            let options: Vec<Value> = people
                .iter()
                .map(|m| json!({ "value": m.id, "text": m.email.clone().unwrap_or_else(|| m.id.to_string()), "selected": v.assignee_id.as_deref() == Some(m.id.as_str()) }))
                .collect();
            let states: Vec<Value> = TicketState::ALL
                .iter()
                .filter(|s| **s != v.state)
                .map(|s| json!({ "value": s.as_str(), "text": label(l, "state", s.as_str()) }))
                .collect();
            ctx.render_status(
                status,
                "admin_ticket.html",
                json!({ "ticket": row(l, &v, &people), "tk": v, "messages": messages, "staff": options, "states": states,
                        "errors": errors, "open": v.state != TicketState::Closed }),
            )
        }
        Err(e) => ctx.render_status(
            crate::error::status_of(&e),
            "message.html",
            json!({ "title": t(l, "error.not_found"), "body": crate::error::message(e.code(), l), "link": "/admin/tickets", "link_text": t(l, "support.admin.title") }),
        ),
    }
}

pub async fn show(State(s): State<HttpState>, headers: HeaderMap, Path(id): Path<tern_domain::TicketId>) -> Response {
    let ctx = Ctx::load(s, &headers, &format!("/admin/tickets/{id}")).await;
    let who = match staff(&ctx, "portal.admin.ticket").await {
        Ok(w) => w,
        Err(r) => return r,
    };
    detail_page(&ctx, &who, &id, StatusCode::OK, json!({})).await
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ActionForm {
    csrf: String,
    body: String,
    staff_id: String,
    state: String,
}

/// `POST /admin/tickets/{id}/{reply|assign|state}`.
pub async fn act(
    State(s): State<HttpState>,
    headers: HeaderMap,
    Path((id, action)): Path<(tern_domain::TicketId, String)>,
    Form(f): Form<ActionForm>,
) -> Response {
    let ctx = Ctx::load(s, &headers, &format!("/admin/tickets/{id}")).await;
    if let Err(r) = ctx.check_csrf(&f.csrf) {
        return r;
    }
    let who = match staff(&ctx, &format!("portal.admin.ticket.{action}")).await {
        Ok(w) => w,
        Err(r) => return r,
    };
    let app = &ctx.state.app;
    let actor = &who.account_id;
    let result = match action.as_str() {
        "reply" => tickets::reply_as_staff(app, actor, &id, &f.body).await,
        "assign" => tickets::assign(app, actor, &id, Some(f.staff_id.as_str()).filter(|s| !s.is_empty())).await,
        "state" => tickets::set_state(app, actor, &id, &f.state).await,
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    match result {
        Ok(v) => Redirect::to(&format!("/admin/tickets/{}", v.id)).into_response(),
        Err(e @ AppError::NotFound) => detail_page(&ctx, &who, &id, StatusCode::NOT_FOUND, ctx.errors(&e)).await,
        Err(e) => detail_page(&ctx, &who, &id, crate::error::status_of(&e), ctx.errors(&e)).await,
    }
}
