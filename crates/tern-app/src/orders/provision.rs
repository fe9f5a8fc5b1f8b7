//! Provisioning a new eSIM for an order through ES2+, and putting plan
//! packages on eSIMs.
//!
//! The job runs at least once, so each step records what it did before the
//! next, and recovers with ES2+ functions only (SGP.22 §5.3): the ICCID the
//! SM-DP+ reserved is saved on the order together with a matching id Tern
//! picks, before the order is confirmed. A repeat replays confirmOrder with
//! that same matching id; when the SM-DP+ refuses the replay because the
//! first one took effect (or the profile moved on), the profile is given
//! back with cancelOrder and a fresh one is ordered. Whenever Tern gives up
//! on an order after the SM-DP+ reserved a profile for it, the profile is
//! given back by a retried `cancel_profile` job queued in the same
//! transaction that fails the order and returns the money.

use serde_json::json;
use tern_domain::catalogue::{Activation, DataAllowance, Plan};
use tern_domain::esim::EsimState;
use tern_domain::ids::Iccid;
use tern_domain::ledger::TransactionKind;
use tern_domain::order::{OrderKind, OrderState};
use tern_domain::usage::PackageState;
use tern_esim::Es2Error;
use tern_esim::client::{ConfirmOrder, DownloadOrder};
use tern_store::Conn;
use tern_store::esims::{self, EsimRow, PackageRow};
use tern_store::orders::{self, OrderRow};

use crate::App;
use crate::error::{AppError, AppResult};
use crate::notify::{Channel, Message, queue};

const MB: i64 = 1024 * 1024;
const DAY_MS: i64 = 86_400_000;

/// Puts the package an order bought on an eSIM. Validity starts now for
/// plans that start on purchase, and for plans that start on install when
/// the eSIM is installed already; otherwise when that happens.
pub(crate) async fn add_package(
    app: &App,
    conn: &mut Conn,
    order: &OrderRow,
    plan: &Plan,
    iccid: &Iccid,
) -> AppResult<()> {
    let now = app.now_ms();
    let installed = esims::by_iccid(conn, iccid)
        .await?
        .is_some_and(|e| e.state == EsimState::Installed);
    let starts_now = match plan.activation() {
        Activation::OnPurchase => true,
        Activation::OnInstall => installed,
        Activation::OnFirstUse => false,
    };
    let (limit, fair_use) = match plan.data() {
        DataAllowance::Limited { mb } => (Some(i64::from(mb) * MB), None),
        DataAllowance::Unlimited { fair_use_mb } => (None, Some(i64::from(fair_use_mb) * MB)),
    };
    let countries: Vec<&str> = plan.coverage().as_slice().iter().map(|c| c.as_str()).collect();
    let validity = i64::from(plan.validity_days());
    esims::insert_package(
        conn,
        &PackageRow {
            id: crate::tokens::new_id().into(),
            iccid: iccid.clone(),
            order_id: order.id.clone(),
            account_id: order.account_id.clone(),
            plan_code: plan.code().as_str().to_owned(),
            countries: countries.join(" "),
            data_limit_bytes: limit,
            fair_use_bytes: fair_use,
            voice_limit_seconds: i64::from(plan.voice_minutes()) * 60,
            sms_limit: i64::from(plan.sms()),
            used_data_bytes: 0,
            used_voice_seconds: 0,
            used_sms: 0,
            activation: activation_str(plan.activation()).to_owned(),
            validity_days: validity,
            starts_at: starts_now.then_some(now),
            expires_at: starts_now.then_some(now + validity * DAY_MS),
            state: if starts_now {
                PackageState::Active
            } else {
                PackageState::Pending
            },
            created_at: now,
            notified_80_at: None,
            notified_100_at: None,
            notified_expiry_at: None,
        },
    )
    .await?;
    Ok(())
}

pub(crate) fn activation_str(a: Activation) -> &'static str {
    match a {
        Activation::OnPurchase => "on_purchase",
        Activation::OnInstall => "on_install",
        Activation::OnFirstUse => "on_first_use",
    }
}

/// What a provisioning attempt should do after an ES2+ error.
fn give_up(e: &Es2Error, last_attempt: bool) -> bool {
    last_attempt || !e.is_retryable()
}

