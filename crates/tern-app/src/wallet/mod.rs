//! The prepaid wallet: balances, history, voucher redemption, and the
//! debits and reversals that orders make.
//!
//! Each user has two ledger accounts per currency: `cash` (paid for:
//! gateway top-ups and paid vouchers, refundable) and `promo` (promotional
//! credit, spent first, not refundable). The API shows their sum.

mod redeem;
mod vouchers;

pub use redeem::redeem;
pub use vouchers::{IssuedBatch, issue_vouchers};

use serde::Serialize;
use tern_domain::money::Bucket;
use tern_domain::{Currency, Money};
use tern_store::Conn;
use tern_store::ledger::{self, Entry, NewTransaction, Posted};

use tern_domain::ledger::{LedgerAccountKind, SystemAccount, TransactionKind};

use crate::App;
use crate::auth::Principal;
use crate::clock::rfc3339;
use crate::error::{AppError, AppResult};
use crate::error_code::Code;

/// The ledger account of a user's refundable balance.
pub fn cash_id(account_id: &tern_domain::AccountId, currency: &str) -> String {
    format!("wallet:{account_id}:{currency}:cash")
}

/// The ledger account of a user's promotional credit.
pub fn promo_id(account_id: &tern_domain::AccountId, currency: &str) -> String {
    format!("wallet:{account_id}:{currency}:promo")
}

/// The ledger account of `bucket` in an account's wallet.
pub fn bucket_id(bucket: Bucket, account_id: &tern_domain::AccountId, currency: &str) -> String {
    match bucket {
        Bucket::Cash => cash_id(account_id, currency),
        Bucket::Promo => promo_id(account_id, currency),
    }
}

/// The wallet currency of this deployment.
pub fn currency(app: &App) -> AppResult<Currency> {
    Currency::parse(&app.settings.wallet.currency).map_err(|e| AppError::Internal(format!("wallet.currency: {e}")))
}

/// Creates the user's and the system's ledger accounts when missing.
pub(crate) async fn ensure_accounts(
    app: &App,
    conn: &mut Conn,
    account_id: &tern_domain::AccountId,
    system: &[SystemAccount],
) -> AppResult<()> {
    let cur = app.settings.wallet.currency.as_str();
    let now = app.now_ms();
    ledger::ensure_account(
        conn,
        &cash_id(account_id, cur),
        Some(account_id),
        LedgerAccountKind::Cash,
        cur,
        now,
    )
    .await?;
    ledger::ensure_account(
        conn,
        &promo_id(account_id, cur),
        Some(account_id),
        LedgerAccountKind::Promo,
        cur,
        now,
    )
    .await?;
    for &account in system {
        ledger::ensure_account(conn, &account.ledger_id(cur), None, LedgerAccountKind::System, cur, now).await?;
    }
    Ok(())
}

/// One line of wallet history as the owner sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WalletLine {
    /// What moved the money: `voucher`, `top_up`, `purchase`,
    /// `purchase_reversal`, `order_refund`, `adjustment`, …
    #[schema(value_type = String)]
    pub kind: TransactionKind,
    pub reference: String,
    #[schema(value_type = MoneySchema)]
    pub amount: Money,
    pub at: String,
}

/// Money as the API shows it.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct MoneySchema {
    amount_minor: i64,
    /// ISO 4217
    currency: String,
}

/// The wallet as its owner sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WalletView {
    /// What can be spent: cash plus promotional credit.
    #[schema(value_type = MoneySchema)]
    pub balance: Money,
    /// The refundable part.
    #[schema(value_type = MoneySchema)]
    pub cash: Money,
    /// Promotional credit: spent first, not refundable.
    #[schema(value_type = MoneySchema)]
    pub promo: Money,
    pub history: Vec<WalletLine>,
}

/// Balances and the latest movements.
pub async fn view(app: &App, who: &Principal) -> AppResult<WalletView> {
    let cur = currency(app)?;
    let mut conn = app.db.conn().await?;
    let cash = ledger::balance(&mut conn, &cash_id(&who.account_id, cur.as_str())).await?;
    let promo = ledger::balance(&mut conn, &promo_id(&who.account_id, cur.as_str())).await?;
    let history = ledger::history(&mut conn, &who.account_id, 50)
        .await?
        .into_iter()
        .map(|h| WalletLine {
            kind: h.kind,
            reference: h.reference,
            amount: Money::new(h.amount_minor, cur),
            at: rfc3339(h.created_at),
        })
        .collect();
    Ok(WalletView {
        balance: Money::new(cash + promo, cur),
        cash: Money::new(cash, cur),
        promo: Money::new(promo, cur),
        history,
    })
}

