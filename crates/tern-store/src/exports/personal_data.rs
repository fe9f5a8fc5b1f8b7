//! Reads of other tables that only a personal data export needs: every
//! wallet entry, usage record, message and audit entry of one account, in
//! the order they happened. The rest of an export comes from the tables'
//! own modules (accounts, sessions, orders, eSIMs).

use sqlx::{AnyConnection, Row};

use crate::Result;
use crate::usage::UsageEventRow;

/// One entry on one of the account's wallets (cash or promotional credit).
#[derive(Debug, Clone)]
pub struct WalletEntry {
    pub entry_id: String,
    pub transaction_id: String,
    /// `cash` or `promo`.
    pub wallet: tern_domain::ledger::LedgerAccountKind,
    /// What moved the money and its cause.
    pub kind: tern_domain::ledger::TransactionKind,
    pub reference: String,
    pub memo: Option<String>,
    pub amount_minor: i64,
    pub currency: String,
    pub created_at: i64,
}

pub async fn wallet_entries(conn: &mut AnyConnection, account_id: &tern_domain::AccountId) -> Result<Vec<WalletEntry>> {
    let rows = sqlx::query(
        "SELECT e.id, e.transaction_id, a.kind AS wallet, t.kind, t.reference, t.memo, e.amount_minor, e.currency, \
         e.created_at FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.ledger_account_id \
         JOIN ledger_transactions t ON t.id = e.transaction_id \
         WHERE a.owner_id = $1 AND a.kind <> 'system' ORDER BY e.created_at, e.id",
    )
    .bind(account_id.as_str())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(WalletEntry {
                entry_id: r.try_get("id")?,
                transaction_id: r.try_get("transaction_id")?,
                wallet: crate::decode::get(r, "wallet")?,
                kind: crate::decode::get(r, "kind")?,
                reference: r.try_get("reference")?,
                memo: r.try_get("memo")?,
                amount_minor: r.try_get("amount_minor")?,
                currency: r.try_get("currency")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

/// Usage records the network sent for the account's eSIMs.
pub async fn usage_events(conn: &mut AnyConnection, account_id: &tern_domain::AccountId) -> Result<Vec<UsageEventRow>> {
    let rows = sqlx::query(
        "SELECT u.event_id, u.iccid, u.kind, u.quantity, u.country, u.occurred_at, u.package_id, u.overage, \
         u.received_at FROM usage_events u JOIN esims e ON e.iccid = u.iccid \
         WHERE e.account_id = $1 ORDER BY u.occurred_at, u.event_id",
    )
    .bind(account_id.as_str())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(UsageEventRow {
                event_id: r.try_get("event_id")?,
                iccid: crate::decode::iccid(r, "iccid")?,
                kind: crate::decode::get(r, "kind")?,
                quantity: r.try_get("quantity")?,
                country: r.try_get("country")?,
                occurred_at: r.try_get("occurred_at")?,
                package_id: crate::decode::id_opt(r, "package_id")?,
                overage: r.try_get("overage")?,
                received_at: r.try_get("received_at")?,
            })
        })
        .collect()
}

/// One email or SMS sent (or about to be sent) to the account.
#[derive(Debug, Clone)]
pub struct Notification {
    pub id: String,
    pub channel: String,
    pub recipient: String,
    pub template: String,
    pub locale: String,
    pub subject: String,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

pub async fn notifications(conn: &mut AnyConnection, account_id: &tern_domain::AccountId) -> Result<Vec<Notification>> {
    let rows = sqlx::query(
        "SELECT id, channel, recipient, template, locale, subject, created_at, sent_at FROM outbox \
         WHERE account_id = $1 ORDER BY created_at, id",
    )
    .bind(account_id.as_str())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Notification {
                id: r.try_get("id")?,
                channel: r.try_get("channel")?,
                recipient: r.try_get("recipient")?,
                template: r.try_get("template")?,
                locale: r.try_get("locale")?,
                subject: r.try_get("subject")?,
                created_at: r.try_get("created_at")?,
                sent_at: r.try_get("sent_at")?,
            })
        })
        .collect()
}
