//! Sign-up, email verification, sign-in, sign-out and password reset pages.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde_json::json;
use tern_app::accounts::{self, LoginInput, SignupInput};
use tern_app::clock::ms;
use tern_i18n::t;

use super::page::{Ctx, safe_next};
use crate::extract::{Client, SESSION_COOKIE};
use crate::state::HttpState;

pub async fn home(State(s): State<HttpState>, headers: HeaderMap) -> Response {
    let ctx = Ctx::load(s, &headers, "/").await;
    if ctx.who.is_some() {
        return Redirect::to("/account").into_response();
    }
    ctx.render("home.html", json!({}))
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct SignupForm {
    csrf: String,
    email: String,
    password: String,
    name: String,
    phone: String,
}

pub async fn signup_form(State(s): State<HttpState>, headers: HeaderMap) -> Response {
    let ctx = Ctx::load(s, &headers, "/signup").await;
    ctx.render("signup.html", json!({ "form": {} }))
}

pub async fn signup_submit(State(s): State<HttpState>, headers: HeaderMap, Form(f): Form<SignupForm>) -> Response {
    let ctx = Ctx::load(s, &headers, "/signup").await;
    if let Err(r) = ctx.check_csrf(&f.csrf) {
        return r;
    }
    let input = SignupInput {
        email: f.email.clone(),
        password: f.password,
        phone: Some(f.phone.clone()),
        name: Some(f.name.clone()),
        locale: Some(ctx.locale.tag().to_owned()),
    };
    match accounts::signup(&ctx.state.app, input, ctx.locale).await {
        Ok(()) => ctx.render(
            "message.html",
            json!({
                "title": t(ctx.locale, "signup.done_title"),
                "body": tern_i18n::tf(ctx.locale, "signup.check_email_to", &[("email", f.email.trim())]),
            }),
        ),
        Err(e) => ctx.render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "signup.html",
            json!({ "form": { "email": f.email, "name": f.name, "phone": f.phone }, "errors": ctx.errors(&e) }),
        ),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct TokenQuery {
    token: String,
    next: String,
    notice: String,
}

pub async fn verify_email(State(s): State<HttpState>, headers: HeaderMap, Query(q): Query<TokenQuery>) -> Response {
    let ctx = Ctx::load(s, &headers, "/verify-email").await;
    match accounts::verify_email(&ctx.state.app, &q.token).await {
        Ok(_) => ctx.render(
            "message.html",
            json!({ "title": t(ctx.locale, "verify.ok_title"), "body": t(ctx.locale, "verify.ok_body"), "link": "/login", "link_text": t(ctx.locale, "nav.login") }),
        ),
        Err(e) => ctx.render_status(
            StatusCode::BAD_REQUEST,
            "message.html",
            json!({ "title": t(ctx.locale, "verify.bad_title"), "body": crate::error::message(e.code(), ctx.locale), "link": "/login", "link_text": t(ctx.locale, "nav.login") }),
        ),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct LoginForm {
    csrf: String,
    email: String,
    password: String,
    next: String,
}

pub async fn login_form(State(s): State<HttpState>, headers: HeaderMap, Query(q): Query<TokenQuery>) -> Response {
    let ctx = Ctx::load(s, &headers, "/login").await;
    if ctx.who.is_some() {
        return Redirect::to(&safe_next(&q.next)).into_response();
    }
    let notice = (!q.notice.is_empty()).then(|| t(ctx.locale, &format!("notice.{}", q.notice)).to_owned());
    ctx.render("login.html", json!({ "form": { "next": q.next }, "notice": notice }))
}

pub async fn login_submit(
    State(s): State<HttpState>,
    headers: HeaderMap,
    client: Client,
    Form(f): Form<LoginForm>,
) -> Response {
    let ctx = Ctx::load(s, &headers, "/login").await;
    if let Err(r) = ctx.check_csrf(&f.csrf) {
        return r;
    }
    let input = LoginInput {
        email: f.email.clone(),
        password: f.password,
        ..LoginInput::default()
    };
    match accounts::login(
        &ctx.state.app,
        input,
        client.ip.as_deref(),
        client.user_agent.as_deref(),
    )
    .await
    {
        Ok(session) => {
            let settings = &ctx.state.app.settings;
            let cookie = Cookie::build((SESSION_COOKIE, session.token))
                .path("/")
                .http_only(true)
                .secure(settings.cookie_secure())
                .same_site(SameSite::Lax)
                .max_age(cookie_age(ms(settings.auth.session_ttl)))
                .build();
            (ctx.jar.add(cookie), Redirect::to(&safe_next(&f.next))).into_response()
        }
        Err(tern_app::AppError::TotpRequired { challenge, .. }) => {
            super::two_factor::second_step(&ctx, StatusCode::OK, &challenge, &f.next, json!({}))
        }
        Err(e) => {
            let status = crate::error::status_of(&e);
            let mut res = ctx.render_status(
                status,
                "login.html",
                json!({ "form": { "email": f.email, "next": f.next }, "errors": ctx.errors(&e) }),
            );
            if let tern_app::AppError::RateLimited { retry_after_secs } = e
                && let Ok(v) = retry_after_secs.to_string().parse()
            {
                res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
            }
            res
        }
    }
}

fn cookie_age(ms: i64) -> time::Duration {
    time::Duration::milliseconds(ms)
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct CsrfOnly {
    csrf: String,
}

pub async fn logout(State(s): State<HttpState>, headers: HeaderMap, Form(f): Form<CsrfOnly>) -> Response {
    let ctx = Ctx::load(s, &headers, "/").await;
    if let Err(r) = ctx.check_csrf(&f.csrf) {
        return r;
    }
    if let Some(who) = &ctx.who {
        let _ = accounts::logout(&ctx.state.app, who).await;
    }
    let jar = ctx.jar.clone().remove(Cookie::build(SESSION_COOKIE).path("/"));
    (jar, Redirect::to("/login?notice=signed_out")).into_response()
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ForgotForm {
    csrf: String,
    email: String,
}

pub async fn forgot_form(State(s): State<HttpState>, headers: HeaderMap) -> Response {
    let ctx = Ctx::load(s, &headers, "/forgot-password").await;
    ctx.render("forgot.html", json!({ "form": {} }))
}

pub async fn forgot_submit(
    State(s): State<HttpState>,
    headers: HeaderMap,
    client: Client,
    Form(f): Form<ForgotForm>,
) -> Response {
    let ctx = Ctx::load(s, &headers, "/forgot-password").await;
    if let Err(r) = ctx.check_csrf(&f.csrf) {
        return r;
    }
    match accounts::request_reset(&ctx.state.app, &f.email, client.ip.as_deref()).await {
        Ok(()) => ctx.render(
            "message.html",
            json!({ "title": t(ctx.locale, "reset.sent_title"), "body": t(ctx.locale, "reset.sent") }),
        ),
        Err(e) => ctx.render_status(
            crate::error::status_of(&e),
            "forgot.html",
            json!({ "form": { "email": f.email }, "errors": ctx.errors(&e) }),
        ),
    }
}

pub async fn reset_form(State(s): State<HttpState>, headers: HeaderMap, Query(q): Query<TokenQuery>) -> Response {
    let ctx = Ctx::load(s, &headers, "/reset-password").await;
    match accounts::reset_token_is_live(&ctx.state.app, &q.token).await {
        Ok(true) => ctx.render("reset.html", json!({ "form": { "token": q.token } })),
        _ => ctx.render_status(
            StatusCode::BAD_REQUEST,
            "message.html",
            json!({ "title": t(ctx.locale, "reset.bad_title"), "body": t(ctx.locale, "error.token_invalid"), "link": "/forgot-password", "link_text": t(ctx.locale, "reset.ask_again") }),
        ),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ResetForm {
    csrf: String,
    token: String,
    new_password: String,
}

pub async fn reset_submit(State(s): State<HttpState>, headers: HeaderMap, Form(f): Form<ResetForm>) -> Response {
    let ctx = Ctx::load(s, &headers, "/reset-password").await;
    if let Err(r) = ctx.check_csrf(&f.csrf) {
        return r;
    }
    match accounts::confirm_reset(&ctx.state.app, &f.token, &f.new_password).await {
        Ok(()) => Redirect::to("/login?notice=password_reset").into_response(),
        Err(e) => ctx.render_status(
            crate::error::status_of(&e),
            "reset.html",
            json!({ "form": { "token": f.token }, "errors": ctx.errors(&e) }),
        ),
    }
}
