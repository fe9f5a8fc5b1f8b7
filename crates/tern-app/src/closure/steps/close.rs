//! Close: the receipt (no personal data) is written from the other steps'
//! recorded outputs and the request completes.

use serde::{Deserialize, Serialize};
use serde_json::json;
use tern_domain::closure::{ClosureState, ClosureStep};
use tern_store::Conn;
use tern_store::closures::{self, ClosureRow};
use tern_store::erasure;

use super::{
    CancelEsims, Erase, ErasedCounts, Export, ExportSent, Freeze, ServicesStopped, Settle, Settled, Step, Sweep, Swept,
};
use crate::App;
use crate::audit;
use crate::clock::{ms, rfc3339};
use crate::error::{AppError, AppResult};

pub struct Close;

/// The close step records nothing of its own (the receipt is stored on
/// the request).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closed {}

/// What a completed closure did, as its owner and the public status page
/// see it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Receipt {
    pub deleted: ErasedCounts,
    /// Records the law keeps, pseudonymised, and until when.
    pub retained: Vec<Retained>,
    pub pseudonymised: bool,
    pub refund: Settled,
    pub services: ServicesStopped,
    pub export: ExportSent,
    pub sweep: Swept,
    pub sessions_ended: u64,
}

/// One kind of record kept after closure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retained {
    pub kind: tern_domain::retention::Retained,
    pub count: i64,
    /// RFC 3339.
    pub until: String,
}

impl Default for Swept {
    fn default() -> Self {
        Swept::Searched(Default::default())
    }
}

impl Step for Close {
    const STEP: ClosureStep = ClosureStep::Close;
    type Output = Closed;

    async fn run(&self, _app: &App, _c: &ClosureRow) -> AppResult<Closed> {
        Ok(Closed {})
    }

    /// Writes the receipt and completes the request, in the transaction
    /// that records the step.
    async fn finish(&self, app: &App, tx: &mut Conn, c: &ClosureRow, _out: &Closed) -> AppResult<()> {
        let now = app.now_ms();
        let retain_until = now + ms(app.settings.closure.retention);
        let receipt = receipt(tx, c, retain_until).await?;
        let text = serde_json::to_string(&receipt).map_err(|e| AppError::Internal(e.to_string()))?;
        closures::set_receipt(tx, &c.id, &text, Some(retain_until)).await?;
        if !closures::transition(tx, &c.id, ClosureState::Processing, ClosureState::Completed, None, now).await? {
            return Ok(());
        }
        audit::record(
            tx,
            app.db.backend(),
            "closure",
            "closure.completed",
            &c.account_id,
            json!({ "closure": c.id }),
            now,
        )
        .await?;
        metrics::counter!("tern_closures_completed_total").increment(1);
        let took_days = (now - c.received_at) as f64 / 86_400_000.0;
        metrics::histogram!("tern_closure_days").record(took_days);
        Ok(())
    }
}

async fn receipt(conn: &mut Conn, c: &ClosureRow, retain_until: i64) -> AppResult<Receipt> {
    let steps = closures::steps(conn, &c.id).await?;
    let until = rfc3339(retain_until);
    let retained = erasure::retained_counts(conn, &c.account_id)
        .await?
        .into_iter()
        .map(|(kind, count)| Retained {
            kind,
            count,
            until: until.clone(),
        })
        .collect();
    Ok(Receipt {
        deleted: Erase::recorded(&steps)?,
        retained,
        pseudonymised: true,
        refund: Settle::recorded(&steps)?,
        services: CancelEsims::recorded(&steps)?,
        export: Export::recorded(&steps)?,
        sweep: Sweep::recorded(&steps)?,
        sessions_ended: Freeze::recorded(&steps)?.sessions_ended,
    })
}
