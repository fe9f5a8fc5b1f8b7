//! HandleDownloadProgressInfo: the SM-DP+ telling Tern that a profile was
//! downloaded (notification point 3) or installed (4), or that a step
//! failed. Repeats are harmless: states only move forward.

use serde_json::json;
use tern_domain::esim::EsimState;
use tern_domain::ids::Eid;
use tern_esim::notification::{DownloadProgress, NotificationPoint};
use tern_store::esims;

use crate::App;
use crate::error::{AppError, AppResult};
use crate::error_code::Code;

/// Applies one checked notification. Unknown ICCIDs are `NotFound`; a
/// failed step puts the eSIM in `error` with the SM-DP+'s reason kept.
pub async fn download_progress(app: &App, n: DownloadProgress) -> AppResult<()> {
    let iccid = &n.iccid;
    let eid = n.eid.as_ref();
    let ok = n.succeeded();
    let now = app.now_ms();
    let mut tx = app.work_at(now).await?;
    let esim = esims::by_iccid(&mut tx, iccid).await?.ok_or(AppError::NotFound)?;
    if esim.state.is_stopped() {
        return Ok(());
    }
    if !ok {
        let reason = match (
            &n.failure_code(),
            n.status.status_code_data.as_ref().and_then(|d| d.message.as_deref()),
        ) {
            (Some(code), Some(message)) => format!("{code} {message}"),
            (Some(code), None) => code.clone(),
            (None, _) => format!("{:?}", n.status.status),
        };
        esims::set_error(&mut tx, iccid, &reason, now).await?;
        tx.audit(
            "smdp",
            "esim.download_failed",
            &esim.account_id,
            json!({ "iccid": iccid.as_str(), "point": n.point.id(), "code": n.failure_code() }),
        )
        .await?;
        tx.commit().await?;
        return Ok(());
    }
    let target = match n.point {
        NotificationPoint::BppDownload => EsimState::Downloaded,
        NotificationPoint::BppInstallation => EsimState::Installed,
        // Other points (eligibility check, confirmation, deletion, …) are
        // acknowledged without a state change.
        _ => return Ok(()),
    };
    if target.progress() <= esim.state.progress() {
        return Ok(());
    }
    esims::advance(&mut tx, iccid, target, eid.map(|e| e.as_str()), now).await?;
    if target == EsimState::Installed {
        let started = esims::start_on_install(&mut tx, iccid, now).await?;
        tx.audit(
            "smdp",
            "esim.installed",
            &esim.account_id,
            json!({ "iccid": iccid, "packages_started": started }),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// In emulator mode, acts as the traveller's phone: scans the activation
/// code with a test EID, which makes the emulator download and install
/// the profile and call Tern back.
pub async fn simulate_install(app: &App, who: &crate::auth::Principal, iccid: &str) -> AppResult<()> {
    let Some(base) = app.emulator_url.clone() else {
        return Err(AppError::Conflict(Code::NotInEmulatorMode));
    };
    let e = super::views::own(app, who, iccid).await?;
    if e.state != EsimState::Released {
        return Err(AppError::Conflict(Code::EsimNotInstallable));
    }
    let eid =
        Eid::with_check_digits("890490320000000000000000000000").map_err(|e| AppError::Internal(e.to_string()))?;
    let res = reqwest::Client::new()
        .post(format!("{base}/device/install"))
        .json(&json!({ "activationCode": e.activation_code, "eid": eid.as_str() }))
        .send()
        .await
        .map_err(|err| AppError::Unavailable(err.to_string()))?;
    if !res.status().is_success() {
        let body = res.text().await.unwrap_or_default();
        return Err(AppError::Internal(format!("emulator refused the install: {body}")));
    }
    Ok(())
}
