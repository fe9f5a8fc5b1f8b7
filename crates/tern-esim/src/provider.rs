//! The function provider's side of an ES2+ call, shared by the emulator
//! (provider of downloadOrder and friends) and Tern's callback endpoint
//! (provider of HandleDownloadProgressInfo): checking the protocol header
//! and the request, and the `Failed` answer when they are wrong (SGP.22
//! §6.3: HTTP 200 with `functionExecutionStatus` Failed and
//! `statusCodeData`).

use serde::de::DeserializeOwned;
use tern_domain::ids::{Eid, Iccid};

use crate::codes::{self, StatusCode};
use crate::wire::{HeaderOnlyResponse, RequestHeader, ResponseHeader};

/// Why a function was refused: the SGP.22 code and words for the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The subject and reason codes.
    pub code: StatusCode,
    /// Which instance of the subject (e.g. the ICCID), when known.
    pub subject_identifier: Option<String>,
    /// Human-readable detail.
    pub message: String,
}

impl Refusal {
    /// A refusal with `code`.
    pub fn new(code: StatusCode, message: impl Into<String>) -> Self {
        Self {
            code,
            subject_identifier: None,
            message: message.into(),
        }
    }

    /// The same refusal naming the ICCID it is about.
    pub fn about(mut self, iccid: &Iccid) -> Self {
        self.subject_identifier = Some(iccid.to_es2_wire());
        self
    }

    /// The body of the `Failed` answer.
    pub fn body(&self) -> HeaderOnlyResponse {
        HeaderOnlyResponse {
            header: ResponseHeader::failed(self.code, self.subject_identifier.clone(), self.message.clone()),
        }
    }
}

/// True for `gsma/rsp/v2.<minor>.<patch>` (SGP.22 §6.5.1.1): this binding
/// is the same for every v2 release, so later minor and patch versions are
/// accepted.
pub fn protocol_supported(value: Option<&str>) -> bool {
    let Some(version) = value.and_then(|v| v.trim().strip_prefix("gsma/rsp/v")) else {
        return false;
    };
    let parts: Vec<&str> = version.split('.').collect();
    let number = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    matches!(parts.as_slice(), ["2", minor, patch] if number(minor) && number(patch))
}

/// The body as `T`, which must be a JSON object.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Refusal> {
    let invalid = |message: String| Refusal::new(codes::BODY_INVALID, message);
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| invalid(format!("not JSON: {e}")))?;
    if !value.is_object() {
        return Err(invalid("the body must be a JSON object".into()));
    }
    serde_json::from_value(value).map_err(|e| invalid(format!("unexpected body: {e}")))
}

/// The caller's identity, once the header is complete.
pub fn requester(header: Option<RequestHeader>) -> Result<String, Refusal> {
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
/// whether such a profile exists is the caller's question.
pub fn iccid(raw: Option<String>) -> Result<Iccid, Refusal> {
    let raw = raw.ok_or_else(|| Refusal::new(codes::ICCID_MISSING, "iccid is required"))?;
    Iccid::from_smdp(&raw).map_err(|e| {
        let mut refusal = Refusal::new(codes::ICCID_INVALID, e.to_string());
        refusal.subject_identifier = Some(raw.chars().take(32).collect());
        refusal
    })
}

/// An optional EID; empty counts as absent.
pub fn eid(raw: Option<String>) -> Result<Option<Eid>, Refusal> {
    match raw.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(raw) => Eid::parse(&raw)
            .map(Some)
            .map_err(|e| Refusal::new(codes::EID_INVALID, e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_v2_versions_are_spoken_others_are_not() {
        for ok in [
            "gsma/rsp/v2.5.0",
            "gsma/rsp/v2.2.0",
            "gsma/rsp/v2.10.3",
            " gsma/rsp/v2.1.0 ",
        ] {
            assert!(protocol_supported(Some(ok)), "{ok}");
        }
        for bad in ["gsma/rsp/v3.0.0", "gsma/rsp/v2.5", "gsma/rsp/v2.x.0", "v2.5.0", ""] {
            assert!(!protocol_supported(Some(bad)), "{bad}");
        }
        assert!(!protocol_supported(None));
    }
}
