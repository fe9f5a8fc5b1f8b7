//! Stop services: profiles never downloaded are cancelled at the SM-DP+
//! (ES2+ CancelOrder), the others are barred at the network, and their
//! packages stop. Tern sells no auto-renewing plans, so there are no
//! renewals to cancel.

use serde::{Deserialize, Serialize};
use serde_json::json;
use tern_domain::closure::ClosureStep;
use tern_domain::esim::EsimState;
use tern_domain::order::OrderState;
use tern_esim::client::CancelOrder;
use tern_esim::wire::FinalProfileStatus;
use tern_store::closures::ClosureRow;
use tern_store::esims;

use super::Step;
use crate::App;
use crate::closure::network::{HttpNetwork, Network};
use crate::error::{AppError, AppResult};

pub struct CancelEsims;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServicesStopped {
    pub canceled_at_smdp: u64,
    pub barred: u64,
    pub packages_stopped: u64,
    pub renewals_canceled: u64,
}

impl ServicesStopped {
    /// eSIMs that stopped working, either way.
    pub fn esims(&self) -> u64 {
        self.canceled_at_smdp + self.barred
    }
}

impl Step for CancelEsims {
    const STEP: ClosureStep = ClosureStep::StopServices;
    type Output = ServicesStopped;

    async fn run(&self, app: &App, c: &ClosureRow) -> AppResult<ServicesStopped> {
        {
            let mut conn = app.db.conn().await?;
            if tern_store::orders::count_in_state(&mut conn, &c.account_id, OrderState::Provisioning).await? > 0 {
                return Err(AppError::Unavailable(
                    "order_in_progress: waiting for an eSIM order to finish".into(),
                ));
            }
        }
        let list = {
            let mut conn = app.db.conn().await?;
            esims::for_account(&mut conn, &c.account_id).await?
        };
        let network = HttpNetwork::of(app);
        let mut out = ServicesStopped::default();
        for e in list {
            if e.state.is_stopped() || e.state == EsimState::Error {
                continue;
            }
            let mut canceled = false;
            if e.state == EsimState::Released {
                let cancel = CancelOrder {
                    iccid: e.iccid.clone(),
                    eid: None,
                    matching_id: Some(e.matching_id.clone()),
                    final_status: FinalProfileStatus::Unavailable,
                };
                match app.es2().cancel_order(&cancel).await {
                    Ok(()) => canceled = true,
                    // Refused (e.g. the phone downloaded it meanwhile): bar it.
                    Err(tern_esim::Es2Error::Failed { .. }) => network.bar(&e.iccid).await?,
                    Err(err) => return Err(AppError::Unavailable(format!("SM-DP+: {err}"))),
                }
            } else {
                network.bar(&e.iccid).await?;
            }
            let (state, action) = if canceled {
                (EsimState::Canceled, "esim.canceled")
            } else {
                (EsimState::Barred, "esim.barred")
            };
            let now = app.now_ms();
            let mut tx = app.work_at(now).await?;
            esims::set_state(&mut tx, &e.iccid, state, now).await?;
            out.packages_stopped += esims::stop_packages(&mut tx, &e.iccid).await?;
            tx.audit("closure", action, e.iccid.as_str(), json!({ "closure": c.id }))
                .await?;
            tx.commit().await?;
            if canceled {
                out.canceled_at_smdp += 1;
            } else {
                out.barred += 1;
            }
        }
        Ok(out)
    }
}
