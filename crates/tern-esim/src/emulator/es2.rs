//! The SM-DP+ side of ES2+: parse, check the header, run the function on
//! the inventory, answer in SGP.22 JSON.
//!
//! Function-level refusals answer HTTP 200 with `Failed`, as the JSON
//! binding does; a body that is not a JSON object of the right shape, a
//! missing `X-Admin-Protocol` and an unknown function answer 400/404, still
//! with a `Failed` body. Nothing here panics or answers 500.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tern_domain::ids::{Eid, Iccid};

use super::SmdpEmulator;
use super::inventory::{Cancel, Confirm, Refusal};
use crate::codes;
use crate::wire::{
    ADMIN_PROTOCOL, ADMIN_PROTOCOL_HEADER, CancelOrderRequest, ConfirmOrderRequest, ConfirmOrderResponse,
    DownloadOrderRequest, DownloadOrderResponse, Es2Function, GetProfileStatusRequest, GetProfileStatusResponse,
    HeaderOnlyResponse, ReleaseProfileRequest, RequestHeader, ResponseHeader,
};

/// The most ICCIDs one getProfileStatus may ask about.
const MAX_STATUS_LIST: usize = 1000;

/// A refusal and the HTTP status it goes out with.
struct Failure {
    http: StatusCode,
    refusal: Refusal,
}

impl From<Refusal> for Failure {
    fn from(refusal: Refusal) -> Self {
        Self {
            http: StatusCode::OK,
            refusal,
        }
    }
}

/// `POST /gsma/rsp2/es2plus/{function}`.
pub(crate) async fn handle(
    State(emulator): State<SmdpEmulator>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let protocol_ok = headers
        .get(ADMIN_PROTOCOL_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("gsma/rsp/v2."));
    if !protocol_ok {
        return failed(Failure {
            http: StatusCode::BAD_REQUEST,
            refusal: Refusal::new(
                codes::PROTOCOL_VERSION_UNSUPPORTED,
                format!("{ADMIN_PROTOCOL_HEADER}: {ADMIN_PROTOCOL} is required"),
            ),
        });
    }
    let Some(function) = Es2Function::from_name(&name) else {
        return failed(Failure {
            http: StatusCode::NOT_FOUND,
            refusal: Refusal::new(codes::FUNCTION_UNSUPPORTED, "unknown ES2+ function"),
        });
    };
    let e = &emulator;
    let outcome = match function {
        Es2Function::DownloadOrder => download_order(e, &body).map(answer),
        Es2Function::ConfirmOrder => confirm_order(e, &body).map(answer),
        Es2Function::CancelOrder => cancel_order(e, &body).map(answer),
        Es2Function::ReleaseProfile => release_profile(e, &body).map(answer),
        Es2Function::GetProfileStatus => get_profile_status(e, &body).map(answer),
    };
    match outcome {
        Ok(response) => {
            tracing::debug!(%function, "emulated ES2+ call executed");
            response
        }
        Err(failure) => {
            tracing::debug!(%function, code = %failure.refusal.code, "emulated ES2+ call refused");
            failed(failure)
        }
    }
}

fn download_order(e: &SmdpEmulator, body: &[u8]) -> Result<DownloadOrderResponse, Failure> {
    let req: DownloadOrderRequest = parse(body)?;
    let requester = requester(req.header)?;
    let eid = eid(req.eid)?;
    let iccid = req.iccid.map(|raw| iccid(Some(raw))).transpose()?;
    let ordered = e
        .inventory()
        .order(&requester, eid, iccid, req.profile_type.as_deref())?;
    Ok(DownloadOrderResponse {
        header: ResponseHeader::success(),
        iccid: Some(ordered.to_es2_wire()),
    })
}

fn confirm_order(e: &SmdpEmulator, body: &[u8]) -> Result<ConfirmOrderResponse, Failure> {
    let req: ConfirmOrderRequest = parse(body)?;
    let requester = requester(req.header)?;
    let iccid = iccid(req.iccid)?;
    let eid = eid(req.eid)?;
    let release = req
        .release_flag
        .ok_or_else(|| Refusal::new(codes::ELEMENT_MISSING, "releaseFlag is required"))?;
    let confirm = Confirm {
        iccid,
        eid,
        matching_id: req.matching_id,
        confirmation_code: req.confirmation_code,
        smds_address: req.smds_address.is_some_and(|s| !s.is_empty()),
        release,
    };
    let (eid, matching_id) = e.inventory().confirm(&requester, confirm)?;
    Ok(ConfirmOrderResponse {
        header: ResponseHeader::success(),
        eid: eid.map(|e| e.as_str().to_owned()),
        matching_id: Some(matching_id),
        smdp_address: Some(e.config().smdp_address.clone()),
    })
}

