//! ES2+.HandleDownloadProgressInfo as the operator receives it (SGP.22
//! §5.3.5, JSON body §6.5.2.5): the request checked and turned into a
//! typed [`DownloadProgress`], or a [`Refusal`] for the `Failed` answer.
//! The HTTP layer answers a notification it took with 204 and no body.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use tern_domain::ids::{Eid, Iccid};

use crate::codes;
use crate::provider::{self, Refusal};
use crate::wire::{ExecutionStatus, FunctionExecutionStatus, RequestHeader, es2_time};

/// Which step of the download a notification reports (§5.3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationPoint {
    /// 1: eligibility and retry limit check.
    EligibilityCheck,
    /// 2: confirmation failure (wrong confirmation code).
    ConfirmationFailure,
    /// 3: the Bound Profile Package was downloaded.
    BppDownload,
    /// 4: the Bound Profile Package was installed on the eUICC.
    BppInstallation,
    /// Any other id a later version defines; acknowledged, not acted on.
    Other(u8),
}

impl NotificationPoint {
    /// The point with this `notificationPointId`.
    pub fn from_id(id: u8) -> Self {
        match id {
            1 => Self::EligibilityCheck,
            2 => Self::ConfirmationFailure,
            3 => Self::BppDownload,
            4 => Self::BppInstallation,
            other => Self::Other(other),
        }
    }

    /// The `notificationPointId`.
    pub fn id(self) -> u8 {
        match self {
            Self::EligibilityCheck => 1,
            Self::ConfirmationFailure => 2,
            Self::BppDownload => 3,
            Self::BppInstallation => 4,
            Self::Other(id) => id,
        }
    }
}

/// One notification, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadProgress {
    /// The SM-DP+ that sent it (`functionRequesterIdentifier`).
    pub requester: String,
    /// The profile, exactly as the SM-DP+ names it.
    pub iccid: Iccid,
    /// The eUICC, when the SM-DP+ names one.
    pub eid: Option<Eid>,
    /// The profile type.
    pub profile_type: String,
    /// When the step happened.
    pub timestamp: DateTime<Utc>,
    /// Which step.
    pub point: NotificationPoint,
    /// How it went; `statusCodeData` says why a step failed.
    pub status: FunctionExecutionStatus,
}

impl DownloadProgress {
    /// True when the step succeeded (with or without a warning).
    pub fn succeeded(&self) -> bool {
        matches!(
            self.status.status,
            ExecutionStatus::ExecutedSuccess | ExecutionStatus::ExecutedWithWarning
        )
    }

    /// `subject/reason` of a failed step, e.g. `8.2.10/4.2`.
    pub fn failure_code(&self) -> Option<String> {
        self.status
            .status_code_data
            .as_ref()
            .map(|d| format!("{}/{}", d.subject_code, d.reason_code))
    }
}

/// The body as it may arrive: everything optional, so a missing element is
/// named in the refusal rather than lost in a decoding error.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Incoming {
    header: Option<RequestHeader>,
    eid: Option<String>,
    iccid: Option<String>,
    profile_type: Option<String>,
    timestamp: Option<String>,
    notification_point_id: Option<u8>,
    notification_point_status: Option<FunctionExecutionStatus>,
}

fn missing(element: &str) -> Refusal {
    Refusal::new(codes::ELEMENT_MISSING, format!("{element} is required"))
}

