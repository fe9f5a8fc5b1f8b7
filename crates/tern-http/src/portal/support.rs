//! The traveller's support pages: their tickets, a form to open one (about
//! one of their own orders or eSIMs, if they like), and a ticket's thread
//! with a reply form. Messages are shown as escaped plain text, line by
//! line, so nothing anyone writes can become markup.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Value, json};
use tern_app::auth::Principal;
use tern_app::tickets::{self, NewTicket, TicketView};
use tern_app::{AppError, esims, orders};
use tern_domain::Locale;
use tern_domain::ticket::TicketCategory;
use tern_i18n::t;

use super::page::Ctx;
use crate::state::HttpState;

/// A label from the support strings, or the raw value when there is none.
pub(super) fn label(locale: Locale, kind: &str, value: &str) -> String {
    let key = format!("support.{kind}.{value}");
    let s = t(locale, &key);
    if s == key { value.to_owned() } else { s.to_owned() }
}

/// A message body as lines, for the template to join with `<br>` (each
/// line escaped by the template).
pub(super) fn lines(body: &str) -> Vec<&str> {
    body.split('\n').collect()
}

pub(super) fn categories(locale: Locale, selected: &str) -> Vec<Value> {
    TicketCategory::ALL
        .iter()
        .map(|c| json!({ "value": c.as_str(), "text": label(locale, "category", c.as_str()), "selected": c.as_str() == selected }))
        .collect()
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct NoticeQuery {
    notice: String,
}

#[derive(Debug, Default, Clone, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct NewTicketForm {
    csrf: String,
    category: String,
    subject: String,
    body: String,
    order_id: String,
    iccid: String,
}

async fn list_page(ctx: &Ctx, who: &Principal, status: StatusCode, form: &NewTicketForm, errors: Value) -> Response {
    let app = &ctx.state.app;
    let l = ctx.locale;
    let mine: Vec<Value> = page_try!(ctx, tickets::list_mine(app, who).await)
        .iter()
        .map(|v| {
            json!({ "id": v.id, "subject": v.subject, "state": v.state, "state_text": label(l, "state", v.state.as_str()),
                    "category_text": label(l, "category", &v.category), "last_message_at": v.last_message_at })
        })
        .collect();
    let my_orders: Vec<Value> = page_try!(ctx, orders::list(app, who).await)
        .iter()
        .map(|o| json!({ "value": o.id, "text": format!("{} · {}", o.plan_code, &o.created_at[..10.min(o.created_at.len())]), "selected": o.id == *form.order_id }))
        .collect();
    let my_esims: Vec<Value> = page_try!(ctx, esims::list(app, who).await)
        .iter()
        .map(|e| json!({ "value": e.iccid, "text": e.iccid, "selected": e.iccid.as_str() == form.iccid }))
        .collect();
    let staff = who.role.is_staff() && who.role != tern_domain::Role::Finance;
    ctx.render_status(
        status,
        "support.html",
        json!({ "tickets": mine, "categories": categories(l, &form.category), "orders": my_orders, "esims": my_esims,
                "ticket_form": form, "errors": errors, "is_staff": staff }),
    )
}

pub async fn list(State(s): State<HttpState>, headers: HeaderMap) -> Response {
    let ctx = Ctx::load(s, &headers, "/support").await;
    let who = match ctx.require_login() {
        Ok(w) => w.clone(),
        Err(r) => return r,
    };
    list_page(&ctx, &who, StatusCode::OK, &NewTicketForm::default(), json!({})).await
}

