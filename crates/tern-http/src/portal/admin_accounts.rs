//! The console's accounts: search by email, phone, ICCID or order id; one
//! account in full, with the wallet adjustment form for finance and admin
//! and a link to hold its closure for support and admin.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Value, json};
use tern_app::Code;
use tern_app::console::{self, AdjustmentInput};
use tern_domain::{Money, Permission};
use tern_i18n::t;

use super::page::{Ctx, urlencode};
use crate::state::HttpState;

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct SearchQuery {
    q: String,
}

/// `GET /admin/accounts?q=`.
pub async fn search(State(s): State<HttpState>, headers: HeaderMap, Query(q): Query<SearchQuery>) -> Response {
    let ctx = Ctx::load(s, &headers, "/admin/accounts").await;
    let who = match ctx.require(Permission::ViewAccounts, "portal.admin.accounts").await {
        Ok(w) => w,
        Err(r) => return r,
    };
    let query = q.q.trim().to_owned();
    let (rows, errors) = if query.is_empty() {
        (Vec::new(), Value::Null)
    } else {
        match console::search(&ctx.state.app, &who.account_id, &query).await {
            Ok(r) => (r, Value::Null),
            Err(e) => (Vec::new(), ctx.errors(&e)),
        }
    };
    ctx.render(
        "admin_accounts.html",
        json!({ "q": query, "searched": !query.is_empty(), "rows": rows, "errors": errors }),
    )
}

fn money(minor: i64, currency: &str) -> String {
    match tern_domain::Currency::parse(currency) {
        Ok(c) => Money::new(minor, c).to_string(),
        Err(_) => format!("{minor} {currency}"),
    }
}

async fn page(
    ctx: &Ctx,
    id: &tern_domain::AccountId,
    status: StatusCode,
    notice: Option<String>,
    errors: Value,
    form: Value,
) -> Response {
    let Some(who) = ctx.who.clone() else {
        return Redirect::to("/login?next=/admin/accounts").into_response();
    };
    let a = match console::account(&ctx.state.app, &who.account_id, id).await {
        Ok(a) => a,
        Err(e) => {
            return ctx.render_status(
                crate::error::status_of(&e),
                "message.html",
                json!({ "title": t(ctx.locale, "error.not_found"), "body": crate::error::message(e.code(), ctx.locale),
                        "link": "/admin/accounts", "link_text": t(ctx.locale, "console.accounts.title") }),
            );
        }
    };
    let cur = a.wallet.currency.clone();
    let ledger: Vec<Value> = a
        .wallet
        .ledger
        .iter()
        .map(|l| json!({ "kind": l.kind, "reference": l.reference, "amount_text": l.amount.to_string(), "at": l.at }))
        .collect();
    let adjustments: Vec<Value> = a
        .wallet
        .adjustments
        .iter()
        .map(|x| {
            json!({ "amount_text": money(x.amount_minor, &x.currency), "bucket": x.bucket, "reason": x.reason,
                    "actor_id": x.actor_id, "at": x.created_at })
        })
        .collect();
    let orders: Vec<Value> = a
        .orders
        .iter()
        .map(|o| json!({ "id": o.id, "plan_code": o.plan_code, "state": o.state, "price_text": o.price.to_string(), "created_at": o.created_at, "iccid": o.iccid }))
        .collect();
    let audit: Vec<Value> = a
        .audit
        .iter()
        .map(|e| json!({ "at": e.at, "actor": e.actor, "action": e.action, "subject": e.subject, "details": e.details.to_string() }))
        .collect();
    let can_hold = a.closure.as_ref().is_some_and(|c| c.state.can_be_held());
    ctx.render_status(
        status,
        "admin_account.html",
        json!({ "a": a, "ledger": ledger, "adjustments": adjustments, "orders": orders, "audit": audit,
                "cash_text": money(a.wallet.cash_minor, &cur), "promo_text": money(a.wallet.promo_minor, &cur),
                "currency": cur, "notice": notice, "errors": errors, "form": form,
                "can_adjust": who.role.can(Permission::AdjustWallets),
                "can_hold": can_hold && who.role.can(Permission::HoldClosures),
                "idempotency_key": tern_app::tokens::new_id() }),
    )
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct NoticeQuery {
    notice: String,
}

/// `GET /admin/accounts/{id}`.
pub async fn show(
    State(s): State<HttpState>,
    headers: HeaderMap,
    Path(id): Path<tern_domain::AccountId>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let ctx = Ctx::load(s, &headers, &format!("/admin/accounts/{}", urlencode(&id))).await;
    if let Err(r) = ctx.require(Permission::ViewAccounts, "portal.admin.account").await {
        return r;
    }
    let notice = (q.notice == "adjusted").then(|| t(ctx.locale, "console.adjust.done").to_owned());
    page(&ctx, &id, StatusCode::OK, notice, Value::Null, Value::Null).await
}

#[derive(Debug, serde::Deserialize)]
pub struct AdjustForm {
    /// Missing is refused like a wrong token (403), not as a bad form.
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    bucket: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    key: String,
}

/// `POST /admin/accounts/{id}/wallet-adjustments` (finance, admin).
pub async fn adjust(
    State(s): State<HttpState>,
    headers: HeaderMap,
    Path(id): Path<tern_domain::AccountId>,
    Form(f): Form<AdjustForm>,
) -> Response {
    let ctx = Ctx::load(s, &headers, &format!("/admin/accounts/{}", urlencode(&id))).await;
    if let Err(r) = ctx.check_csrf(&f.csrf) {
        return r;
    }
    let who = match ctx
        .require(Permission::AdjustWallets, "portal.admin.wallet_adjustments.create")
        .await
    {
        Ok(w) => w,
        Err(r) => return r,
    };
    let app = &ctx.state.app;
    let form = json!({ "amount": f.amount, "bucket": f.bucket, "reason": f.reason });
    let Some(amount) = tern_app::wallet::currency(app)
        .ok()
        .and_then(|c| Money::parse_decimal(&f.amount, c).ok())
    else {
        let e = tern_app::AppError::field("amount_minor", Code::AdjustmentAmountInvalid);
        return page(&ctx, &id, StatusCode::UNPROCESSABLE_ENTITY, None, ctx.errors(&e), form).await;
    };
    let input = AdjustmentInput {
        amount_minor: amount.amount_minor,
        currency: amount.currency.as_str().to_owned(),
        bucket: f.bucket.clone(),
        reason: f.reason.clone(),
    };
    let key = Some(f.key.as_str()).filter(|k| !k.is_empty());
    match console::adjust_wallet(app, &who.account_id, &id, input, key).await {
        Ok(_) => Redirect::to(&format!("/admin/accounts/{}?notice=adjusted", urlencode(&id))).into_response(),
        Err(e) => {
            let status = crate::error::status_of(&e);
            page(&ctx, &id, status, None, ctx.errors(&e), form).await
        }
    }
}
