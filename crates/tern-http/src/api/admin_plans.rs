//! Admins: the plan catalogue (every plan, on and off sale, and imports).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;
use tern_app::Code;
use tern_app::catalogue::{Format, ImportFailure, PlanView};
use tern_app::console;
use tern_domain::Permission;

use crate::error::{ApiError, error_response};
use crate::extract::Auth;
use crate::state::HttpState;

/// What an import did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportResult {
    pub created: usize,
    pub updated: usize,
}

/// Every plan, active or not (admin).
#[utoipa::path(get, path = "/api/v1/admin/plans", tag = "admin",
    responses((status = 200, body = [PlanView]), (status = 403, description = "forbidden")), security(("bearer" = [])))]
pub async fn list(State(s): State<HttpState>, auth: Auth) -> Result<Json<Vec<PlanView>>, ApiError> {
    auth.require(&s, Permission::ManagePlans, "admin.plans.list").await?;
    Ok(Json(console::list_plans(&s.app, auth.locale).await?))
}

async fn set_active(s: HttpState, auth: Auth, code: String, active: bool) -> Result<Json<PlanView>, ApiError> {
    let action = if active {
        "admin.plans.activate"
    } else {
        "admin.plans.deactivate"
    };
    auth.require(&s, Permission::ManagePlans, action).await?;
    Ok(Json(
        console::set_plan_active(&s.app, &auth.who.account_id, &code, active, auth.locale).await?,
    ))
}

/// Put a plan on sale (admin).
#[utoipa::path(post, path = "/api/v1/admin/plans/{code}/activate", tag = "admin", params(("code" = String, Path)),
    responses((status = 200, body = PlanView), (status = 403, description = "forbidden"), (status = 404, description = "not_found")),
    security(("bearer" = [])))]
pub async fn activate(
    State(s): State<HttpState>,
    auth: Auth,
    Path(code): Path<String>,
) -> Result<Json<PlanView>, ApiError> {
    set_active(s, auth, code, true).await
}

/// Take a plan off sale; existing orders keep it (admin).
#[utoipa::path(post, path = "/api/v1/admin/plans/{code}/deactivate", tag = "admin", params(("code" = String, Path)),
    responses((status = 200, body = PlanView), (status = 403, description = "forbidden"), (status = 404, description = "not_found")),
    security(("bearer" = [])))]
pub async fn deactivate(
    State(s): State<HttpState>,
    auth: Auth,
    Path(code): Path<String>,
) -> Result<Json<PlanView>, ApiError> {
    set_active(s, auth, code, false).await
}

/// Import a catalogue file: `application/json` or `text/csv`, the format
/// of `tern plans import` (admin). Every row must be valid or nothing is
/// stored; a bad file is 422 `plan_import_invalid` with one detail per
/// problem (`row`, `line` for CSV, `field`, `code`, `message`).
#[utoipa::path(post, path = "/api/v1/admin/plans/import", tag = "admin",
    request_body(content = String, content_type = "text/csv", description = "or application/json"),
    responses((status = 200, body = ImportResult), (status = 403, description = "forbidden"),
              (status = 415, description = "unsupported_media_type"), (status = 422, description = "plan_import_invalid")),
    security(("bearer" = [])))]
pub async fn import(State(s): State<HttpState>, auth: Auth, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(e) = auth.require(&s, Permission::ManagePlans, "admin.plans.import").await {
        return e.into_response();
    }
    let kind = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let format = if kind.starts_with("text/csv") {
        Format::Csv
    } else if kind.starts_with("application/json") {
        Format::Json
    } else {
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::UnsupportedMediaType,
            auth.locale,
            None,
        );
    };
    match console::import_plans(&s.app, &auth.who.account_id, &body, format).await {
        Ok(r) => Json(ImportResult {
            created: r.created,
            updated: r.updated,
        })
        .into_response(),
        Err(ImportFailure::Invalid(errors)) => error_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            Code::PlanImportInvalid,
            auth.locale,
            Some(json!(import_details(&errors))),
        ),
        Err(ImportFailure::Failed(e)) => auth.err(e).into_response(),
    }
}

/// One JSON object per import problem, for the API and the portal.
pub(crate) fn import_details(errors: &tern_domain::catalogue::import::ImportErrors) -> Vec<serde_json::Value> {
    errors
        .as_slice()
        .iter()
        .map(|e| {
            json!({ "row": e.row, "line": e.line, "field": e.field, "code": e.code.as_str(), "message": e.message })
        })
        .collect()
}
