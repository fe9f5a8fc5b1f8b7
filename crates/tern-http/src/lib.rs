//! Tern over HTTP: the JSON API under `/api/v1`, the server-rendered
//! portal, and the operational endpoints (`/healthz`, `/readyz`,
//! `/api/openapi.json`). Handlers are thin: they parse the request, call a
//! service in `tern-app`, and shape the answer.

// Handlers return `Result<_, Response>`; a response is the natural error
// of an HTTP handler and boxing it buys nothing.
#![allow(clippy::result_large_err)]

pub mod api;
mod error;
mod extract;
mod locale;
mod middleware;
pub mod openapi;
mod ops;
pub mod portal;
mod state;

pub use error::ApiError;
pub use state::HttpState;

use axum::Router;

/// The whole HTTP application.
/// The router of the `smdp.callback_tls` listener: ES2+ callbacks only,
/// authenticated by the client certificate the handshake required.
pub fn callback_tls_router(state: HttpState) -> Router {
    api::es2plus::mtls_router(state)
}

pub fn router(state: HttpState) -> Router {
    let app = Router::new()
        .merge(ops::routes())
        .nest("/api/v1", api::routes())
        .merge(portal::routes())
        .fallback(error::not_found)
        .with_state(state.clone());
    middleware::apply(app, state)
}
