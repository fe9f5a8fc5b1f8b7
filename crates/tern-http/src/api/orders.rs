//! Orders.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use tern_app::orders::{self, OrderInput, OrderView};

use crate::error::ApiError;
use crate::extract::{ApiJson, Auth};
use crate::state::HttpState;

/// Buy a plan from the wallet: a new eSIM, or a top-up of one of yours
/// (`iccid`). Send an `Idempotency-Key`: the same key and body give the
/// same order again; the same key with another body is 409.
#[utoipa::path(post, path = "/api/v1/orders", tag = "orders", request_body = OrderInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    responses((status = 201, body = OrderView), (status = 402, description = "insufficient_funds, with the shortfall"),
              (status = 409, description = "idempotency_key_reused"), (status = 422, description = "plan_not_found / plan_inactive / esim_not_found")),
    security(("bearer" = [])))]
pub async fn create_order(
    State(s): State<HttpState>,
    auth: Auth,
    headers: HeaderMap,
    ApiJson(input): ApiJson<OrderInput>,
) -> Result<(StatusCode, Json<OrderView>), ApiError> {
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    let placed = orders::place(&s.app, &auth.who, input, key).await?;
    Ok((
        StatusCode::from_u16(placed.status).unwrap_or(StatusCode::CREATED),
        Json(placed.order),
    ))
}

/// Your orders, newest first.
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders", responses((status = 200, body = [OrderView])), security(("bearer" = [])))]
pub async fn list_orders(State(s): State<HttpState>, auth: Auth) -> Result<Json<Vec<OrderView>>, ApiError> {
    Ok(Json(orders::list(&s.app, &auth.who).await?))
}

/// One of your orders.
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders", params(("id" = String, Path)),
    responses((status = 200, body = OrderView), (status = 404, description = "not_found")), security(("bearer" = [])))]
pub async fn get_order(
    State(s): State<HttpState>,
    auth: Auth,
    Path(id): Path<tern_domain::OrderId>,
) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(orders::get(&s.app, &auth.who, &id).await?))
}

/// Cancel an unused package on an eSIM never installed, within the
/// cancellation window, for a full refund to the wallet.
#[utoipa::path(post, path = "/api/v1/orders/{id}/cancel", tag = "orders", params(("id" = String, Path)),
    responses((status = 200, body = OrderView), (status = 409, description = "esim_installed / package_used / cancel_window_passed / order_not_cancellable_state")),
    security(("bearer" = [])))]
pub async fn cancel_order(
    State(s): State<HttpState>,
    auth: Auth,
    Path(id): Path<tern_domain::OrderId>,
) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(orders::cancel(&s.app, &auth.who, &id).await?))
}
