//! Operators: closure requests (support and admin).

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use tern_app::closure::{self, AdminView};
use tern_domain::Permission;

use crate::error::ApiError;
use crate::extract::{ApiJson, Auth};
use crate::state::HttpState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// received, cooling_off, processing, completed, canceled, on_hold
    pub state: Option<String>,
    /// overdue, due_soon, ok, done
    pub deadline: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldInput {
    /// Shown to the traveller on the status page and to operators.
    pub reason: String,
}

async fn staff(s: &HttpState, auth: &Auth, action: &str) -> Result<(), ApiError> {
    auth.require(s, Permission::HoldClosures, action).await
}

/// Closure requests, soonest due first.
#[utoipa::path(get, path = "/api/v1/admin/closures", tag = "admin", params(ListParams),
    responses((status = 200, body = [AdminView]), (status = 403, description = "forbidden")), security(("bearer" = [])))]
pub async fn list(
    State(s): State<HttpState>,
    auth: Auth,
    Query(p): Query<ListParams>,
) -> Result<Json<Vec<AdminView>>, ApiError> {
    staff(&s, &auth, "admin.closures.list").await?;
    let state = p.state.as_deref().filter(|s| !s.is_empty());
    let deadline = p.deadline.as_deref().filter(|s| !s.is_empty());
    Ok(Json(
        closure::list(&s.app, state, deadline, p.limit.unwrap_or(200)).await?,
    ))
}

/// One closure request with its steps and last error.
#[utoipa::path(get, path = "/api/v1/admin/closures/{id}", tag = "admin", params(("id" = String, Path)),
    responses((status = 200, body = AdminView), (status = 404, description = "not_found")), security(("bearer" = [])))]
pub async fn show(
    State(s): State<HttpState>,
    auth: Auth,
    Path(id): Path<tern_domain::ClosureId>,
) -> Result<Json<AdminView>, ApiError> {
    staff(&s, &auth, "admin.closures.show").await?;
    Ok(Json(closure::show(&s.app, &id).await?))
}

/// Put a request on hold, with a reason.
#[utoipa::path(post, path = "/api/v1/admin/closures/{id}/hold", tag = "admin", params(("id" = String, Path)),
    request_body = HoldInput,
    responses((status = 200, body = AdminView), (status = 409, description = "closure_transition_not_allowed")),
    security(("bearer" = [])))]
pub async fn hold(
    State(s): State<HttpState>,
    auth: Auth,
    Path(id): Path<tern_domain::ClosureId>,
    ApiJson(input): ApiJson<HoldInput>,
) -> Result<Json<AdminView>, ApiError> {
    staff(&s, &auth, "admin.closures.hold").await?;
    Ok(Json(
        closure::hold(&s.app, &auth.who.account_id, &id, &input.reason).await?,
    ))
}

/// Take a request off hold and run it.
#[utoipa::path(post, path = "/api/v1/admin/closures/{id}/resume", tag = "admin", params(("id" = String, Path)),
    responses((status = 200, body = AdminView), (status = 409, description = "closure_transition_not_allowed")),
    security(("bearer" = [])))]
pub async fn resume(
    State(s): State<HttpState>,
    auth: Auth,
    Path(id): Path<tern_domain::ClosureId>,
) -> Result<Json<AdminView>, ApiError> {
    staff(&s, &auth, "admin.closures.resume").await?;
    Ok(Json(closure::resume(&s.app, &auth.who.account_id, &id).await?))
}

/// Run a request's workflow again now.
#[utoipa::path(post, path = "/api/v1/admin/closures/{id}/retry", tag = "admin", params(("id" = String, Path)),
    responses((status = 200, body = AdminView), (status = 409, description = "closure_not_open")),
    security(("bearer" = [])))]
pub async fn retry(
    State(s): State<HttpState>,
    auth: Auth,
    Path(id): Path<tern_domain::ClosureId>,
) -> Result<Json<AdminView>, ApiError> {
    staff(&s, &auth, "admin.closures.retry").await?;
    Ok(Json(closure::retry(&s.app, &auth.who.account_id, &id).await?))
}
