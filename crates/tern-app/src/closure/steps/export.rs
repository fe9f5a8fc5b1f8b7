//! Export: the data export built and its link mailed, when the traveller
//! asked for one.

use serde::{Deserialize, Serialize};
use tern_domain::closure::ClosureStep;
use tern_store::closures::ClosureRow;

use super::Step;
use crate::App;
use crate::error::AppResult;

pub struct Export;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExportSent {
    pub requested: bool,
    /// Present (and true) when an export was asked for and its link sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_sent: Option<bool>,
}

impl Step for Export {
    const STEP: ClosureStep = ClosureStep::Export;
    type Output = ExportSent;

    async fn run(&self, app: &App, c: &ClosureRow) -> AppResult<ExportSent> {
        if !c.export_requested {
            return Ok(ExportSent::default());
        }
        crate::exports::create_for_closure(app, &c.account_id, &c.id).await?;
        Ok(ExportSent {
            requested: true,
            link_sent: Some(true),
        })
    }
}
