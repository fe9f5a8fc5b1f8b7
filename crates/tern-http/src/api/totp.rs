//! Two-factor sign-in with an authenticator app (TOTP).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use tern_app::totp::{self, ConfirmInput, DisableInput, Enrolment, RecoveryCodes, TotpStatus};

use crate::error::ApiError;
use crate::extract::{ApiJson, Auth};
use crate::state::HttpState;

/// Whether two-factor is on, and how many recovery codes are left.
#[utoipa::path(get, path = "/api/v1/me/totp", tag = "me",
    responses((status = 200, body = TotpStatus)), security(("bearer" = [])))]
pub async fn status(State(s): State<HttpState>, auth: Auth) -> Result<Json<TotpStatus>, ApiError> {
    Ok(Json(totp::status(&s.app, &auth.who).await?))
}

/// Start setting up two-factor: a new secret, as text, an `otpauth://` URI
/// and a QR code. Needs a recent re-authentication
/// (`POST /api/v1/sessions/current/reauth`). Nothing changes at sign-in
/// until a code is confirmed.
#[utoipa::path(post, path = "/api/v1/me/totp", tag = "me",
    responses((status = 201, body = Enrolment),
              (status = 403, description = "reauthentication_required"),
              (status = 409, description = "totp_already_enabled")),
    security(("bearer" = [])))]
pub async fn start(State(s): State<HttpState>, auth: Auth) -> Result<(StatusCode, Json<Enrolment>), ApiError> {
    let e = totp::start(&s.app, &auth.who).await?;
    Ok((StatusCode::CREATED, Json(e)))
}

/// Turn two-factor on with the first code from the app. Answers the ten
/// single-use recovery codes, this once (only their hashes are kept).
#[utoipa::path(post, path = "/api/v1/me/totp/confirm", tag = "me", request_body = ConfirmInput,
    responses((status = 200, body = RecoveryCodes),
              (status = 409, description = "totp_not_enrolling / totp_already_enabled"),
              (status = 422, description = "totp_invalid"),
              (status = 429, description = "rate_limited: too many wrong codes")),
    security(("bearer" = [])))]
pub async fn confirm(
    State(s): State<HttpState>,
    auth: Auth,
    ApiJson(input): ApiJson<ConfirmInput>,
) -> Result<Json<RecoveryCodes>, ApiError> {
    Ok(Json(totp::confirm(&s.app, &auth.who, &input.code).await?))
}

/// Turn two-factor off: the password and a code from the app (or a
/// recovery code).
#[utoipa::path(delete, path = "/api/v1/me/totp", tag = "me", request_body = DisableInput,
    responses((status = 204, description = "off; secret and recovery codes deleted"),
              (status = 409, description = "totp_not_enabled"),
              (status = 422, description = "password_incorrect / totp_required / totp_invalid"),
              (status = 429, description = "rate_limited")),
    security(("bearer" = [])))]
pub async fn disable(
    State(s): State<HttpState>,
    auth: Auth,
    ApiJson(input): ApiJson<DisableInput>,
) -> Result<StatusCode, ApiError> {
    totp::disable(&s.app, &auth.who, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}
