//! Request extractors: the caller's language, identity, client details and
//! JSON bodies whose rejections use Tern's error format.

use std::net::SocketAddr;

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, OriginalUri, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;
use axum_extra::extract::CookieJar;
use tern_app::Code;
use tern_app::auth::{Principal, authenticate};
use tern_app::{App, AppError};
use tern_domain::Locale;

use crate::error::{ApiError, error_response};
use crate::locale::RequestLocale;
use crate::state::HttpState;

/// Name of the portal's session cookie.
pub const SESSION_COOKIE: &str = "tern_session";
/// Name of the cookie that remembers the portal language choice.
pub const LANG_COOKIE: &str = "tern_lang";

/// The language from the `tern_lang` cookie, else `Accept-Language`, else English.
pub fn locale_from_headers(headers: &HeaderMap) -> Locale {
    let jar = CookieJar::from_headers(headers);
    if let Some(l) = jar.get(LANG_COOKIE).and_then(|c| Locale::parse(c.value())) {
        return l;
    }
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Locale::negotiate)
        .unwrap_or_default()
}

/// The request's language before anyone is identified.
#[derive(Debug, Clone, Copy)]
pub struct Lang(pub Locale);

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Lang(locale_from_headers(&parts.headers)))
    }
}

/// The bearer token or session cookie of a request, if any.
pub fn token_from_headers(headers: &HeaderMap) -> Option<String> {
    if let Some(auth) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let mut parts = auth.splitn(2, ' ');
        if parts.next().is_some_and(|s| s.eq_ignore_ascii_case("bearer")) {
            return parts.next().map(|t| t.trim().to_owned());
        }
        return None;
    }
    CookieJar::from_headers(headers)
        .get(SESSION_COOKIE)
        .map(|c| c.value().to_owned())
}

/// A signed-in caller. The answer's language becomes the account's, unless
/// the request asks for another with `Accept-Language`.
#[derive(Debug, Clone)]
pub struct Auth {
    pub who: Principal,
    pub locale: Locale,
}

impl Auth {
    /// Wraps a service error in this caller's language.
    pub fn err(&self, e: AppError) -> ApiError {
        ApiError::new(e, self.locale)
    }
}

impl FromRequestParts<HttpState> for Auth {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &HttpState) -> Result<Self, Self::Rejection> {
        let creds = Credentials::from_parts(parts);
        let who = authenticate(&state.app, creds.token()?)
            .await
            .map_err(|e| creds.err(e))?;
        creds.signed_in(&state.app, who).await
    }
}

