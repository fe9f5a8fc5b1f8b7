//! The link in the "your export is ready" email: `/exports/{token}`
//! downloads the ZIP, with no sign-in (the token is the key). A link that
//! does not work gets a page saying why.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::json;
use tern_app::exports;
use tern_i18n::t;

use super::page::Ctx;
use crate::error::{message, status_of};
use crate::state::HttpState;

pub async fn download(State(s): State<HttpState>, headers: HeaderMap, Path(token): Path<String>) -> Response {
    // The page's own path would carry the token into links; use the
    // account page instead.
    let ctx = Ctx::load(s, &headers, "/account").await;
    match exports::download(&ctx.state.app, &token).await {
        Ok((name, zip)) => crate::api::exports::attachment(&name, zip),
        Err(e) => {
            if let tern_app::AppError::Internal(cause) = &e {
                tracing::error!(error = %cause, "export download failed");
            }
            ctx.render_status(
                status_of(&e),
                "message.html",
                json!({
                    "title": t(ctx.locale, "export.link_title"),
                    "body": message(e.code(), ctx.locale),
                    "link": "/account#export-h",
                    "link_text": t(ctx.locale, "export.ask_again"),
                }),
            )
        }
    }
}
