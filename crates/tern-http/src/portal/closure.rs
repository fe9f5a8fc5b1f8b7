//! Closing the account from the portal: the preview with its form, the
//! request's own page, and calling it off (also from the banner every
//! signed-in page shows while that is possible).

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Value, json};
use tern_app::closure::{self, ClosureInput, Preview};
use tern_app::{AppError, Code, FieldError};
use tern_domain::Locale;
use tern_domain::closure::{confirmation_matches, confirmation_phrase};
use tern_domain::retention::KeptBecause;
use tern_i18n::{t, tf};

use super::page::Ctx;
use super::shop::size_text;
use crate::error::{message, status_of};
use crate::state::HttpState;

/// `key`'s text, or `fallback` when no language has it (a new code from
/// the service shows as itself rather than as a raw key).
pub fn text_or(locale: Locale, key: &str, fallback: &str) -> String {
    let s = t(locale, key);
    if s == key { fallback.to_owned() } else { s.to_owned() }
}

/// A page saying what went wrong, for failures that are not a form's.
fn problem(ctx: &Ctx, e: &AppError) -> Response {
    ctx.render_status(
        status_of(e),
        "message.html",
        json!({ "title": t(ctx.locale, "error.generic"), "body": message(e.code(), ctx.locale), "link": "/account", "link_text": t(ctx.locale, "account.title") }),
    )
}

/// `2033-11-23T18:20:00Z` → `2033-11-23`: years ahead, the hour says nothing.
pub fn day(rfc3339: &str) -> String {
    rfc3339.get(..10).unwrap_or(rfc3339).to_owned()
}

fn mb(bytes: i64) -> String {
    size_text(u64::try_from(bytes.max(0)).unwrap_or(0) / (1024 * 1024))
}

/// The preview as text for people.
fn preview_values(p: &Preview, locale: Locale) -> Value {
    let w = &p.wallet;
    let refund_lines: Vec<Value> = w
        .refund_lines
        .iter()
        .map(|l| {
            let key = if l.method == "card" {
                "closure.refund_card"
            } else {
                "closure.refund_manual"
            };
            json!(tf(locale, key, &[("amount", &l.amount.to_string())]))
        })
        .collect();
    let esims: Vec<Value> = p
        .esims
        .iter()
        .map(|e| {
            let data = match e.data_left_bytes {
                Some(b) => tf(locale, "closure.data_left", &[("left", &mb(b))]),
                None => t(locale, "closure.data_unlimited").to_owned(),
            };
            json!({
                "iccid": e.iccid,
                "state_text": text_or(locale, &format!("esim.state.{}", e.state), e.state.as_str()),
                "data_text": data,
                "valid_until": e.valid_until,
            })
        })
        .collect();
    // One group per reason and end date, so each is said once.
    let mut kept: Vec<(KeptBecause, String, Vec<String>)> = Vec::new();
    for k in &p.kept {
        let until = day(&k.until);
        let what = t(locale, &format!("closure.kept.{}", k.kind)).to_owned();
        match kept.iter_mut().find(|(w, u, _)| *w == k.why && *u == until) {
            Some(g) => g.2.push(what),
            None => kept.push((k.why, until, vec![what])),
        }
    }
    let kept: Vec<Value> = kept
        .into_iter()
        .map(|(why, until, what)| json!({ "why": t(locale, &format!("closure.why.{why}")), "until": until, "what": what }))
        .collect();
    json!({
        "balance_text": w.balance.to_string(),
        "refund_lines": refund_lines,
        "forfeited_text": (w.forfeited.amount_minor > 0).then(|| w.forfeited.to_string()),
        "esims": esims,
        "holds": p.holds,
        "deleted": p.deleted,
        "kept": kept,
        "cooling_off_until": p.cooling_off_until,
        "due_by": p.due_by,
        "reasons": p.reasons,
    })
}

/// What the form had, so an error does not lose it (never the password).
#[derive(Debug, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct CloseForm {
    #[serde(skip_serializing)]
    csrf: String,
    key: String,
    reason_code: String,
    reason_text: String,
    export: String,
    #[serde(skip_serializing)]
    password: String,
    confirmation: String,
    /// A code from the authenticator app or a recovery code, when
    /// two-factor is on (never shown back).
    #[serde(skip_serializing)]
    totp_code: String,
}

async fn close_page(ctx: &Ctx, status: StatusCode, form: &CloseForm, errors: Value) -> Response {
    let Some(who) = ctx.who.as_ref() else {
        return Redirect::to("/login?next=/account/close").into_response();
    };
    let p = match closure::preview(&ctx.state.app, who).await {
        Ok(p) => p,
        Err(e) => return problem(ctx, &e),
    };
    if p.open_request.is_some() {
        return Redirect::to("/account/closure").into_response();
    }
    // A key made when the form was first shown: a double submit or a
    // retry after an error asks once.
    let key = if form.key.is_empty() {
        tern_app::tokens::new_token()
    } else {
        form.key.clone()
    };
    ctx.render_status(
        status,
        "close.html",
        json!({
            "preview": preview_values(&p, ctx.locale),
            // Shown in the page's language; either language's phrase is accepted.
            "phrase": confirmation_phrase(ctx.locale),
            "cooling_off": !ctx.state.app.settings.closure.cooling_off.is_zero(),
            "close_form": form, "key": key, "errors": errors,
            "totp_enabled": tern_app::totp::is_enabled(&ctx.state.app, &who.account_id).await.unwrap_or(false),
        }),
    )
}

