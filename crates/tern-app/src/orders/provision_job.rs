//! The `provision_order` job: gets a new eSIM from the SM-DP+ for an order.

use serde::{Deserialize, Serialize};

use crate::App;
use crate::error::AppResult;
use crate::jobs::Job;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvisionOrder {
    pub order_id: tern_domain::OrderId,
}

impl Job for ProvisionOrder {
    const NAME: &'static str = "provision_order";

    fn dedup_key(&self) -> Option<String> {
        Some(format!("provision:{}", self.order_id))
    }

    async fn run(&self, app: &App, last_attempt: bool) -> AppResult<()> {
        super::provision(app, &self.order_id, last_attempt).await
    }
}