/// Checks one request: the `X-Admin-Protocol` header value, the body, and
/// that the caller is `expected_requester` (the SM-DP+ this operator
/// deals with). Mandatory per §5.3.5: the header, `iccid`, `profileType`,
/// `timestamp`, `notificationPointId` and `notificationPointStatus`; the
/// EID is optional.
pub fn check(admin_protocol: Option<&str>, body: &[u8], expected_requester: &str) -> Result<DownloadProgress, Refusal> {
    if !provider::protocol_supported(admin_protocol) {
        return Err(Refusal::new(
            codes::PROTOCOL_VERSION_UNSUPPORTED,
            "X-Admin-Protocol: gsma/rsp/v2.x.y is required",
        ));
    }
    let n: Incoming = provider::parse(body)?;
    let requester = provider::requester(n.header)?;
    if requester != expected_requester {
        return Err(Refusal::new(
            codes::REQUESTER_UNKNOWN,
            "functionRequesterIdentifier is not the configured SM-DP+",
        ));
    }
    let iccid = provider::iccid(n.iccid)?;
    let eid = provider::eid(n.eid)?;
    let profile_type = n
        .profile_type
        .filter(|p| !p.trim().is_empty())
        .ok_or_else(|| missing("profileType"))?;
    let raw_time = n.timestamp.ok_or_else(|| missing("timestamp"))?;
    let timestamp = es2_time::parse(&raw_time)
        .map_err(|_| Refusal::new(codes::BODY_INVALID, "timestamp must be YYYY-MM-DDThh:mm:ssTZD"))?;
    let point = NotificationPoint::from_id(n.notification_point_id.ok_or_else(|| missing("notificationPointId"))?);
    let status = n
        .notification_point_status
        .ok_or_else(|| missing("notificationPointStatus"))?;
    Ok(DownloadProgress {
        requester,
        iccid,
        eid,
        profile_type,
        timestamp,
        point,
        status,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::wire::ADMIN_PROTOCOL;

    fn eid() -> Eid {
        Eid::with_check_digits("890490320000000000000000000001").unwrap()
    }

    fn body() -> serde_json::Value {
        json!({
            "header": {"functionRequesterIdentifier": "smdp.example", "functionCallIdentifier": "c1"},
            "eid": eid().as_str(),
            "iccid": "8988247000000000017F",
            "profileType": "standard",
            "timestamp": "2026-12-07T01:02:03Z",
            "notificationPointId": 4,
            "notificationPointStatus": {"status": "Executed-Success"}
        })
    }

    fn run(v: &serde_json::Value) -> Result<DownloadProgress, Refusal> {
        check(Some(ADMIN_PROTOCOL), &serde_json::to_vec(v).unwrap(), "smdp.example")
    }

    #[test]
    fn a_complete_notification_is_typed() {
        let n = run(&body()).unwrap();
        assert_eq!(n.iccid.as_str(), "8988247000000000017");
        assert_eq!(n.point, NotificationPoint::BppInstallation);
        assert!(n.succeeded());
        assert_eq!(n.eid, Some(eid()));
    }

    #[test]
    fn each_mandatory_element_is_named_when_missing() {
        for field in [
            "iccid",
            "profileType",
            "timestamp",
            "notificationPointId",
            "notificationPointStatus",
            "header",
        ] {
            let mut b = body();
            b.as_object_mut().unwrap().remove(field);
            let refusal = run(&b).unwrap_err();
            let expected = if field == "iccid" {
                codes::ICCID_MISSING
            } else {
                codes::ELEMENT_MISSING
            };
            assert_eq!(refusal.code, expected, "{field}");
        }
        let mut b = body();
        b.as_object_mut().unwrap().remove("eid");
        assert!(run(&b).is_ok(), "the EID is optional");
    }

    #[test]
    fn another_requester_and_a_missing_protocol_header_are_refused() {
        let mut b = body();
        b["header"]["functionRequesterIdentifier"] = json!("someone.else");
        assert_eq!(run(&b).unwrap_err().code, codes::REQUESTER_UNKNOWN);
        let refusal = check(None, &serde_json::to_vec(&body()).unwrap(), "smdp.example").unwrap_err();
        assert_eq!(refusal.code, codes::PROTOCOL_VERSION_UNSUPPORTED);
    }

    #[test]
    fn wrong_types_are_body_invalid() {
        let mut b = body();
        b["notificationPointId"] = json!("four");
        assert_eq!(run(&b).unwrap_err().code, codes::BODY_INVALID);
        assert_eq!(
            check(Some(ADMIN_PROTOCOL), b"not json", "smdp.example")
                .unwrap_err()
                .code,
            codes::BODY_INVALID
        );
    }
}
