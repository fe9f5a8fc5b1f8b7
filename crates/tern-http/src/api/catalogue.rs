//! The plan catalogue.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use tern_app::catalogue::{self, PlanView};

use crate::error::ApiError;
use crate::extract::Lang;
use crate::state::HttpState;

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct PlanQuery {
    /// ISO 3166-1 alpha-2 country the plan must cover, e.g. `JP`.
    country: Option<String>,
    /// `local`, `regional` or `global`.
    region: Option<String>,
}

/// Active plans, cheapest first.
#[utoipa::path(get, path = "/api/v1/plans", tag = "catalogue", params(PlanQuery),
    responses((status = 200, body = [PlanView]), (status = 422, description = "country_unknown / region_invalid")))]
pub async fn list_plans(
    State(s): State<HttpState>,
    Lang(locale): Lang,
    Query(q): Query<PlanQuery>,
) -> Result<impl IntoResponse, ApiError> {
    // Rendered once per reading of the catalogue, not per request.
    let json = catalogue::list_json(&s.app, q.country.as_deref(), q.region.as_deref(), locale).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], Bytes::from_owner(json)))
}

/// One plan.
#[utoipa::path(get, path = "/api/v1/plans/{code}", tag = "catalogue", params(("code" = String, Path)),
    responses((status = 200, body = PlanView), (status = 404, description = "not_found")))]
pub async fn get_plan(
    State(s): State<HttpState>,
    Lang(locale): Lang,
    Path(code): Path<String>,
) -> Result<Json<PlanView>, ApiError> {
    Ok(Json(catalogue::get_view(&s.app, &code, locale).await?))
}
