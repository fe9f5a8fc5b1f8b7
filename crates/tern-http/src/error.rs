//! Turning service errors into HTTP answers:
//! `{"error":{"code":"snake_case","message":"…"}}` with the right status,
//! a localised message, per-field `details` on 422, and `Retry-After` on
//! 429. Causes of 5xx answers are logged, never shown.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tern_app::AppError;
use tern_domain::Locale;
use tern_i18n::t;

/// An error on its way to the client, with the language to say it in.
#[derive(Debug)]
pub struct ApiError {
    pub error: AppError,
    pub locale: Locale,
}

impl ApiError {
    pub fn new(error: AppError, locale: Locale) -> Self {
        Self { error, locale }
    }
}

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
pub fn message(code: &str, locale: Locale) -> String {
    let key = format!("error.{code}");
    let m = t(locale, &key);
    if m == key {
        t(locale, "error.generic").to_owned()
    } else {
        m.to_owned()
    }
}

/// Builds the JSON error body for any code and status.
pub fn error_response(status: StatusCode, code: &str, locale: Locale, details: Option<serde_json::Value>) -> Response {
    let mut body = json!({ "error": { "code": code, "message": message(code, locale) } });
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
        let status = status_of(&self.error);
        match &self.error {
            AppError::Internal(cause) => tracing::error!(error = %cause, "internal error"),
            AppError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "dependency unavailable")
            }
            _ => {}
        }
        let details = match &self.error {
            AppError::Validation(fields) => Some(json!(
                fields
                    .iter()
                    .map(|f| json!({
                        "field": f.field,
                        "code": f.code,
                        "message": message(&f.code, self.locale),
                    }))
                    .collect::<Vec<_>>()
            )),
            _ => None,
        };
        let mut res = error_response(status, self.error.code(), self.locale, details);
        if let AppError::InsufficientFunds {
            shortfall_minor,
            currency,
        } = &self.error
        {
            // Tell the client how much is missing, in the API's money shape.
            let body = json!({ "error": {
                "code": self.error.code(),
                "message": message(self.error.code(), self.locale),
                "shortfall": { "amount_minor": shortfall_minor, "currency": currency },
            }});
            let mut r = (status, Json(body)).into_response();
            if let Ok(v) = HeaderValue::from_str(self.locale.tag()) {
                r.headers_mut().insert(header::CONTENT_LANGUAGE, v);
            }
            res = r;
        }
        if let AppError::TotpRequired { challenge, expires_at } = &self.error {
            // The second step of signing in: the client repeats with this.
            let body = json!({ "error": {
                "code": self.error.code(),
                "message": message(self.error.code(), self.locale),
                "challenge": challenge,
                "challenge_expires_at": expires_at,
            }});
            let mut r = (status, Json(body)).into_response();
            if let Ok(v) = HeaderValue::from_str(self.locale.tag()) {
                r.headers_mut().insert(header::CONTENT_LANGUAGE, v);
            }
            res = r;
        }
        if let AppError::RateLimited { retry_after_secs } | AppError::Throttled { retry_after_secs, .. } = self.error
            && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        res
    }
}

/// The answer for a path nothing serves.
pub async fn not_found(headers: axum::http::HeaderMap) -> Response {
    let locale = crate::extract::locale_from_headers(&headers);
    error_response(StatusCode::NOT_FOUND, "not_found", locale, None)
}
