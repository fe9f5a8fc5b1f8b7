//! Wallet top-ups and the payment gateway's webhook.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use tern_app::AppError;
use tern_app::payments::{self, SANDBOX, SandboxGateway, TopUpView};

use crate::error::ApiError;
use crate::extract::{ApiJson, Auth};
use crate::state::HttpState;

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct TopUpInput {
    /// In minor units of the wallet currency (1.00 to 500.00).
    pub amount_minor: i64,
}

/// Start a top-up; pay on the returned `checkout_url`. The wallet is
/// credited when the gateway confirms the payment.
#[utoipa::path(post, path = "/api/v1/wallet/top-ups", tag = "wallet", request_body = TopUpInput,
    responses((status = 201, body = TopUpView), (status = 422, description = "top_up_amount_out_of_range")), security(("bearer" = [])))]
pub async fn start_top_up(
    State(s): State<HttpState>,
    auth: Auth,
    ApiJson(input): ApiJson<TopUpInput>,
) -> Result<(StatusCode, Json<TopUpView>), ApiError> {
    let t = payments::start(&s.app, &auth.who, input.amount_minor).await?;
    Ok((StatusCode::CREATED, Json(t)))
}

/// One of your top-ups.
#[utoipa::path(get, path = "/api/v1/wallet/top-ups/{id}", tag = "wallet", params(("id" = String, Path)),
    responses((status = 200, body = TopUpView), (status = 404, description = "not_found")), security(("bearer" = [])))]
pub async fn get_top_up(
    State(s): State<HttpState>,
    auth: Auth,
    Path(id): Path<tern_domain::TopUpId>,
) -> Result<Json<TopUpView>, ApiError> {
    Ok(Json(payments::get(&s.app, &auth.who, &id).await?))
}

/// The payment gateway's webhook (signed).
#[utoipa::path(post, path = "/api/v1/payments/webhook/{gateway}", tag = "integrations", params(("gateway" = String, Path)),
    responses((status = 200, description = "accepted"), (status = 401, description = "bad signature")))]
pub async fn webhook(
    State(s): State<HttpState>,
    Path(gateway): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let locale = tern_domain::Locale::En;
    if gateway != SANDBOX {
        return Err(ApiError::new(AppError::NotFound, locale));
    }
    let sig = headers
        .get("x-sandbox-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    payments::webhook(&s.app, &SandboxGateway, sig, &body).await?;
    Ok(StatusCode::OK)
}
