//! Admins: staff accounts.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use tern_app::console::{self, NewStaff, StaffInput, StaffView};
use tern_domain::Permission;

use crate::error::ApiError;
use crate::extract::{ApiJson, Auth};
use crate::state::HttpState;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleInput {
    /// `admin`, `support` or `finance`.
    pub role: String,
}

/// Staff accounts (admin).
#[utoipa::path(get, path = "/api/v1/admin/staff", tag = "admin",
    responses((status = 200, body = [StaffView]), (status = 403, description = "forbidden")), security(("bearer" = [])))]
pub async fn list(State(s): State<HttpState>, auth: Auth) -> Result<Json<Vec<StaffView>>, ApiError> {
    auth.require(&s, Permission::ManageStaff, "admin.staff.list").await?;
    Ok(Json(console::list_staff(&s.app).await?))
}

/// Add a staff member by email (admin). A new account answers its
/// one-time password, shown once; an existing account gets the role.
#[utoipa::path(post, path = "/api/v1/admin/staff", tag = "admin", request_body = StaffInput,
    responses((status = 201, body = NewStaff), (status = 403, description = "forbidden"),
              (status = 422, description = "email_invalid / role_not_staff")), security(("bearer" = [])))]
pub async fn create(
    State(s): State<HttpState>,
    auth: Auth,
    ApiJson(input): ApiJson<StaffInput>,
) -> Result<(StatusCode, Json<NewStaff>), ApiError> {
    auth.require(&s, Permission::ManageStaff, "admin.staff.create").await?;
    let made = console::create_staff(&s.app, &auth.who.account_id, &input).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// Change a staff member's role (admin; not your own).
#[utoipa::path(post, path = "/api/v1/admin/staff/{id}/role", tag = "admin", params(("id" = String, Path)),
    request_body = RoleInput,
    responses((status = 200, body = StaffView), (status = 403, description = "forbidden"), (status = 404, description = "not_found"),
              (status = 409, description = "staff_self_change")), security(("bearer" = [])))]
pub async fn set_role(
    State(s): State<HttpState>,
    auth: Auth,
    Path(id): Path<tern_domain::AccountId>,
    ApiJson(input): ApiJson<RoleInput>,
) -> Result<Json<StaffView>, ApiError> {
    auth.require(&s, Permission::ManageStaff, "admin.staff.role").await?;
    Ok(Json(
        console::set_staff_role(&s.app, &auth.who.account_id, &id, &input.role).await?,
    ))
}

/// Disable a staff account and end its sessions (admin; not your own).
#[utoipa::path(post, path = "/api/v1/admin/staff/{id}/disable", tag = "admin", params(("id" = String, Path)),
    responses((status = 200, body = StaffView), (status = 403, description = "forbidden"), (status = 404, description = "not_found"),
              (status = 409, description = "staff_self_change / staff_not_active")), security(("bearer" = [])))]
pub async fn disable(
    State(s): State<HttpState>,
    auth: Auth,
    Path(id): Path<tern_domain::AccountId>,
) -> Result<Json<StaffView>, ApiError> {
    auth.require(&s, Permission::ManageStaff, "admin.staff.disable").await?;
    Ok(Json(console::disable_staff(&s.app, &auth.who.account_id, &id).await?))
}
