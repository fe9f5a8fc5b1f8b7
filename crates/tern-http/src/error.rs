//! Turning service errors into HTTP answers:
//! `{"error":{"code":"snake_case","message":"…"}}` with the right status,
//! a localised message, per-field `details` on 422, and `Retry-After` on
//! 429. Causes of 5xx answers are logged, never shown.

use std::sync::Arc;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tern_app::{AppError, Code};
use tern_domain::Locale;
use tern_i18n::t;

/// An error on its way to the client. Handlers return it with plain `?`
/// (`From<AppError>`); the language is the request's, which
/// [`crate::locale::negotiate`] knows by then (the account's once signed
/// in), so a handler never has to say it.
#[derive(Debug)]
pub struct ApiError {
    pub error: AppError,
    /// Set where the language is known before the middleware would pick
    /// it (extractors rejecting a request); `None` leaves it to the
    /// middleware.
    pub locale: Option<Locale>,
}

impl ApiError {
    pub fn new(error: AppError, locale: Locale) -> Self {
        Self {
            error,
            locale: Some(locale),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        Self { error, locale: None }
    }
}

/// A service error answered without a language yet; the locale
/// middleware renders it again in the request's.
#[derive(Debug, Clone)]
pub(crate) struct Unrendered(pub Arc<AppError>);

/// The status for each kind of service error.
pub fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::InvalidCredentials
        | AppError::Unauthenticated
        | AppError::TotpRequired { .. }
        | AppError::TotpInvalid => StatusCode::UNAUTHORIZED,
        AppError::Forbidden
        | AppError::ReauthRequired
        | AppError::EmailNotVerified
        | AppError::AccountInactive
        | AppError::TermsAcceptanceRequired => StatusCode::FORBIDDEN,
        AppError::NotFound | AppError::Missing(_) => StatusCode::NOT_FOUND,
        AppError::Gone(_) => StatusCode::GONE,
        AppError::TokenInvalid => StatusCode::BAD_REQUEST,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::RateLimited { .. } | AppError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::InsufficientFunds { .. } => StatusCode::PAYMENT_REQUIRED,
        AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The localised message for an error code.
pub fn message(code: impl AsRef<str>, locale: Locale) -> String {
    let key = format!("error.{}", code.as_ref());
    let m = t(locale, &key);
    if m == key {
        t(locale, "error.generic").to_owned()
    } else {
        m.to_owned()
    }
}

/// Builds the JSON error body for any code and status.
pub fn error_response(status: StatusCode, code: Code, locale: Locale, details: Option<serde_json::Value>) -> Response {
    let mut body = json!({ "error": { "code": code.as_str(), "message": message(code.as_str(), locale) } });
    if let Some(d) = details {
        body["error"]["details"] = d;
    }
    let mut res = (status, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(locale.tag()) {
        res.headers_mut().insert(header::CONTENT_LANGUAGE, v);
    }
    res
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self.error {
            AppError::Internal(cause) => tracing::error!(error = %cause, "internal error"),
            AppError::Unavailable(cause) => tracing::warn!(error = %cause, "dependency unavailable"),
            _ => {}
        }
        match self.locale {
            Some(locale) => render(&self.error, locale),
            None => {
                let mut res = render(&self.error, Locale::default());
                res.extensions_mut().insert(Unrendered(Arc::new(self.error)));
                res
            }
        }
    }
}

/// The answer for `error` in `locale`: the body, per-field details on
/// 422, the shortfall on 402, the sign-in challenge on `totp_required`,
/// and `Retry-After` where waiting helps.
pub(crate) fn render(error: &AppError, locale: Locale) -> Response {
    let status = status_of(error);
    let code = error.code();
    let mut body = json!({ "error": { "code": code, "message": message(code, locale) } });
    match error {
        AppError::Validation(fields) => {
            let details: Vec<_> = fields
                .iter()
                .map(|f| json!({ "field": f.field, "code": f.code, "message": message(f.code, locale) }))
                .collect();
            body["error"]["details"] = json!(details);
        }
        AppError::InsufficientFunds {
            shortfall_minor,
            currency,
        } => {
            // How much is missing, in the API's money shape.
            body["error"]["shortfall"] = json!({ "amount_minor": shortfall_minor, "currency": currency });
        }
        AppError::TotpRequired { challenge, expires_at } => {
            // The second step of signing in: the client repeats with this.
            body["error"]["challenge"] = json!(challenge);
            body["error"]["challenge_expires_at"] = json!(expires_at);
        }
        _ => {}
    }
    let mut res = (status, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(locale.tag()) {
        res.headers_mut().insert(header::CONTENT_LANGUAGE, v);
    }
    let retry_after = match error {
        AppError::RateLimited { retry_after_secs } | AppError::Throttled { retry_after_secs, .. } => {
            Some(*retry_after_secs)
        }
        _ if status == StatusCode::SERVICE_UNAVAILABLE => Some(5),
        _ => None,
    };
    if let Some(secs) = retry_after
        && let Ok(v) = HeaderValue::from_str(&secs.to_string())
    {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

/// The answer for a path nothing serves.
pub async fn not_found(headers: axum::http::HeaderMap) -> Response {
    let locale = crate::extract::locale_from_headers(&headers);
    error_response(StatusCode::NOT_FOUND, Code::NotFound, locale, None)
}
