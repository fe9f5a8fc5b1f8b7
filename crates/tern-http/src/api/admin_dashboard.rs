//! Operators: the dashboard's figures.

use axum::Json;
use axum::extract::State;
use tern_app::console::{self, Dashboard};
use tern_domain::Permission;

use crate::error::ApiError;
use crate::extract::Auth;
use crate::state::HttpState;

/// Per-day figures over the last 30 days and eSIMs by state (support,
/// finance, admin).
#[utoipa::path(get, path = "/api/v1/admin/dashboard", tag = "admin",
    responses((status = 200, body = Dashboard), (status = 403, description = "forbidden")), security(("bearer" = [])))]
pub async fn get(State(s): State<HttpState>, auth: Auth) -> Result<Json<Dashboard>, ApiError> {
    auth.require(&s, Permission::ViewAccounts, "admin.dashboard").await?;
    Ok(Json(console::dashboard(&s.app).await?))
}
