//! Rendering a page: the layout's common values (language, CSRF token,
//! who is signed in) plus the page's own, and turning service errors into
//! messages beside the right fields.

use std::collections::BTreeMap;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use serde_json::{Value, json};
use tern_app::AppError;
use tern_app::auth::{Principal, authenticate};
use tern_domain::Locale;

use super::csrf;
use crate::error::message;
use crate::extract::{LANG_COOKIE, locale_from_headers, token_from_headers};
use crate::state::HttpState;

/// What every portal handler starts from.
pub struct Ctx {
    pub state: HttpState,
    pub jar: CookieJar,
    pub csrf: String,
    pub locale: Locale,
    pub who: Option<Principal>,
    pub path: String,
    /// When the signed-in account's open closure request can still be
    /// called off: the end of its cooling-off (RFC 3339), for the banner.
    pub closing_until: Option<String>,
    /// The newest unread important announcement for the banner, with how
    /// many more there are.
    pub announcement_banner: Option<Value>,
    /// A terms version the signed-in account must accept before anything
    /// else (see [`portal_terms_exempt`]).
    pub terms_pending: Option<i64>,
    /// Why the session could not be read, when that was not the token
    /// (the database is down, say): pages that need a signed-in user show
    /// this instead of sending the visitor to sign in again.
    session_error: Option<AppError>,
}

/// Portal paths a signed-in traveller can still use before accepting a
/// required terms version: the terms page, signing out, the language, and
/// exporting their data or closing the account (never harder than
/// signing up).
pub fn portal_terms_exempt(path: &str) -> bool {
    let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
    under("/terms")
        || path == "/logout"
        || path == "/lang"
        || under("/account/close")
        || under("/account/closure")
        || path == "/account/export"
        || under("/exports")
}

impl Ctx {
    /// Reads the cookies, the language and the signed-in account, if any.
    pub async fn load(state: HttpState, headers: &HeaderMap, path: &str) -> Self {
        let jar = CookieJar::from_headers(headers);
        let (jar, csrf) = csrf::ensure(jar, state.app.settings.cookie_secure());
        let (who, session_error) = match token_from_headers(headers) {
            Some(token) => match authenticate(&state.app, &token).await {
                Ok(p) => (Some(p), None),
                Err(AppError::Unauthenticated) => (None, None),
                Err(e) => (None, Some(e)),
            },
            None => (None, None),
        };
        let closing_until = match &who {
            Some(p) => closing_until(&state, p).await,
            None => None,
        };
        let explicit = jar.get(LANG_COOKIE).is_some();
        let locale = match (&who, explicit) {
            (Some(p), false) => p.locale,
            _ => locale_from_headers(headers),
        };
        let (announcement_banner, terms_pending) = match &who {
            Some(p) => (
                announcement_banner(&state, p, locale).await,
                tern_app::terms::pending_for(&state.app, p).await.ok().flatten(),
            ),
            None => (None, None),
        };
        Self {
            state,
            jar,
            csrf,
            locale,
            who,
            path: path.to_owned(),
            closing_until,
            announcement_banner,
            terms_pending,
            session_error,
        }
    }

    /// Sends a signed-out visitor to the sign-in page, coming back here,
    /// and a traveller with terms to accept to the terms page first. When
    /// the session could not be read at all, the failure page says so.
    pub fn require_login(&self) -> Result<&Principal, Response> {
        if let Some(e) = &self.session_error {
            return Err(self.failed(e));
        }
        match &self.who {
            Some(_) if self.terms_pending.is_some() && !portal_terms_exempt(&self.path) => {
                Err(Redirect::to(&format!("/terms?next={}", urlencode(&self.path))).into_response())
            }
            Some(p) => Ok(p),
            None => Err(Redirect::to(&format!("/login?next={}", urlencode(&self.path))).into_response()),
        }
    }

    /// Renders `template` with `values` and the layout's values.
    pub fn render(&self, template: &str, values: Value) -> Response {
        self.render_status(StatusCode::OK, template, values)
    }

