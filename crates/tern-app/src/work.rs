//! A unit of work: one transaction and the writes that go with a change
//! in it, so a service says what it does rather than how.
//!
//! ```ignore
//! let mut work = app.work().await?;
//! tern_store::orders::insert(&mut work, &row).await?;
//! work.audit("user", "order.placed", &row.id, json!({ "plan": plan })).await?;
//! work.enqueue(&ProvisionOrder { order_id }).await?;
//! work.commit().await?;
//! ```
//!
//! Everything is written in the transaction and nothing happens until
//! `commit`; a `Work` dropped without it rolls back. It dereferences to
//! the connection, so store functions take `&mut work` as they are.

use std::ops::{Deref, DerefMut};

use tern_store::Tx;

use crate::App;
use crate::error::AppResult;
use crate::jobs::{self, Job};
use crate::notify::{self, Message};

pub struct Work<'a> {
    app: &'a App,
    tx: Tx,
    /// The clock reading the work started at (Unix ms); audit entries
    /// carry it.
    pub now: i64,
}

impl App {
    /// Begins a unit of work at the current time.
    pub async fn work(&self) -> AppResult<Work<'_>> {
        let now = self.now_ms();
        self.work_at(now).await
    }

    /// Begins a unit of work whose entries carry `now`.
    pub async fn work_at(&self, now: i64) -> AppResult<Work<'_>> {
        Ok(Work {
            app: self,
            tx: self.db.begin().await?,
            now,
        })
    }
}

impl Work<'_> {
    /// Appends an audit entry. `details` is a JSON object without
    /// personal data.
    pub async fn audit(
        &mut self,
        actor: &str,
        action: &str,
        subject: &str,
        details: serde_json::Value,
    ) -> AppResult<()> {
        let backend = self.app.db.backend();
        crate::audit::record(&mut self.tx, backend, actor, action, subject, details, self.now).await
    }

    /// Queues a job to run once this work commits; a copy still queued
    /// under the job's dedup key makes this a no-op (false).
    pub async fn enqueue<J: Job>(&mut self, job: &J) -> AppResult<bool> {
        jobs::enqueue(self.app, &mut self.tx, job).await
    }

    /// Renders a message and queues it for delivery; returns its outbox id.
    pub async fn notify(&mut self, msg: Message<'_>) -> AppResult<tern_domain::OutboxId> {
        notify::queue(self.app, &mut self.tx, msg).await
    }

    /// Makes every write of this unit durable. The store's error is kept
    /// (a unique key refusing the commit is a `Conflict`); `?` turns it
    /// into an `AppError`.
    pub async fn commit(self) -> Result<(), tern_store::StoreError> {
        tern_store::commit(self.tx).await
    }
}

impl Deref for Work<'_> {
    type Target = Tx;

    fn deref(&self) -> &Tx {
        &self.tx
    }
}

impl DerefMut for Work<'_> {
    fn deref_mut(&mut self) -> &mut Tx {
        &mut self.tx
    }
}
