//! Provisioning a new eSIM for an order through ES2+, and putting plan
//! packages on eSIMs.
//!
//! The job runs at least once, so each step records what it did before the
//! next: the ICCID the SM-DP+ reserved is saved on the order before the
//! order is confirmed, and a repeat finds the profile already released and
//! reads its matching id back instead of reserving another profile.

use serde_json::json;
use tern_domain::catalogue::{Activation, DataAllowance, Plan};
use tern_domain::ids::Iccid;
use tern_esim::Es2Error;
use tern_esim::client::{ConfirmOrder, DownloadOrder};
use tern_store::esims::{self, EsimRow, PackageRow};
use tern_store::orders::{self, OrderRow};
use tern_store::{Conn, StoreError};

use crate::App;
use crate::audit;
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
    iccid: &str,
) -> AppResult<()> {
    let now = app.now_ms();
    let installed = esims::by_iccid(conn, iccid)
        .await?
        .is_some_and(|e| e.state == "installed");
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
            id: crate::tokens::new_id(),
            iccid: iccid.to_owned(),
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
            state: if starts_now { "active" } else { "pending" }.to_owned(),
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
pub async fn provision(app: &App, order_id: &str, last_attempt: bool) -> AppResult<()> {
    match provision_once(app, order_id, last_attempt).await {
        Err(e) if last_attempt => {
            let order = {
                let mut conn = app.db.conn().await?;
                orders::by_id(&mut conn, order_id).await?
            };
            match order {
                Some(o) if o.state == "provisioning" && o.kind == "new_esim" => {
                    fail(app, &o, &format!("out of attempts: {e}")).await
                }
                _ => Err(e),
            }
        }
        done => done,
    }
}

async fn provision_once(app: &App, order_id: &str, last_attempt: bool) -> AppResult<()> {
    let order = {
        let mut conn = app.db.conn().await?;
        match orders::by_id(&mut conn, order_id).await? {
            Some(o) if o.state == "provisioning" && o.kind == "new_esim" => o,
            _ => return Ok(()),
        }
    };
    let plan = crate::catalogue::get(app, &order.plan_code).await?;
    let es2 = app.es2();
    // Step 1: reserve a profile (once).
    let iccid = match &order.iccid {
        Some(i) => Iccid::parse(i).map_err(|e| AppError::Internal(format!("stored ICCID: {e}")))?,
        None => match es2.download_order(&DownloadOrder::default()).await {
            Ok(iccid) => {
                let mut conn = app.db.conn().await?;
                orders::set_iccid(&mut conn, &order.id, iccid.as_str(), app.now_ms()).await?;
                iccid
            }
            Err(e) if give_up(&e, last_attempt) => return fail(app, &order, &e.to_string()).await,
            Err(e) => return Err(AppError::Unavailable(e.to_string())),
        },
    };
    // Step 2: confirm and release it for download.
    let confirmed = match es2.confirm_order(&ConfirmOrder::new(iccid.clone(), true)).await {
        Ok(c) => (c.smdp_address, c.matching_id, c.activation_code.to_string()),
        Err(e) if e.is_invalid_transition() => match released_already(app, &iccid).await {
            Some(found) => found,
            None => return fail(app, &order, &e.to_string()).await,
        },
        Err(e) if give_up(&e, last_attempt) => return fail(app, &order, &e.to_string()).await,
        Err(e) => return Err(AppError::Unavailable(e.to_string())),
    };
    let (smdp_address, matching_id, activation_code) = confirmed;
    // An ICCID another eSIM already has (an SM-DP+ that handed a profile out
    // twice, e.g. an emulator restarted with fresh memory): refuse it and
    // return the money. (Inserting it would fail inside the transaction,
    // which on PostgreSQL aborts the rest of it.)
    {
        let mut conn = app.db.conn().await?;
        if esims::by_iccid(&mut conn, iccid.as_str()).await?.is_some() {
            drop(conn);
            return fail(app, &order, "the SM-DP+ returned an ICCID that is already in use").await;
        }
    }
    let now = app.now_ms();
    let mut tx = app.db.begin().await?;
    if !orders::transition(&mut tx, &order.id, "provisioning", "completed", None, now).await? {
        return Ok(());
    }
    let insert = esims::insert(
        &mut tx,
        &EsimRow {
            iccid: iccid.as_str().to_owned(),
            account_id: order.account_id.clone(),
            state: "released".into(),
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
    add_package(app, &mut tx, &order, &plan, iccid.as_str()).await?;
    notify_ready(app, &mut tx, &order, iccid.as_str()).await?;
    audit::record(
        &mut tx,
        app.db.backend(),
        "system",
        "order.provisioned",
        &order.id,
        json!({ "iccid": iccid.as_str() }),
        now,
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    metrics::counter!("tern_esims_provisioned_total").increment(1);
    Ok(())
}

/// A profile this order already released (a repeat after a crash).
async fn released_already(app: &App, iccid: &Iccid) -> Option<(String, String, String)> {
    let status = app.es2().get_profile_status(std::slice::from_ref(iccid)).await.ok()?;
    let s = status.into_iter().next()?;
    let matching_id = s.matching_id?;
    let smdp = app.smdp_address();
    let code = tern_domain::activation_code::ActivationCode::new(&smdp, &matching_id).ok()?;
    Some((smdp, matching_id, code.to_string()))
}

/// Fails an order for good and returns its money, exactly once.
async fn fail(app: &App, order: &OrderRow, reason: &str) -> AppResult<()> {
    tracing::warn!(order = %order.id, reason, "provisioning failed; returning the money");
    let now = app.now_ms();
    let mut tx = app.db.begin().await?;
    if !orders::transition(&mut tx, &order.id, "provisioning", "failed", Some(reason), now).await? {
        return Ok(());
    }
    crate::wallet::reverse(app, &mut tx, "purchase", &order.id, "purchase_reversal").await?;
    audit::record(
        &mut tx,
        app.db.backend(),
        "system",
        "order.failed",
        &order.id,
        json!({ "refunded_minor": order.price_minor }),
        now,
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    metrics::counter!("tern_orders_failed_total").increment(1);
    Ok(())
}

async fn notify_ready(app: &App, conn: &mut Conn, order: &OrderRow, iccid: &str) -> AppResult<()> {
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
