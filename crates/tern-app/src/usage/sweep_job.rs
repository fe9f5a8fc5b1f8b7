//! The `usage_sweep` job: marks ended packages expired and sends the
//! "expires in a day" reminders.

use serde::{Deserialize, Serialize};

use crate::App;
use crate::error::AppResult;
use crate::jobs::Job;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageSweep {}

impl Job for UsageSweep {
    const NAME: &'static str = "usage_sweep";

    fn dedup_key(&self) -> Option<String> {
        Some("usage_sweep".to_owned())
    }

    async fn run(&self, app: &App, _last_attempt: bool) -> AppResult<()> {
        super::sweep(app).await.map(|_| ())
    }
}
