//! Forgotten passwords.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use tern_app::accounts;
use tern_i18n::t;

use super::accounts::Accepted;
use crate::error::ApiError;
use crate::extract::{ApiJson, Client, Lang};
use crate::state::HttpState;

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct ResetRequest {
    pub email: String,
}

/// Ask for a reset link. Always 202, whatever the email.
#[utoipa::path(post, path = "/api/v1/password-resets", tag = "accounts", request_body = ResetRequest,
    responses((status = 202, body = Accepted)))]
pub async fn request_reset(
    State(s): State<HttpState>,
    Lang(locale): Lang,
    client: Client,
    ApiJson(input): ApiJson<ResetRequest>,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    accounts::request_reset(&s.app, &input.email, client.ip.as_deref()).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            status: "accepted",
            message: t(locale, "reset.sent").to_owned(),
        }),
    ))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct ResetConfirm {
    pub token: String,
    pub new_password: String,
}

/// Set a new password with the token from the emailed link; every session ends.
#[utoipa::path(post, path = "/api/v1/password-resets/confirm", tag = "accounts", request_body = ResetConfirm,
    responses((status = 204, description = "password set"), (status = 400, description = "token_invalid"),
              (status = 422, description = "weak password")))]
pub async fn confirm_reset(
    State(s): State<HttpState>,
    ApiJson(input): ApiJson<ResetConfirm>,
) -> Result<StatusCode, ApiError> {
    accounts::confirm_reset(&s.app, &input.token, &input.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}
