//! ES2+.HandleDownloadProgressInfo: the emulator telling the operator how a
//! download went, as a real SM-DP+ does.

use std::time::Duration;

use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use tern_domain::ids::{Eid, Iccid};

use crate::wire::{
    ADMIN_PROTOCOL, ADMIN_PROTOCOL_HEADER, FunctionExecutionStatus, HANDLE_DOWNLOAD_PROGRESS_INFO_PATH,
    HandleDownloadProgressInfoRequest, RequestHeader,
};

/// Where the emulator posts download progress, and the shared secret it
/// proves itself with.
#[derive(Debug, Clone)]
pub struct CallbackConfig {
    /// The operator's base URL; `/es2plus/handleDownloadProgressInfo` is
    /// appended.
    pub base_url: String,
    /// Sent as `Authorization: Bearer <secret>`.
    pub bearer_secret: SecretString,
}

/// Sends the notifications; one per emulator.
#[derive(Debug, Clone)]
pub(crate) struct Notifier {
    http: reqwest::Client,
    config: Option<CallbackConfig>,
    /// The SM-DP+'s `functionRequesterIdentifier` in callbacks.
    identity: String,
}

/// One notification to send.
pub(crate) struct Progress<'a> {
    pub eid: &'a Eid,
    pub iccid: &'a Iccid,
    pub profile_type: &'a str,
    pub point: u8,
    pub status: FunctionExecutionStatus,
}

impl Notifier {
    /// A notifier; `config` None means nobody is told.
    pub fn new(config: Option<CallbackConfig>, identity: &str) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?;
        Ok(Self {
            http,
            config,
            identity: identity.to_owned(),
        })
    }

    /// Posts one notification. `None` when no callback is configured,
    /// otherwise whether the operator answered 2xx. Failures are logged,
    /// never fatal: the phone has the profile either way.
    pub async fn send(&self, progress: Progress<'_>) -> Option<bool> {
        let config = self.config.as_ref()?;
        let body = HandleDownloadProgressInfoRequest {
            header: RequestHeader {
                function_requester_identifier: Some(self.identity.clone()),
                function_call_identifier: Some(uuid::Uuid::new_v4().to_string()),
            },
            eid: progress.eid.as_str().to_owned(),
            iccid: progress.iccid.to_es2_wire(),
            profile_type: progress.profile_type.to_owned(),
            timestamp: Utc::now(),
            notification_point_id: progress.point,
            notification_point_status: progress.status,
        };
        let url = format!(
            "{}{HANDLE_DOWNLOAD_PROGRESS_INFO_PATH}",
            config.base_url.trim_end_matches('/')
        );
        let result = self
            .http
            .post(url)
            .header(ADMIN_PROTOCOL_HEADER, ADMIN_PROTOCOL)
            .bearer_auth(config.bearer_secret.expose_secret())
            .json(&body)
            .send()
            .await;
        let delivered = match result {
            Ok(response) if response.status().is_success() => true,
            Ok(response) => {
                tracing::warn!(
                    status = response.status().as_u16(),
                    point = progress.point,
                    "operator refused a download progress notification"
                );
                false
            }
            Err(error) => {
                tracing::warn!(%error, point = progress.point,
                    "could not deliver a download progress notification");
                false
            }
        };
        Some(delivered)
    }
}
