//! Sign-up and email verification.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use tern_app::accounts::{self, SignupInput};
use tern_i18n::t;

use crate::error::ApiError;
use crate::extract::{ApiJson, Lang};
use crate::state::HttpState;

/// An accepted request whose result arrives by email.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Accepted {
    pub status: &'static str,
    pub message: String,
}

/// Sign up. The answer is the same whether or not the email already has
/// an account; either way the mailbox receives what to do next.
#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts", request_body = SignupInput,
    responses((status = 202, body = Accepted), (status = 422, description = "invalid fields")))]
pub async fn create_account(
    State(s): State<HttpState>,
    Lang(locale): Lang,
    ApiJson(input): ApiJson<SignupInput>,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    accounts::signup(&s.app, input, locale).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            status: "verification_sent",
            message: t(locale, "signup.check_email").to_owned(),
        }),
    ))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct VerifyEmailInput {
    /// The token from the link in the verification email.
    pub token: String,
}

/// Confirm the email address with the token from the emailed link.
#[utoipa::path(post, path = "/api/v1/accounts/verify-email", tag = "accounts", request_body = VerifyEmailInput,
    responses((status = 204, description = "verified"), (status = 400, description = "token_invalid")))]
pub async fn verify_email(
    State(s): State<HttpState>,
    ApiJson(input): ApiJson<VerifyEmailInput>,
) -> Result<StatusCode, ApiError> {
    accounts::verify_email(&s.app, &input.token).await?;
    Ok(StatusCode::NO_CONTENT)
}
