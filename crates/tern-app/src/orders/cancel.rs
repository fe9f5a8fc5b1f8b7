//! Cancelling an order: an unused package on an eSIM that was never
//! installed, within the cancellation window, is refunded in full.

use serde_json::json;
use tern_domain::esim::EsimState;
use tern_domain::ledger::TransactionKind;
use tern_domain::order::{OrderKind, OrderState};
use tern_domain::usage::PackageState;
use tern_esim::client::CancelOrder;
use tern_esim::wire::FinalProfileStatus;
use tern_store::{esims, orders};

use super::OrderView;
use crate::App;
use crate::auth::Principal;
use crate::clock::ms;
use crate::error::{AppError, AppResult};
use crate::error_code::Code;

/// Cancels one of the caller's orders and refunds it to the wallet, or
/// refuses with 409 and the reason (`order_not_cancellable_state`,
/// `esim_installed`, `package_used`, `cancel_window_passed`).
pub async fn cancel(app: &App, who: &Principal, order_id: &tern_domain::OrderId) -> AppResult<OrderView> {
    let now = app.now_ms();
    let (order, package, esim) = {
        let mut conn = app.db.conn().await?;
        let order = match orders::by_id(&mut conn, order_id).await? {
            Some(o) if o.account_id == who.account_id => o,
            _ => return Err(AppError::NotFound),
        };
        if order.state != OrderState::Completed {
            return Err(AppError::Conflict(Code::OrderNotCancellableState));
        }
        let package = esims::package_of_order(&mut conn, &order.id)
            .await?
            .ok_or(AppError::Conflict(Code::OrderNotCancellableState))?;
        let esim = esims::by_iccid(&mut conn, &package.iccid)
            .await?
            .ok_or(AppError::NotFound)?;
        (order, package, esim)
    };
    if esim.state != EsimState::Released || esim.installed_at.is_some() {
        return Err(AppError::Conflict(Code::EsimInstalled));
    }
    if package.used_data_bytes > 0 || package.used_voice_seconds > 0 || package.used_sms > 0 {
        return Err(AppError::Conflict(Code::PackageUsed));
    }
    if now - order.created_at > ms(app.settings.wallet.cancel_window) {
        return Err(AppError::Conflict(Code::CancelWindowPassed));
    }
    // The profile of a new eSIM goes back to the SM-DP+ first; if that
    // fails, nothing is refunded and the traveller can try again.
    let others_on_esim = {
        let mut conn = app.db.conn().await?;
        esims::packages_of(&mut conn, &esim.iccid)
            .await?
            .iter()
            .filter(|p| p.id != package.id && p.state != PackageState::Canceled)
            .count()
    };
    if order.kind == OrderKind::NewEsim && others_on_esim == 0 {
        let iccid = esim.iccid.clone();
        let cancel = CancelOrder {
            iccid,
            eid: None,
            matching_id: Some(esim.matching_id.clone()),
            final_status: FinalProfileStatus::Unavailable,
        };
        if let Err(e) = app.es2().cancel_order(&cancel).await {
            return Err(AppError::Unavailable(format!("SM-DP+ did not cancel the profile: {e}")));
        }
    }
    let mut tx = app.work_at(now).await?;
    if !orders::transition(
        &mut tx,
        &order.id,
        OrderState::Completed,
        OrderState::Canceled,
        None,
        now,
    )
    .await?
    {
        return Err(AppError::Conflict(Code::OrderNotCancellableState));
    }
    esims::set_package_state(&mut tx, &package.id, package.state, PackageState::Canceled).await?;
    if order.kind == OrderKind::NewEsim && others_on_esim == 0 {
        esims::set_state(&mut tx, &esim.iccid, EsimState::Canceled, now).await?;
    }
    crate::wallet::reverse(
        app,
        &mut tx,
        TransactionKind::Purchase,
        &order.id,
        TransactionKind::OrderRefund,
    )
    .await?;
    tx.audit(
        &who.account_id,
        "order.canceled",
        &order.id,
        json!({ "refunded_minor": order.price.amount_minor }),
    )
    .await?;
    tx.commit().await?;
    let mut conn = app.db.conn().await?;
    let row = orders::by_id(&mut conn, &order.id).await?.ok_or(AppError::NotFound)?;
    Ok(OrderView::from_row(&row))
}
