//! The sandbox gateway's hosted checkout page, and the wallet's top-up form.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Value, json};
use tern_app::AppError;
use tern_app::payments::{self, TestCardOutcome, sandbox_charge};
use tern_domain::Money;
use tern_i18n::t;

use super::page::Ctx;
use crate::state::HttpState;

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct TopUpForm {
    csrf: String,
    amount: String,
}

/// Starts a top-up from the wallet page and goes to the checkout.
pub async fn start(State(s): State<HttpState>, headers: HeaderMap, Form(f): Form<TopUpForm>) -> Response {
    let ctx = Ctx::load(s, &headers, "/wallet").await;
    let who = match ctx.form_user(&f.csrf) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let minor = tern_app::wallet::currency(&ctx.state.app)
        .ok()
        .and_then(|c| Money::parse_decimal(&f.amount, c).ok())
        .map(|m| m.amount_minor)
        .unwrap_or(-1);
    match payments::start(&ctx.state.app, &who, minor).await {
        Ok(t) => Redirect::to(&format!("/sandbox/checkout/{}", t.id)).into_response(),
        Err(_) => Redirect::to("/wallet?notice=top_up_amount").into_response(),
    }
}

async fn page(ctx: &Ctx, id: &tern_domain::TopUpId, status: StatusCode, errors: Value) -> Response {
    let Some(who) = ctx.who.as_ref() else {
        return Redirect::to(&format!("/login?next=/sandbox/checkout/{id}")).into_response();
    };
    match payments::get(&ctx.state.app, who, id).await {
        Ok(t) => ctx.render_status(
            status,
            "checkout.html",
            json!({ "top_up": { "id": t.id, "state": t.state }, "amount_text": t.amount.to_string(), "errors": errors }),
        ),
        Err(e) => ctx.render_status(
            crate::error::status_of(&e),
            "message.html",
            json!({ "title": t(ctx.locale, "error.not_found"), "body": crate::error::message(e.code(), ctx.locale) }),
        ),
    }
}

pub async fn show(State(s): State<HttpState>, headers: HeaderMap, Path(id): Path<tern_domain::TopUpId>) -> Response {
    let ctx = Ctx::load(s, &headers, &format!("/sandbox/checkout/{id}")).await;
    page(&ctx, &id, StatusCode::OK, json!({})).await
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct PayForm {
    csrf: String,
    card_number: String,
}

pub async fn pay(
    State(s): State<HttpState>,
    headers: HeaderMap,
    Path(id): Path<tern_domain::TopUpId>,
    Form(f): Form<PayForm>,
) -> Response {
    let ctx = Ctx::load(s, &headers, &format!("/sandbox/checkout/{id}")).await;
    let who = match ctx.form_user(&f.csrf) {
        Ok(w) => w,
        Err(r) => return r,
    };
    match sandbox_charge(&ctx.state.app, &who, &id, &f.card_number).await {
        Ok(TestCardOutcome::Approved) => Redirect::to("/wallet?notice=top_up_succeeded").into_response(),
        Ok(TestCardOutcome::Declined) => Redirect::to("/wallet?notice=top_up_declined").into_response(),
        Err(AppError::NotFound) => page(&ctx, &id, StatusCode::NOT_FOUND, json!({})).await,
        Err(e) => {
            let errors = ctx.errors(&e);
            page(&ctx, &id, crate::error::status_of(&e), errors).await
        }
    }
}