/// The `provision_order` job: reserve and release a profile for a new-eSIM
/// order, then store the eSIM with its package. A permanent failure fails
/// the order and returns the money by a ledger reversal; so does any error
/// on the last attempt, so an order never stays provisioning with the money
/// taken once its retries are used up.
pub async fn provision(app: &App, order_id: &tern_domain::OrderId, last_attempt: bool) -> AppResult<()> {
    match provision_once(app, order_id, last_attempt).await {
        Err(e) if last_attempt => {
            let order = {
                let mut conn = app.db.conn().await?;
                orders::by_id(&mut conn, order_id).await?
            };
            match order {
                Some(o) if o.state == OrderState::Provisioning && o.kind == OrderKind::NewEsim => {
                    fail(app, &o.id, &format!("out of attempts: {e}"), true).await
                }
                _ => Err(e),
            }
        }
        done => done,
    }
}

async fn provision_once(app: &App, order_id: &tern_domain::OrderId, last_attempt: bool) -> AppResult<()> {
    let order = {
        let mut conn = app.db.conn().await?;
        match orders::by_id(&mut conn, order_id).await? {
            Some(o) if o.state == OrderState::Provisioning && o.kind == OrderKind::NewEsim => o,
            _ => return Ok(()),
        }
    };
    let plan = crate::catalogue::get(app, &order.plan_code).await?;
    let es2 = app.es2();
    // Step 1: reserve a profile (once), and pick the matching id (an order
    // reserved before matching ids were stored gets one now).
    let (iccid, matching_id) = match (&order.iccid, &order.matching_id) {
        (Some(i), Some(m)) => (i.clone(), m.clone()),
        (reserved, _) => {
            let iccid = match reserved {
                Some(i) => i.clone(),
                None => match es2.download_order(&DownloadOrder::default()).await {
                    Ok(iccid) => iccid,
                    Err(e) if give_up(&e, last_attempt) => return fail(app, &order.id, &e.to_string(), true).await,
                    Err(e) => return Err(AppError::Unavailable(e.to_string())),
                },
            };
            let m = tern_esim::client::new_matching_id();
            let mut conn = app.db.conn().await?;
            orders::set_reservation(&mut conn, &order.id, Some(&iccid), Some(&m), app.now_ms()).await?;
            (iccid, m)
        }
    };
    // Step 2: confirm and release it for download, with Tern's matching id.
    let mut confirm = ConfirmOrder::new(iccid.clone(), true);
    confirm.matching_id = Some(matching_id.clone());
    let confirmed = match es2.confirm_order(&confirm).await {
        Ok(c) => (c.smdp_address, c.matching_id, c.activation_code.to_string()),
        // A replay refused: an earlier confirmOrder took effect but its
        // answer was lost, or the profile moved on. Either way nobody has
        // seen the matching id, so give the profile back and order afresh.
        Err(e) if (e.is_invalid_transition() || e.is(tern_esim::codes::MATCHING_ID_IN_USE)) && !last_attempt => {
            start_over(app, &order.id, &iccid, &matching_id).await?;
            return Err(AppError::Unavailable(format!(
                "confirmOrder refused on repeat ({e}); the profile is given back and a new one ordered"
            )));
        }
        Err(e) if give_up(&e, last_attempt) || e.is_invalid_transition() => {
            return fail(app, &order.id, &e.to_string(), true).await;
        }
        Err(e) => return Err(AppError::Unavailable(e.to_string())),
    };
    let (smdp_address, matching_id, activation_code) = confirmed;
    // An ICCID another eSIM already has (an SM-DP+ that handed a profile out
    // twice, e.g. an emulator restarted with fresh memory): refuse it and
    // return the money. (Inserting it would fail inside the transaction,
    // which on PostgreSQL aborts the rest of it.)
    {
        let mut conn = app.db.conn().await?;
        if esims::by_iccid(&mut conn, &iccid).await?.is_some() {
            drop(conn);
            // Not compensated: cancelling would take the profile from the
            // eSIM that already has it.
            return fail(
                app,
                &order.id,
                "the SM-DP+ returned an ICCID that is already in use",
                false,
            )
            .await;
        }
    }
    let now = app.now_ms();
    let mut tx = app.work_at(now).await?;
    if !orders::transition(
        &mut tx,
        &order.id,
        OrderState::Provisioning,
        OrderState::Completed,
        None,
        now,
    )
    .await?
    {
        return Ok(());
    }
    let insert = esims::insert(
        &mut tx,
        &EsimRow {
            iccid: iccid.clone(),
            account_id: order.account_id.clone(),
            state: EsimState::Released,
            smdp_address,
            matching_id,
            activation_code,
            eid: None,
            last_error: None,
            created_at: now,
            updated_at: now,
            installed_at: None,
        },
    )
    .await;
    if let Err(e) = insert {
        // A concurrent insert of the same ICCID: the next attempt refuses it.
        return Err(e.into());
    }
    add_package(app, &mut tx, &order, &plan, &iccid).await?;
    notify_ready(app, &mut tx, &order, &iccid).await?;
    tx.audit(
        "system",
        "order.provisioned",
        &order.id,
        json!({ "iccid": iccid.as_str() }),
    )
    .await?;
    tx.commit().await?;
    metrics::counter!("tern_esims_provisioned_total").increment(1);
    Ok(())
}

