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

use super::SmdpEmulator;
use super::faults::Fault;
use super::inventory::{Cancel, Confirm};
use crate::codes;
use crate::provider::{Refusal, eid, iccid, parse, protocol_supported, requester};
use crate::wire::{
    ADMIN_PROTOCOL, ADMIN_PROTOCOL_HEADER, CancelOrderRequest, ConfirmOrderRequest, ConfirmOrderResponse,
    DownloadOrderRequest, DownloadOrderResponse, Es2Function, HeaderOnlyResponse, ReleaseProfileRequest,
    ResponseHeader,
};

/// `POST /gsma/rsp2/es2plus/{function}`.
pub(crate) async fn handle(
    State(emulator): State<SmdpEmulator>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !protocol_supported(headers.get(ADMIN_PROTOCOL_HEADER).and_then(|v| v.to_str().ok())) {
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

/// A successful answer.
fn answer<T: Serialize>(body: T) -> Response {
    es2_json(StatusCode::OK, body)
}

/// A `Failed` answer (HTTP 200, SGP.22 §6.3).
fn failed(r: Refusal) -> Response {
    es2_json(StatusCode::OK, r.body())
}

/// JSON with the `X-Admin-Protocol` header SGP.22 asks of responses.
fn es2_json<T: Serialize>(status: StatusCode, body: T) -> Response {
    (status, [(ADMIN_PROTOCOL_HEADER, ADMIN_PROTOCOL)], Json(body)).into_response()
}