/// Whether a request may go ahead while its account has not accepted a
/// terms version that requires acceptance: reading and accepting terms,
/// reading the account, signing out, mail preferences, and everything
/// about exports and closing the account (which must never be harder than
/// signing up). `path` is the full path (`/api/v1/…`).
pub fn terms_exempt(method: &Method, path: &str) -> bool {
    let p = path.strip_prefix("/api/v1").unwrap_or(path);
    // `prefix` itself or anything below it, without building `prefix/`
    // (this runs on every signed-in API request).
    let under = |prefix: &str| {
        p.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    under("/terms")
        || (p == "/me" && method == Method::GET)
        || p == "/sessions/current"
        || p == "/me/preferences"
        || under("/me/closure")
        || under("/me/exports")
        || under("/exports")
}

/// The token and language of a request whose handler authenticates it
/// itself, in the same query as its own reads (a hot path); [`Auth`] for
/// every other handler. Never rejects by itself.
#[derive(Debug, Clone)]
pub struct Credentials {
    token: Option<String>,
    header_locale: Locale,
    /// Whether the request names its language (`Accept-Language` or the
    /// language cookie), which then wins over the account's.
    explicit_locale: bool,
    /// Whether the request may go ahead before new terms are accepted.
    terms_exempt: bool,
    /// Where the answer's language is kept for the rest of the request.
    answer_locale: Option<RequestLocale>,
}

impl Credentials {
    fn from_parts(parts: &Parts) -> Self {
        let headers = &parts.headers;
        let path = parts
            .extensions
            .get::<OriginalUri>()
            .map_or_else(|| parts.uri.path(), |u| u.0.path());
        Credentials {
            token: token_from_headers(headers),
            header_locale: locale_from_headers(headers),
            explicit_locale: headers.contains_key(header::ACCEPT_LANGUAGE)
                || CookieJar::from_headers(headers).get(LANG_COOKIE).is_some(),
            terms_exempt: terms_exempt(&parts.method, path),
            answer_locale: parts.extensions.get::<RequestLocale>().cloned(),
        }
    }

    /// The presented token; 401 when there is none.
    pub fn token(&self) -> Result<&str, ApiError> {
        self.token
            .as_deref()
            .ok_or_else(|| ApiError::new(AppError::Unauthenticated, self.header_locale))
    }

    /// An authentication error, in the request's language.
    pub fn err(&self, e: AppError) -> ApiError {
        ApiError::new(e, self.header_locale)
    }

    /// The signed-in caller, answered in the account's language unless the
    /// request asks for another; 403 `terms_acceptance_required` while the
    /// account has a required terms version to accept (unless the request
    /// is [`terms_exempt`]). Every signed-in API request passes here.
    pub async fn signed_in(self, app: &App, who: Principal) -> Result<Auth, ApiError> {
        let locale = if self.explicit_locale {
            self.header_locale
        } else {
            who.locale
        };
        if let Some(slot) = &self.answer_locale {
            slot.set(locale);
        }
        if !self.terms_exempt {
            tern_app::terms::check(app, &who)
                .await
                .map_err(|e| ApiError::new(e, locale))?;
        }
        Ok(Auth { who, locale })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Credentials {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Credentials::from_parts(parts))
    }
}

/// The client's address and browser, kept on its sessions so the owner can
/// recognise them.
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(200).collect());
        Ok(Client { ip, user_agent })
    }
}

/// A JSON body. Malformed JSON is 400 `malformed_json`, a body of the wrong
/// shape is 422 `invalid_body` with the reason, a missing content type is
/// 415, and an oversized body is 413.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let locale = locale_from_headers(req.headers());
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_rejection(rejection, locale)),
        }
    }
}

fn json_rejection(r: JsonRejection, locale: Locale) -> Response {
    match r {
        JsonRejection::JsonSyntaxError(_) => error_response(StatusCode::BAD_REQUEST, Code::MalformedJson, locale, None),
        JsonRejection::JsonDataError(e) => {
            // serde's reason names the field ("missing field `email`"); it
            // carries no user data.
            let reason = e.body_text();
            let reason = reason.rsplit(": ").next().unwrap_or("").to_owned();
            error_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                Code::InvalidBody,
                locale,
                Some(serde_json::json!([{ "field": "body", "code": "invalid_body", "message": reason }])),
            )
        }
        JsonRejection::MissingJsonContentType(_) => error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::UnsupportedMediaType,
            locale,
            None,
        ),
        JsonRejection::BytesRejection(b) => {
            if b.status() == StatusCode::PAYLOAD_TOO_LARGE {
                error_response(StatusCode::PAYLOAD_TOO_LARGE, Code::BodyTooLarge, locale, None)
            } else {
                error_response(StatusCode::BAD_REQUEST, Code::MalformedBody, locale, None)
            }
        }
        other => error_response(other.status(), Code::MalformedBody, locale, None),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::Method;

    use super::terms_exempt;

    #[test]
    fn terms_exempt_takes_a_prefix_and_what_is_below_it_but_not_its_neighbours() {
        for path in [
            "/api/v1/terms",
            "/api/v1/terms/3/accept",
            "/api/v1/me/closure",
            "/api/v1/me/closure/cancel",
            "/api/v1/exports/abc",
            "/api/v1/sessions/current",
        ] {
            assert!(terms_exempt(&Method::POST, path), "{path}");
        }
        assert!(terms_exempt(&Method::GET, "/api/v1/me"));
        for path in [
            "/api/v1/termsx",
            "/api/v1/me/closures",
            "/api/v1/exportsx/1",
            "/api/v1/esims/8988247000000000001",
            "/api/v1/orders",
        ] {
            assert!(!terms_exempt(&Method::GET, path), "{path}");
        }
        assert!(!terms_exempt(&Method::PATCH, "/api/v1/me"));
    }
}
