//! The workflow's steps. Each can run again after a crash, a retry or on a
//! second worker at the same time and does what is left, never more: state
//! moves are conditional updates and money moves are ledger transactions
//! unique by (kind, reference).

use serde_json::{Value, json};
use tern_domain::closure::RefundPolicy;
use tern_domain::{Email, Money};
use tern_esim::client::CancelOrder;
use tern_esim::wire::FinalProfileStatus;
use tern_store::closures::{self, ClosureRow};
use tern_store::ledger::{self, Entry, NewTransaction, Posted};
use tern_store::refunds::{self, RefundRow};
use tern_store::{accounts, erasure, esims, sessions, top_ups};

use super::network::{HttpNetwork, Network};
use super::seal::{self, Needles};
use crate::App;
use crate::audit;
use crate::clock::{ms, to_datetime};
use crate::error::{AppError, AppResult};
use crate::wallet::{cash_id, ensure_accounts, promo_id, system_id};

/// No new orders, top-ups or sign-ins (only `active` accounts
/// authenticate), and every session and token ends now.
pub async fn freeze(app: &App, c: &ClosureRow) -> AppResult<Value> {
    let now = app.now_ms();
    let mut tx = app.db.begin().await?;
    let frozen = accounts::set_status(&mut tx, &c.account_id, "active", "frozen", now).await?;
    let ended = sessions::delete_all_for_account(&mut tx, &c.account_id, None).await?;
    audit::record(
        &mut tx,
        app.db.backend(),
        "closure",
        "closure.account_frozen",
        &c.account_id,
        json!({ "closure": c.id, "sessions_ended": ended }),
        now,
    )
    .await?;
    tx.commit().await.map_err(tern_store::StoreError::from)?;
    Ok(json!({ "frozen": frozen, "sessions_ended": ended }))
}

