//! The console's payout queue (finance, admin): refunds closure could not
//! send back to a card, to be paid by transfer and marked done.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Value, json};
use tern_app::console;
use tern_domain::payment::RefundState;
use tern_domain::{Currency, Money, Permission};

use super::page::Ctx;
use crate::state::HttpState;

async fn page(ctx: &Ctx, status: StatusCode, error: Option<String>) -> Response {
    let app = &ctx.state.app;
    let view = |r: console::RefundView| {
        let amount = Currency::parse(&r.currency)
            .map(|c| Money::new(r.amount_minor, c).to_string())
            .unwrap_or_default();
        json!({ "id": r.id, "account_id": r.account_id, "closure_id": r.closure_id, "amount_text": amount,
                "created_at": r.created_at, "updated_at": r.updated_at, "reference": r.reference })
    };
    let waiting: Vec<Value> = page_try!(ctx, console::list_refunds(app, RefundState::AwaitingPayout).await)
        .into_iter()
        .map(view)
        .collect();
    let paid: Vec<Value> = page_try!(ctx, console::list_refunds(app, RefundState::PaidOut).await)
        .into_iter()
        .map(view)
        .collect();
    ctx.render_status(
        status,
        "admin_refunds.html",
        json!({ "waiting": waiting, "paid": paid, "error": error }),
    )
}

/// `GET /admin/refunds`.
pub async fn list(State(s): State<HttpState>, headers: HeaderMap) -> Response {
    let ctx = Ctx::load(s, &headers, "/admin/refunds").await;
    if let Err(r) = ctx.require(Permission::ApproveRefunds, "portal.admin.refunds").await {
        return r;
    }
    page(&ctx, StatusCode::OK, None).await
}

#[derive(Debug, serde::Deserialize)]
pub struct ApproveForm {
    /// Missing is refused like a wrong token (403), not as a bad form.
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reference: String,
}

/// `POST /admin/refunds/{id}/approve`.
pub async fn approve(
    State(s): State<HttpState>,
    headers: HeaderMap,
    Path(id): Path<tern_domain::RefundId>,
    Form(f): Form<ApproveForm>,
) -> Response {
    let ctx = Ctx::load(s, &headers, "/admin/refunds").await;
    if let Err(r) = ctx.check_csrf(&f.csrf) {
        return r;
    }
    let who = match ctx
        .require(Permission::ApproveRefunds, "portal.admin.refunds.approve")
        .await
    {
        Ok(w) => w,
        Err(r) => return r,
    };
    match console::approve_refund(&ctx.state.app, &who.account_id, &id, Some(f.reference.as_str())).await {
        Ok(_) => Redirect::to("/admin/refunds").into_response(),
        Err(e) => {
            let msg = crate::error::message(e.code(), ctx.locale);
            page(&ctx, crate::error::status_of(&e), Some(msg)).await
        }
    }
}
