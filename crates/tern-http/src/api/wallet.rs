//! The wallet.

use axum::Json;
use axum::extract::State;
use tern_app::wallet::{self, WalletView};

use crate::error::ApiError;
use crate::extract::{ApiJson, Auth};
use crate::state::HttpState;

/// Your balance (cash and promotional credit) and latest movements.
#[utoipa::path(get, path = "/api/v1/wallet", tag = "wallet", responses((status = 200, body = WalletView)), security(("bearer" = [])))]
pub async fn get_wallet(State(s): State<HttpState>, auth: Auth) -> Result<Json<WalletView>, ApiError> {
    Ok(Json(wallet::view(&s.app, &auth.who).await?))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct RedeemInput {
    /// The voucher code; case, spaces and dashes do not matter.
    pub code: String,
}

/// Redeem a voucher code into the wallet.
#[utoipa::path(post, path = "/api/v1/wallet/redeem", tag = "wallet", request_body = RedeemInput,
    responses((status = 200, body = WalletView), (status = 409, description = "voucher_already_redeemed"),
              (status = 422, description = "voucher_invalid / voucher_expired"), (status = 429, description = "rate_limited")),
    security(("bearer" = [])))]
pub async fn redeem(
    State(s): State<HttpState>,
    auth: Auth,
    ApiJson(input): ApiJson<RedeemInput>,
) -> Result<Json<WalletView>, ApiError> {
    Ok(Json(wallet::redeem(&s.app, &auth.who, &input.code).await?))
}
