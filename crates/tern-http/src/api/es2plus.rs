//! ES2+.HandleDownloadProgressInfo, the one ES2+ function Tern provides
//! (SGP.22 §5.3.5): the SM-DP+ says how a download went.
//!
//! Served at the spec's path `/gsma/rsp2/es2plus/handleDownloadProgressInfo`
//! and, for SM-DP+ set up before Tern followed it, at
//! `/es2plus/handleDownloadProgressInfo`. Two ways in:
//! - the main listener, where the caller (an SM-DP+ or the TLS-terminating
//!   proxy in front of Tern) shows `smdp.callback_secret` as a bearer token;
//! - the `smdp.callback_tls` listener, where the TLS handshake already
//!   required a client certificate from the configured CA.
//!
//! Either way the answer is ES2+'s: 204 and no body when the notification
//! was taken, 200 with a `Failed` header when it was refused, and
//! `X-Admin-Protocol` on every answer.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use subtle::ConstantTimeEq;
use tern_app::{AppError, Code};
use tern_esim::codes;
use tern_esim::notification;
use tern_esim::provider::Refusal;
use tern_esim::wire::{
    ADMIN_PROTOCOL, ADMIN_PROTOCOL_HEADER, HANDLE_DOWNLOAD_PROGRESS_INFO_PATH,
    LEGACY_HANDLE_DOWNLOAD_PROGRESS_INFO_PATH,
};

use crate::error::error_response;
use crate::state::HttpState;

/// Both paths, on the main listener (bearer secret).
pub fn routes() -> Router<HttpState> {
    Router::new()
        .route(HANDLE_DOWNLOAD_PROGRESS_INFO_PATH, post(with_bearer))
        .route(LEGACY_HANDLE_DOWNLOAD_PROGRESS_INFO_PATH, post(with_bearer))
}

/// The router of the mutual-TLS listener: both paths, no bearer needed,
/// nothing else served.
pub fn mtls_router(state: HttpState) -> Router {
    Router::new()
        .route(HANDLE_DOWNLOAD_PROGRESS_INFO_PATH, post(with_client_certificate))
        .route(LEGACY_HANDLE_DOWNLOAD_PROGRESS_INFO_PATH, post(with_client_certificate))
        .fallback(|| async { with_protocol(StatusCode::NOT_FOUND.into_response()) })
        .with_state(state)
}

/// ES2+ HandleDownloadProgressInfo (SGP.22 §5.3.5). Authenticated by the
/// bearer secret here, or by a client certificate on the
/// `smdp.callback_tls` listener.
#[utoipa::path(post, path = "/gsma/rsp2/es2plus/handleDownloadProgressInfo", tag = "integrations", operation_id = "handleDownloadProgressInfo",
    request_body(content = Object, content_type = "application/json",
        description = "SGP.22 §6.5.2.5: header, eid, iccid, profileType, timestamp, notificationPointId, notificationPointStatus"),
    responses((status = 204, description = "notification taken"),
        (status = 200, description = "refused: ES2+ header with functionExecutionStatus Failed and statusCodeData"),
        (status = 401, description = "wrong or missing bearer secret")))]
pub async fn with_bearer(State(s): State<HttpState>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    // The secret first: a caller without it learns nothing, not even
    // whether its body would parse.
    if !bool::from(given.as_bytes().ct_eq(s.app.callback_secret().as_bytes())) {
        let refused = error_response(
            StatusCode::UNAUTHORIZED,
            Code::Unauthenticated,
            tern_domain::Locale::En,
            None,
        );
        return with_protocol(refused);
    }
    take(&s, &headers, &body).await
}

/// The same function behind the mutual-TLS handshake.
async fn with_client_certificate(State(s): State<HttpState>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    take(&s, &headers, &body).await
}

async fn take(s: &HttpState, headers: &HeaderMap, body: &[u8]) -> Response {
    let protocol = headers.get(ADMIN_PROTOCOL_HEADER).and_then(|v| v.to_str().ok());
    let n = match notification::check(protocol, body, s.app.smdp_identity()) {
        Ok(n) => n,
        Err(refusal) => return refused(refusal),
    };
    let iccid = n.iccid.clone();
    match tern_app::esims::download_progress(&s.app, n).await {
        Ok(()) => with_protocol(StatusCode::NO_CONTENT.into_response()),
        Err(AppError::NotFound) => refused(Refusal::new(codes::ICCID_UNKNOWN, "no eSIM has this ICCID").about(&iccid)),
        Err(e) => {
            // The database is down or similar: an HTTP error, so the
            // SM-DP+ (or its operator) knows to send it again.
            tracing::error!(error = %e, "could not take a download progress notification");
            with_protocol(StatusCode::SERVICE_UNAVAILABLE.into_response())
        }
    }
}

/// HTTP 200 with a `Failed` header (SGP.22 §6.3).
fn refused(refusal: Refusal) -> Response {
    tracing::info!(code = %refusal.code, message = %refusal.message, "refused a download progress notification");
    with_protocol((StatusCode::OK, Json(refusal.body())).into_response())
}

fn with_protocol(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(ADMIN_PROTOCOL_HEADER, HeaderValue::from_static(ADMIN_PROTOCOL));
    response
}
