//! The traveller's eSIMs and orders.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Value, json};
use tern_app::{esims, orders};
use tern_domain::Locale;
use tern_domain::order::OrderState;
use tern_i18n::{t, tf};

use super::page::Ctx;
use super::shop::size_text;
use crate::state::HttpState;

fn state_text(kind: &str, state: &str, locale: Locale) -> String {
    let key = format!("{kind}.state.{state}");
    let s = t(locale, &key);
    if s == key { state.to_owned() } else { s.to_owned() }
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct NoticeQuery {
    notice: String,
}

pub async fn list(State(s): State<HttpState>, headers: HeaderMap, Query(q): Query<NoticeQuery>) -> Response {
    let ctx = Ctx::load(s, &headers, "/esims").await;
    let who = match ctx.require_login() {
        Ok(w) => w.clone(),
        Err(r) => return r,
    };
    let app = &ctx.state.app;
    let list: Vec<Value> = page_try!(ctx, esims::list(app, &who).await)
        .into_iter()
        .map(|e| json!({ "iccid": e.iccid, "state_text": state_text("esim", e.state.as_str(), ctx.locale) }))
        .collect();
    let all_orders = page_try!(ctx, orders::list(app, &who).await);
    let pending = all_orders.iter().any(|o| o.state == OrderState::Provisioning);
    let names = plan_names(app, all_orders.iter().map(|o| o.plan_code.as_str()), ctx.locale).await;
    let orders: Vec<Value> = all_orders
        .iter()
        .map(|o| {
            json!({ "id": o.id, "plan_name": names.get(o.plan_code.as_str()).map_or(o.plan_code.as_str(), String::as_str),
                    "price_text": o.price.to_string(), "created_at": o.created_at,
                    "state": o.state, "state_text": state_text("order", o.state.as_str(), ctx.locale) })
        })
        .collect();
    let notice = (!q.notice.is_empty()).then(|| t(ctx.locale, &format!("notice.{}", q.notice)).to_owned());
    ctx.render(
        "esims.html",
        json!({ "esims": list, "orders": orders, "orders_pending": pending, "notice": notice }),
    )
}

/// The names, in `locale`, of the plans with these codes (inactive ones
/// too, so old orders keep theirs); a plan that cannot be read keeps its
/// code.
async fn plan_names<'a>(
    app: &tern_app::App,
    codes: impl Iterator<Item = &'a str>,
    locale: tern_domain::Locale,
) -> std::collections::HashMap<&'a str, String> {
    let mut names = std::collections::HashMap::new();
    for code in codes {
        if names.contains_key(code) {
            continue;
        }
        if let Ok(plan) = tern_app::catalogue::get(app, code).await {
            names.insert(code, plan.name().get(locale).to_owned());
        }
    }
    names
}

