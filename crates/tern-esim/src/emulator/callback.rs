//! ES2+.HandleDownloadProgressInfo: the emulator telling the operator how a
//! download went, as a real SM-DP+ does.

use std::time::Duration;

use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use tern_domain::ids::{Eid, Iccid};

use crate::client::{TlsConfig, tls_http_client};
use crate::errors::Es2Error;
use crate::wire::{
    ADMIN_PROTOCOL, ADMIN_PROTOCOL_HEADER, ExecutionStatus, FunctionExecutionStatus,
    HANDLE_DOWNLOAD_PROGRESS_INFO_PATH, HandleDownloadProgressInfoRequest, HeaderOnlyResponse, RequestHeader,
};

/// Where the emulator posts download progress, and how it proves itself:
/// a client certificate (mutual TLS, as SGP.22 §6.1 has it), a bearer
/// secret (for an operator behind a proxy), or both.
#[derive(Debug, Clone)]
pub struct CallbackConfig {
    /// The operator's base URL; `/gsma/rsp2/es2plus/handleDownloadProgressInfo`
    /// is appended.
    pub base_url: String,
    /// Sent as `Authorization: Bearer <secret>` when set.
    pub bearer_secret: Option<SecretString>,
    /// The client certificate to present and the CA to trust for the
    /// operator's TLS listener.
    pub tls: TlsConfig,
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
    pub fn new(config: Option<CallbackConfig>, identity: &str) -> Result<Self, Es2Error> {
        let tls = config.as_ref().map(|c| c.tls.clone()).unwrap_or_default();
        let http = tls_http_client(&tls, Duration::from_secs(10))?;
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
        let mut request = self
            .http
            .post(url)
            .header(ADMIN_PROTOCOL_HEADER, ADMIN_PROTOCOL)
            .json(&body);
        if let Some(secret) = &config.bearer_secret {
            request = request.bearer_auth(secret.expose_secret());
        }
        let result = request.send().await;
        let delivered = match result {
            // SGP.22 §6.5.2.5: the operator acknowledges with 204 and no
            // body; an ES2+ refusal comes as 200 with a Failed header.
            Ok(response) if response.status() == reqwest::StatusCode::NO_CONTENT => true,
            Ok(response) if response.status().is_success() => {
                let text = response.text().await.unwrap_or_default();
                tracing::warn!(point = progress.point, body = %text,
                    "operator answered a download progress notification with a body");
                serde_json::from_str::<HeaderOnlyResponse>(&text)
                    .is_ok_and(|r| r.header.function_execution_status.status != ExecutionStatus::Failed)
            }
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