    pub fn render_status(&self, status: StatusCode, template: &str, mut values: Value) -> Response {
        let base = json!({
            "locale": self.locale.tag(),
            "other_locale": if self.locale == Locale::En { "zh-CN" } else { "en" },
            "product": self.state.app.settings.product_name,
            "csrf": self.csrf,
            "signed_in": self.who.is_some(),
            "path": self.path,
            "closing_until": self.closing_until,
            "staff_nav": self.staff_nav(),
            "announcement_banner": self.announcement_banner,
        });
        if let (Value::Object(v), Value::Object(b)) = (&mut values, base) {
            for (k, x) in b {
                v.entry(k).or_insert(x);
            }
        }
        let html = self.state.pages.get_template(template).and_then(|t| t.render(&values));
        match html {
            Ok(html) => (status, self.jar.clone(), Html(html)).into_response(),
            Err(e) => {
                tracing::error!(template, error = %e, "page did not render");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    self.jar.clone(),
                    Html(fallback(self.locale)),
                )
                    .into_response()
            }
        }
    }

    /// The page for a service call a page needed and did not get: the
    /// error's status and message (an internal cause is logged), instead
    /// of a page that silently shows nothing.
    pub fn failed(&self, e: &AppError) -> Response {
        if let AppError::Internal(cause) = e {
            tracing::error!(error = %cause, path = %self.path, "a portal page could not load its data");
        }
        self.render_status(
            crate::error::status_of(e),
            "message.html",
            json!({ "title": tern_i18n::t(self.locale, "error.generic"), "body": message(e.code(), self.locale) }),
        )
    }

    /// Field messages and a general message for a failed form.
    pub fn errors(&self, e: &AppError) -> Value {
        let mut fields = BTreeMap::new();
        if let AppError::Validation(list) = e {
            // A summary at the top (announced to screen readers) and a
            // message beside each field.
            for f in list {
                fields.insert(f.field.clone(), message(f.code, self.locale));
            }
        }
        if let AppError::Internal(cause) = e {
            tracing::error!(error = %cause, "internal error on a portal page");
        }
        json!({ "fields": fields, "general": message(e.code(), self.locale) })
    }

    /// The signed-in user posting a form with a good CSRF token; otherwise
    /// the answer to give (sign-in redirect or "please try again").
    pub fn form_user(&self, csrf: &str) -> Result<Principal, Response> {
        let who = self.require_login()?.clone();
        self.check_csrf(csrf)?;
        Ok(who)
    }

    /// Like [`Ctx::form_user`], for the few forms a traveller may use before
    /// accepting new terms (see [`portal_terms_exempt`]) whose path is
    /// shared with pages that are not exempt.
    pub fn form_user_terms_exempt(&self, csrf: &str) -> Result<Principal, Response> {
        let who = match &self.who {
            Some(p) => p.clone(),
            None => return Err(Redirect::to(&format!("/login?next={}", urlencode(&self.path))).into_response()),
        };
        self.check_csrf(csrf)?;
        Ok(who)
    }

    /// Whether the form's CSRF field is good; when not, the answer to give.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), Response> {
        if csrf::valid(&self.jar, submitted) {
            Ok(())
        } else {
            Err(self.render_status(
                StatusCode::FORBIDDEN,
                "message.html",
                json!({ "title": tern_i18n::t(self.locale, "csrf.title"), "body": tern_i18n::t(self.locale, "csrf.body"), "link": self.path, "link_text": tern_i18n::t(self.locale, "csrf.retry") }),
            ))
        }
    }
}

/// The cooling-off end of the account's open closure request while it
/// can be called off (one indexed lookup); `None` otherwise or on error.
async fn closing_until(state: &HttpState, who: &Principal) -> Option<String> {
    match tern_app::closure::cancelable_until(&state.app, &who.account_id).await {
        Ok(until) => until.map(tern_app::clock::rfc3339),
        Err(e) => {
            tracing::warn!(error = %e, "could not look up an open closure for the banner");
            None
        }
    }
}

/// The banner's announcement (newest unread important one) and how many
/// more are unread; `None` when there are none or on error.
async fn announcement_banner(state: &HttpState, who: &Principal, locale: Locale) -> Option<Value> {
    let unread = tern_app::announcements::unread_important(&state.app, who, locale)
        .await
        .ok()?;
    let first = unread.first()?;
    Some(json!({ "id": first.id, "title": first.title, "more": unread.len() - 1 }))
}

/// Percent-encodes a path for a `next=` parameter.
pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|x| x.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}

/// A local path to go to after signing in; anything else goes home (no
/// open redirects).
pub fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') && !next.contains("://") {
        next.to_owned()
    } else {
        "/account".to_owned()
    }
}

fn fallback(locale: Locale) -> String {
    format!(
        "<!doctype html><title>Tern</title><p>{}</p>",
        tern_i18n::t(locale, "error.internal_error")
    )
}
