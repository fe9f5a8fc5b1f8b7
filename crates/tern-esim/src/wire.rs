//! The ES2+ JSON messages (SGP.22 v2.x §6.5, JSON binding), shared by the
//! client and the emulator so both always agree on field names.
//!
//! Identifiers travel as raw strings here: ICCIDs of 19 digits are F-padded
//! to 20 characters on the wire ([`tern_domain::ids::Iccid::to_es2_wire`]),
//! and the emulator must be able to answer a malformed one with a status
//! code instead of a decoding error. Fields SGP.22 calls mandatory are still
//! `Option` in requests for the same reason: the SM-DP+ names what is
//! missing. Unknown fields are ignored, as the JSON binding asks.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::codes::StatusCode;
use crate::state::ProfileState;

/// The prefix of every ES2+ function path; the function name follows.
pub const ES2PLUS_PATH: &str = "/gsma/rsp2/es2plus";
/// The header SGP.22 requires on every RSP HTTP request and response.
pub const ADMIN_PROTOCOL_HEADER: &str = "X-Admin-Protocol";
/// The protocol version Tern speaks.
pub const ADMIN_PROTOCOL: &str = "gsma/rsp/v2.5.0";
/// The path, under the operator's base URL, where the SM-DP+ posts
/// download progress notifications (SGP.22 §6.5.2.5).
pub const HANDLE_DOWNLOAD_PROGRESS_INFO_PATH: &str = "/gsma/rsp2/es2plus/handleDownloadProgressInfo";
/// The path Tern served before it followed the spec; still answered.
pub const LEGACY_HANDLE_DOWNLOAD_PROGRESS_INFO_PATH: &str = "/es2plus/handleDownloadProgressInfo";

/// The ES2+ functions Tern calls, named as in the URL path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Es2Function {
    /// Reserve a profile.
    DownloadOrder,
    /// Fix the matching id, optionally releasing the order.
    ConfirmOrder,
    /// Undo a pending order.
    CancelOrder,
    /// Make a confirmed order downloadable.
    ReleaseProfile,
}

impl Es2Function {
    /// Every function, for dispatch and tests.
    pub const ALL: [Es2Function; 4] = [
        Es2Function::DownloadOrder,
        Es2Function::ConfirmOrder,
        Es2Function::CancelOrder,
        Es2Function::ReleaseProfile,
    ];

    /// The last path segment, e.g. `downloadOrder`.
    pub fn name(self) -> &'static str {
        match self {
            Es2Function::DownloadOrder => "downloadOrder",
            Es2Function::ConfirmOrder => "confirmOrder",
            Es2Function::CancelOrder => "cancelOrder",
            Es2Function::ReleaseProfile => "releaseProfile",
        }
    }

    /// The function whose path segment is `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }

    /// True when running the call twice has the same effect as once, so a
    /// call whose answer was lost may be sent again.
    ///
    /// releaseProfile and cancelOrder move a profile to a fixed state (a
    /// repeat after the first took effect is refused and changes nothing;
    /// give cancelOrder the matching id so a repeat cannot hit a later
    /// order). downloadOrder is not: a repeat reserves a second profile,
    /// leaking the first. Nor is confirmOrder: a repeat is refused as an
    /// invalid transition, so the caller must decide what the refusal
    /// means (Tern picks the matching id itself and stores it first, so it
    /// can tell).
    pub fn is_idempotent(self) -> bool {
        matches!(self, Es2Function::CancelOrder | Es2Function::ReleaseProfile)
    }
}

impl std::fmt::Display for Es2Function {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The header of every ES2+ request: who calls, and a unique id per call so
/// both sides can correlate logs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestHeader {
    /// The operator's identity at the SM-DP+.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_requester_identifier: Option<String>,
    /// Unique per call (Tern uses a UUID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_call_identifier: Option<String>,
}

/// The header of every ES2+ response: whether the function ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseHeader {
    /// The outcome.
    pub function_execution_status: FunctionExecutionStatus,
}

impl ResponseHeader {
    /// The header of a successful call.
    pub fn success() -> Self {
        Self {
            function_execution_status: FunctionExecutionStatus::success(),
        }
    }

    /// The header of a refused call.
    pub fn failed(code: StatusCode, subject_identifier: Option<String>, message: String) -> Self {
        Self {
            function_execution_status: FunctionExecutionStatus::failed(code, subject_identifier, message),
        }
    }
}

