//! The `deliver_notification` job: sends one outbox message.

use serde::{Deserialize, Serialize};

use crate::App;
use crate::error::AppResult;
use crate::jobs::Job;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliverNotification {
    pub outbox_id: tern_domain::OutboxId,
}

impl Job for DeliverNotification {
    const NAME: &'static str = "deliver_notification";

    async fn run(&self, app: &App, _last_attempt: bool) -> AppResult<()> {
        super::deliver(app, &self.outbox_id).await
    }
}
