//! eSIMs.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use tern_app::esims::{self, EsimDetail, EsimSummary};

use crate::error::ApiError;
use crate::extract::{Auth, Credentials};
use crate::state::HttpState;

/// Your eSIMs.
#[utoipa::path(get, path = "/api/v1/esims", tag = "esims", responses((status = 200, body = [EsimSummary])), security(("bearer" = [])))]
pub async fn list_esims(State(s): State<HttpState>, auth: Auth) -> Result<Json<Vec<EsimSummary>>, ApiError> {
    Ok(Json(esims::list(&s.app, &auth.who).await?))
}

/// One eSIM: activation code, manual-entry fields, iOS install link, and
/// its packages with what is used and left.
#[utoipa::path(get, path = "/api/v1/esims/{iccid}", tag = "esims", params(("iccid" = String, Path)),
    responses((status = 200, body = EsimDetail), (status = 404, description = "not_found")), security(("bearer" = [])))]
pub async fn get_esim(
    State(s): State<HttpState>,
    creds: Credentials,
    Path(iccid): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    // The session, the eSIM and its packages in one query.
    let (who, detail) = esims::get_signed_in(&s.app, creds.token()?, &iccid)
        .await
        .map_err(|e| creds.err(e))?;
    creds.signed_in(&s.app, who).await?;
    // Already JSON (rendered once per change of the eSIM).
    let body = detail?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body))
}

/// The activation code as a QR code (SVG).
#[utoipa::path(get, path = "/api/v1/esims/{iccid}/qr.svg", tag = "esims", params(("iccid" = String, Path)),
    responses((status = 200, content_type = "image/svg+xml", description = "the QR code"), (status = 404, description = "not_found")),
    security(("bearer" = [])))]
pub async fn qr_svg(
    State(s): State<HttpState>,
    auth: Auth,
    Path(iccid): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let svg = esims::qr_svg(&s.app, &auth.who, &iccid).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "private, max-age=3600"),
        ],
        svg,
    ))
}

/// Emulator mode only: act as the phone and install this eSIM.
#[utoipa::path(post, path = "/api/v1/esims/{iccid}/simulate-install", tag = "esims", params(("iccid" = String, Path)),
    responses((status = 202, description = "installing"), (status = 409, description = "not_in_emulator_mode / esim_not_installable")),
    security(("bearer" = [])))]
pub async fn simulate_install(
    State(s): State<HttpState>,
    auth: Auth,
    Path(iccid): Path<String>,
) -> Result<StatusCode, ApiError> {
    esims::simulate_install(&s.app, &auth.who, &iccid).await?;
    Ok(StatusCode::ACCEPTED)
}
