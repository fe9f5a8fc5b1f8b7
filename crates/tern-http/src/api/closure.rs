//! Closing an account: preview, request, status, cancel; and the public
//! status page's JSON.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use tern_app::closure::{self, ClosureInput, ClosureView, Preview, StatusView};

use crate::error::ApiError;
use crate::extract::{ApiJson, Auth};
use crate::state::HttpState;

/// What closing your account would do: refund, eSIMs that stop, what holds
/// processing, what is deleted and what is kept (and until when), the
/// cooling-off end and due date, and the phrase to type.
#[utoipa::path(get, path = "/api/v1/me/closure/preview", tag = "closure",
    responses((status = 200, body = Preview)), security(("bearer" = [])))]
pub async fn preview(State(s): State<HttpState>, auth: Auth) -> Result<Json<Preview>, ApiError> {
    Ok(Json(closure::preview(&s.app, &auth.who).await?))
}

/// Ask for your account to be closed. Needs the password and the typed
/// phrase. While a request is open, any further request (with any key)
/// returns it; the same `Idempotency-Key` with another body is 409.
#[utoipa::path(post, path = "/api/v1/me/closure", tag = "closure", request_body = ClosureInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    responses((status = 202, body = ClosureView),
              (status = 409, description = "idempotency_key_reused"),
              (status = 422, description = "confirmation_mismatch / reason_invalid / reason_too_long / password_incorrect"),
              (status = 429, description = "too many wrong passwords")),
    security(("bearer" = [])))]
pub async fn request(
    State(s): State<HttpState>,
    auth: Auth,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ClosureInput>,
) -> Result<(StatusCode, Json<ClosureView>), ApiError> {
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    let v = closure::request(&s.app, &auth.who, input, key).await?;
    Ok((StatusCode::ACCEPTED, Json(v)))
}

/// Your open closure request, or the latest one.
#[utoipa::path(get, path = "/api/v1/me/closure", tag = "closure",
    responses((status = 200, body = ClosureView), (status = 404, description = "not_found")), security(("bearer" = [])))]
pub async fn current(State(s): State<HttpState>, auth: Auth) -> Result<Json<ClosureView>, ApiError> {
    Ok(Json(closure::current(&s.app, &auth.who).await?))
}

/// Call off your closure request during cooling-off.
#[utoipa::path(delete, path = "/api/v1/me/closure", tag = "closure",
    responses((status = 200, body = ClosureView), (status = 404, description = "not_found"),
              (status = 409, description = "closure_not_cancelable")), security(("bearer" = [])))]
pub async fn cancel(State(s): State<HttpState>, auth: Auth) -> Result<Json<ClosureView>, ApiError> {
    let actor = auth.who.account_id.clone();
    Ok(Json(closure::cancel(&s.app, &auth.who, &actor).await?))
}

/// The progress of a closure request, by the token in its status link. No
/// sign-in; no personal data.
#[utoipa::path(get, path = "/api/v1/closure-status/{token}", tag = "closure", params(("token" = String, Path)),
    responses((status = 200, body = StatusView), (status = 404, description = "not_found")))]
pub async fn status(State(s): State<HttpState>, Path(token): Path<String>) -> Result<Json<StatusView>, ApiError> {
    Ok(Json(closure::status_by_token(&s.app, &token).await?))
}
