//! The account page: profile, language, phone verification, password and
//! signed-in devices.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde_json::{Value, json};
use tern_app::AppError;
use tern_app::accounts::{self, ProfileUpdate};
use tern_i18n::t;

use super::page::Ctx;
use crate::extract::LANG_COOKIE;
use crate::state::HttpState;

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct Notice {
    notice: String,
}

/// Renders the account page, optionally with errors from one of its forms.
async fn page(ctx: &Ctx, status: StatusCode, notice: Option<String>, errors: Value) -> Response {
    let Some(who) = ctx.who.as_ref() else {
        return Redirect::to("/login?next=/account").into_response();
    };
    let app = &ctx.state.app;
    let me = page_try!(ctx, accounts::me(app, who).await);
    let sessions = page_try!(ctx, accounts::list_sessions(app, who).await);
    let export = page_try!(ctx, tern_app::exports::latest(app, who).await);
    let totp = page_try!(ctx, tern_app::totp::status(app, who).await);
    ctx.render_status(
        status,
        "account.html",
        json!({ "me": me, "sessions": sessions, "export": export, "totp": totp, "notice": notice, "errors": errors }),
    )
}

/// The account page with one form's errors (for forms handled elsewhere).
pub(crate) async fn page_with_errors(ctx: &Ctx, status: StatusCode, errors: Value) -> Response {
    page(ctx, status, None, errors).await
}

pub async fn show(State(s): State<HttpState>, headers: HeaderMap, Query(q): Query<Notice>) -> Response {
    let ctx = Ctx::load(s, &headers, "/account").await;
    if let Err(r) = ctx.require_login() {
        return r;
    }
    let notice = (!q.notice.is_empty()).then(|| t(ctx.locale, &format!("notice.{}", q.notice)).to_owned());
    page(&ctx, StatusCode::OK, notice, json!({})).await
}

/// Answers a form post: back to the page with a notice, or the page with
/// the form's errors.
async fn after(ctx: &Ctx, form: &str, result: Result<(), AppError>, notice: &str) -> Response {
    match result {
        Ok(()) => Redirect::to(&format!("/account?notice={notice}")).into_response(),
        Err(e) => {
            let errors = json!({ form: ctx.errors(&e) });
            page(ctx, crate::error::status_of(&e), None, errors).await
        }
    }
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ProfileForm {
    csrf: String,
    name: String,
    phone: String,
    locale: String,
}

pub async fn update_profile(State(s): State<HttpState>, headers: HeaderMap, Form(f): Form<ProfileForm>) -> Response {
    let ctx = Ctx::load(s, &headers, "/account").await;
    let who = match ctx.form_user(&f.csrf) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let update = ProfileUpdate {
        name: Some(f.name),
        phone: Some(f.phone),
        locale: Some(f.locale.clone()),
    };
    let result = accounts::update_profile(&ctx.state.app, &who, update).await.map(|_| ());
    let ok = result.is_ok();
    let mut res = after(&ctx, "profile", result, "profile_saved").await;
    if ok && let Some(loc) = tern_domain::Locale::parse(&f.locale) {
        // The page follows the account's language from now on.
        let jar = ctx.jar.clone().add(
            Cookie::build((LANG_COOKIE, loc.tag().to_owned()))
                .path("/")
                .same_site(SameSite::Lax)
                .build(),
        );
        res = (jar, res).into_response();
    }
    res
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    csrf: String,
    current_password: String,
    new_password: String,
}

pub async fn change_password(State(s): State<HttpState>, headers: HeaderMap, Form(f): Form<PasswordForm>) -> Response {
    let ctx = Ctx::load(s, &headers, "/account").await;
    let who = match ctx.form_user(&f.csrf) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let result = accounts::change_password(&ctx.state.app, &who, &f.current_password, &f.new_password).await;
    after(&ctx, "password", result, "password_changed").await
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct CodeForm {
    csrf: String,
    code: String,
}

pub async fn send_phone_code(State(s): State<HttpState>, headers: HeaderMap, Form(f): Form<CodeForm>) -> Response {
    let ctx = Ctx::load(s, &headers, "/account").await;
    let who = match ctx.form_user(&f.csrf) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let result = accounts::send_phone_code(&ctx.state.app, &who).await;
    after(&ctx, "phone", result, "code_sent").await
}

pub async fn confirm_phone(State(s): State<HttpState>, headers: HeaderMap, Form(f): Form<CodeForm>) -> Response {
    let ctx = Ctx::load(s, &headers, "/account").await;
    let who = match ctx.form_user(&f.csrf) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let result = accounts::confirm_phone_code(&ctx.state.app, &who, &f.code).await;
    after(&ctx, "phone", result, "phone_verified").await
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn end_session(
    State(s): State<HttpState>,
    headers: HeaderMap,
    Path(id): Path<tern_domain::SessionId>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let ctx = Ctx::load(s, &headers, "/account").await;
    let who = match ctx.form_user(&f.csrf) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let result = accounts::end_session(&ctx.state.app, &who, &id).await;
    after(&ctx, "sessions", result, "session_ended").await
}

/// "Download my data": asks for an export; the link arrives by email.
pub async fn request_export(State(s): State<HttpState>, headers: HeaderMap, Form(f): Form<CsrfForm>) -> Response {
    let ctx = Ctx::load(s, &headers, "/account").await;
    let who = match ctx.form_user_terms_exempt(&f.csrf) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let result = tern_app::exports::request(&ctx.state.app, &who).await.map(|_| ());
    after(&ctx, "export", result, "export_requested").await
}