fn cancel_order(e: &SmdpEmulator, body: &[u8]) -> Result<HeaderOnlyResponse, Failure> {
    let req: CancelOrderRequest = parse(body)?;
    let requester = requester(req.header)?;
    let iccid = iccid(req.iccid)?;
    let to = req
        .final_profile_status_indicator
        .ok_or_else(|| Refusal::new(codes::ICCID_MISSING, "finalProfileStatusIndicator is required"))?;
    let cancel = Cancel {
        iccid,
        eid: eid(req.eid)?,
        matching_id: req.matching_id,
        to,
    };
    e.inventory().cancel(&requester, cancel)?;
    Ok(HeaderOnlyResponse {
        header: ResponseHeader::success(),
    })
}

fn release_profile(e: &SmdpEmulator, body: &[u8]) -> Result<HeaderOnlyResponse, Failure> {
    let req: ReleaseProfileRequest = parse(body)?;
    let requester = requester(req.header)?;
    let iccid = iccid(req.iccid)?;
    e.inventory().release(&requester, &iccid)?;
    Ok(HeaderOnlyResponse {
        header: ResponseHeader::success(),
    })
}

fn get_profile_status(e: &SmdpEmulator, body: &[u8]) -> Result<GetProfileStatusResponse, Failure> {
    let req: GetProfileStatusRequest = parse(body)?;
    requester(req.header)?;
    let list = req
        .iccid_list
        .filter(|l| !l.is_empty())
        .ok_or_else(|| Refusal::new(codes::ELEMENT_MISSING, "iccidList is required"))?;
    if list.len() > MAX_STATUS_LIST {
        return Err(Refusal::new(
            codes::BODY_INVALID,
            format!("at most {MAX_STATUS_LIST} ICCIDs per call"),
        )
        .into());
    }
    let iccids = list
        .into_iter()
        .map(|raw| iccid(Some(raw)))
        .collect::<Result<Vec<_>, _>>()?;
    let entries = e.inventory().status(&iccids)?;
    Ok(GetProfileStatusResponse {
        header: ResponseHeader::success(),
        profile_status_list: Some(entries),
    })
}

/// The body as `T`, which must be a JSON object.
fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Failure> {
    let invalid = |message: String| Failure {
        http: StatusCode::BAD_REQUEST,
        refusal: Refusal::new(codes::BODY_INVALID, message),
    };
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| invalid(format!("not JSON: {e}")))?;
    if !value.is_object() {
        return Err(invalid("the body must be a JSON object".into()));
    }
    serde_json::from_value(value).map_err(|e| invalid(format!("unexpected body: {e}")))
}

/// The caller's identity, once the header is complete.
fn requester(header: Option<RequestHeader>) -> Result<String, Failure> {
    let header = header.ok_or_else(|| Refusal::new(codes::ELEMENT_MISSING, "header is required"))?;
    let present = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    if !present(&header.function_call_identifier) {
        return Err(Refusal::new(codes::ELEMENT_MISSING, "header.functionCallIdentifier is required").into());
    }
    header
        .function_requester_identifier
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| Refusal::new(codes::ELEMENT_MISSING, "header.functionRequesterIdentifier is required").into())
}

/// A mandatory ICCID (F-padding accepted).
fn iccid(raw: Option<String>) -> Result<Iccid, Failure> {
    let raw = raw.ok_or_else(|| Refusal::new(codes::ICCID_MISSING, "iccid is required"))?;
    Iccid::parse(&raw).map_err(|e| {
        let mut refusal = Refusal::new(codes::ICCID_INVALID, e.to_string());
        refusal.subject_identifier = Some(raw.chars().take(32).collect());
        refusal.into()
    })
}

/// An optional EID; empty counts as absent.
fn eid(raw: Option<String>) -> Result<Option<Eid>, Failure> {
    match raw.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(raw) => Eid::parse(&raw)
            .map(Some)
            .map_err(|e| Refusal::new(codes::EID_INVALID, e.to_string()).into()),
    }
}

/// A successful answer.
fn answer<T: Serialize>(body: T) -> Response {
    es2_json(StatusCode::OK, body)
}

/// A `Failed` answer.
fn failed(failure: Failure) -> Response {
    let r = failure.refusal;
    es2_json(
        failure.http,
        HeaderOnlyResponse {
            header: ResponseHeader::failed(r.code, r.subject_identifier, r.message),
        },
    )
}

/// JSON with the `X-Admin-Protocol` header SGP.22 asks of responses.
fn es2_json<T: Serialize>(status: StatusCode, body: T) -> Response {
    (status, [(ADMIN_PROTOCOL_HEADER, ADMIN_PROTOCOL)], Json(body)).into_response()
}
