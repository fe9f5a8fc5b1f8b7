//! The shop: plans by country, a plan page with checkout, and the wallet.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Value, json};
use tern_app::catalogue::{self, PlanView};
use tern_app::idempotency::{self, Scope};
use tern_app::orders::{self, OrderInput};
use tern_app::wallet;
use tern_domain::Locale;
use tern_domain::catalogue::{Activation, DataAllowance, PlanSpec, Region};
use tern_domain::ledger::TransactionKind;
use tern_domain::order::OrderState;
use tern_i18n::{t, tf};

use super::page::Ctx;
use crate::state::HttpState;

/// "5 GB", "500 MB".
pub fn size_text(mb: u64) -> String {
    match mb {
        0..1024 => format!("{mb} MB"),
        _ if mb.is_multiple_of(1024) => format!("{} GB", mb / 1024),
        _ => format!("{:.1} GB", mb as f64 / 1024.0),
    }
}

/// The plan as lines of text for people.
pub fn describe(spec: &PlanSpec, locale: Locale) -> Value {
    let days = tf(locale, "shop.days", &[("n", &spec.validity_days.to_string())]);
    let data = match spec.data {
        DataAllowance::Limited { mb } => size_text(u64::from(mb)),
        DataAllowance::Unlimited { fair_use_mb } => tf(
            locale,
            "shop.unlimited",
            &[("fair", &size_text(u64::from(fair_use_mb)))],
        ),
    };
    let mut summary = format!("{data} · {days}");
    if spec.voice_minutes > 0 {
        summary.push_str(&format!(
            " · {}",
            tf(locale, "shop.minutes", &[("n", &spec.voice_minutes.to_string())])
        ));
    }
    if spec.sms > 0 {
        summary.push_str(&format!(
            " · {}",
            tf(locale, "shop.sms", &[("n", &spec.sms.to_string())])
        ));
    }
    let countries: Vec<&str> = spec.coverage.as_slice().iter().map(|c| c.as_str()).collect();
    let names = || {
        let mut names: Vec<String> = countries.iter().map(|c| tern_i18n::country_name(locale, c)).collect();
        names.sort_by_cached_key(|n| tern_i18n::collation_key(locale, n));
        names.join(t(locale, "shop.list_separator"))
    };
    let coverage_text = match spec.region {
        Region::Local => names(),
        _ if countries.len() <= 8 => names(),
        _ => tf(locale, "shop.countries", &[("n", &countries.len().to_string())]),
    };
    let activation_text = t(
        locale,
        match spec.activation {
            Activation::OnPurchase => "shop.starts_on_purchase",
            Activation::OnInstall => "shop.starts_on_install",
            Activation::OnFirstUse => "shop.starts_on_first_use",
        },
    );
    json!({
        "code": spec.code.as_str(),
        "display_name": spec.name.get(locale),
        "price_text": spec.price.to_string(),
        "summary": summary,
        "coverage_text": coverage_text,
        "activation_text": activation_text,
    })
}

fn plan_json(p: &PlanView, locale: Locale) -> Value {
    describe(&p.plan, locale)
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct PlansQuery {
    country: String,
}

/// The countries the active plans cover, by name in `locale`, for the
/// destination picker.
async fn destinations(ctx: &Ctx) -> Vec<Value> {
    let all = catalogue::list(&ctx.state.app, None, None, ctx.locale)
        .await
        .unwrap_or_default();
    let codes: std::collections::BTreeSet<&str> = all
        .iter()
        .flat_map(|p| p.plan.coverage.as_slice().iter().map(|c| c.as_str()))
        .collect();
    let mut named: Vec<(String, &str)> = codes
        .into_iter()
        .map(|c| (tern_i18n::country_name(ctx.locale, c), c))
        .collect();
    named.sort_by_cached_key(|(n, _)| tern_i18n::collation_key(ctx.locale, n));
    named
        .into_iter()
        .map(|(name, code)| json!({ "code": code, "name": name }))
        .collect()
}

pub async fn plans(State(s): State<HttpState>, headers: HeaderMap, Query(q): Query<PlansQuery>) -> Response {
    let ctx = Ctx::load(s, &headers, "/plans").await;
    let country = q.country.trim().to_ascii_uppercase();
    let filter = (!country.is_empty()).then_some(country.as_str());
    let countries = destinations(&ctx).await;
    match catalogue::list(&ctx.state.app, filter, None, ctx.locale).await {
        Ok(list) => {
            let plans: Vec<Value> = list.iter().map(|p| plan_json(p, ctx.locale)).collect();
            let country_name = filter.map(|c| tern_i18n::country_name(ctx.locale, c));
            ctx.render(
                "plans.html",
                json!({ "plans": plans, "country": country, "country_name": country_name, "countries": countries }),
            )
        }
        Err(e) => ctx.render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "plans.html",
            json!({ "plans": [], "country": country, "countries": countries, "error": crate::error::message(
                match &e { tern_app::AppError::Validation(f) => f.first().map_or("validation_failed", |x| x.code), other => other.code().as_str() },
                ctx.locale) }),
        ),
    }
}

