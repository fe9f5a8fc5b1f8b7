//! Usage: batches of records from the mobile network, and an eSIM's usage
//! history for its owner.

use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tern_app::usage::{self, BatchRejected, IngestReport, UsageBatch, UsageSeries};
use tern_app::{AppError, Code};
use tern_domain::Locale;

use crate::error::{ApiError, error_response, message};
use crate::extract::{ApiJson, Auth, locale_from_headers};
use crate::state::HttpState;

/// Largest body of a usage batch: 10 000 records fit with room to spare.
pub const MAX_USAGE_BODY: usize = 8 * 1024 * 1024;
/// Most problems listed in a 422 answer.
const MAX_DETAILS: usize = 1_000;

/// An integrator calling with an API key of the `network` role
/// (`Authorization: Bearer tern_key_…`). Session tokens are not keys.
pub struct NetworkKey {
    pub locale: Locale,
}

impl FromRequestParts<HttpState> for NetworkKey {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &HttpState) -> Result<Self, Self::Rejection> {
        let locale = locale_from_headers(&parts.headers);
        let key = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, key) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| key.trim())
            })
            .ok_or_else(|| ApiError::new(AppError::Unauthenticated, locale))?;
        usage::authenticate_network(&state.app, key).await?;
        Ok(NetworkKey { locale })
    }
}

/// Post a batch of 1 to 10 000 usage records (operator API key with the
/// `network` role). Every record is checked first: one invalid record
/// refuses the whole batch (422, with `index`, `field` and `code` per
/// problem) and nothing is stored. Records repeating an event id already
/// seen are counted as `duplicates` and ignored, so a batch can be sent
/// again safely; records for unknown ICCIDs are counted, not refused.
#[utoipa::path(post, path = "/api/v1/network/usage", tag = "integrations", request_body = UsageBatch,
    responses((status = 200, body = IngestReport), (status = 401, description = "unauthenticated: no valid network API key"),
              (status = 413, description = "batch_too_large (more than 10 000 records) / body_too_large"),
              (status = 422, description = "validation_failed, with per-record details / batch_empty")),
    security(("bearer" = [])))]
pub async fn post_usage(
    State(s): State<HttpState>,
    key: NetworkKey,
    ApiJson(batch): ApiJson<UsageBatch>,
) -> Result<Json<IngestReport>, Response> {
    let records = usage::validate(&s.app, &batch).map_err(|r| rejected(r, key.locale))?;
    drop(batch);
    let report = usage::ingest(&s.app, records)
        .await
        .map_err(|e| ApiError::new(e, key.locale).into_response())?;
    Ok(Json(report))
}

fn rejected(r: BatchRejected, locale: Locale) -> Response {
    match r {
        BatchRejected::Empty => error_response(StatusCode::UNPROCESSABLE_ENTITY, Code::BatchEmpty, locale, None),
        BatchRejected::TooLarge { max } => {
            let mut res = error_response(StatusCode::PAYLOAD_TOO_LARGE, Code::BatchTooLarge, locale, None);
            if let Ok(v) = HeaderValue::from_str(&max.to_string()) {
                res.headers_mut().insert("x-max-records", v);
            }
            res
        }
        BatchRejected::Invalid {
            errors,
            invalid_records,
        } => {
            let details: Vec<_> = errors
                .iter()
                .take(MAX_DETAILS)
                .map(|e| {
                    json!({
                        "index": e.index,
                        "field": format!("records[{}].{}", e.index, e.field),
                        "code": e.code,
                        "message": message(e.code, locale),
                    })
                })
                .collect();
            let body = json!({ "error": {
                "code": "validation_failed",
                "message": message("validation_failed", locale),
                "invalid_records": invalid_records,
                "details": details,
            }});
            let mut res = (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response();
            if let Ok(v) = HeaderValue::from_str(locale.tag()) {
                res.headers_mut().insert(header::CONTENT_LANGUAGE, v);
            }
            res
        }
    }
}

/// Usage of one of your eSIMs per UTC day (for a chart), with totals and
/// the part no plan covered.
#[utoipa::path(get, path = "/api/v1/esims/{iccid}/usage", tag = "esims", params(("iccid" = String, Path)),
    responses((status = 200, body = UsageSeries), (status = 404, description = "not_found")), security(("bearer" = [])))]
pub async fn esim_usage(
    State(s): State<HttpState>,
    auth: Auth,
    Path(iccid): Path<String>,
) -> Result<Json<UsageSeries>, ApiError> {
    Ok(Json(usage::series(&s.app, &auth.who, &iccid).await?))
}
