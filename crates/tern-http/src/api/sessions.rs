//! Signing in and out.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use tern_app::accounts::{self, LoginInput, NewSession};

use crate::error::ApiError;
use crate::extract::{ApiJson, Auth, Client};
use crate::state::HttpState;

/// Sign in with email and password; returns a bearer token. With
/// two-factor on, a correct password answers 401 `totp_required` with
/// `error.challenge` (valid five minutes): repeat with `challenge` and
/// `totp_code` (or `recovery_code`) instead of email and password. A wrong
/// password always answers the same 401 `invalid_credentials`.
#[utoipa::path(post, path = "/api/v1/sessions", tag = "sessions", request_body = LoginInput,
    responses((status = 201, body = NewSession),
              (status = 400, description = "token_invalid: the challenge expired or was used"),
              (status = 401, description = "invalid_credentials / totp_required (with `error.challenge`, `error.challenge_expires_at`) / totp_invalid"),
              (status = 403, description = "email_not_verified"), (status = 429, description = "rate_limited")))]
pub async fn create_session(
    State(s): State<HttpState>,
    client: Client,
    ApiJson(input): ApiJson<LoginInput>,
) -> Result<(StatusCode, Json<NewSession>), ApiError> {
    let session = accounts::login(&s.app, input, client.ip.as_deref(), client.user_agent.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(session)))
}

/// Sign out: the token stops working.
#[utoipa::path(delete, path = "/api/v1/sessions/current", tag = "sessions",
    responses((status = 204, description = "signed out"), (status = 401, description = "unauthenticated")),
    security(("bearer" = [])))]
pub async fn delete_current_session(State(s): State<HttpState>, auth: Auth) -> Result<StatusCode, ApiError> {
    accounts::logout(&s.app, &auth.who).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct ReauthInput {
    pub password: String,
}

/// Enter the password again to open a short window for sensitive actions.
#[utoipa::path(post, path = "/api/v1/sessions/current/reauth", tag = "sessions", request_body = ReauthInput,
    responses((status = 204, description = "re-authenticated"), (status = 422, description = "password_incorrect"),
              (status = 429, description = "rate_limited")),
    security(("bearer" = [])))]
pub async fn reauthenticate(
    State(s): State<HttpState>,
    auth: Auth,
    ApiJson(input): ApiJson<ReauthInput>,
) -> Result<StatusCode, ApiError> {
    accounts::reauthenticate(&s.app, &auth.who, &input.password).await?;
    Ok(StatusCode::NO_CONTENT)
}
