//! The public status page of a closure request, opened from the link in
//! its emails without signing in: state, dates, steps and, once done, the
//! receipt. It shows no personal data (the service gives it none).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};
use tern_app::closure::{self, Receipt, StatusView};
use tern_domain::closure::ClosureStep;
use tern_domain::{Currency, Locale, Money};
use tern_i18n::{t, tf};

use super::closure::{day, text_or};
use super::page::Ctx;
use crate::state::HttpState;

/// The receipt as lines of text.
fn receipt_values(r: &Receipt, locale: Locale) -> Value {
    let deleted: Vec<String> = r
        .deleted
        .lines()
        .into_iter()
        .filter(|(_, count)| *count > 0)
        .map(|(k, count)| {
            let what = text_or(locale, &format!("closure.erased.{k}"), k);
            tf(
                locale,
                "closure.count_line",
                &[("what", &what), ("count", &count.to_string())],
            )
        })
        .collect();
    let retained: Vec<Value> = r
        .retained
        .iter()
        // "0 kept until …" says nothing; kinds with records are listed.
        .filter(|x| x.count > 0)
        .map(|x| {
            json!({ "what": t(locale, &format!("closure.retained.{}", x.kind)), "count": x.count, "until": day(&x.until) })
        })
        .collect();
    let refund = &r.refund;
    let currency = Currency::parse(&refund.currency).ok();
    let money = |minor: i64| currency.map_or_else(|| minor.to_string(), |c| Money::new(minor, c).to_string());
    let positive = |minor: i64| (minor > 0).then(|| money(minor));
    let sweep = r.sweep.report().cloned().unwrap_or_default();
    json!({
        "deleted": deleted,
        "retained": retained,
        "refund_text": money(refund.refund_minor),
        "card_refunds": refund.card_refunds,
        "manual_text": positive(refund.manual_payout_minor),
        "forfeited_text": positive(refund.forfeited_minor),
        "barred": r.services.barred,
        "canceled_at_smdp": r.services.canceled_at_smdp,
        "packages_stopped": r.services.packages_stopped,
        "sweep_text": tf(locale, "closure.receipt_sweep", &[
            ("hits", &sweep.hits.to_string()),
            ("tables", &sweep.tables.to_string()),
            ("files", &sweep.files.to_string()),
        ]),
        "export_sent": r.export.requested,
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
                "state_text": text_or(ctx.locale, &format!("closure.state.{}", v.state), v.state.as_str()),
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
