//! Faults a test can ask the emulator to show on its next ES2+ calls, so
//! the operator's recovery and compensation paths run against the same
//! HTTP server as the happy path: `POST /emulator/faults`.
//!
//! Not part of ES2+; a certified SM-DP+ has nothing like it.

use std::collections::{HashMap, VecDeque};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::SmdpEmulator;
use crate::wire::Es2Function;

/// What goes wrong with one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// The function runs, then the answer is lost (HTTP 502, no body): the
    /// operator cannot tell whether it took effect.
    AnswerLost,
    /// The function does not run; HTTP 503.
    Unavailable,
    /// confirmOrder answers without the optional `smdpAddress`.
    NoSmdpAddress,
    /// The function does not run; HTTP 200, `Failed` with `1.2`/`4.2`
    /// (function provider, execution error): a refusal to give up on.
    ExecutionError,
}

/// `POST /emulator/faults`: the next `times` calls of `function` show
/// `fault`, after any already queued for it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultRequest {
    /// The ES2+ function name, e.g. `confirmOrder`.
    pub function: String,
    /// What goes wrong.
    pub fault: Fault,
    /// How many calls in a row; at least one.
    #[serde(default = "one")]
    pub times: u32,
}

fn one() -> u32 {
    1
}

/// Queued faults per function.
#[derive(Debug, Default)]
pub(crate) struct Faults(HashMap<Es2Function, VecDeque<Fault>>);

impl Faults {
    /// Queues `fault` for the next `times` calls of `function`.
    pub fn push(&mut self, function: Es2Function, fault: Fault, times: u32) {
        let queue = self.0.entry(function).or_default();
        queue.extend(std::iter::repeat_n(fault, times.clamp(1, 1000) as usize));
    }

    /// The fault for this call of `function`, if one is queued.
    pub fn take(&mut self, function: Es2Function) -> Option<Fault> {
        self.0.get_mut(&function).and_then(VecDeque::pop_front)
    }
}

pub(super) async fn queue(State(emulator): State<SmdpEmulator>, Json(req): Json<FaultRequest>) -> Response {
    let Some(function) = Es2Function::from_name(&req.function) else {
        return (StatusCode::UNPROCESSABLE_ENTITY, "unknown ES2+ function").into_response();
    };
    emulator.faults().push(function, req.fault, req.times);
    StatusCode::NO_CONTENT.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_come_in_order_per_function() {
        let mut f = Faults::default();
        f.push(Es2Function::ConfirmOrder, Fault::AnswerLost, 2);
        f.push(Es2Function::ConfirmOrder, Fault::NoSmdpAddress, 1);
        assert_eq!(f.take(Es2Function::DownloadOrder), None);
        assert_eq!(f.take(Es2Function::ConfirmOrder), Some(Fault::AnswerLost));
        assert_eq!(f.take(Es2Function::ConfirmOrder), Some(Fault::AnswerLost));
        assert_eq!(f.take(Es2Function::ConfirmOrder), Some(Fault::NoSmdpAddress));
        assert_eq!(f.take(Es2Function::ConfirmOrder), None);
    }
}