/// Gives the order's profile back (a `cancel_profile` job) and forgets it,
/// in one transaction, so the next attempt orders a fresh one.
async fn start_over(app: &App, order_id: &tern_domain::OrderId, iccid: &Iccid, matching_id: &str) -> AppResult<()> {
    let mut tx = app.work().await?;
    super::compensate::queue_cancel(app, &mut tx, iccid, Some(matching_id)).await?;
    orders::set_reservation(&mut tx, order_id, None, None, app.now_ms()).await?;
    tx.commit().await?;
    Ok(())
}

/// Fails an order for good and returns its money, exactly once. With
/// `give_back`, a profile the SM-DP+ reserved for it is cancelled by a
/// retried job queued in the same transaction.
async fn fail(app: &App, order_id: &tern_domain::OrderId, reason: &str, give_back: bool) -> AppResult<()> {
    tracing::warn!(order = %order_id, reason, "provisioning failed; returning the money");
    let now = app.now_ms();
    let mut tx = app.work_at(now).await?;
    let Some(order) = orders::by_id(&mut tx, order_id).await? else {
        return Ok(());
    };
    if !orders::transition(
        &mut tx,
        &order.id,
        OrderState::Provisioning,
        OrderState::Failed,
        Some(reason),
        now,
    )
    .await?
    {
        return Ok(());
    }
    crate::wallet::reverse(
        app,
        &mut tx,
        TransactionKind::Purchase,
        &order.id,
        TransactionKind::PurchaseReversal,
    )
    .await?;
    let mut given_back = None;
    if give_back && let Some(iccid) = &order.iccid {
        super::compensate::queue_cancel(app, &mut tx, iccid, order.matching_id.as_deref()).await?;
        given_back = Some(iccid);
    }
    tx.audit(
        "system",
        "order.failed",
        &order.id,
        json!({
            "refunded_minor": order.price.amount_minor,
            "profile_given_back": given_back.map(Iccid::as_str),
        }),
    )
    .await?;
    tx.commit().await?;
    metrics::counter!("tern_orders_failed_total").increment(1);
    Ok(())
}

async fn notify_ready(app: &App, conn: &mut Conn, order: &OrderRow, iccid: &Iccid) -> AppResult<()> {
    let Some(account) = tern_store::accounts::by_id(conn, &order.account_id).await? else {
        return Ok(());
    };
    let Some(email) = account.email.as_deref() else {
        return Ok(());
    };
    let locale = tern_domain::Locale::parse(&account.locale).unwrap_or_default();
    let link = format!("{}/esims/{iccid}", app.settings.base_url());
    let values = json!({ "link": link, "plan": order.plan_code });
    queue(
        app,
        conn,
        Message {
            channel: Channel::Email,
            account_id: Some(&account.id),
            recipient: email,
            template: "esim_ready",
            locale,
            values,
        },
    )
    .await?;
    Ok(())
}
