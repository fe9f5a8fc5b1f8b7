//! The SM-DP+ side of ES2+: parse, check the header, run the function on
//! the inventory, answer in SGP.22 JSON.
//!
//! Every refusal answers HTTP 200 with `Failed` and a status code, as
//! SGP.22 §6.3 asks of a request-response function "regardless whether the
//! function response is an error or a success" (status codes §5.2.6, the
//! response header §6.5.1.4): a body that is not JSON or has a field of
//! the wrong type or value (`1.3.1`/`2.1`), a missing mandatory element
//! (`2.2`), an `X-Admin-Protocol` that is not `gsma/rsp/v2.x.y`
//! (`1.3.2`/`3.1`), an unknown function (`1.6`/`3.1`), and every
//! function-level refusal. Every answer carries `X-Admin-Protocol`.
//! Nothing here panics; a 5xx goes out only when a test asked for one
//! through [`super::faults`].

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tern_domain::ids::{Eid, Iccid};

use super::SmdpEmulator;
use super::faults::Fault;
use super::inventory::{Cancel, Confirm, Refusal};
use crate::codes;
use crate::wire::{
    ADMIN_PROTOCOL, ADMIN_PROTOCOL_HEADER, CancelOrderRequest, ConfirmOrderRequest, ConfirmOrderResponse,
    DownloadOrderRequest, DownloadOrderResponse, Es2Function, HeaderOnlyResponse, ReleaseProfileRequest, RequestHeader,
    ResponseHeader,
};

/// `POST /gsma/rsp2/es2plus/{function}`.
pub(crate) async fn handle(
    State(emulator): State<SmdpEmulator>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !protocol_supported(&headers) {
        return failed(Refusal::new(
            codes::PROTOCOL_VERSION_UNSUPPORTED,
            format!("{ADMIN_PROTOCOL_HEADER}: gsma/rsp/v2.x.y is required"),
        ));
    }
    let Some(function) = Es2Function::from_name(&name) else {
        return failed(Refusal::new(codes::FUNCTION_UNSUPPORTED, "unknown ES2+ function"));
    };
    let fault = emulator.faults().take(function);
    if fault == Some(Fault::Unavailable) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(ADMIN_PROTOCOL_HEADER, ADMIN_PROTOCOL)],
        )
            .into_response();
    }
    if fault == Some(Fault::ExecutionError) {
        return failed(Refusal::new(
            codes::EXECUTION_ERROR,
            "the SM-DP+ could not run the function",
        ));
    }
    let e = &emulator;
    let outcome = match function {
        Es2Function::DownloadOrder => download_order(e, &body).map(answer),
        Es2Function::ConfirmOrder => confirm_order(e, &body, fault == Some(Fault::NoSmdpAddress)).map(answer),
        Es2Function::CancelOrder => cancel_order(e, &body).map(answer),
        Es2Function::ReleaseProfile => release_profile(e, &body).map(answer),
    };
    match (outcome, fault) {
        (Ok(_), Some(Fault::AnswerLost)) => {
            tracing::debug!(%function, "emulated ES2+ call executed, answer dropped as asked");
            (StatusCode::BAD_GATEWAY, [(ADMIN_PROTOCOL_HEADER, ADMIN_PROTOCOL)]).into_response()
        }
        (Ok(response), _) => {
            tracing::debug!(%function, "emulated ES2+ call executed");
            response
        }
        (Err(refusal), _) => {
            tracing::debug!(%function, code = %refusal.code, "emulated ES2+ call refused");
            failed(refusal)
        }
    }
}

/// True for `gsma/rsp/v2.<minor>.<patch>`: this binding is the same for
/// every v2 release, so later minor and patch versions are accepted.
fn protocol_supported(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(ADMIN_PROTOCOL_HEADER).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let Some(version) = value.trim().strip_prefix("gsma/rsp/v") else {
        return false;
    };
    let parts: Vec<&str> = version.split('.').collect();
    let number = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    matches!(parts.as_slice(), ["2", minor, patch] if number(minor) && number(patch))
}

