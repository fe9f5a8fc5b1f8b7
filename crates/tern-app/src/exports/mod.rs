//! Personal data exports (GDPR art. 15 and 20, PIPL art. 45): a ZIP of
//! JSON and CSV files with everything Tern holds about an account and a
//! README explaining each, delivered through an emailed link with an
//! unguessable token that expires (default 7 days), after which the file
//! is deleted.
//!
//! A user may ask for one a day ([`request`]; built by a job). An account
//! closure asks for one without limit ([`create_for_closure`]; built at
//! once, idempotent per closure). The file is encrypted at rest under a
//! key derived from the token ([`sealed`]), so it stays downloadable after
//! the closure erases the person while holding nothing readable about them.

mod archive;
mod build;
mod build_job;
mod contents;
mod sealed;

pub use build::build;
pub use build_job::BuildExport;

use serde_json::json;
use tern_domain::export::ExportState;
use tern_store::exports::{self as store, ExportRow};

use crate::App;
use crate::audit;
use crate::auth::Principal;
use crate::clock::{ms, rfc3339};
use crate::error::{AppError, AppResult};
use crate::error_code::Code;
use crate::tokens;

const NOT_FOUND: AppError = AppError::Missing(Code::ExportNotFound);
const EXPIRED: AppError = AppError::Gone(Code::ExportExpired);

/// An export as its owner sees it. The download link is only ever in the
/// email: Tern does not keep the token.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ExportView {
    #[schema(value_type = String)]
    pub id: tern_domain::ExportId,
    /// `pending` (being built), `ready` (link emailed), `expired` (file
    /// deleted) or `failed`.
    #[schema(value_type = String)]
    pub state: ExportState,
    /// Made as part of closing the account.
    pub for_closure: bool,
    pub created_at: String,
    pub ready_at: Option<String>,
    /// When the link stops working and the file is deleted.
    pub expires_at: Option<String>,
    /// The first download.
    pub downloaded_at: Option<String>,
    /// What the download is called, e.g. `tern-export-2026-03-01.zip`.
    pub file_name: Option<String>,
    pub size_bytes: Option<i64>,
}

impl ExportView {
    fn from_row(r: &ExportRow, now: i64) -> Self {
        Self {
            id: r.id.clone(),
            state: r.state.as_seen(r.expires_at, now),
            for_closure: r.closure_id.is_some(),
            created_at: rfc3339(r.created_at),
            ready_at: r.ready_at.map(rfc3339),
            expires_at: r.expires_at.map(rfc3339),
            downloaded_at: r.downloaded_at.map(rfc3339),
            file_name: r.file_name.clone(),
            size_bytes: r.size_bytes,
        }
    }
}

fn seconds_until(at: i64, now: i64) -> u64 {
    u64::try_from((at - now + 999) / 1000).unwrap_or(1).max(1)
}

/// Asks for an export of the caller's data, built by a job that emails
/// the link. At most one per `exports.min_interval` (429
/// `export_rate_limited` with the seconds to wait).
pub async fn request(app: &App, who: &Principal) -> AppResult<ExportView> {
    let now = app.now_ms();
    let backend = app.db.backend();
    let id = tern_domain::ExportId::from(tokens::new_id());
    let mut tx = app.work().await?;
    store::serialise_requests(&mut tx, backend, &who.account_id).await?;
    if let Some(last) = store::last_requested_at(&mut tx, &who.account_id).await? {
        let next = last.saturating_add(ms(app.settings.exports.min_interval));
        if now < next {
            return Err(AppError::Throttled {
                code: Code::ExportRateLimited,
                retry_after_secs: seconds_until(next, now),
            });
        }
    }
    store::insert(&mut tx, &id, &who.account_id, None, now).await?;
    tx.enqueue(&BuildExport { export_id: id.clone() }).await?;
    audit::record(
        &mut tx,
        backend,
        &who.account_id,
        "export.requested",
        &who.account_id,
        json!({ "export": id }),
        now,
    )
    .await?;
    let row = store::by_id(&mut tx, &id).await?.ok_or(NOT_FOUND)?;
    tx.commit().await?;
    Ok(ExportView::from_row(&row, now))
}

