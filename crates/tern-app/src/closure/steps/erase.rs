//! Erase: the person is deleted. Profile fields, sessions, tokens,
//! messages, device ids, the free-text reason, support ticket subjects and
//! messages (the ticket rows stay, emptied and closed, for the support
//! figures), throttling keys, and local copies of sent mail and SMS under
//! the data folder. The identifiers are sealed first, in the same
//! transaction, for the sweep to search for.

use serde::{Deserialize, Serialize};
use serde_json::json;
use tern_domain::Email;
use tern_domain::closure::ClosureStep;
use tern_store::accounts;
use tern_store::closures::{self, ClosureRow};
use tern_store::erasure::{self, Erased};

use super::Step;
use crate::App;
use crate::closure::seal::{self, Needles};
use crate::error::{AppError, AppResult};

pub struct Erase;

/// How many of each kind of personal record went.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ErasedCounts {
    #[serde(flatten)]
    pub records: Erased,
    /// Copies of sent mail and SMS under the data folder.
    pub message_files: u64,
    /// Free-text reasons on wallet adjustments.
    pub adjustment_reasons: u64,
    pub ticket_subjects: i64,
    pub ticket_messages: i64,
}

impl ErasedCounts {
    /// Every count with its name, in the order the receipt lists them.
    pub fn lines(&self) -> [(&'static str, i64); 12] {
        let r = &self.records;
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        [
            ("profile_fields", r.profile_fields),
            ("sessions", r.sessions),
            ("one_time_tokens", r.one_time_tokens),
            ("notifications", r.notifications),
            ("idempotency_records", r.idempotency_records),
            ("device_ids", r.device_ids),
            ("closure_reason_texts", r.closure_reason_texts),
            ("two_factor", r.two_factor),
            ("message_files", n(self.message_files)),
            ("ticket_subjects", self.ticket_subjects),
            ("ticket_messages", self.ticket_messages),
            ("adjustment_reasons", n(self.adjustment_reasons)),
        ]
    }
}

impl Step for Erase {
    const STEP: ClosureStep = ClosureStep::Erase;
    type Output = ErasedCounts;

    async fn run(&self, app: &App, c: &ClosureRow) -> AppResult<ErasedCounts> {
        erase(app, c).await
    }
}

async fn erase(app: &App, c: &ClosureRow) -> AppResult<ErasedCounts> {
    let now = app.now_ms();
    let mut tx = app.work_at(now).await?;
    let fresh = closures::by_id(&mut tx, &c.id).await?.ok_or(AppError::NotFound)?;
    let needles = match fresh.sweep_sealed.as_deref() {
        Some(text) => seal::open(app, &c.id, text)?,
        None => {
            let a = accounts::by_id(&mut tx, &c.account_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let n = Needles {
                email: a.email.clone(),
                phone: a.phone.clone(),
                name: a.name.clone(),
            };
            closures::set_sealed(&mut tx, &c.id, Some(&seal::seal(app, &c.id, &n)?)).await?;
            n
        }
    };
    let erased = erasure::erase_account(&mut tx, &c.account_id, now).await?;
    let adjustment_reasons = tern_store::wallet_adjustments::erase_reasons(&mut tx, &c.account_id).await?;
    tern_store::announcements::erase_account(&mut tx, &c.account_id).await?;
    let tickets_erased = tern_store::tickets::erase_for_account(&mut tx, &c.account_id, now).await?;
    if let Some(email) = needles.email.as_deref().and_then(|e| Email::parse(e).ok()) {
        let key = format!(
            "login:email:{}",
            crate::tokens::keyed_hash(app.secret_key(), email.as_str())
        );
        tern_store::rate_limits::clear(&mut tx, &key).await?;
    }
    tx.audit("closure", "closure.erased", &c.account_id, json!({ "closure": c.id }))
        .await?;
    tx.commit().await?;
    let message_files =
        crate::closure::sweep::delete_files_naming(app.settings.data_dir.join("outbox"), needles).await?;
    Ok(ErasedCounts {
        records: erased,
        message_files,
        adjustment_reasons,
        ticket_subjects: tickets_erased.tickets,
        ticket_messages: tickets_erased.messages,
    })
}
