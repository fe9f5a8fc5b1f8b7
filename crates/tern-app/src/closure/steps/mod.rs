//! The workflow's steps, one file each. Every step can run again after a
//! crash, a retry or on a second worker at the same time and does what is
//! left, never more: state moves are conditional updates and money moves
//! are ledger transactions unique by (kind, reference).
//!
//! A step returns a typed [`Step::Output`]; the workflow serialises it once
//! into `closure_steps.result`, and later steps (the notice, the receipt)
//! read it back typed with [`Step::recorded`].

mod cancel_esims;
mod close;
mod erase;
mod export;
mod freeze;
mod notify;
mod settle;
mod sweep;

use std::future::Future;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tern_domain::closure::ClosureStep;
use tern_store::Conn;
use tern_store::closures::{ClosureRow, StepRow};

pub use cancel_esims::{CancelEsims, ServicesStopped};
pub use close::{Close, Receipt, Retained};
pub use erase::{Erase, ErasedCounts};
pub use export::{Export, ExportSent};
pub use freeze::{Freeze, Frozen};
pub use notify::{Delivered, Notify};
pub use settle::{Settle, Settled};
pub use sweep::{Sweep, SweepReport, Swept};

use crate::App;
use crate::error::{AppError, AppResult};

/// One step of the closure workflow.
pub trait Step: Sync {
    /// Which step this is (its stored name and its place in the order).
    const STEP: ClosureStep;
    /// What the step reports; stored as JSON once the step is done.
    type Output: Serialize + DeserializeOwned + Send + Sync;

    /// Does what is left of the step.
    fn run(&self, app: &App, c: &ClosureRow) -> impl Future<Output = AppResult<Self::Output>> + Send;

    /// Writes made in the transaction that records the step as done
    /// (nothing, for most steps).
    fn finish(
        &self,
        _app: &App,
        _tx: &mut Conn,
        _c: &ClosureRow,
        _out: &Self::Output,
    ) -> impl Future<Output = AppResult<()>> + Send {
        async { Ok(()) }
    }

    /// This step's stored output among a request's `steps`: an error when
    /// the step has not run or its record does not decode, since a later
    /// step must never report a guess.
    fn recorded(steps: &[StepRow]) -> AppResult<Self::Output> {
        let name = Self::STEP.as_str();
        let row = steps
            .iter()
            .find(|s| s.step == name)
            .ok_or_else(|| AppError::Internal(format!("closure step {name} has no recorded result")))?;
        serde_json::from_str(&row.result)
            .map_err(|e| AppError::Internal(format!("closure step {name}: stored result does not decode: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(step: ClosureStep, result: &str) -> StepRow {
        StepRow {
            step: step.as_str().to_owned(),
            result: result.to_owned(),
            done_at: 0,
        }
    }

    #[test]
    fn results_stored_before_the_typed_steps_still_decode() {
        // Written by the untyped workflow (keys sorted, as serde_json wrote them).
        let steps = [
            row(ClosureStep::Freeze, r#"{"frozen":true,"sessions_ended":2}"#),
            row(
                ClosureStep::SettleWallet,
                r#"{"card_refunds":1,"currency":"EUR","forfeited_minor":300,"manual_payout_minor":0,"refund_minor":1250}"#,
            ),
            row(ClosureStep::Export, r#"{"requested":false}"#),
            row(ClosureStep::Sweep, r#"{"repeated":true}"#),
            row(
                ClosureStep::Erase,
                r#"{"closure_reason_texts":1,"device_ids":0,"idempotency_records":3,"message_files":4,"notifications":5,"one_time_tokens":1,"profile_fields":3,"sessions":2,"two_factor":0,"adjustment_reasons":0,"ticket_subjects":1,"ticket_messages":2}"#,
            ),
        ];
        assert_eq!(Freeze::recorded(&steps).unwrap().sessions_ended, 2);
        let s = Settle::recorded(&steps).unwrap();
        assert_eq!((s.refund_minor, s.forfeited_minor, s.card_refunds), (1250, 300, 1));
        assert_eq!(Export::recorded(&steps).unwrap(), ExportSent::default());
        assert_eq!(Sweep::recorded(&steps).unwrap(), Swept::Repeated { repeated: true });
        let e = Erase::recorded(&steps).unwrap();
        assert_eq!(
            (e.records.profile_fields, e.message_files, e.ticket_messages),
            (3, 4, 2)
        );
        assert_eq!(
            serde_json::to_value(&e).unwrap()["notifications"],
            serde_json::json!(5),
            "the erase counts stay flat in the stored JSON"
        );
    }

    #[test]
    fn a_step_not_run_is_an_error_not_a_zero() {
        let err = Settle::recorded(&[]).unwrap_err();
        assert!(err.to_string().contains("settle_wallet"), "{err}");
        let bad = [row(ClosureStep::SettleWallet, r#"{"refund_minor":"twelve"}"#)];
        assert!(Settle::recorded(&bad).is_err());
    }

    #[test]
    fn a_sweep_report_round_trips() {
        let report = Swept::Searched(SweepReport {
            tables: 30,
            hits_by_kind: [("email".to_owned(), 0)].into(),
            swept_together: 2,
            ..SweepReport::default()
        });
        let text = serde_json::to_string(&report).unwrap();
        assert_eq!(serde_json::from_str::<Swept>(&text).unwrap(), report);
    }
}
