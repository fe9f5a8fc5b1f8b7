//! The public status page of a closure request, opened from the link in
//! its emails without signing in: state, dates, steps and, once done, the
//! receipt. It shows no personal data (the service gives it none).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};
use tern_app::closure::{self, StatusView};
use tern_domain::closure::ClosureStep;
use tern_domain::{Currency, Locale, Money};
use tern_i18n::{t, tf};

use super::closure::{day, text_or};
use super::page::Ctx;
use crate::state::HttpState;

/// What the erase step counts, in the order the receipt lists them.
const ERASED: &[&str] = &[
    "profile_fields",
    "sessions",
    "one_time_tokens",
    "notifications",
    "idempotency_records",
    "device_ids",
    "closure_reason_texts",
    "two_factor",
    "message_files",
    "ticket_subjects",
    "ticket_messages",
    "adjustment_reasons",
];

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

/// The receipt as lines of text.
fn receipt_values(r: &Value, locale: Locale) -> Value {
    let deleted: Vec<String> = ERASED
        .iter()
        .filter(|k| int(&r["deleted"][**k]) > 0)
        .map(|k| {
            let what = text_or(locale, &format!("closure.erased.{k}"), k);
            tf(
                locale,
                "closure.count_line",
                &[("what", &what), ("count", &int(&r["deleted"][*k]).to_string())],
            )
        })
        .collect();
    let retained: Vec<Value> = r["retained"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        // "0 kept until …" says nothing; kinds with records are listed.
        .filter(|x| int(&x["count"]) > 0)
        .map(|x| {
            let kind = x["kind"].as_str().unwrap_or_default();
            json!({ "what": text_or(locale, &format!("closure.retained.{kind}"), kind), "count": int(&x["count"]), "until": day(x["until"].as_str().unwrap_or_default()) })
        })
        .collect();
    let refund = &r["refund"];
    let currency = refund["currency"].as_str().and_then(|c| Currency::parse(c).ok());
    let money = |minor: i64| currency.map_or_else(|| minor.to_string(), |c| Money::new(minor, c).to_string());
    let positive = |key: &str| (int(&refund[key]) > 0).then(|| money(int(&refund[key])));
    let services = &r["services"];
    let sweep = &r["sweep"];
    json!({
        "deleted": deleted,
        "retained": retained,
        "refund_text": money(int(&refund["refund_minor"])),
        "card_refunds": int(&refund["card_refunds"]),
        "manual_text": positive("manual_payout_minor"),
        "forfeited_text": positive("forfeited_minor"),
        "barred": int(&services["barred"]),
        "canceled_at_smdp": int(&services["canceled_at_smdp"]),
        "packages_stopped": int(&services["packages_stopped"]),
        "sweep_text": tf(locale, "closure.receipt_sweep", &[
            ("hits", &int(&sweep["hits"]).to_string()),
            ("tables", &int(&sweep["tables"]).to_string()),
            ("files", &int(&sweep["files"]).to_string()),
        ]),
        "export_sent": r["export"]["requested"].as_bool().unwrap_or(false),
    })
}

/// Every step in order: done ones with their time, then the rest.
fn steps(s: &StatusView, locale: Locale) -> Vec<Value> {
    let name = |step: &str| text_or(locale, &format!("closure.step.{step}"), step);
    let mut out: Vec<Value> = s
        .steps_done
        .iter()
        .map(|d| json!({ "text": name(&d.step), "done_at": d.done_at }))
        .collect();
    out.extend(
        ClosureStep::ALL
            .iter()
            .map(|x| x.as_str())
            .filter(|x| s.steps_left.iter().any(|l| l == x))
            .map(|x| json!({ "text": name(x), "done_at": null })),
    );
    out
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct NoticeQuery {
    notice: String,
}

/// `GET /closure-status/{token}`.
pub async fn show(
    State(s): State<HttpState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let ctx = Ctx::load(s, &headers, &format!("/closure-status/{token}")).await;
    // Only the one notice this page is sent with (after asking, when
    // there is no cooling-off); anything else in the query is ignored.
    let notice = (q.notice == "closure_requested").then(|| t(ctx.locale, "notice.closure_requested"));
    let mut res = match closure::status_by_token(&ctx.state.app, &token).await {
        Ok(v) => ctx.render(
            "closure_status.html",
            json!({
                "status": v,
                "state_text": text_or(ctx.locale, &format!("closure.state.{}", v.state), &v.state),
                "steps": steps(&v, ctx.locale),
                "receipt": v.receipt.as_ref().map(|r| receipt_values(r, ctx.locale)),
                "notice": notice,
            }),
        ),
        Err(tern_app::AppError::NotFound) => ctx.render_status(
            StatusCode::NOT_FOUND,
            "message.html",
            json!({ "title": t(ctx.locale, "closure.not_found_title"), "body": t(ctx.locale, "closure.not_found_body"),
                    "link": "/", "link_text": t(ctx.locale, "closure.home") }),
        ),
        Err(e) => ctx.render_status(
            crate::error::status_of(&e),
            "message.html",
            json!({ "title": t(ctx.locale, "error.generic"), "body": crate::error::message(e.code(), ctx.locale) }),
        ),
    };
    // The link is private to whoever got the email: keep it out of indexes.
    res.headers_mut()
        .insert("x-robots-tag", HeaderValue::from_static("noindex, nofollow"));
    res
}
