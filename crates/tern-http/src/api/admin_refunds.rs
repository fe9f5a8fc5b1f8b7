//! Finance: manual refund payouts left by closure settlement.

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use tern_app::console::{self, ApproveInput, RefundView};
use tern_domain::Permission;

use crate::error::ApiError;
use crate::extract::{ApiJson, Auth};
use crate::state::HttpState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// awaiting_payout (the default), paid_out, pending, refunded
    pub state: Option<String>,
}

/// Refund lines by state, oldest first (finance, admin).
#[utoipa::path(get, path = "/api/v1/admin/refunds", tag = "admin", params(ListParams),
    responses((status = 200, body = [RefundView]), (status = 403, description = "forbidden")), security(("bearer" = [])))]
pub async fn list(
    State(s): State<HttpState>,
    auth: Auth,
    Query(p): Query<ListParams>,
) -> Result<Json<Vec<RefundView>>, ApiError> {
    auth.require(&s, Permission::ApproveRefunds, "admin.refunds.list")
        .await?;
    let state = console::refund_state(p.state.as_deref().filter(|s| !s.is_empty()))?;
    Ok(Json(console::list_refunds(&s.app, state).await?))
}

/// Mark a manual payout made, with the transfer's reference (finance, admin).
#[utoipa::path(post, path = "/api/v1/admin/refunds/{id}/approve", tag = "admin", params(("id" = String, Path)),
    request_body = ApproveInput,
    responses((status = 200, body = RefundView), (status = 403, description = "forbidden"), (status = 404, description = "not_found"),
              (status = 409, description = "refund_not_awaiting_payout")),
    security(("bearer" = [])))]
pub async fn approve(
    State(s): State<HttpState>,
    auth: Auth,
    Path(id): Path<tern_domain::RefundId>,
    ApiJson(input): ApiJson<ApproveInput>,
) -> Result<Json<RefundView>, ApiError> {
    auth.require(&s, Permission::ApproveRefunds, "admin.refunds.approve")
        .await?;
    Ok(Json(
        console::approve_refund(&s.app, &auth.who.account_id, &id, input.reference.as_deref()).await?,
    ))
}