fn download_order(e: &SmdpEmulator, body: &[u8]) -> Result<DownloadOrderResponse, Refusal> {
    let req: DownloadOrderRequest = parse(body)?;
    let requester = requester(req.header)?;
    let eid = eid(req.eid)?;
    let iccid = req.iccid.map(|raw| iccid(Some(raw))).transpose()?;
    // SGP.22 §5.3.1: the ICCID or the profile type, at least one.
    if iccid.is_none() && req.profile_type.as_deref().is_none_or(str::is_empty) {
        return Err(Refusal::new(
            codes::CONDITIONAL_ELEMENT_MISSING,
            "iccid or profileType is required",
        ));
    }
    let ordered = e
        .inventory()
        .order(&requester, eid, iccid, req.profile_type.as_deref())?;
    Ok(DownloadOrderResponse {
        header: ResponseHeader::success(),
        iccid: Some(ordered.to_es2_wire()),
    })
}

fn confirm_order(e: &SmdpEmulator, body: &[u8], omit_address: bool) -> Result<ConfirmOrderResponse, Refusal> {
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
        // Optional in the answer (SGP.22 §5.3.2); left out when a test asks.
        smdp_address: (!omit_address).then(|| e.config().smdp_address.clone()),
    })
}

fn cancel_order(e: &SmdpEmulator, body: &[u8]) -> Result<HeaderOnlyResponse, Refusal> {
    let req: CancelOrderRequest = parse(body)?;
    let requester = requester(req.header)?;
    let iccid = iccid(req.iccid)?;
    let to = req
        .final_profile_status_indicator
        // SGP.22 §5.3.3 names one code for a missing ICCID or indicator.
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

fn release_profile(e: &SmdpEmulator, body: &[u8]) -> Result<HeaderOnlyResponse, Refusal> {
    let req: ReleaseProfileRequest = parse(body)?;
    let requester = requester(req.header)?;
    let iccid = iccid(req.iccid)?;
    e.inventory().release(&requester, &iccid)?;
    Ok(HeaderOnlyResponse {
        header: ResponseHeader::success(),
    })
}

/// The body as `T`, which must be a JSON object.
fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Refusal> {
    let invalid = |message: String| Refusal::new(codes::BODY_INVALID, message);
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| invalid(format!("not JSON: {e}")))?;
    if !value.is_object() {
        return Err(invalid("the body must be a JSON object".into()));
    }
    serde_json::from_value(value).map_err(|e| invalid(format!("unexpected body: {e}")))
}

/// The caller's identity, once the header is complete.
fn requester(header: Option<RequestHeader>) -> Result<String, Refusal> {
    let header = header.ok_or_else(|| Refusal::new(codes::ELEMENT_MISSING, "header is required"))?;
    let present = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    if !present(&header.function_call_identifier) {
        return Err(Refusal::new(
            codes::ELEMENT_MISSING,
            "header.functionCallIdentifier is required",
        ));
    }
    header
        .function_requester_identifier
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| Refusal::new(codes::ELEMENT_MISSING, "header.functionRequesterIdentifier is required"))
}

/// A mandatory ICCID: digits as SGP.22 allows them (18 to 20, F-padded);
/// whether such a profile exists is the inventory's question.
fn iccid(raw: Option<String>) -> Result<Iccid, Refusal> {
    let raw = raw.ok_or_else(|| Refusal::new(codes::ICCID_MISSING, "iccid is required"))?;
    Iccid::from_smdp(&raw).map_err(|e| {
        let mut refusal = Refusal::new(codes::ICCID_INVALID, e.to_string());
        refusal.subject_identifier = Some(raw.chars().take(32).collect());
        refusal
    })
}

/// An optional EID; empty counts as absent.
fn eid(raw: Option<String>) -> Result<Option<Eid>, Refusal> {
    match raw.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(raw) => Eid::parse(&raw)
            .map(Some)
            .map_err(|e| Refusal::new(codes::EID_INVALID, e.to_string())),
    }
}

/// A successful answer.
fn answer<T: Serialize>(body: T) -> Response {
    es2_json(StatusCode::OK, body)
}

/// A `Failed` answer (HTTP 200, SGP.22 §6.3).
fn failed(r: Refusal) -> Response {
    es2_json(
        StatusCode::OK,
        HeaderOnlyResponse {
            header: ResponseHeader::failed(r.code, r.subject_identifier, r.message),
        },
    )
}

/// JSON with the `X-Admin-Protocol` header SGP.22 asks of responses.
fn es2_json<T: Serialize>(status: StatusCode, body: T) -> Response {
    (status, [(ADMIN_PROTOCOL_HEADER, ADMIN_PROTOCOL)], Json(body)).into_response()
}
