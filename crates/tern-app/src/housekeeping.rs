//! The `housekeeping` job every worker schedules (one at a time, by its
//! dedup key): expired sessions and exports, dormant accounts, ended
//! retention, and closures at risk of missing their deadline.

use serde::{Deserialize, Serialize};

use crate::App;
use crate::error::AppResult;
use crate::jobs::Job;

/// A braced struct, so its payload is `{}` and older payloads that carry
/// a `kind` field still decode.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Housekeeping {}

impl Job for Housekeeping {
    const NAME: &'static str = "housekeeping";

    fn dedup_key(&self) -> Option<String> {
        Some("housekeeping".to_owned())
    }

    async fn run(&self, app: &App, _last_attempt: bool) -> AppResult<()> {
        let mut conn = app.db.conn().await?;
        tern_store::sessions::delete_expired(&mut conn, app.now_ms()).await?;
        drop(conn);
        crate::exports::purge_expired(app).await?;
        crate::closure::dormant_sweep(app).await?;
        crate::closure::purge_retention(app).await?;
        crate::closure::at_risk(app).await?;
        Ok(())
    }
}
