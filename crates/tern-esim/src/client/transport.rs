//! One ES2+ call on the wire: headers, retries, and turning the answer into
//! a typed response or an [`Es2Error`].

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Es2Client;
use crate::errors::{Es2Error, TransportKind};
use crate::wire::{
    ADMIN_PROTOCOL, ADMIN_PROTOCOL_HEADER, ConfirmOrderResponse, DownloadOrderResponse, ES2PLUS_PATH, Es2Function,
    ExecutionStatus, HeaderOnlyResponse, RequestHeader, ResponseHeader,
};

/// A response type whose header says whether the function ran.
pub(crate) trait Es2Response: DeserializeOwned {
    /// The response header.
    fn header(&self) -> &ResponseHeader;
}

macro_rules! es2_response {
    ($($t:ty),*) => {$(
        impl Es2Response for $t {
            fn header(&self) -> &ResponseHeader {
                &self.header
            }
        }
    )*};
}

es2_response!(HeaderOnlyResponse, DownloadOrderResponse, ConfirmOrderResponse);

impl Es2Client {
    /// Sends the body `build` makes around a fresh request header to
    /// `function`, repeating it per the retry policy when that is safe:
    /// always when the request was provably not delivered, and on any
    /// missing answer when the function is idempotent. All attempts share
    /// one `functionCallIdentifier`, so an SM-DP+ that deduplicates sees a
    /// retry as the same call.
    pub(crate) async fn call<B: Serialize, R: Es2Response>(
        &self,
        function: Es2Function,
        build: impl FnOnce(RequestHeader) -> B,
    ) -> Result<R, Es2Error> {
        let call_id = uuid::Uuid::new_v4().to_string();
        let body = build(RequestHeader {
            function_requester_identifier: Some(self.requester.clone()),
            function_call_identifier: Some(call_id.clone()),
        });
        let bytes = serde_json::to_vec(&body).map_err(|e| Es2Error::Protocol {
            function,
            detail: format!("could not encode the request: {e}"),
        })?;
        let url = format!("{}{ES2PLUS_PATH}/{}", self.base_url, function.name());
        let mut attempt = 1;
        loop {
            let result = self.send_once::<R>(function, &url, bytes.clone()).await;
            let error = match result {
                Ok(response) => {
                    tracing::debug!(%function, %call_id, attempt, "ES2+ call executed");
                    return Ok(response);
                }
                Err(error) => error,
            };
            let may_repeat = error.is_not_delivered() || (function.is_idempotent() && error.is_retryable());
            if !may_repeat || attempt >= self.retry.max_attempts {
                tracing::warn!(%function, %call_id, attempt, code = error.code(), %error, "ES2+ call failed");
                return Err(error);
            }
            tracing::info!(%function, %call_id, attempt, %error, "ES2+ call will be repeated");
            tokio::time::sleep(self.retry.backoff(attempt)).await;
            attempt += 1;
        }
    }

    /// One attempt.
    async fn send_once<R: Es2Response>(&self, function: Es2Function, url: &str, body: Vec<u8>) -> Result<R, Es2Error> {
        let transport = |source: reqwest::Error| Es2Error::Transport {
            function,
            kind: transport_kind(&source),
            source,
        };
        let response = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(ADMIN_PROTOCOL_HEADER, ADMIN_PROTOCOL)
            .body(body)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(transport)?;
        if !status.is_success() {
            // A refusal may come with an error status; a proxy's page won't parse.
            return match serde_json::from_slice::<HeaderOnlyResponse>(&bytes) {
                Ok(r) => check_header(function, r.header()).and(Err(Es2Error::Http {
                    function,
                    status: status.as_u16(),
                })),
                Err(_) => Err(Es2Error::Http {
                    function,
                    status: status.as_u16(),
                }),
            };
        }
        // Read the header first, so a refusal is reported as such even when
        // the rest of the body would not parse.
        let header: HeaderOnlyResponse = serde_json::from_slice(&bytes).map_err(|e| Es2Error::Protocol {
            function,
            detail: format!("no ES2+ response header: {e}"),
        })?;
        check_header(function, header.header())?;
        serde_json::from_slice(&bytes).map_err(|e| Es2Error::Protocol {
            function,
            detail: format!("malformed response body: {e}"),
        })
    }
}

/// `Ok` when the function ran; the matching error otherwise.
fn check_header(function: Es2Function, header: &ResponseHeader) -> Result<(), Es2Error> {
    let status = &header.function_execution_status;
    let data = status.status_code_data.as_ref();
    match status.status {
        ExecutionStatus::ExecutedSuccess => Ok(()),
        ExecutionStatus::ExecutedWithWarning => {
            tracing::warn!(
                %function,
                subject = data.map(|d| d.subject_code.as_str()),
                reason = data.map(|d| d.reason_code.as_str()),
                "ES2+ call executed with a warning"
            );
            Ok(())
        }
        ExecutionStatus::Expired => Err(Es2Error::Expired {
            function,
            message: data.and_then(|d| d.message.clone()),
        }),
        ExecutionStatus::Failed => match data {
            Some(d) => Err(Es2Error::Failed {
                function,
                subject_code: d.subject_code.clone(),
                reason_code: d.reason_code.clone(),
                subject_identifier: d.subject_identifier.clone(),
                message: d.message.clone(),
            }),
            None => Err(Es2Error::Protocol {
                function,
                detail: "Failed without statusCodeData".into(),
            }),
        },
    }
}

/// Classifies a reqwest failure by whether the request can have arrived.
fn transport_kind(error: &reqwest::Error) -> TransportKind {
    if error.is_connect() {
        TransportKind::Connect
    } else if error.is_timeout() {
        TransportKind::Timeout
    } else {
        TransportKind::Other
    }
}
