//! The closure's two jobs: `closure` advances a request as far as it can
//! go now; `closure_reminder` sends "closing starts tomorrow" once.

use serde::{Deserialize, Serialize};

use crate::App;
use crate::error::AppResult;
use crate::jobs::Job;

/// Why an [`AdvanceClosure`] is queued; it picks the dedup key and is not
/// stored (the job does the same whatever woke it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Wake {
    /// The request was just opened.
    #[default]
    Opened,
    /// Cooling-off ends; queued to run then.
    CoolingOffEnds,
    /// A staff member asked for a retry or resumed it: always queued.
    Kicked,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdvanceClosure {
    pub closure_id: tern_domain::ClosureId,
    #[serde(skip)]
    pub wake: Wake,
}

impl Job for AdvanceClosure {
    const NAME: &'static str = "closure";

    fn dedup_key(&self) -> Option<String> {
        let id = &self.closure_id;
        match self.wake {
            Wake::Opened => Some(format!("closure:{id}:start")),
            Wake::CoolingOffEnds => Some(format!("closure:{id}:after-cooling-off")),
            Wake::Kicked => None,
        }
    }

    async fn run(&self, app: &App, last_attempt: bool) -> AppResult<()> {
        super::advance(app, &self.closure_id, last_attempt).await
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemindClosure {
    pub closure_id: tern_domain::ClosureId,
}

impl Job for RemindClosure {
    const NAME: &'static str = "closure_reminder";

    fn dedup_key(&self) -> Option<String> {
        Some(format!("closure:{}:reminder", self.closure_id))
    }

    async fn run(&self, app: &App, _last_attempt: bool) -> AppResult<()> {
        super::remind(app, &self.closure_id).await
    }
}
