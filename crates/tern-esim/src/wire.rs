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
/// download progress notifications.
pub const HANDLE_DOWNLOAD_PROGRESS_INFO_PATH: &str = "/es2plus/handleDownloadProgressInfo";

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
    /// Read profile states (SM-DP+ extension).
    GetProfileStatus,
}

impl Es2Function {
    /// Every function, for dispatch and tests.
    pub const ALL: [Es2Function; 5] = [
        Es2Function::DownloadOrder,
        Es2Function::ConfirmOrder,
        Es2Function::CancelOrder,
        Es2Function::ReleaseProfile,
        Es2Function::GetProfileStatus,
    ];

    /// The last path segment, e.g. `downloadOrder`.
    pub fn name(self) -> &'static str {
        match self {
            Es2Function::DownloadOrder => "downloadOrder",
            Es2Function::ConfirmOrder => "confirmOrder",
            Es2Function::CancelOrder => "cancelOrder",
            Es2Function::ReleaseProfile => "releaseProfile",
            Es2Function::GetProfileStatus => "getProfileStatus",
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
    /// order), and getProfileStatus only reads. downloadOrder is not: a repeat reserves
    /// a second profile, leaking the first. Nor is confirmOrder: a repeat is
    /// refused, and when the SM-DP+ picked the matching id the first answer
    /// (the only place that id appears) is lost.
    pub fn is_idempotent(self) -> bool {
        matches!(
            self,
            Es2Function::CancelOrder | Es2Function::ReleaseProfile | Es2Function::GetProfileStatus
        )
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

/// getProfileStatus (a common SM-DP+ extension, not in SGP.22 v2): read the
/// state of some profiles.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetProfileStatusRequest {
    /// Caller and call id.
    pub header: Option<RequestHeader>,
    /// The profiles to read.
    pub iccid_list: Option<Vec<String>>,
}

/// The answer to getProfileStatus.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetProfileStatusResponse {
    /// The outcome.
    pub header: ResponseHeader,
    /// One entry per requested ICCID, in request order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_status_list: Option<Vec<ProfileStatusEntry>>,
}

/// The state of one profile.
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
    /// When the state last changed.
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
    /// When the step happened.
    pub timestamp: DateTime<Utc>,
    /// Which step: 3 = downloaded (BPP installation started), 4 = installed.
    pub notification_point_id: u8,
    /// How the step went.
    pub notification_point_status: FunctionExecutionStatus,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

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