/// Builds the export for closure `closure_id` now and queues the email
/// with its link, in the account's language. Idempotent per closure:
/// called again, or after a crash half-way, it builds at most one ready
/// export and mails the link once. Never rate-limited.
pub async fn create_for_closure(
    app: &App,
    account_id: &tern_domain::AccountId,
    closure_id: &tern_domain::ClosureId,
) -> AppResult<()> {
    let mut conn = app.db.conn().await?;
    let existing = store::by_closure(&mut conn, closure_id).await?;
    drop(conn);
    let row = match existing {
        Some(row) => row,
        None => {
            let now = app.now_ms();
            let id = tern_domain::ExportId::from(tokens::new_id());
            let mut tx = app.work_at(now).await?;
            if store::insert(&mut tx, &id, account_id, Some(closure_id), now).await? {
                tx.audit(
                    "system",
                    "export.requested",
                    account_id,
                    json!({ "export": id, "closure": closure_id }),
                )
                .await?;
            }
            let row = store::by_closure(&mut tx, closure_id).await?.ok_or(NOT_FOUND)?;
            tx.commit().await?;
            row
        }
    };
    if row.account_id != *account_id {
        return Err(AppError::Internal(format!(
            "closure {closure_id} has another account's export"
        )));
    }
    match row.state {
        ExportState::Pending => build::run(app, &row.id).await,
        ExportState::Failed => Err(AppError::Internal(format!("export {} failed", row.id))),
        _ => Ok(()),
    }
}

/// One of the caller's exports; another account's is not found.
pub async fn get(app: &App, who: &Principal, id: &tern_domain::ExportId) -> AppResult<ExportView> {
    let mut conn = app.db.conn().await?;
    match store::by_id(&mut conn, id).await? {
        Some(r) if r.account_id == who.account_id => Ok(ExportView::from_row(&r, app.now_ms())),
        _ => Err(NOT_FOUND),
    }
}

/// The caller's most recent export, if any (for the account page).
pub async fn latest(app: &App, who: &Principal) -> AppResult<Option<ExportView>> {
    let mut conn = app.db.conn().await?;
    let now = app.now_ms();
    Ok(store::latest_for_account(&mut conn, &who.account_id)
        .await?
        .map(|r| ExportView::from_row(&r, now)))
}

/// The ZIP behind a download link: its file name and bytes, decrypted in
/// memory. An unknown token is 404 `export_not_found`; a link past its
/// expiry (or whose file is deleted) is 410 `export_expired`.
pub async fn download(app: &App, token: &str) -> AppResult<(String, Vec<u8>)> {
    if token.is_empty() || token.len() > 128 {
        return Err(NOT_FOUND);
    }
    let now = app.now_ms();
    let mut conn = app.db.conn().await?;
    let row = store::by_token_hash(&mut conn, &tokens::hash(token))
        .await?
        .ok_or(NOT_FOUND)?;
    drop(conn);
    if row.state == ExportState::Expired || row.expires_at.is_none_or(|t| t <= now) {
        return Err(EXPIRED);
    }
    if row.state != ExportState::Ready {
        return Err(NOT_FOUND);
    }
    let sealed_bytes = sealed::read(app, &row.id).await?.ok_or(EXPIRED)?;
    let (secret, tok, id) = (app.secret_key().to_vec(), token.to_owned(), row.id.clone());
    let zip = tokio::task::spawn_blocking(move || sealed::open(&secret, &tok, &id, &sealed_bytes))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??;
    let mut tx = app.work_at(now).await?;
    store::mark_downloaded(&mut tx, &row.id, now).await?;
    tx.audit(
        "anonymous",
        "export.downloaded",
        &row.account_id,
        json!({ "export": row.id }),
    )
    .await?;
    tx.commit().await?;
    let name = row.file_name.unwrap_or_else(|| "tern-export.zip".into());
    Ok((name, zip))
}

/// Deletes the files of exports whose link has expired and marks them
/// expired; returns how many. Run by housekeeping.
pub async fn purge_expired(app: &App) -> AppResult<u64> {
    let mut purged = 0;
    loop {
        let mut conn = app.db.conn().await?;
        let due = store::due_to_expire(&mut conn, app.now_ms(), 100).await?;
        drop(conn);
        if due.is_empty() {
            break;
        }
        for row in due {
            // The file goes first: a crash after it leaves a ready row
            // that the next run marks; never a file nobody will delete.
            sealed::remove(app, &row.id).await?;
            let now = app.now_ms();
            let mut tx = app.work_at(now).await?;
            if store::mark_expired(&mut tx, &row.id).await? {
                tx.audit("system", "export.expired", &row.account_id, json!({ "export": row.id }))
                    .await?;
                purged += 1;
            }
            tx.commit().await?;
        }
    }
    sealed::remove_stale_parts(app).await?;
    Ok(purged)
}