/// `functionExecutionStatus`: the status and, on failure, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionExecutionStatus {
    /// Success, success with a warning, failure, or expiry.
    pub status: ExecutionStatus,
    /// The SGP.22 status code, present when the status is not a plain success.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code_data: Option<StatusCodeData>,
}

impl FunctionExecutionStatus {
    /// `Executed-Success` with no status code.
    pub fn success() -> Self {
        Self {
            status: ExecutionStatus::ExecutedSuccess,
            status_code_data: None,
        }
    }

    /// `Failed` with `code`.
    pub fn failed(code: StatusCode, subject_identifier: Option<String>, message: String) -> Self {
        Self {
            status: ExecutionStatus::Failed,
            status_code_data: Some(StatusCodeData {
                subject_code: code.subject.to_owned(),
                reason_code: code.reason.to_owned(),
                subject_identifier,
                message: Some(message),
            }),
        }
    }
}

/// The four outcomes SGP.22 defines for a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExecutionStatus {
    /// The function did what was asked.
    #[serde(rename = "Executed-Success")]
    ExecutedSuccess,
    /// The function did what was asked but has something to say.
    #[serde(rename = "Executed-WithWarning")]
    ExecutedWithWarning,
    /// The function refused or failed; nothing changed.
    #[serde(rename = "Failed")]
    Failed,
    /// The request expired before the SM-DP+ ran it.
    #[serde(rename = "Expired")]
    Expired,
}

/// `statusCodeData`: the machine-readable reason of a failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusCodeData {
    /// E.g. `8.2.1` (Profile ICCID).
    pub subject_code: String,
    /// E.g. `3.9` (Unknown).
    pub reason_code: String,
    /// Which instance of the subject, e.g. the ICCID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_identifier: Option<String>,
    /// Human-readable detail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A response that carries only the header (cancelOrder, releaseProfile,
/// and any failure).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeaderOnlyResponse {
    /// The outcome.
    pub header: ResponseHeader,
}

/// ES2+.DownloadOrder: reserve a profile, optionally for one EID.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DownloadOrderRequest {
    /// Caller and call id.
    pub header: Option<RequestHeader>,
    /// Links the order to this eUICC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eid: Option<String>,
    /// Asks for this very profile; otherwise the SM-DP+ picks one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iccid: Option<String>,
    /// The kind of profile to pick.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile_type: Option<String>,
}

/// The answer to DownloadOrder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DownloadOrderResponse {
    /// The outcome.
    pub header: ResponseHeader,
    /// The reserved profile, on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iccid: Option<String>,
}

/// ES2+.ConfirmOrder: fix the order's matching id and, with `releaseFlag`,
/// make it downloadable at once.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmOrderRequest {
    /// Caller and call id.
    pub header: Option<RequestHeader>,
    /// The order's profile.
    pub iccid: Option<String>,
    /// Links (or checks the link of) the order to this eUICC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eid: Option<String>,
    /// The operator's own matching id; otherwise the SM-DP+ makes one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matching_id: Option<String>,
    /// A code the user must type on the phone before the download.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmation_code: Option<String>,
    /// An SM-DS to register the download event with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smds_address: Option<String>,
    /// True: release for download now; false: wait for ReleaseProfile.
    pub release_flag: Option<bool>,
}

/// The answer to ConfirmOrder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmOrderResponse {
    /// The outcome.
    pub header: ResponseHeader,
    /// The EID the order is linked to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eid: Option<String>,
    /// The matching id that goes into the activation code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matching_id: Option<String>,
    /// The SM-DP+ host name that goes into the activation code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smdp_address: Option<String>,
}

/// What a cancelled profile becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FinalProfileStatus {
    /// Back into the pool, for another order.
    Available,
    /// Out of the pool for good.
    Unavailable,
}

/// ES2+.CancelOrder: undo a pending order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelOrderRequest {
    /// Caller and call id.
    pub header: Option<RequestHeader>,
    /// The order's profile.
    pub iccid: Option<String>,
    /// Must be the order's EID when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eid: Option<String>,
    /// Must be the order's matching id when given; guards a retried cancel
    /// against hitting a later order for the same profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matching_id: Option<String>,
    /// What the profile becomes.
    pub final_profile_status_indicator: Option<FinalProfileStatus>,
}

/// ES2+.ReleaseProfile: make a confirmed order downloadable.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseProfileRequest {
    /// Caller and call id.
    pub header: Option<RequestHeader>,
    /// The order's profile.
    pub iccid: Option<String>,
}