/// Books a closure refund line leaving `refunds_payable` for the system
/// account `to` (`gateway` for a card refund, `payouts` for a manual one)
/// as one ledger transaction of `kind` keyed by the refund's id, so a
/// retry books it once.
pub(crate) async fn book_refund(
    conn: &mut Conn,
    kind: TransactionKind,
    to: SystemAccount,
    refund: &tern_store::refunds::RefundRow,
    now: i64,
) -> AppResult<()> {
    let entries = [
        Entry {
            ledger_account_id: SystemAccount::RefundsPayable.ledger_id(refund.amount.currency.as_str()),
            amount_minor: -refund.amount.amount_minor,
        },
        Entry {
            ledger_account_id: to.ledger_id(refund.amount.currency.as_str()),
            amount_minor: refund.amount.amount_minor,
        },
    ];
    let id = tern_domain::TransactionId::from(crate::tokens::new_id());
    let posted = ledger::post(
        conn,
        &NewTransaction {
            id: &id,
            kind,
            reference: &refund.id,
            memo: None,
            currency: refund.amount.currency.as_str(),
            entries: &entries,
            now,
        },
    )
    .await?;
    match posted {
        Posted::Done | Posted::AlreadyPosted => Ok(()),
        other => Err(AppError::Internal(format!("{kind} booking refused: {other:?}"))),
    }
}

/// Takes `price` from the wallet — promotional credit first, then cash —
/// into `to_system`, as one ledger transaction of `kind` for `reference`.
/// Runs in the caller's transaction; 402 with the shortfall when the wallet
/// cannot pay.
pub(crate) async fn debit(
    app: &App,
    conn: &mut Conn,
    account_id: &tern_domain::AccountId,
    price: Money,
    kind: TransactionKind,
    reference: &str,
    to_system: SystemAccount,
) -> AppResult<()> {
    let cur = price.currency.as_str().to_owned();
    ensure_accounts(app, conn, account_id, &[to_system]).await?;
    let (cash_acc, promo_acc) = (cash_id(account_id, &cur), promo_id(account_id, &cur));
    ledger::lock(conn, app.db.backend(), &[&cash_acc, &promo_acc]).await?;
    let cash = ledger::balance(conn, &cash_acc).await?;
    let promo = ledger::balance(conn, &promo_acc).await?;
    let need = price.amount_minor;
    if cash + promo < need {
        return Err(AppError::InsufficientFunds {
            shortfall_minor: need - cash - promo,
            currency: cur,
        });
    }
    let from_promo = promo.min(need);
    let from_cash = need - from_promo;
    let mut entries = vec![Entry {
        ledger_account_id: to_system.ledger_id(&cur),
        amount_minor: need,
    }];
    if from_promo > 0 {
        entries.push(Entry {
            ledger_account_id: promo_acc,
            amount_minor: -from_promo,
        });
    }
    if from_cash > 0 {
        entries.push(Entry {
            ledger_account_id: cash_acc,
            amount_minor: -from_cash,
        });
    }
    let id = tern_domain::TransactionId::from(crate::tokens::new_id());
    let posted = ledger::post(
        conn,
        &NewTransaction {
            id: &id,
            kind,
            reference,
            memo: None,
            currency: &cur,
            entries: &entries,
            now: app.now_ms(),
        },
    )
    .await?;
    match posted {
        Posted::Done => Ok(()),
        Posted::AlreadyPosted => Err(AppError::Conflict(Code::AlreadyCharged)),
        Posted::Insufficient { .. } => Err(AppError::InsufficientFunds {
            shortfall_minor: need - cash - promo,
            currency: cur,
        }),
        Posted::Unbalanced => Err(AppError::Internal("unbalanced debit".into())),
    }
}

/// Posts the exact opposite of the `kind` transaction for `reference` as
/// `reversal_kind`. Doing it twice does nothing more (the ledger refuses a
/// second transaction of the same kind and reference); returns whether
/// money moved now.
pub(crate) async fn reverse(
    app: &App,
    conn: &mut Conn,
    kind: TransactionKind,
    reference: &str,
    reversal_kind: TransactionKind,
) -> AppResult<bool> {
    let original = ledger::entries_of(conn, kind, reference).await?;
    if original.is_empty() {
        return Ok(false);
    }
    let cur = app.settings.wallet.currency.clone();
    let entries: Vec<Entry> = original
        .into_iter()
        .map(|e| Entry {
            ledger_account_id: e.ledger_account_id,
            amount_minor: -e.amount_minor,
        })
        .collect();
    let id = tern_domain::TransactionId::from(crate::tokens::new_id());
    let posted = ledger::post(
        conn,
        &NewTransaction {
            id: &id,
            kind: reversal_kind,
            reference,
            memo: None,
            currency: &cur,
            entries: &entries,
            now: app.now_ms(),
        },
    )
    .await?;
    match posted {
        Posted::Done => Ok(true),
        Posted::AlreadyPosted => Ok(false),
        other => Err(AppError::Internal(format!(
            "reversal of {kind} {reference} refused: {other:?}"
        ))),
    }
}
