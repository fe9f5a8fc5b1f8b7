//! Building an export: read everything about the account, zip it, seal
//! it under a fresh token, then in one transaction mark it ready and queue
//! the email with the link. Safe to run again at any point: only a pending
//! export is built, and only the run whose `pending → ready` update wins
//! installs its file and mails a link.

use serde_json::json;
use tern_domain::Locale;
use tern_store::accounts;
use tern_store::exports::{self as store, Ready};

use super::{archive, contents, sealed};
use crate::App;
use crate::clock::ms;
use crate::error::{AppError, AppResult};
use crate::error_code::Code;
use crate::notify::{Channel, Message};
use crate::tokens;

/// The account has no email address any more (erased): there is nobody to
/// send the link to, and retrying will not change that.
const NO_RECIPIENT: AppError = AppError::Conflict(Code::ExportNoRecipient);

/// The job's handler: builds export `export_id`; gives it up as failed
/// when it cannot be delivered or the last attempt fails.
pub async fn build(app: &App, export_id: &tern_domain::ExportId, last_attempt: bool) -> AppResult<()> {
    match run(app, export_id).await {
        Err(AppError::Conflict(Code::ExportNoRecipient)) => fail(app, export_id).await,
        Err(e) if last_attempt => {
            fail(app, export_id).await?;
            Err(e)
        }
        other => other,
    }
}

async fn fail(app: &App, export_id: &tern_domain::ExportId) -> AppResult<()> {
    let mut conn = app.db.conn().await?;
    if store::mark_failed(&mut conn, export_id).await? {
        tracing::warn!(export = %export_id, "export given up");
    }
    Ok(())
}

/// Builds a pending export; does nothing for one in any other state.
pub(super) async fn run(app: &App, export_id: &tern_domain::ExportId) -> AppResult<()> {
    let mut conn = app.db.conn().await?;
    let Some(row) = store::by_id(&mut conn, export_id).await? else {
        return Ok(());
    };
    if row.state != tern_domain::export::ExportState::Pending {
        return Ok(());
    }
    let account = accounts::by_id(&mut conn, &row.account_id).await?.ok_or(NO_RECIPIENT)?;
    let email = account.email.clone().ok_or(NO_RECIPIENT)?;
    let now = app.now_ms();
    let files = contents::gather(app, &mut conn, &account, now).await?;
    drop(conn);

    let token = tokens::new_token();
    let secret = app.secret_key().to_vec();
    let (id, tok) = (row.id.clone(), token.clone());
    let (size, sealed_zip) = tokio::task::spawn_blocking(move || {
        let zip = archive::zip(&files, now)?;
        Ok::<_, AppError>((zip.len(), sealed::seal(&secret, &tok, &id, &zip)?))
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))??;
    let part = sealed::Part::write(app, &row.id, sealed_zip).await?;

    let ttl = app.settings.exports.ttl;
    let expires_at = now.saturating_add(ms(ttl));
    let file_name = format!("tern-export-{}.zip", crate::clock::to_datetime(now).format("%Y-%m-%d"));
    let mut tx = app.work_at(now).await?;
    let ready = Ready {
        token_hash: &tokens::hash(&token),
        file_name: &file_name,
        size_bytes: i64::try_from(size).unwrap_or(i64::MAX),
        now,
        expires_at,
    };
    if !store::mark_ready(&mut tx, &row.id, &ready).await? {
        // Another run finished it first; its file and link stand.
        return Ok(());
    }
    tx.notify(Message {
        channel: Channel::Email,
        account_id: Some(&account.id),
        recipient: &email,
        template: "export_ready",
        locale: Locale::parse(&account.locale).unwrap_or_default(),
        values: json!({
            "link": format!("{}/exports/{token}", app.settings.base_url()),
            "days": ttl.as_secs().div_ceil(86_400),
            "expires": crate::clock::to_datetime(expires_at).format("%Y-%m-%d %H:%M UTC").to_string(),
        }),
    })
    .await?;
    tx.audit(
        "system",
        "export.ready",
        &account.id,
        json!({ "export": row.id, "size_bytes": size, "expires_at": crate::clock::rfc3339(expires_at) }),
    )
    .await?;
    // Installed before the commit: a crash in between leaves the export
    // pending with a file nobody has the key to, which the retry replaces.
    part.install(&sealed::path(app, &row.id))?;
    tx.commit().await?;
    Ok(())
}
