//! Personal data exports: ask for one, follow it, download it by the
//! emailed link.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tern_app::exports::{self, ExportView};

use crate::error::ApiError;
use crate::extract::Auth;
use crate::state::HttpState;

/// Ask for a ZIP of all your data. It is built in the background and a
/// download link is emailed to you; one export per 24 hours.
#[utoipa::path(post, path = "/api/v1/me/exports", tag = "exports",
    responses((status = 202, body = ExportView), (status = 429, description = "export_rate_limited, with Retry-After")),
    security(("bearer" = [])))]
pub async fn request_export(
    State(s): State<HttpState>,
    auth: Auth,
) -> Result<(StatusCode, Json<ExportView>), ApiError> {
    let view = exports::request(&s.app, &auth.who).await?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}

/// One of your exports: whether it is ready, and until when its link works.
#[utoipa::path(get, path = "/api/v1/me/exports/{id}", tag = "exports", params(("id" = String, Path)),
    responses((status = 200, body = ExportView), (status = 404, description = "export_not_found")),
    security(("bearer" = [])))]
pub async fn get_export(
    State(s): State<HttpState>,
    auth: Auth,
    Path(id): Path<tern_domain::ExportId>,
) -> Result<Json<ExportView>, ApiError> {
    Ok(Json(exports::get(&s.app, &auth.who, &id).await?))
}

/// Download an export with the token from the emailed link; no sign-in.
#[utoipa::path(get, path = "/api/v1/exports/download/{token}", tag = "exports", params(("token" = String, Path)),
    responses((status = 200, content_type = "application/zip", description = "the ZIP"),
              (status = 404, description = "export_not_found"),
              (status = 410, description = "export_expired: the link ran out and the file is deleted")))]
pub async fn download_export(State(s): State<HttpState>, Path(token): Path<String>) -> Result<Response, ApiError> {
    let (name, zip) = exports::download(&s.app, &token).await?;
    Ok(attachment(&name, zip))
}

/// A ZIP to save, never cached or sent on as a referrer (the path holds the
/// token).
pub(crate) fn attachment(file_name: &str, zip: Vec<u8>) -> Response {
    let mut res = zip.into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/zip"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    // The name is Tern's own (`tern-export-YYYY-MM-DD.zip`); anything else
    // is replaced rather than put in a header.
    let safe = file_name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    let name = if safe && !file_name.is_empty() {
        file_name
    } else {
        "tern-export.zip"
    };
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}