async fn plan_page(ctx: &Ctx, code: &str, status: StatusCode, errors: Value) -> Response {
    let plan = match catalogue::get(&ctx.state.app, code).await {
        Ok(p) if p.is_active() => p,
        _ => {
            return ctx.render_status(
                StatusCode::NOT_FOUND,
                "message.html",
                json!({ "title": t(ctx.locale, "error.not_found"), "body": t(ctx.locale, "shop.no_such_plan"), "link": "/plans", "link_text": t(ctx.locale, "shop.title") }),
            );
        }
    };
    let mut values =
        json!({ "plan": describe(plan.spec(), ctx.locale), "errors": errors, "key": tern_app::tokens::new_token() });
    if let Some(who) = &ctx.who {
        let app = &ctx.state.app;
        if let Ok(w) = wallet::view(app, who).await {
            let price = plan.price();
            let after = w.balance.amount_minor - price.amount_minor;
            values["balance_text"] = json!(w.balance.to_string());
            values["enough"] = json!(after >= 0);
            values["after_text"] = json!(tern_domain::Money::new(after.max(0), price.currency).to_string());
            values["short_text"] = json!(tern_domain::Money::new((-after).max(0), price.currency).to_string());
        }
        let esims: Vec<Value> = page_try!(ctx, tern_app::esims::list(app, who).await)
            .into_iter()
            .filter(|e| !e.state.is_stopped() && e.state != tern_domain::esim::EsimState::Error)
            .map(|e| json!({ "iccid": e.iccid }))
            .collect();
        values["esims"] = json!(esims);
        if let Some(at) = recent_purchase(app, who, plan.code().as_str()).await {
            values["recent_purchase_at"] = json!(at);
        }
    }
    ctx.render_status(status, "plan.html", values)
}

/// When the traveller bought this plan in the last 15 minutes: a second
/// purchase then needs an explicit "yes, again" (Back and Pay would
/// otherwise buy twice, as the page gets a fresh idempotency key).
async fn recent_purchase(app: &tern_app::App, who: &tern_app::auth::Principal, code: &str) -> Option<String> {
    let cutoff = chrono::Utc::now() - chrono::Duration::minutes(15);
    orders::list(app, who).await.ok()?.into_iter().find_map(|o| {
        let at = chrono::DateTime::parse_from_rfc3339(&o.created_at).ok()?;
        (o.plan_code == code && at > cutoff && o.state != OrderState::Failed && o.state != OrderState::Canceled)
            .then(|| at.format("%H:%M UTC").to_string())
    })
}

