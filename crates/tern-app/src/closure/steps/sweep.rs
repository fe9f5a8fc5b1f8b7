//! Sweep: every text column of every table and every file under the data
//! folder searched for the erased identifiers (see `closure::sweep` for
//! the search itself). The count must be 0.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tern_domain::closure::ClosureStep;
use tern_store::Conn;
use tern_store::closures::{self, ClosureRow};

use super::Step;
use crate::App;
use crate::error::AppResult;

pub struct Sweep;

/// What one pass searched and found for one request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SweepReport {
    pub tables: u64,
    pub columns: u64,
    pub rows: u64,
    pub files: u64,
    /// Traces of this request's identifiers found (0 when it passes).
    pub hits: i64,
    pub hits_in_database: i64,
    pub hits_in_files: i64,
    pub hits_by_kind: BTreeMap<String, i64>,
    /// Whether SQLite's log could be emptied before the file search.
    pub log_emptied: bool,
    /// Whether the SQLite file was rewritten to drop stale pages.
    pub compacted: bool,
    /// Requests searched for in the same pass.
    pub swept_together: u64,
}

/// The sweep's record: a report, or a note that another request's pass
/// already swept this one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Swept {
    Repeated { repeated: bool },
    Searched(SweepReport),
}

impl Swept {
    /// The report, when this request's own pass made one.
    pub fn report(&self) -> Option<&SweepReport> {
        match self {
            Swept::Searched(r) => Some(r),
            Swept::Repeated { .. } => None,
        }
    }
}

impl Step for Sweep {
    const STEP: ClosureStep = ClosureStep::Sweep;
    type Output = Swept;

    async fn run(&self, app: &App, c: &ClosureRow) -> AppResult<Swept> {
        crate::closure::sweep::sweep(app, c).await
    }

    /// Searched and clean: the sealed identifiers are no longer needed.
    async fn finish(&self, _app: &App, tx: &mut Conn, c: &ClosureRow, _out: &Swept) -> AppResult<()> {
        closures::set_sealed(tx, &c.id, None).await?;
        Ok(())
    }
}
