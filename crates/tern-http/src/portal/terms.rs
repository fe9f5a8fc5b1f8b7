//! The terms page: the version in effect, and — for a signed-in traveller
//! who has not accepted a version that requires it — the form to accept,
//! which every other signed-in page redirects to until then.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;
use tern_i18n::t;

use super::page::{Ctx, safe_next};
use crate::state::HttpState;

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct NextQuery {
    next: String,
}

async fn page(ctx: &Ctx, next: &str, error: Option<String>) -> Response {
    match tern_app::terms::current(&ctx.state.app, ctx.locale).await {
        Ok(terms) => ctx.render(
            "terms.html",
            json!({ "terms": terms, "pending": ctx.terms_pending, "next": next, "error": error }),
        ),
        Err(e) => ctx.render_status(
            crate::error::status_of(&e),
            "message.html",
            json!({ "title": t(ctx.locale, "terms.title"), "body": t(ctx.locale, "terms.none"), "link": "/", "link_text": t(ctx.locale, "terms.home") }),
        ),
    }
}

pub async fn show(State(s): State<HttpState>, headers: HeaderMap, Query(q): Query<NextQuery>) -> Response {
    let ctx = Ctx::load(s, &headers, "/terms").await;
    page(&ctx, &q.next, None).await
}

#[derive(Debug, serde::Deserialize)]
pub struct AcceptForm {
    /// Missing is refused like a wrong token (403), not as a bad form.
    #[serde(default)]
    csrf: String,
    /// Text, so that a tampered value is answered on the page (as an
    /// unknown version) rather than as a bare form rejection.
    #[serde(default)]
    version: String,
    #[serde(default)]
    next: String,
}

/// `POST /terms/accept`, then on to where the traveller was going.
pub async fn accept(State(s): State<HttpState>, headers: HeaderMap, Form(f): Form<AcceptForm>) -> Response {
    let ctx = Ctx::load(s, &headers, "/terms").await;
    let who = match ctx.form_user(&f.csrf) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let accepted = match tern_app::terms::parse_version(&f.version) {
        Ok(version) => tern_app::terms::accept(&ctx.state.app, &who, version).await,
        Err(e) => Err(e),
    };
    match accepted {
        Ok(_) => Redirect::to(&safe_next(if f.next.is_empty() { "/account" } else { &f.next })).into_response(),
        Err(e) => {
            let msg = crate::error::message(e.code(), ctx.locale);
            let mut r = page(&ctx, &f.next, Some(msg)).await;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            r
        }
    }
}
