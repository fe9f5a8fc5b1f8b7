//! A pretend phone: `POST /device/install` does what a phone's LPA does
//! when it scans an activation code (ES9+/ES10 in a real deployment), so
//! the whole purchase-to-install flow runs on one machine.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tern_domain::activation_code::ActivationCode;
use tern_domain::ids::{Eid, Iccid};

use super::SmdpEmulator;
use super::callback::Progress;
use super::inventory::DeviceRefusal;
use crate::codes::{self, StatusCode as Sgp22Code};
use crate::state::ProfileState;
use crate::wire::FunctionExecutionStatus;

/// What the phone sends: the scanned code and its eUICC's EID.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceInstallRequest {
    /// `LPA:1$<smdp>$<matching id>`.
    pub activation_code: Option<String>,
    /// The phone's EID.
    pub eid: Option<String>,
    /// The code the user typed, when the order has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_code: Option<String>,
    /// Make the installation fail after the download, to exercise the
    /// operator's error path.
    #[serde(default)]
    pub simulate_failure: bool,
}

/// What the pretend phone reports back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceInstallResponse {
    /// The profile installed (plain digits).
    pub iccid: String,
    /// The phone's EID.
    pub eid: String,
    /// `Installed`, or `Error` with `simulateFailure`.
    pub state: ProfileState,
    /// The HandleDownloadProgressInfo notifications sent, in order.
    pub notifications: Vec<NotificationOutcome>,
}

/// Whether one notification reached the operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationOutcome {
    /// 3 (downloaded) or 4 (installed).
    pub notification_point_id: u8,
    /// True when the operator answered 2xx.
    pub delivered: bool,
}

/// A refusal: HTTP status, stable code, SGP.22 pair, words.
struct DeviceError {
    http: StatusCode,
    code: &'static str,
    sgp22: Option<Sgp22Code>,
    message: String,
}

impl DeviceError {
    fn new(http: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            http,
            code,
            sgp22: None,
            message: message.into(),
        }
    }

    fn sgp22(mut self, code: Sgp22Code) -> Self {
        self.sgp22 = Some(code);
        self
    }
}

impl IntoResponse for DeviceError {
    fn into_response(self) -> Response {
        let mut error = serde_json::json!({"code": self.code, "message": self.message});
        if let (Some(c), Some(map)) = (self.sgp22, error.as_object_mut()) {
            map.insert("subjectCode".into(), c.subject.into());
            map.insert("reasonCode".into(), c.reason.into());
        }
        (self.http, Json(serde_json::json!({ "error": error }))).into_response()
    }
}

impl From<DeviceRefusal> for DeviceError {
    fn from(r: DeviceRefusal) -> Self {
        use DeviceRefusal::*;
        let (http, code, sgp22, message) = match r {
            MatchingIdUnknown => (
                StatusCode::NOT_FOUND,
                "matching_id_refused",
                codes::MATCHING_ID_REFUSED,
                "no order has this matching id",
            ),
            NotReleased => (
                StatusCode::CONFLICT,
                "profile_not_released",
                codes::PROFILE_NOT_RELEASED,
                "the order is not released for download yet",
            ),
            AlreadyUsed => (
                StatusCode::CONFLICT,
                "matching_id_already_used",
                codes::MATCHING_ID_REFUSED,
                "this activation code has already been used",
            ),
            EidRefused => (
                StatusCode::FORBIDDEN,
                "eid_refused",
                codes::EID_REFUSED,
                "the order is for another eUICC",
            ),
            ConfirmationCodeMissing => (
                StatusCode::FORBIDDEN,
                "confirmation_code_missing",
                codes::CONFIRMATION_CODE_MISSING,
                "this order needs a confirmation code",
            ),
            ConfirmationCodeRefused => (
                StatusCode::FORBIDDEN,
                "confirmation_code_refused",
                codes::CONFIRMATION_CODE_REFUSED,
                "wrong confirmation code",
            ),
        };
        DeviceError::new(http, code, message).sgp22(sgp22)
    }
}

/// `POST /device/install`.
pub(crate) async fn install(State(emulator): State<SmdpEmulator>, body: Bytes) -> Response {
    match run(&emulator, &body).await {
        Ok(done) => (StatusCode::OK, Json(done)).into_response(),
        Err(error) => error.into_response(),
    }
}

async fn run(e: &SmdpEmulator, body: &[u8]) -> Result<DeviceInstallResponse, DeviceError> {
    let invalid = |message: String| DeviceError::new(StatusCode::BAD_REQUEST, "invalid_body", message);
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|err| invalid(err.to_string()))?;
    if !value.is_object() {
        return Err(invalid("the body must be a JSON object".into()));
    }
    let req: DeviceInstallRequest = serde_json::from_value(value).map_err(|err| invalid(err.to_string()))?;
    let unprocessable = |code, message: String| DeviceError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message);
    let raw_code = req
        .activation_code
        .ok_or_else(|| unprocessable("activation_code_missing", "activationCode is required".into()))?;
    let code = ActivationCode::parse(&raw_code).map_err(|err| unprocessable(err.code(), err.to_string()))?;
    let raw_eid = req
        .eid
        .ok_or_else(|| unprocessable("eid_missing", "eid is required".into()))?;
    let eid = Eid::parse(&raw_eid).map_err(|err| unprocessable(err.code(), err.to_string()))?;
    if !code.smdp_address().eq_ignore_ascii_case(&e.config().smdp_address) {
        return Err(DeviceError::new(
            StatusCode::FORBIDDEN,
            "smdp_address_mismatch",
            "the activation code is for another SM-DP+",
        )
        .sgp22(codes::SMDP_ADDRESS_REFUSED));
    }
    let (iccid, profile_type) =
        e.inventory()
            .start_download(code.matching_id(), &eid, req.confirmation_code.as_deref())?;

    let changed = || {
        // Only a concurrent change could get here; report it, don't panic.
        DeviceError::new(
            StatusCode::CONFLICT,
            "profile_changed",
            "the profile changed during the download",
        )
    };
    let mut notifications = Vec::new();
    let state = if req.simulate_failure {
        let state = e.inventory().finish_download(&iccid, false).ok_or_else(changed)?;
        notifications.extend(notify(e, &eid, &iccid, &profile_type, 3, false).await);
        state
    } else {
        notifications.extend(notify(e, &eid, &iccid, &profile_type, 3, true).await);
        let state = e.inventory().finish_download(&iccid, true).ok_or_else(changed)?;
        notifications.extend(notify(e, &eid, &iccid, &profile_type, 4, true).await);
        state
    };
    Ok(DeviceInstallResponse {
        iccid: iccid.as_str().to_owned(),
        eid: eid.as_str().to_owned(),
        state,
        notifications,
    })
}

/// Sends notification `point` and records how it went.
async fn notify(
    e: &SmdpEmulator,
    eid: &Eid,
    iccid: &Iccid,
    profile_type: &str,
    point: u8,
    ok: bool,
) -> Option<NotificationOutcome> {
    let status = if ok {
        FunctionExecutionStatus::success()
    } else {
        FunctionExecutionStatus::failed(
            codes::DOWNLOAD_FAILED,
            None,
            "the profile could not be installed".into(),
        )
    };
    let delivered = e
        .notifier()
        .send(Progress {
            eid,
            iccid,
            profile_type,
            point,
            status,
        })
        .await?;
    Some(NotificationOutcome {
        notification_point_id: point,
        delivered,
    })
}
