//! The signed-in user's account.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use tern_app::accounts::{self, Me, ProfileUpdate, SessionView};

use crate::error::ApiError;
use crate::extract::{ApiJson, Auth};
use crate::state::HttpState;

/// Your account.
#[utoipa::path(get, path = "/api/v1/me", tag = "me", responses((status = 200, body = Me)), security(("bearer" = [])))]
pub async fn get_me(State(s): State<HttpState>, auth: Auth) -> Result<Json<Me>, ApiError> {
    Ok(Json(accounts::me(&s.app, &auth.who).await?))
}

/// Change name, language or phone number.
#[utoipa::path(patch, path = "/api/v1/me", tag = "me", request_body = ProfileUpdate,
    responses((status = 200, body = Me), (status = 422, description = "invalid fields")), security(("bearer" = [])))]
pub async fn patch_me(
    State(s): State<HttpState>,
    auth: Auth,
    ApiJson(input): ApiJson<ProfileUpdate>,
) -> Result<Json<Me>, ApiError> {
    Ok(Json(accounts::update_profile(&s.app, &auth.who, input).await?))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// Change the password; every other session ends.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "me", request_body = PasswordChange,
    responses((status = 204, description = "changed"), (status = 422, description = "invalid fields")), security(("bearer" = [])))]
pub async fn change_password(
    State(s): State<HttpState>,
    auth: Auth,
    ApiJson(input): ApiJson<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    accounts::change_password(&s.app, &auth.who, &input.current_password, &input.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Your signed-in devices and API tokens.
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "me", responses((status = 200, body = [SessionView])), security(("bearer" = [])))]
pub async fn list_sessions(State(s): State<HttpState>, auth: Auth) -> Result<Json<Vec<SessionView>>, ApiError> {
    Ok(Json(accounts::list_sessions(&s.app, &auth.who).await?))
}

/// End one of your sessions.
#[utoipa::path(delete, path = "/api/v1/me/sessions/{id}", tag = "me", params(("id" = String, Path)),
    responses((status = 204, description = "ended"), (status = 404, description = "not_found")), security(("bearer" = [])))]
pub async fn end_session(
    State(s): State<HttpState>,
    auth: Auth,
    Path(id): Path<tern_domain::SessionId>,
) -> Result<StatusCode, ApiError> {
    accounts::end_session(&s.app, &auth.who, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Text a verification code to your phone.
#[utoipa::path(post, path = "/api/v1/me/phone/verification", tag = "me",
    responses((status = 202, description = "code sent"), (status = 429, description = "rate_limited")), security(("bearer" = [])))]
pub async fn phone_start(State(s): State<HttpState>, auth: Auth) -> Result<StatusCode, ApiError> {
    accounts::send_phone_code(&s.app, &auth.who).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct PhoneCode {
    pub code: String,
}

/// Confirm the phone with the texted code.
#[utoipa::path(post, path = "/api/v1/me/phone/verification/confirm", tag = "me", request_body = PhoneCode,
    responses((status = 204, description = "verified"), (status = 422, description = "code_invalid"),
              (status = 429, description = "too many attempts")), security(("bearer" = [])))]
pub async fn phone_confirm(
    State(s): State<HttpState>,
    auth: Auth,
    ApiJson(input): ApiJson<PhoneCode>,
) -> Result<StatusCode, ApiError> {
    accounts::confirm_phone_code(&s.app, &auth.who, &input.code).await?;
    Ok(StatusCode::NO_CONTENT)
}
