//! The mobile network beside the SM-DP+: which subscriptions are barred.
//! A real network bars a subscription through its provisioning system
//! (HLR/HSS/UDM); the emulator keeps a set, so account closure can bar an
//! installed profile and tests can see that it did.
//!
//! Routes: `POST /network/bar {"iccid"}` (idempotent) and
//! `GET /network/subscribers/{iccid}` → `{"iccid","barred"}`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tern_domain::ids::Iccid;

use super::SmdpEmulator;

/// A request to bar one subscription.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BarRequest {
    /// The subscription's ICCID.
    pub iccid: String,
}

/// A subscription as the network sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscriber {
    /// The subscription's ICCID.
    pub iccid: String,
    /// Whether the network refuses service to it.
    pub barred: bool,
}

fn known(emulator: &SmdpEmulator, raw: &str) -> Option<Iccid> {
    let iccid = Iccid::from_smdp(raw).ok()?;
    emulator.profile_state(&iccid).map(|_| iccid)
}

pub(super) async fn bar(State(emulator): State<SmdpEmulator>, Json(req): Json<BarRequest>) -> Response {
    match known(&emulator, &req.iccid) {
        Some(iccid) => {
            emulator.barred().insert(iccid.as_str().to_owned());
            Json(Subscriber {
                iccid: iccid.as_str().to_owned(),
                barred: true,
            })
            .into_response()
        }
        None => (StatusCode::NOT_FOUND, "unknown ICCID").into_response(),
    }
}

pub(super) async fn subscriber(State(emulator): State<SmdpEmulator>, Path(raw): Path<String>) -> Response {
    match known(&emulator, &raw) {
        Some(iccid) => Json(Subscriber {
            barred: emulator.barred().contains(iccid.as_str()),
            iccid: iccid.as_str().to_owned(),
        })
        .into_response(),
        None => (StatusCode::NOT_FOUND, "unknown ICCID").into_response(),
    }
}