/// Cancels profiles never downloaded at the SM-DP+ (ES2+ CancelOrder) and
/// bars the others at the network; their packages stop. Tern sells no
/// auto-renewing plans, so there are no renewals to cancel.
pub async fn stop_services(app: &App, c: &ClosureRow) -> AppResult<Value> {
    {
        let mut conn = app.db.conn().await?;
        if tern_store::orders::count_in_state(&mut conn, &c.account_id, "provisioning").await? > 0 {
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
    let (mut canceled, mut barred, mut packages) = (0, 0, 0u64);
    for e in list {
        if matches!(e.state.as_str(), "canceled" | "barred" | "error") {
            continue;
        }
        let mut new_state = "barred";
        if e.state == "released" {
            let iccid = crate::error::stored_iccid(&e.iccid)?;
            let cancel = CancelOrder {
                iccid,
                eid: None,
                matching_id: Some(e.matching_id.clone()),
                final_status: FinalProfileStatus::Unavailable,
            };
            match app.es2().cancel_order(&cancel).await {
                Ok(()) => new_state = "canceled",
                // Refused (e.g. the phone downloaded it meanwhile): bar it.
                Err(tern_esim::Es2Error::Failed { .. }) => network.bar(&e.iccid).await?,
                Err(err) => return Err(AppError::Unavailable(format!("SM-DP+: {err}"))),
            }
        } else {
            network.bar(&e.iccid).await?;
        }
        let now = app.now_ms();
        let mut tx = app.db.begin().await?;
        esims::set_state(&mut tx, &e.iccid, new_state, now).await?;
        packages += esims::stop_packages(&mut tx, &e.iccid).await?;
        audit::record(
            &mut tx,
            app.db.backend(),
            "closure",
            if new_state == "canceled" {
                "esim.canceled"
            } else {
                "esim.barred"
            },
            &e.iccid,
            json!({ "closure": c.id }),
            now,
        )
        .await?;
        tx.commit().await.map_err(tern_store::StoreError::from)?;
        if new_state == "canceled" {
            canceled += 1;
        } else {
            barred += 1;
        }
    }
    Ok(json!({ "canceled_at_smdp": canceled, "barred": barred, "packages_stopped": packages, "renewals_canceled": 0 }))
}

/// Settles the wallet: one ledger transaction keyed by the closure moves
/// the refundable balance to `refunds_payable` (and promotional credit to
/// `promo_forfeited` unless the policy refunds it), split over the card
/// payments it came from, newest first; each card refund then goes through
/// its gateway once. What no card covers waits for a manual payout.
pub async fn settle_wallet(app: &App, c: &ClosureRow) -> AppResult<Value> {
    let now = app.now_ms();
    let cur = app.settings.wallet.currency.clone();
    {
        let mut tx = app.db.begin().await?;
        let stale_before = now - ms(app.settings.closure.abandoned_top_up_after);
        let abandoned = top_ups::abandon_pending(&mut tx, &c.account_id, stale_before, now).await?;
        let still = top_ups::pending_for(&mut tx, &c.account_id).await?;
        tx.commit().await.map_err(tern_store::StoreError::from)?;
        if abandoned > 0 {
            tracing::info!(closure = %c.id, abandoned, "pending top-ups abandoned at closure");
        }
        if still > 0 {
            return Err(AppError::Unavailable(
                "top_up_in_flight: waiting for a card payment to settle".into(),
            ));
        }
    }
    let mut tx = app.db.begin().await?;
    ensure_accounts(app, &mut tx, &c.account_id, &["refunds_payable", "promo_forfeited"]).await?;
    let (cash_acc, promo_acc) = (cash_id(&c.account_id, &cur), promo_id(&c.account_id, &cur));
    ledger::lock(&mut tx, app.db.backend(), &[&cash_acc, &promo_acc]).await?;
    let cash = ledger::balance(&mut tx, &cash_acc).await?;
    let promo = ledger::balance(&mut tx, &promo_acc).await?;
    let policy = RefundPolicy {
        refund_promo: app.settings.closure.refund_promo,
    };
    let s = policy.settle(cash, promo);
    let mut entries = Vec::new();
    if cash > 0 {
        entries.push(Entry {
            ledger_account_id: cash_acc.clone(),
            amount_minor: -cash,
        });
    }
    if promo > 0 {
        entries.push(Entry {
            ledger_account_id: promo_acc.clone(),
            amount_minor: -promo,
        });
    }
    if s.refund > 0 {
        entries.push(Entry {
            ledger_account_id: system_id("refunds_payable", &cur),
            amount_minor: s.refund,
        });
    }
    if s.forfeit > 0 {
        entries.push(Entry {
            ledger_account_id: system_id("promo_forfeited", &cur),
            amount_minor: s.forfeit,
        });
    }
    let posted = if entries.is_empty() {
        Posted::Done
    } else {
        let id = crate::tokens::new_id();
        ledger::post(
            &mut tx,
            &NewTransaction {
                id: &id,
                kind: "closure_settlement",
                reference: &c.id,
                memo: None,
                currency: &cur,
                entries: &entries,
                now,
            },
        )
        .await?
    };
    match posted {
        Posted::Done => {
            // First time: record how the refund goes back.
            let payments = refunds::refundable_top_ups(&mut tx, &c.account_id).await?;
            let pairs: Vec<(&str, i64)> = payments.iter().map(|(id, _, n)| (id.as_str(), *n)).collect();
            let (lines, rest) = tern_domain::closure::allocate_refund(s.refund, &pairs);
            for (top_up, amount) in lines {
                let gateway = payments
                    .iter()
                    .find(|(id, _, _)| id == top_up)
                    .map(|(_, g, _)| g.clone())
                    .unwrap_or_default();
                refunds::insert(&mut tx, &refund_row(c, top_up, &gateway, amount, &cur, "pending", now)).await?;
                refunds::add_to_top_up(&mut tx, top_up, amount, now).await?;
            }
            if rest > 0 {
                refunds::insert(
                    &mut tx,
                    &refund_row(c, "manual", "manual", rest, &cur, "awaiting_payout", now),
                )
                .await?;
            }
            closures::set_refund(&mut tx, &c.id, s.refund, &cur).await?;
            audit::record(
                &mut tx,
                app.db.backend(),
                "closure",
                "closure.wallet_settled",
                &c.account_id,
                json!({ "closure": c.id, "refund_minor": s.refund, "forfeited_minor": s.forfeit }),
                now,
            )
            .await?;
            tx.commit().await.map_err(tern_store::StoreError::from)?;
        }
        // Settled before (a retry after a crash, or another worker).
        Posted::AlreadyPosted => drop(tx),
        other => return Err(AppError::Internal(format!("closure settlement refused: {other:?}"))),
    }
    pay_card_refunds(app, c).await?;
    let mut conn = app.db.conn().await?;
    let lines = refunds::for_closure(&mut conn, &c.id).await?;
    let refund: i64 = lines.iter().map(|r| r.amount_minor).sum();
    let manual: i64 = lines
        .iter()
        .filter(|r| r.source == "manual")
        .map(|r| r.amount_minor)
        .sum();
    let forfeited = ledger::entries_of(&mut conn, "closure_settlement", &c.id)
        .await?
        .iter()
        .filter(|e| e.ledger_account_id == system_id("promo_forfeited", &cur))
        .map(|e| e.amount_minor)
        .sum::<i64>();
    Ok(json!({
        "refund_minor": refund,
        "card_refunds": lines.iter().filter(|r| r.source != "manual").count(),
        "manual_payout_minor": manual,
        "forfeited_minor": forfeited,
        "currency": cur,
    }))
}

fn refund_row(c: &ClosureRow, source: &str, gateway: &str, amount: i64, cur: &str, state: &str, now: i64) -> RefundRow {
    RefundRow {
        id: crate::tokens::new_id(),
        closure_id: c.id.clone(),
        source: source.to_owned(),
        gateway: gateway.to_owned(),
        amount_minor: amount,
        currency: cur.to_owned(),
        state: state.to_owned(),
        gateway_ref: None,
        created_at: now,
        updated_at: now,
    }
}

/// Sends each pending card refund through its gateway (idempotent by the
/// refund's id) and books the money leaving, once per refund.
async fn pay_card_refunds(app: &App, c: &ClosureRow) -> AppResult<()> {
    let lines = {
        let mut conn = app.db.conn().await?;
        refunds::for_closure(&mut conn, &c.id).await?
    };
    for r in lines.into_iter().filter(|r| r.state == "pending") {
        let top_up = {
            let mut conn = app.db.conn().await?;
            top_ups::by_id(&mut conn, &r.source).await?.ok_or(AppError::NotFound)?
        };
        let gateway = crate::payments::gateway(&r.gateway)
            .ok_or_else(|| AppError::Internal(format!("no gateway {:?} for refund {}", r.gateway, r.id)))?;
        let reference = gateway.refund(app, &top_up, r.amount_minor, &r.id).await?;
        let now = app.now_ms();
        let mut tx = app.db.begin().await?;
        ensure_accounts(app, &mut tx, &c.account_id, &["refunds_payable", "gateway"]).await?;
        let id = crate::tokens::new_id();
        let entries = [
            Entry {
                ledger_account_id: system_id("refunds_payable", &r.currency),
                amount_minor: -r.amount_minor,
            },
            Entry {
                ledger_account_id: system_id("gateway", &r.currency),
                amount_minor: r.amount_minor,
            },
        ];
        let posted = ledger::post(
            &mut tx,
            &NewTransaction {
                id: &id,
                kind: "gateway_refund",
                reference: &r.id,
                memo: None,
                currency: &r.currency,
                entries: &entries,
                now,
            },
        )
        .await?;
        if !matches!(posted, Posted::Done | Posted::AlreadyPosted) {
            return Err(AppError::Internal(format!("refund booking refused: {posted:?}")));
        }
        refunds::mark_refunded(&mut tx, &r.id, &reference, now).await?;
        tx.commit().await.map_err(tern_store::StoreError::from)?;
        metrics::counter!("tern_refunds_total", "method" => "card").increment(1);
    }
    Ok(())
}

/// Builds the data export and mails its link, when the traveller asked.
pub async fn export(app: &App, c: &ClosureRow) -> AppResult<Value> {
    if !c.export_requested {
        return Ok(json!({ "requested": false }));
    }
    crate::exports::create_for_closure(app, &c.account_id, &c.id).await?;
    Ok(json!({ "requested": true, "link_sent": true }))
}

/// Queues the completion notice with the receipt and how to remove the
/// eSIM from the phone, then delivers every message still waiting for the
/// account, so nothing is left to send once the contact details are gone.
pub async fn notify(app: &App, c: &ClosureRow) -> AppResult<Value> {
    let mut conn = app.db.conn().await?;
    let queued = tern_store::outbox::exists_for(&mut conn, &c.account_id, "closure_completed").await?;
    if !queued {
        let account = accounts::by_id(&mut conn, &c.account_id).await?;
        let locale = account
            .as_ref()
            .and_then(|a| tern_domain::Locale::parse(&a.locale))
            .unwrap_or_default();
        let steps = closures::steps(&mut conn, &c.id).await?;
        let result = |name: &str| -> Value {
            steps
                .iter()
                .find(|s| s.step == name)
                .and_then(|s| serde_json::from_str(&s.result).ok())
                .unwrap_or(Value::Null)
        };
        let settle = result("settle_wallet");
        let services = result("stop_services");
        let cur = crate::wallet::currency(app)?;
        let refund = Money::new(settle["refund_minor"].as_i64().unwrap_or(0), cur);
        let manual = settle["manual_payout_minor"].as_i64().unwrap_or(0);
        let forfeited = settle["forfeited_minor"].as_i64().unwrap_or(0);
        let refund_note = match (locale, manual > 0, refund.amount_minor > 0) {
            (_, _, false) => String::new(),
            (tern_domain::Locale::ZhCn, true, _) => {
                format!("其中 {} 将由我们的财务团队人工退还", Money::new(manual, cur))
            }
            (tern_domain::Locale::En, true, _) => {
                format!("{} of it is paid out by our finance team", Money::new(manual, cur))
            }
            (tern_domain::Locale::ZhCn, false, _) => "退回原支付卡".to_owned(),
            (tern_domain::Locale::En, false, _) => "back to the card you paid with".to_owned(),
        };
        let stopped = services["canceled_at_smdp"].as_i64().unwrap_or(0) + services["barred"].as_i64().unwrap_or(0);
        let retain_until = to_datetime(app.now_ms() + ms(app.settings.closure.retention)).date_naive();
        drop(conn);
        let mut tx = app.db.begin().await?;
        super::request::notify_with(
            app,
            &mut tx,
            c,
            "closure_completed",
            json!({
                "refund": refund.to_string(),
                "refund_note": refund_note,
                "forfeited": if forfeited > 0 { Money::new(forfeited, cur).to_string() } else { String::new() },
                "esims_stopped": stopped,
                "retain_until": retain_until.to_string(),
            }),
        )
        .await?;
        tx.commit().await.map_err(tern_store::StoreError::from)?;
    }
    let unsent = {
        let mut conn = app.db.conn().await?;
        erasure::unsent_for(&mut conn, &c.account_id).await?
    };
    for id in &unsent {
        crate::notify::deliver(app, id).await?;
    }
    Ok(json!({ "delivered": unsent.len() }))
}

/// Deletes the person: profile fields, sessions, tokens, messages, device
/// ids, the free-text reason, support ticket subjects and messages (the
/// ticket rows stay, emptied and closed, for the support figures),
/// throttling keys, and local copies of sent mail and SMS under the data
/// folder. The identifiers are sealed first,
/// in the same transaction, for the sweep to search for.
pub async fn erase(app: &App, c: &ClosureRow) -> AppResult<Value> {
    let now = app.now_ms();
    let mut tx = app.db.begin().await?;
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
    audit::record(
        &mut tx,
        app.db.backend(),
        "closure",
        "closure.erased",
        &c.account_id,
        json!({ "closure": c.id }),
        now,
    )
    .await?;
    tx.commit().await.map_err(tern_store::StoreError::from)?;
    let files = super::sweep::delete_files_naming(app.settings.data_dir.join("outbox"), needles).await?;
    let mut out = serde_json::to_value(&erased).map_err(|e| AppError::Internal(e.to_string()))?;
    out["message_files"] = json!(files);
    out["adjustment_reasons"] = json!(adjustment_reasons);
    out["ticket_subjects"] = json!(tickets_erased.tickets);
    out["ticket_messages"] = json!(tickets_erased.messages);
    Ok(out)
}