/// `POST /support`: opens a ticket, then shows it.
pub async fn create(State(s): State<HttpState>, headers: HeaderMap, Form(f): Form<NewTicketForm>) -> Response {
    let ctx = Ctx::load(s, &headers, "/support").await;
    let who = match ctx.form_user(&f.csrf) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let input = NewTicket {
        category: f.category.clone(),
        subject: f.subject.clone(),
        body: f.body.clone(),
        order_id: Some(f.order_id.clone()).filter(|s| !s.is_empty()),
        iccid: Some(f.iccid.clone()).filter(|s| !s.is_empty()),
    };
    match tickets::open(&ctx.state.app, &who, &input).await {
        Ok(v) => Redirect::to(&format!("/support/{}?notice=created", v.id)).into_response(),
        Err(e) => list_page(&ctx, &who, crate::error::status_of(&e), &f, ctx.errors(&e)).await,
    }
}

async fn thread_page(
    ctx: &Ctx,
    id: &tern_domain::TicketId,
    status: StatusCode,
    notice: Option<String>,
    errors: Value,
) -> Response {
    let Some(who) = ctx.who.as_ref() else {
        return Redirect::to(&format!("/login?next=/support/{}", super::page::urlencode(id))).into_response();
    };
    match tickets::show_mine(&ctx.state.app, who, id).await {
        Ok(v) => ctx.render_status(
            status,
            "support_ticket.html",
            thread_values(ctx.locale, &v, notice, errors),
        ),
        Err(e) => not_found(ctx, &e),
    }
}

fn thread_values(l: Locale, v: &TicketView, notice: Option<String>, errors: Value) -> Value {
    let messages: Vec<Value> = v
        .messages
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|m| {
            json!({ "from_support": m.author == "support", "author": t(l, if m.author == "support" { "support.author_support" } else { "support.author_you" }),
                    "lines": lines(&m.body), "created_at": m.created_at })
        })
        .collect();
    json!({ "ticket": v, "state_text": label(l, "state", v.state.as_str()), "category_text": label(l, "category", &v.category),
            "messages": messages, "notice": notice, "errors": errors, "open": v.state != tern_domain::ticket::TicketState::Closed,
            "closure_link": v.closure_link.as_ref().map(|_| "/account/close") })
}

fn not_found(ctx: &Ctx, e: &AppError) -> Response {
    ctx.render_status(
        crate::error::status_of(e),
        "message.html",
        json!({ "title": t(ctx.locale, "error.not_found"), "body": crate::error::message(e.code(), ctx.locale),
                "link": "/support", "link_text": t(ctx.locale, "support.title") }),
    )
}

pub async fn show(
    State(s): State<HttpState>,
    headers: HeaderMap,
    Path(id): Path<tern_domain::TicketId>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let ctx = Ctx::load(s, &headers, &format!("/support/{id}")).await;
    if let Err(r) = ctx.require_login() {
        return r;
    }
    let notice = matches!(q.notice.as_str(), "created" | "sent" | "closed")
        .then(|| t(ctx.locale, &format!("support.notice_{}", q.notice)).to_owned());
    thread_page(&ctx, &id, StatusCode::OK, notice, json!({})).await
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ReplyForm {
    csrf: String,
    body: String,
}

/// `POST /support/{id}/reply` and `POST /support/{id}/close`.
pub async fn act(
    State(s): State<HttpState>,
    headers: HeaderMap,
    Path((id, action)): Path<(tern_domain::TicketId, String)>,
    Form(f): Form<ReplyForm>,
) -> Response {
    let ctx = Ctx::load(s, &headers, &format!("/support/{id}")).await;
    let who = match ctx.form_user(&f.csrf) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let app = &ctx.state.app;
    let (result, notice) = match action.as_str() {
        "reply" => (tickets::reply_mine(app, &who, &id, &f.body).await, "sent"),
        "close" => (tickets::close_mine(app, &who, &id).await, "closed"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    match result {
        Ok(_) => Redirect::to(&format!("/support/{id}?notice={notice}")).into_response(),
        Err(e @ (AppError::NotFound | AppError::Missing(_))) => not_found(&ctx, &e),
        Err(e) => thread_page(&ctx, &id, crate::error::status_of(&e), None, ctx.errors(&e)).await,
    }
}
