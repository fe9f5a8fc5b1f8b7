//! Two-factor sign-in in the portal: setting it up on the account page
//! (password, QR code, first code, recovery codes shown once), the second
//! step of signing in, and turning it off (password and a code).

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, SameSite};
use base64::Engine;
use serde_json::{Value, json};
use tern_app::AppError;
use tern_app::accounts::{self, LoginInput};
use tern_app::clock::ms;
use tern_app::totp::{self, DisableInput};

use super::closure::is_app_code;
use super::page::{Ctx, safe_next};
use crate::error::status_of;
use crate::extract::{Client, SESSION_COOKIE};
use crate::state::HttpState;

/// The second step of signing in: the challenge rides in a hidden field,
/// the password is never sent again.
pub(crate) fn second_step(ctx: &Ctx, status: StatusCode, challenge: &str, next: &str, errors: Value) -> Response {
    ctx.render_status(
        status,
        "login_totp.html",
        json!({ "challenge": challenge, "next": next, "errors": errors }),
    )
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct StepForm {
    csrf: String,
    challenge: String,
    code: String,
    next: String,
}

/// `POST /login/totp`.
pub async fn login_step(
    State(s): State<HttpState>,
    headers: HeaderMap,
    client: Client,
    Form(f): Form<StepForm>,
) -> Response {
    let ctx = Ctx::load(s, &headers, "/login").await;
    if let Err(r) = ctx.check_csrf(&f.csrf) {
        return r;
    }
    let code = f.code.trim().to_owned();
    let input = LoginInput {
        challenge: Some(f.challenge.clone()),
        totp_code: Some(code.clone()).filter(|c| is_app_code(c)),
        recovery_code: Some(code).filter(|c| !c.is_empty() && !is_app_code(c)),
        ..LoginInput::default()
    };
    match accounts::login(&ctx.state.app, input, client.ip.as_deref(), client.user_agent.as_deref()).await {
        Ok(session) => {
            let settings = &ctx.state.app.settings;
            let cookie = Cookie::build((SESSION_COOKIE, session.token))
                .path("/")
                .http_only(true)
                .secure(settings.cookie_secure())
                .same_site(SameSite::Lax)
                .max_age(time::Duration::milliseconds(ms(settings.auth.session_ttl)))
                .build();
            (ctx.jar.add(cookie), Redirect::to(&safe_next(&f.next))).into_response()
        }
        // Expired or used: back to the first step.
        Err(e @ AppError::TokenInvalid) => ctx.render_status(
            StatusCode::UNAUTHORIZED,
            "login.html",
            json!({ "form": { "next": f.next }, "errors": { "general": crate::error::message("totp_challenge_expired", ctx.locale), "fields": {} }, "code": e.code() }),
        ),
        Err(AppError::TotpRequired { challenge, .. }) => {
            let errors = json!({ "fields": { "code": crate::error::message("totp_required", ctx.locale) } });
            second_step(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &challenge, &f.next, errors)
        }
        Err(e) => {
            let mut errors = ctx.errors(&e);
            if matches!(e, AppError::TotpInvalid) {
                errors["fields"] = json!({ "code": crate::error::message("totp_invalid", ctx.locale) });
            }
            second_step(&ctx, status_of(&e), &f.challenge, &f.next, errors)
        }
    }
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    csrf: String,
    password: String,
}

fn qr_data_uri(svg: &str) -> String {
    format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    )
}

/// `POST /account/totp/start`: the password opens the re-authentication
/// window, then the secret is shown as a QR code and as text.
pub async fn start(State(s): State<HttpState>, headers: HeaderMap, Form(f): Form<PasswordForm>) -> Response {
    let ctx = Ctx::load(s, &headers, "/account").await;
    let mut who = match ctx.form_user(&f.csrf) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let app = &ctx.state.app;
    let result = async {
        accounts::reauthenticate(app, &who, &f.password).await?;
        who.reauth_at = Some(app.now_ms());
        totp::start(app, &who).await
    }
    .await;
    match result {
        Ok(e) => enrol_page(&ctx, StatusCode::OK, &e, json!({})),
        Err(e) => super::account::page_with_errors(&ctx, status_of(&e), json!({ "totp": ctx.errors(&e) })).await,
    }
}

fn enrol_page(ctx: &Ctx, status: StatusCode, e: &totp::Enrolment, errors: Value) -> Response {
    ctx.render_status(
        status,
        "totp_enrol.html",
        json!({ "qr": qr_data_uri(&e.qr_svg), "secret": e.secret, "errors": errors }),
    )
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct CodeForm {
    csrf: String,
    code: String,
}

/// `POST /account/totp/confirm`: the first code turns it on; the recovery
/// codes are shown this once.
pub async fn confirm(State(s): State<HttpState>, headers: HeaderMap, Form(f): Form<CodeForm>) -> Response {
    let ctx = Ctx::load(s, &headers, "/account").await;
    let who = match ctx.form_user(&f.csrf) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let app = &ctx.state.app;
    match totp::confirm(app, &who, &f.code).await {
        Ok(codes) => ctx.render("totp_codes.html", json!({ "codes": codes.recovery_codes })),
        Err(e) => match totp::pending_enrolment(app, &who).await {
            Ok(Some(pending)) => enrol_page(&ctx, status_of(&e), &pending, ctx.errors(&e)),
            _ => super::account::page_with_errors(&ctx, status_of(&e), json!({ "totp": ctx.errors(&e) })).await,
        },
    }
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct DisableForm {
    csrf: String,
    password: String,
    code: String,
}

/// `POST /account/totp/disable`: the password and a code (or a recovery
/// code) turn it off.
pub async fn disable(State(s): State<HttpState>, headers: HeaderMap, Form(f): Form<DisableForm>) -> Response {
    let ctx = Ctx::load(s, &headers, "/account").await;
    let who = match ctx.form_user(&f.csrf) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let code = f.code.trim().to_owned();
    let input = DisableInput {
        password: f.password,
        totp_code: Some(code.clone()).filter(|c| is_app_code(c)),
        recovery_code: Some(code).filter(|c| !c.is_empty() && !is_app_code(c)),
    };
    match totp::disable(&ctx.state.app, &who, &input).await {
        Ok(()) => Redirect::to("/account?notice=totp_disabled").into_response(),
        Err(e) => {
            let mut errors = ctx.errors(&e);
            // The form has one code field.
            if let Some(m) = errors["fields"].get("totp_code").cloned() {
                errors["fields"]["code"] = m;
            }
            super::account::page_with_errors(&ctx, status_of(&e), json!({ "totp_disable": errors })).await
        }
    }
}