pub async fn plan(State(s): State<HttpState>, headers: HeaderMap, Path(code): Path<String>) -> Response {
    let ctx = Ctx::load(s, &headers, &format!("/plans/{code}")).await;
    plan_page(&ctx, &code, StatusCode::OK, json!({})).await
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct BuyForm {
    csrf: String,
    key: String,
    iccid: String,
    again: String,
}

/// Places the order. The form carries an idempotency key made when the
/// page was shown, so a double click or a resubmitted form buys once.
pub async fn buy(
    State(s): State<HttpState>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Form(f): Form<BuyForm>,
) -> Response {
    let ctx = Ctx::load(s, &headers, &format!("/plans/{code}")).await;
    let who = match ctx.form_user(&f.csrf) {
        Ok(w) => w,
        Err(r) => return r,
    };
    // A resubmit of this very form (same key) is answered by the order it
    // made; only a new form within minutes of a purchase needs the tick.
    let key_used = idempotency::seen(&ctx.state.app, &who.account_id, Scope::Order, &f.key)
        .await
        .unwrap_or(false);
    if f.again.is_empty() && !key_used && recent_purchase(&ctx.state.app, &who, &code).await.is_some() {
        let errors = json!({ "general": t(ctx.locale, "shop.confirm_again_needed") });
        return plan_page(&ctx, &code, StatusCode::CONFLICT, errors).await;
    }
    let input = OrderInput {
        plan_code: code.clone(),
        iccid: (!f.iccid.is_empty()).then_some(f.iccid),
    };
    let key = (!f.key.is_empty()).then_some(f.key.as_str());
    match orders::place(&ctx.state.app, &who, input, key).await {
        Ok(_) => Redirect::to("/esims?notice=order_placed").into_response(),
        Err(e) => {
            let errors = ctx.errors(&e);
            plan_page(&ctx, &code, crate::error::status_of(&e), errors).await
        }
    }
}

/// Every kind has a label in both languages (a test in tern-i18n checks).
fn history_label(kind: TransactionKind, locale: Locale) -> String {
    t(locale, &format!("wallet.kind.{kind}")).to_owned()
}

async fn wallet_page(ctx: &Ctx, status: StatusCode, notice: Option<String>, errors: Value) -> Response {
    let Some(who) = ctx.who.as_ref() else {
        return Redirect::to("/login?next=/wallet").into_response();
    };
    let w =
        match wallet::view(&ctx.state.app, who).await {
            Ok(w) => w,
            Err(e) => return ctx.render_status(
                crate::error::status_of(&e),
                "message.html",
                json!({ "title": t(ctx.locale, "error.generic"), "body": crate::error::message(e.code(), ctx.locale) }),
            ),
        };
    let history: Vec<Value> = w
        .history
        .iter()
        .map(|h| json!({ "label": history_label(h.kind, ctx.locale), "at": h.at, "amount_text": h.amount.to_string() }))
        .collect();
    ctx.render_status(
        status,
        "wallet.html",
        json!({
            "balance_text": w.balance.to_string(), "cash_text": w.cash.to_string(), "promo_text": w.promo.to_string(),
            "promo_minor": w.promo.amount_minor, "history": history, "notice": notice, "errors": errors,
        }),
    )
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct NoticeQuery {
    notice: String,
}

pub async fn wallet_show(State(s): State<HttpState>, headers: HeaderMap, Query(q): Query<NoticeQuery>) -> Response {
    let ctx = Ctx::load(s, &headers, "/wallet").await;
    if let Err(r) = ctx.require_login() {
        return r;
    }
    let notice = (!q.notice.is_empty()).then(|| t(ctx.locale, &format!("notice.{}", q.notice)).to_owned());
    wallet_page(&ctx, StatusCode::OK, notice, json!({})).await
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct RedeemForm {
    csrf: String,
    code: String,
}

pub async fn wallet_redeem(State(s): State<HttpState>, headers: HeaderMap, Form(f): Form<RedeemForm>) -> Response {
    let ctx = Ctx::load(s, &headers, "/wallet").await;
    let who = match ctx.form_user(&f.csrf) {
        Ok(w) => w,
        Err(r) => return r,
    };
    match wallet::redeem(&ctx.state.app, &who, &f.code).await {
        Ok(_) => Redirect::to("/wallet?notice=voucher_redeemed").into_response(),
        Err(e) => {
            let mut errors = ctx.errors(&e);
            if !matches!(e, tern_app::AppError::Validation(_)) {
                errors["fields"] = json!({ "code": crate::error::message(e.code(), ctx.locale) });
            }
            // The message beside the field is enough; keep what was typed.
            errors["general"] = Value::Null;
            errors["typed"] = json!(f.code);
            wallet_page(&ctx, crate::error::status_of(&e), None, errors).await
        }
    }
}