async fn detail(ctx: &Ctx, iccid: &str, status: StatusCode, notice: Option<String>, errors: Value) -> Response {
    let Some(who) = ctx.who.as_ref() else {
        return Redirect::to(&format!("/login?next=/esims/{iccid}")).into_response();
    };
    let app = &ctx.state.app;
    let e = match esims::get(app, who, iccid).await {
        Ok(e) => e,
        Err(err) => {
            return ctx.render_status(
                crate::error::status_of(&err),
                "message.html",
                json!({ "title": t(ctx.locale, "error.not_found"), "body": crate::error::message(err.code(), ctx.locale), "link": "/esims", "link_text": t(ctx.locale, "esims.title") }),
            );
        }
    };
    let names = plan_names(app, e.packages.iter().map(|p| p.plan_code.as_str()), ctx.locale).await;
    let packages: Vec<Value> = e
        .packages
        .iter()
        .map(|p| {
            let mb = |b: i64| size_text(u64::try_from(b.max(0)).unwrap_or(0) / (1024 * 1024));
            let data_text = match (p.data_limit_bytes, p.data_left_bytes) {
                (Some(limit), Some(left)) => tf(ctx.locale, "esim.data_left", &[("left", &mb(left)), ("limit", &mb(limit))]),
                _ => tf(ctx.locale, "esim.data_unlimited", &[("used", &mb(p.data_used_bytes))]),
            };
            let validity_text = match &p.expires_at {
                Some(at) => tf(ctx.locale, "esim.valid_until", &[("at", &format!("{} UTC", at.replace('T', " ").get(..16).unwrap_or(at)))]),
                None => tf(ctx.locale, "esim.valid_days_from", &[("n", &p.validity_days.to_string()), ("when", t(ctx.locale, &format!("esim.starts.{}", p.activation)))]),
            };
            json!({ "plan_name": names.get(p.plan_code.as_str()).map_or(p.plan_code.as_str(), String::as_str), "state_text": state_text("package", p.state.as_str(), ctx.locale), "data_text": data_text, "validity_text": validity_text })
        })
        .collect();
    let state = state_text("esim", e.state.as_str(), ctx.locale);
    let usage = tern_app::usage::series(app, who, iccid).await.ok();
    let chart = usage.as_ref().filter(|u| !u.days.is_empty()).map(|u| {
        let bars: Vec<super::chart::Bar> = u
            .days
            .iter()
            .map(|d| super::chart::Bar {
                label: d.date.get(5..).unwrap_or(&d.date).to_owned(),
                value: d.data_bytes as f64 / 1_048_576.0,
            })
            .collect();
        let total = size_text(u64::try_from(u.totals.data_bytes.max(0)).unwrap_or(0) / (1024 * 1024));
        let desc = tf(
            ctx.locale,
            "esim.chart_desc",
            &[("days", &u.days.len().to_string()), ("total", &total)],
        );
        super::chart::bar_chart(t(ctx.locale, "esim.chart_title"), &desc, "MB", &bars)
    });
    ctx.render_status(
        status,
        "esim.html",
        json!({ "esim": e, "state_text": state, "packages": packages, "chart": chart, "emulator": app.emulator_url.is_some(), "notice": notice, "errors": errors }),
    )
}

pub async fn show(
    State(s): State<HttpState>,
    headers: HeaderMap,
    Path(iccid): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let ctx = Ctx::load(s, &headers, &format!("/esims/{iccid}")).await;
    let notice = (!q.notice.is_empty()).then(|| t(ctx.locale, &format!("notice.{}", q.notice)).to_owned());
    detail(&ctx, &iccid, StatusCode::OK, notice, json!({})).await
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn simulate_install(
    State(s): State<HttpState>,
    headers: HeaderMap,
    Path(iccid): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let ctx = Ctx::load(s, &headers, &format!("/esims/{iccid}")).await;
    let who = match ctx.form_user(&f.csrf) {
        Ok(w) => w,
        Err(r) => return r,
    };
    match esims::simulate_install(&ctx.state.app, &who, &iccid).await {
        Ok(()) => {
            // The emulator calls back within moments; give it a beat so the
            // page shows the new state.
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            Redirect::to(&format!("/esims/{iccid}?notice=install_simulated")).into_response()
        }
        Err(e) => {
            let errors = ctx.errors(&e);
            detail(&ctx, &iccid, crate::error::status_of(&e), None, errors).await
        }
    }
}

pub async fn cancel_order(
    State(s): State<HttpState>,
    headers: HeaderMap,
    Path(id): Path<tern_domain::OrderId>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let ctx = Ctx::load(s, &headers, "/esims").await;
    let who = match ctx.form_user(&f.csrf) {
        Ok(w) => w,
        Err(r) => return r,
    };
    match orders::cancel(&ctx.state.app, &who, &id).await {
        Ok(_) => Redirect::to("/esims?notice=order_canceled").into_response(),
        Err(e) => {
            let msg = crate::error::message(e.code(), ctx.locale);
            ctx.render_status(
                crate::error::status_of(&e),
                "message.html",
                json!({ "title": t(ctx.locale, "orders.cannot_cancel"), "body": msg, "link": "/esims", "link_text": t(ctx.locale, "esims.title") }),
            )
        }
    }
}
