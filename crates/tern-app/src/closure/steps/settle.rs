//! Settle the wallet: one ledger transaction keyed by the closure moves
//! the refundable balance to `refunds_payable` (and promotional credit to
//! `promo_forfeited` unless the policy refunds it), split over the card
//! payments it came from, newest first; each card refund then goes through
//! its gateway once. What no card covers waits for a manual payout.

use serde::{Deserialize, Serialize};
use serde_json::json;
use tern_domain::Money;
use tern_domain::closure::{ClosureStep, RefundPolicy};
use tern_domain::ledger::{SystemAccount, TransactionKind};
use tern_domain::payment::{RefundSource, RefundState};
use tern_store::closures::{self, ClosureRow};
use tern_store::ledger::{self, Entry, NewTransaction, Posted};
use tern_store::refunds::{self, RefundRow};
use tern_store::top_ups;

use super::Step;
use crate::App;
use crate::clock::ms;
use crate::error::{AppError, AppResult};
use crate::wallet::{book_refund, cash_id, ensure_accounts, promo_id};

pub struct Settle;

/// Where the balance went, in minor units of `currency`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settled {
    /// Everything refunded: card refunds plus the manual payout.
    pub refund_minor: i64,
    pub card_refunds: u64,
    pub manual_payout_minor: i64,
    pub forfeited_minor: i64,
    pub currency: String,
}

impl Step for Settle {
    const STEP: ClosureStep = ClosureStep::SettleWallet;
    type Output = Settled;

    async fn run(&self, app: &App, c: &ClosureRow) -> AppResult<Settled> {
        settle(app, c).await
    }
}

async fn settle(app: &App, c: &ClosureRow) -> AppResult<Settled> {
    let now = app.now_ms();
    let currency = crate::wallet::currency(app)?;
    let cur = currency.as_str().to_owned();
    {
        let mut tx = app.work().await?;
        let stale_before = now - ms(app.settings.closure.abandoned_top_up_after);
        let abandoned = top_ups::abandon_pending(&mut tx, &c.account_id, stale_before, now).await?;
        let still = top_ups::pending_for(&mut tx, &c.account_id).await?;
        tx.commit().await?;
        if abandoned > 0 {
            tracing::info!(closure = %c.id, abandoned, "pending top-ups abandoned at closure");
        }
        if still > 0 {
            return Err(AppError::Unavailable(
                "top_up_in_flight: waiting for a card payment to settle".into(),
            ));
        }
    }
    let mut tx = app.work_at(now).await?;
    ensure_accounts(
        app,
        &mut tx,
        &c.account_id,
        &[SystemAccount::RefundsPayable, SystemAccount::PromoForfeited],
    )
    .await?;
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
            ledger_account_id: SystemAccount::RefundsPayable.ledger_id(&cur),
            amount_minor: s.refund,
        });
    }
    if s.forfeit > 0 {
        entries.push(Entry {
            ledger_account_id: SystemAccount::PromoForfeited.ledger_id(&cur),
            amount_minor: s.forfeit,
        });
    }
    let posted = if entries.is_empty() {
        Posted::Done
    } else {
        let id = tern_domain::TransactionId::from(crate::tokens::new_id());
        ledger::post(
            &mut tx,
            &NewTransaction {
                id: &id,
                kind: TransactionKind::ClosureSettlement,
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
            let pairs: Vec<_> = payments.iter().map(|p| (p, p.2)).collect();
            let (lines, rest) = tern_domain::closure::allocate_refund(s.refund, &pairs);
            for ((top_up, gateway, _), amount) in lines {
                refunds::insert(
                    &mut tx,
                    &refund_row(
                        c,
                        RefundSource::TopUp(top_up.clone()),
                        gateway,
                        Money::new(amount, currency),
                        RefundState::Pending,
                        now,
                    ),
                )
                .await?;
                refunds::add_to_top_up(&mut tx, top_up, amount, now).await?;
            }
            if rest > 0 {
                refunds::insert(
                    &mut tx,
                    &refund_row(
                        c,
                        RefundSource::Manual,
                        "manual",
                        Money::new(rest, currency),
                        RefundState::AwaitingPayout,
                        now,
                    ),
                )
                .await?;
            }
            closures::set_refund(&mut tx, &c.id, s.refund, &cur).await?;
            tx.audit(
                "closure",
                "closure.wallet_settled",
                &c.account_id,
                json!({ "closure": c.id, "refund_minor": s.refund, "forfeited_minor": s.forfeit }),
            )
            .await?;
            tx.commit().await?;
        }
        // Settled before (a retry after a crash, or another worker).
        Posted::AlreadyPosted => drop(tx),
        other => return Err(AppError::Internal(format!("closure settlement refused: {other:?}"))),
    }
    pay_card_refunds(app, c).await?;
    let mut conn = app.db.conn().await?;
    let lines = refunds::for_closure(&mut conn, &c.id).await?;
    let refund: i64 = lines.iter().map(|r| r.amount.amount_minor).sum();
    let manual: i64 = lines
        .iter()
        .filter(|r| r.source == RefundSource::Manual)
        .map(|r| r.amount.amount_minor)
        .sum();
    let forfeited = ledger::entries_of(&mut conn, TransactionKind::ClosureSettlement, &c.id)
        .await?
        .iter()
        .filter(|e| e.ledger_account_id == SystemAccount::PromoForfeited.ledger_id(&cur))
        .map(|e| e.amount_minor)
        .sum::<i64>();
    Ok(Settled {
        refund_minor: refund,
        card_refunds: lines.iter().filter(|r| r.source.top_up().is_some()).count() as u64,
        manual_payout_minor: manual,
        forfeited_minor: forfeited,
        currency: cur,
    })
}

fn refund_row(
    c: &ClosureRow,
    source: RefundSource,
    gateway: &str,
    amount: Money,
    state: RefundState,
    now: i64,
) -> RefundRow {
    RefundRow {
        id: crate::tokens::new_id().into(),
        closure_id: c.id.clone(),
        source,
        gateway: gateway.to_owned(),
        amount,
        state,
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
    for r in lines.into_iter().filter(|r| r.state == RefundState::Pending) {
        let top_up = {
            let mut conn = app.db.conn().await?;
            let id = r
                .source
                .top_up()
                .ok_or_else(|| AppError::Internal(format!("refund {} is pending but refunds no top-up", r.id)))?;
            top_ups::by_id(&mut conn, id).await?.ok_or(AppError::NotFound)?
        };
        let gateway = crate::payments::gateway(&r.gateway)
            .ok_or_else(|| AppError::Internal(format!("no gateway {:?} for refund {}", r.gateway, r.id)))?;
        let reference = gateway.refund(app, &top_up, r.amount.amount_minor, &r.id).await?;
        let now = app.now_ms();
        let mut tx = app.work().await?;
        ensure_accounts(
            app,
            &mut tx,
            &c.account_id,
            &[SystemAccount::RefundsPayable, SystemAccount::Gateway],
        )
        .await?;
        book_refund(&mut tx, TransactionKind::GatewayRefund, SystemAccount::Gateway, &r, now).await?;
        refunds::mark_refunded(&mut tx, &r.id, &reference, now).await?;
        tx.commit().await?;
        metrics::counter!("tern_refunds_total", "method" => "card").increment(1);
    }
    Ok(())
}