/// The state of one profile, as the emulator's inventory read
/// (`GET /emulator/profiles`, not an ES2+ function) reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileStatusEntry {
    /// The profile (wire form).
    pub iccid: String,
    /// Where it is in its life.
    pub state: ProfileState,
    /// The EID it is linked to or installed on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eid: Option<String>,
    /// The current order's matching id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matching_id: Option<String>,
    /// The kind of profile.
    pub profile_type: String,
    /// The functionRequesterIdentifier whose order holds it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// True when a cancelled order's matching id was retired with it.
    #[serde(default)]
    pub canceled_before: bool,
    /// When the state last changed.
    #[serde(with = "es2_time")]
    pub last_modified: DateTime<Utc>,
}

/// ES2+.HandleDownloadProgressInfo: the SM-DP+ telling the operator how a
/// download went. Tern's HTTP layer receives this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HandleDownloadProgressInfoRequest {
    /// The SM-DP+ as caller, and a call id.
    pub header: RequestHeader,
    /// The eUICC that downloaded the profile.
    pub eid: String,
    /// The profile (wire form).
    pub iccid: String,
    /// The kind of profile.
    pub profile_type: String,
    /// When the step happened, in SGP.22's `YYYY-MM-DDThh:mm:ssTZD` form.
    #[serde(with = "es2_time")]
    pub timestamp: DateTime<Utc>,
    /// Which step: 3 = downloaded (BPP installation started), 4 = installed.
    pub notification_point_id: u8,
    /// How the step went.
    pub notification_point_status: FunctionExecutionStatus,
}

/// Timestamps as SGP.22 writes them (§6.5.1.2, after ISO 8601):
/// `YYYY-MM-DDThh:mm:ssTZD`, whole seconds, TZD `Z` or `±hh:mm`. Tern
/// writes UTC with `Z`; it reads any offset and, being lenient in what it
/// accepts from a partner, fractions of a second too.
pub mod es2_time {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    /// `2026-12-07T01:02:03Z`.
    pub fn format(at: &DateTime<Utc>) -> String {
        at.to_rfc3339_opts(SecondsFormat::Secs, true)
    }

    /// Any RFC 3339 time (the spec's form is one), as UTC.
    pub fn parse(raw: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
        DateTime::parse_from_rfc3339(raw).map(|t| t.with_timezone(&Utc))
    }

    /// For `#[serde(with = "es2_time")]`.
    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(at))
    }

    /// For `#[serde(with = "es2_time")]`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let raw = String::deserialize(d)?;
        parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn timestamps_are_whole_seconds_with_a_zone_designator() {
        let at = es2_time::parse("2026-12-07T09:30:15.123456789+08:00").unwrap();
        assert_eq!(es2_time::format(&at), "2026-12-07T01:30:15Z");
        let n = HandleDownloadProgressInfoRequest {
            header: RequestHeader::default(),
            eid: "E".into(),
            iccid: "I".into(),
            profile_type: "P".into(),
            timestamp: at,
            notification_point_id: 4,
            notification_point_status: FunctionExecutionStatus::success(),
        };
        let wire = serde_json::to_value(&n).unwrap();
        assert_eq!(wire["timestamp"], "2026-12-07T01:30:15Z");
        let back: HandleDownloadProgressInfoRequest = serde_json::from_value(wire).unwrap();
        assert_eq!(back.timestamp, es2_time::parse("2026-12-07T01:30:15Z").unwrap());
        assert!(es2_time::parse("2026-12-07 01:30:15").is_err());
    }

    #[test]
    fn failed_header_has_sgp22_field_names() {
        let body = HeaderOnlyResponse {
            header: ResponseHeader::failed(crate::codes::ICCID_UNKNOWN, Some("89".into()), "no such profile".into()),
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"header": {"functionExecutionStatus": {
                "status": "Failed",
                "statusCodeData": {"subjectCode": "8.2.1", "reasonCode": "3.9",
                    "subjectIdentifier": "89", "message": "no such profile"}}}})
        );
    }

    #[test]
    fn requests_ignore_unknown_fields_and_skip_absent_ones() {
        let req: ConfirmOrderRequest =
            serde_json::from_value(json!({"iccid": "1", "releaseFlag": true, "extra": 1})).unwrap();
        assert_eq!(req.release_flag, Some(true));
        let back = serde_json::to_value(&req).unwrap();
        assert_eq!(back, json!({"header": null, "iccid": "1", "releaseFlag": true}));
    }
}
