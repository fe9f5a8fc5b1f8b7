//! The emulator's inventory read, for tests and operators checking that
//! nothing stays reserved: `GET /emulator/profiles[?state=Released]` and
//! `GET /emulator/profiles/{iccid}`.
//!
//! Not an ES2+ function (SGP.22 has no profile query on ES2+), so it lives
//! outside `/gsma/rsp2/es2plus` and Tern's client never calls it.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tern_domain::ids::Iccid;

use super::SmdpEmulator;
use crate::state::ProfileState;

/// The list's filter.
#[derive(Debug, Deserialize)]
pub(super) struct ListQuery {
    /// Only profiles in this state; absent: every profile not `Available`.
    state: Option<ProfileState>,
}

pub(super) async fn list(State(emulator): State<SmdpEmulator>, Query(q): Query<ListQuery>) -> Response {
    Json(emulator.inventory().list(q.state)).into_response()
}

pub(super) async fn one(State(emulator): State<SmdpEmulator>, Path(raw): Path<String>) -> Response {
    let found = Iccid::from_smdp(&raw)
        .ok()
        .and_then(|iccid| emulator.inventory().entry(&iccid));
    match found {
        Some(entry) => Json(entry).into_response(),
        None => (StatusCode::NOT_FOUND, "unknown ICCID").into_response(),
    }
}