/// `GET /account/close`: what closing would do, and the form.
pub async fn preview(State(s): State<HttpState>, headers: HeaderMap) -> Response {
    let ctx = Ctx::load(s, &headers, "/account/close").await;
    if let Err(r) = ctx.require_login() {
        return r;
    }
    close_page(&ctx, StatusCode::OK, &CloseForm::default(), json!({})).await
}

/// Errors beside their fields; too many wrong passwords beside the password.
fn form_errors(ctx: &Ctx, e: &AppError) -> Value {
    let mut errors = ctx.errors(e);
    if let AppError::RateLimited { retry_after_secs } | AppError::Throttled { retry_after_secs, .. } = e {
        let minutes = retry_after_secs.div_ceil(60).max(1).to_string();
        errors["fields"] =
            json!({ "password": tf(ctx.locale, "closure.too_many_passwords", &[("minutes", &minutes)]) });
        errors["general"] = Value::Null;
    }
    errors
}

/// `POST /account/close`: asks for closure with the password and phrase.
pub async fn submit(State(s): State<HttpState>, headers: HeaderMap, Form(f): Form<CloseForm>) -> Response {
    let ctx = Ctx::load(s, &headers, "/account/close").await;
    let who = match ctx.form_user(&f.csrf) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let result = if f.password.is_empty() {
        // Not a wrong password: nothing to count against the allowance.
        let mut list = vec![FieldError::new("password", Code::FieldMissing)];
        if !confirmation_matches(&f.confirmation) {
            list.insert(0, FieldError::new("confirmation", Code::ConfirmationMismatch));
        }
        Err(AppError::Validation(list))
    } else {
        let some = |s: &str| (!s.trim().is_empty()).then(|| s.to_owned());
        let input = ClosureInput {
            password: f.password.clone(),
            confirmation: f.confirmation.clone(),
            reason_code: some(&f.reason_code),
            reason_text: some(&f.reason_text),
            export: !f.export.is_empty(),
            // Six digits are an app code; anything else a recovery code.
            totp_code: some(&f.totp_code).filter(|c| is_app_code(c)),
            recovery_code: some(&f.totp_code).filter(|c| !is_app_code(c)),
        };
        let key = (!f.key.is_empty()).then_some(f.key.as_str());
        closure::request(&ctx.state.app, &who, input, key).await
    };
    match result {
        // Without cooling-off, closing starts at once and signs the
        // traveller out: show the page that works without signing in.
        Ok(v) if ctx.state.app.settings.closure.cooling_off.is_zero() => {
            Redirect::to(&format!("{}?notice=closure_requested", v.status_url)).into_response()
        }
        Ok(_) => Redirect::to("/account/closure?notice=closure_requested").into_response(),
        Err(e) => {
            let errors = form_errors(&ctx, &e);
            close_page(&ctx, status_of(&e), &f, errors).await
        }
    }
}

/// Whether what was typed in the one code field looks like an app's six
/// digits (spaces allowed) rather than a recovery code.
pub(crate) fn is_app_code(c: &str) -> bool {
    let digits: String = c.chars().filter(|c| !c.is_whitespace()).collect();
    digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit())
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct NoticeQuery {
    notice: String,
}

/// `GET /account/closure`: the request, its dates and the status link.
pub async fn show(State(s): State<HttpState>, headers: HeaderMap, Query(q): Query<NoticeQuery>) -> Response {
    let ctx = Ctx::load(s, &headers, "/account/closure").await;
    let who = match ctx.require_login() {
        Ok(w) => w.clone(),
        Err(r) => return r,
    };
    let v = match closure::current(&ctx.state.app, &who).await {
        Ok(v) => v,
        Err(AppError::NotFound) => return Redirect::to("/account/close").into_response(),
        Err(e) => return problem(&ctx, &e),
    };
    let notice = (!q.notice.is_empty()).then(|| t(ctx.locale, &format!("notice.{}", q.notice)).to_owned());
    let reason_text = v
        .reason_code
        .as_deref()
        .map(|r| text_or(ctx.locale, &format!("closure.reason.{r}"), r));
    ctx.render(
        "closure.html",
        json!({
            "closure": v,
            "state_text": text_or(ctx.locale, &format!("closure.state.{}", v.state), v.state.as_str()),
            "reason_text": reason_text, "notice": notice,
            // This page has its own cancel button.
            "hide_closure_banner": true,
        }),
    )
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct CsrfForm {
    csrf: String,
}

/// `POST /account/closure/cancel`: calls the request off during cooling-off.
pub async fn cancel(State(s): State<HttpState>, headers: HeaderMap, Form(f): Form<CsrfForm>) -> Response {
    let ctx = Ctx::load(s, &headers, "/account/closure").await;
    let who = match ctx.form_user(&f.csrf) {
        Ok(w) => w,
        Err(r) => return r,
    };
    match closure::cancel(&ctx.state.app, &who, &who.account_id).await {
        Ok(_) => Redirect::to("/account?notice=closure_canceled").into_response(),
        Err(e) => ctx.render_status(
            status_of(&e),
            "message.html",
            json!({ "title": t(ctx.locale, "closure.cannot_cancel_title"), "body": message(e.code(), ctx.locale),
                    "link": "/account/closure", "link_text": t(ctx.locale, "closure.back") }),
        ),
    }
}
