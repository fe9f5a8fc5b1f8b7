//! Freeze: no new orders, top-ups or sign-ins (only `active` accounts
//! authenticate), and every session and token ends now.

use serde::{Deserialize, Serialize};
use serde_json::json;
use tern_domain::AccountStatus;
use tern_domain::closure::ClosureStep;
use tern_store::closures::ClosureRow;
use tern_store::{accounts, sessions};

use super::Step;
use crate::App;
use crate::error::AppResult;

pub struct Freeze;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Frozen {
    /// False when the account was frozen already (a rerun).
    pub frozen: bool,
    pub sessions_ended: u64,
}

impl Step for Freeze {
    const STEP: ClosureStep = ClosureStep::Freeze;
    type Output = Frozen;

    async fn run(&self, app: &App, c: &ClosureRow) -> AppResult<Frozen> {
        let now = app.now_ms();
        let mut tx = app.work_at(now).await?;
        let frozen = accounts::set_status(
            &mut tx,
            &c.account_id,
            AccountStatus::Active,
            AccountStatus::Frozen,
            now,
        )
        .await?;
        let ended = sessions::delete_all_for_account(&mut tx, &c.account_id, None).await?;
        tx.audit(
            "closure",
            "closure.account_frozen",
            &c.account_id,
            json!({ "closure": c.id, "sessions_ended": ended }),
        )
        .await?;
        tx.commit().await?;
        Ok(Frozen {
            frozen,
            sessions_ended: ended,
        })
    }
}
