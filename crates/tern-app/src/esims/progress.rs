//! HandleDownloadProgressInfo: the SM-DP+ telling Tern that a profile was
//! downloaded (notification point 3) or installed (4), or that a step
//! failed. Repeats are harmless: states only move forward.

use serde::Deserialize;
use serde_json::json;
use tern_domain::ids::{Eid, Iccid};
use tern_store::{StoreError, esims};

use crate::App;
use crate::audit;
use crate::error::{AppError, AppResult};

/// The callback's body (SGP.22 ES2+ JSON binding), as far as Tern uses it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DownloadProgress {
    pub iccid: String,
    pub eid: Option<String>,
    pub profile_type: Option<String>,
    pub timestamp: Option<String>,
    pub notification_point_id: u8,
    #[schema(value_type = Object)]
    pub notification_point_status: serde_json::Value,
}

fn rank(state: &str) -> u8 {
    match state {
        "released" => 1,
        "downloaded" => 2,
        "installed" => 3,
        _ => 0,
    }
}

/// Applies one notification. Unknown ICCIDs are `NotFound`; a failed step
/// puts the eSIM in `error` with the SM-DP+'s reason kept.
pub async fn download_progress(app: &App, n: DownloadProgress) -> AppResult<()> {
    let iccid = Iccid::from_smdp(&n.iccid).map_err(|e| AppError::field("iccid", e.code()))?;
    let eid = match n.eid.as_deref() {
        Some(e) => Some(Eid::parse(e).map_err(|err| AppError::field("eid", err.code()))?),
        None => None,
    };
    let ok = n
        .notification_point_status
        .get("status")
        .and_then(|s| s.as_str())
        .is_some_and(|s| s.starts_with("Executed-"));
    let now = app.now_ms();
    let mut tx = app.db.begin().await?;
    let esim = esims::by_iccid(&mut tx, iccid.as_str())
        .await?
        .ok_or(AppError::NotFound)?;
    if matches!(esim.state.as_str(), "canceled" | "barred") {
        return Ok(());
    }
    if !ok {
        let reason = n.notification_point_status.to_string();
        esims::set_error(&mut tx, iccid.as_str(), &reason, now).await?;
        audit::record(
            &mut tx,
            app.db.backend(),
            "smdp",
            "esim.download_failed",
            &esim.account_id,
            json!({ "iccid": iccid.as_str(), "point": n.notification_point_id }),
            now,
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        return Ok(());
    }
    let target = match n.notification_point_id {
        3 => "downloaded",
        4 => "installed",
        // Other points (eligibility check, confirmation, deletion, …) are
        // acknowledged without a state change.
        _ => return Ok(()),
    };
    if rank(target) <= rank(&esim.state) {
        return Ok(());
    }
    esims::advance(&mut tx, iccid.as_str(), target, eid.as_ref().map(Eid::as_str), now).await?;
    if target == "installed" {
        let started = esims::start_on_install(&mut tx, iccid.as_str(), now).await?;
        audit::record(
            &mut tx,
            app.db.backend(),
            "smdp",
            "esim.installed",
            &esim.account_id,
            json!({ "iccid": iccid.as_str(), "packages_started": started }),
            now,
        )
        .await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// In emulator mode, acts as the traveller's phone: scans the activation
/// code with a test EID, which makes the emulator download and install
/// the profile and call Tern back.
pub async fn simulate_install(app: &App, who: &crate::auth::Principal, iccid: &str) -> AppResult<()> {
    let Some(base) = app.emulator_url.clone() else {
        return Err(AppError::Conflict("not_in_emulator_mode"));
    };
    let e = super::views::own(app, who, iccid).await?;
    if e.state != "released" {
        return Err(AppError::Conflict("esim_not_installable"));
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
