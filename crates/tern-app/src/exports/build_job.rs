//! The `build_export` job: builds a personal data export and mails its link.

use serde::{Deserialize, Serialize};

use crate::App;
use crate::error::AppResult;
use crate::jobs::Job;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildExport {
    pub export_id: tern_domain::ExportId,
}

impl Job for BuildExport {
    const NAME: &'static str = "build_export";

    async fn run(&self, app: &App, last_attempt: bool) -> AppResult<()> {
        super::build(app, &self.export_id, last_attempt).await
    }
}
