//! Operators: finding accounts, one account in full, manual wallet
//! adjustments.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use tern_app::console::{self, AccountDetail, AccountSummary, AdjustmentInput, AdjustmentView};
use tern_domain::Permission;

use crate::error::ApiError;
use crate::extract::{ApiJson, Auth};
use crate::state::HttpState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SearchParams {
    /// An email or phone number (exactly or its first characters, at least
    /// 3), an ICCID, an order id or an account id.
    pub q: String,
}

/// Find accounts (support, finance, admin).
#[utoipa::path(get, path = "/api/v1/admin/accounts", tag = "admin", params(SearchParams),
    responses((status = 200, body = [AccountSummary]), (status = 403, description = "forbidden"),
              (status = 422, description = "search_too_short")), security(("bearer" = [])))]
pub async fn search(
    State(s): State<HttpState>,
    auth: Auth,
    Query(p): Query<SearchParams>,
) -> Result<Json<Vec<AccountSummary>>, ApiError> {
    auth.require(&s, Permission::ViewAccounts, "admin.accounts.search")
        .await?;
    Ok(Json(console::search(&s.app, &auth.who.account_id, &p.q).await?))
}

/// One account: profile, eSIMs and packages, wallet and ledger, orders,
/// closure request, audit trail (support, finance, admin).
#[utoipa::path(get, path = "/api/v1/admin/accounts/{id}", tag = "admin", params(("id" = String, Path)),
    responses((status = 200, body = AccountDetail), (status = 403, description = "forbidden"), (status = 404, description = "not_found")),
    security(("bearer" = [])))]
pub async fn show(
    State(s): State<HttpState>,
    auth: Auth,
    Path(id): Path<tern_domain::AccountId>,
) -> Result<Json<AccountDetail>, ApiError> {
    auth.require(&s, Permission::ViewAccounts, "admin.accounts.show")
        .await?;
    Ok(Json(console::account(&s.app, &auth.who.account_id, &id).await?))
}

/// Credit (positive) or debit (negative) a wallet bucket with a reason
/// (finance, admin). Send an `Idempotency-Key`: the same key and body give
/// the same adjustment again; the same key with another body is 409.
#[utoipa::path(post, path = "/api/v1/admin/accounts/{id}/wallet-adjustments", tag = "admin",
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    request_body = AdjustmentInput,
    responses((status = 201, body = AdjustmentView), (status = 403, description = "forbidden"), (status = 404, description = "not_found"),
              (status = 409, description = "adjustment_exceeds_balance / idempotency_key_reused / account_not_active"),
              (status = 422, description = "amount_zero / currency_not_wallet / bucket_invalid / adjustment_reason_length")),
    security(("bearer" = [])))]
pub async fn adjust(
    State(s): State<HttpState>,
    auth: Auth,
    headers: HeaderMap,
    Path(id): Path<tern_domain::AccountId>,
    ApiJson(input): ApiJson<AdjustmentInput>,
) -> Result<(StatusCode, Json<AdjustmentView>), ApiError> {
    auth.require(&s, Permission::AdjustWallets, "admin.wallet_adjustments.create")
        .await?;
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    let done = console::adjust_wallet(&s.app, &auth.who.account_id, &id, input, key).await?;
    Ok((
        StatusCode::from_u16(done.status).unwrap_or(StatusCode::CREATED),
        Json(done.adjustment),
    ))
}
