//! Giving a profile back to the SM-DP+ after Tern gave up on the order it
//! was reserved for: ES2+ cancelOrder, as a retried job, so that no profile
//! stays reserved (Allocated, Confirmed or Released) for an order that
//! failed.

use tern_domain::ids::Iccid;
use tern_esim::client::CancelOrder;
use tern_esim::wire::FinalProfileStatus;
use tern_store::Conn;

use super::CancelProfile;
use crate::App;
use crate::error::{AppError, AppResult};
use crate::jobs;

/// Queues the `cancel_profile` job for `iccid` in the caller's transaction.
pub(crate) async fn queue_cancel(
    app: &App,
    conn: &mut Conn,
    iccid: &Iccid,
    matching_id: Option<&str>,
) -> AppResult<()> {
    let job = CancelProfile {
        iccid: iccid.clone(),
        matching_id: matching_id.map(str::to_owned),
    };
    jobs::enqueue(app, conn, &job).await?;
    Ok(())
}

/// The `cancel_profile` job: cancelOrder back to `Available` (nobody has
/// seen the matching id: the order never completed), naming the matching
/// id so that a repeat cannot hit a later order for the same profile.
///
/// The SM-DP+ refuses that matching id when the order never got one (the
/// confirmOrder was refused or never arrived); the cancel is then sent
/// without it, but only while no eSIM or order of Tern's holds the ICCID,
/// since the SM-DP+ hands a given-back profile to this operator's next
/// order. A refusal that says nothing is left to cancel (cancelled already
/// by an attempt whose answer was lost, downloaded, unknown) ends the job;
/// a transport failure or a 5xx is retried with backoff, and runs out into
/// the failed-jobs list operators watch.
pub async fn cancel_profile(app: &App, iccid: &Iccid, matching_id: Option<&str>) -> AppResult<()> {
    let first = send_cancel(app, iccid, matching_id).await;
    let outcome = match first {
        Err(e) if matching_id.is_some() && e.is_matching_id_different() => {
            let held = {
                let mut conn = app.db.conn().await?;
                tern_store::orders::iccid_held(&mut conn, iccid).await?
            };
            if held {
                tracing::info!(iccid = %iccid, "the profile went to another order; nothing to give back");
                return Ok(());
            }
            send_cancel(app, iccid, None).await
        }
        other => other,
    };
    match outcome {
        Ok(()) => {
            tracing::info!(iccid = %iccid, "profile of a failed order given back to the SM-DP+");
            metrics::counter!("tern_profiles_given_back_total").increment(1);
            Ok(())
        }
        Err(e) if e.is_invalid_transition() || e.is_iccid_unknown() || e.is_matching_id_different() => {
            tracing::warn!(iccid = %iccid, error = %e, "nothing left to give back at the SM-DP+");
            Ok(())
        }
        Err(e) if e.is_retryable() => Err(AppError::Unavailable(format!("cancelOrder: {e}"))),
        Err(e) => Err(AppError::Internal(format!("cancelOrder refused: {e}"))),
    }
}

async fn send_cancel(app: &App, iccid: &Iccid, matching_id: Option<&str>) -> Result<(), tern_esim::Es2Error> {
    let cancel = CancelOrder {
        iccid: iccid.clone(),
        eid: None,
        matching_id: matching_id.map(str::to_owned),
        final_status: FinalProfileStatus::Available,
    };
    app.es2().cancel_order(&cancel).await
}
