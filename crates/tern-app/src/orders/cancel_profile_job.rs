//! The `cancel_profile` job: gives a failed order's profile back to the
//! SM-DP+ (ES2+ CancelOrder), a compensation retried until it holds.

use serde::{Deserialize, Serialize};

use crate::App;
use crate::error::AppResult;
use crate::jobs::Job;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelProfile {
    /// As the SM-DP+ issued it (its check digit is not checked).
    #[serde(deserialize_with = "tern_domain::ids::known_iccid")]
    pub iccid: tern_domain::ids::Iccid,
    pub matching_id: Option<String>,
}

impl Job for CancelProfile {
    const NAME: &'static str = "cancel_profile";

    fn dedup_key(&self) -> Option<String> {
        Some(format!(
            "cancel_profile:{}:{}",
            self.iccid,
            self.matching_id.as_deref().unwrap_or("")
        ))
    }

    async fn run(&self, app: &App, _last_attempt: bool) -> AppResult<()> {
        super::cancel_profile(app, &self.iccid, self.matching_id.as_deref()).await
    }
}
