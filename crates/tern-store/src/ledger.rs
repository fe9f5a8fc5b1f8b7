//! The double-entry ledger.

use sqlx::{AnyConnection, Row};

use tern_domain::ledger::{LedgerAccountKind, TransactionKind};

use crate::decode::Stored;
use crate::{Backend, Result};

/// One line of a transaction: money into (+) or out of (−) a ledger account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub ledger_account_id: String,
    pub amount_minor: i64,
}

/// A balanced set of entries with what caused it.
#[derive(Debug, Clone)]
pub struct NewTransaction<'a> {
    pub id: &'a tern_domain::TransactionId,
    pub kind: TransactionKind,
    pub reference: &'a str,
    pub memo: Option<&'a str>,
    pub currency: &'a str,
    pub entries: &'a [Entry],
    pub now: i64,
}

/// What posting a transaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Posted {
    Done,
    /// A transaction of this kind for this reference exists already;
    /// nothing was moved.
    AlreadyPosted,
    /// A wallet would have gone below zero; the caller must roll back.
    Insufficient {
        ledger_account_id: String,
    },
    /// The entries do not sum to zero; nothing was written.
    Unbalanced,
}

/// Creates a ledger account if it does not exist.
pub async fn ensure_account(
    conn: &mut AnyConnection,
    id: &str,
    owner_id: Option<&str>,
    kind: LedgerAccountKind,
    currency: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO ledger_accounts (id, owner_id, kind, currency, balance_minor, created_at) \
         VALUES ($1, $2, $3, $4, 0, $5) ON CONFLICT (id) DO NOTHING",
    )
    .bind(id)
    .bind(owner_id)
    .bind(kind.stored())
    .bind(currency)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Locks ledger accounts for the rest of the transaction (PostgreSQL), in
/// id order so two transactions never wait on each other in a circle.
/// SQLite's write transactions are already exclusive.
pub async fn lock(conn: &mut AnyConnection, backend: Backend, ids: &[&str]) -> Result<()> {
    if backend == Backend::Postgres {
        let mut sorted = ids.to_vec();
        sorted.sort_unstable();
        for id in sorted {
            sqlx::query("SELECT id FROM ledger_accounts WHERE id = $1 FOR UPDATE")
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

/// Posts a transaction inside the caller's database transaction. Wallets
/// (every account that is not `system`) may not go below zero.
pub async fn post(conn: &mut AnyConnection, t: &NewTransaction<'_>) -> Result<Posted> {
    if t.entries.iter().map(|e| i128::from(e.amount_minor)).sum::<i128>() != 0 || t.entries.is_empty() {
        return Ok(Posted::Unbalanced);
    }
    let inserted = sqlx::query(
        "INSERT INTO ledger_transactions (id, kind, reference, memo, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (kind, reference) DO NOTHING",
    )
    .bind(t.id.as_str())
    .bind(t.kind.stored())
    .bind(t.reference)
    .bind(t.memo)
    .bind(t.now)
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 0 {
        return Ok(Posted::AlreadyPosted);
    }
    for (i, e) in t.entries.iter().enumerate() {
        let moved = sqlx::query(
            "UPDATE ledger_accounts SET balance_minor = balance_minor + $2 \
             WHERE id = $1 AND currency = $3 AND (kind = 'system' OR balance_minor + $2 >= 0)",
        )
        .bind(e.ledger_account_id.as_str())
        .bind(e.amount_minor)
        .bind(t.currency)
        .execute(&mut *conn)
        .await?;
        if moved.rows_affected() != 1 {
            return Ok(Posted::Insufficient {
                ledger_account_id: e.ledger_account_id.clone(),
            });
        }
        sqlx::query(
            "INSERT INTO ledger_entries (id, transaction_id, ledger_account_id, amount_minor, currency, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(format!("{}:{i}", t.id))
        .bind(t.id.as_str())
        .bind(e.ledger_account_id.as_str())
        .bind(e.amount_minor)
        .bind(t.currency)
        .bind(t.now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(Posted::Done)
}

/// The balance of a ledger account (0 when it does not exist).
pub async fn balance(conn: &mut AnyConnection, id: &str) -> Result<i64> {
    let row = sqlx::query("SELECT balance_minor FROM ledger_accounts WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(match row {
        Some(r) => r.try_get("balance_minor")?,
        None => 0,
    })
}

/// The entries of a transaction (to reverse it exactly).
pub async fn entries_of(conn: &mut AnyConnection, kind: TransactionKind, reference: &str) -> Result<Vec<Entry>> {
    let rows = sqlx::query(
        "SELECT e.ledger_account_id, e.amount_minor FROM ledger_entries e \
         JOIN ledger_transactions t ON t.id = e.transaction_id \
         WHERE t.kind = $1 AND t.reference = $2 ORDER BY e.id",
    )
    .bind(kind.stored())
    .bind(reference)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Entry {
                ledger_account_id: r.try_get("ledger_account_id")?,
                amount_minor: r.try_get("amount_minor")?,
            })
        })
        .collect()
}

/// One line of a wallet's history.
#[derive(Debug, Clone)]
pub struct HistoryLine {
    pub transaction_id: String,
    pub kind: TransactionKind,
    pub reference: String,
    pub amount_minor: i64,
    pub currency: String,
    pub created_at: i64,
}

/// A user's wallet movements (cash and promotional together), newest first.
pub async fn history(conn: &mut AnyConnection, owner_id: &str, limit: i64) -> Result<Vec<HistoryLine>> {
    let rows = sqlx::query(
        "SELECT t.id, t.kind, t.reference, CAST(SUM(e.amount_minor) AS BIGINT) AS amount, MIN(e.currency) AS currency, t.created_at \
         FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.ledger_account_id \
         JOIN ledger_transactions t ON t.id = e.transaction_id \
         WHERE a.owner_id = $1 AND a.kind <> 'system' \
         GROUP BY t.id, t.kind, t.reference, t.created_at ORDER BY t.created_at DESC, t.id DESC LIMIT $2",
    )
    .bind(owner_id)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(HistoryLine {
                transaction_id: r.try_get("id")?,
                kind: crate::decode::get(r, "kind")?,
                reference: r.try_get("reference")?,
                amount_minor: r.try_get("amount")?,
                currency: r.try_get("currency")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

/// Integrity check for operators and tests: transactions whose entries do
/// not sum to zero, and accounts whose cached balance differs from their
/// entries. Both lists are empty in a healthy ledger.
pub async fn integrity(conn: &mut AnyConnection) -> Result<(Vec<String>, Vec<String>)> {
    let unbalanced: Vec<String> = sqlx::query_scalar(
        "SELECT transaction_id FROM ledger_entries GROUP BY transaction_id HAVING SUM(amount_minor) <> 0",
    )
    .fetch_all(&mut *conn)
    .await?;
    let drifted: Vec<String> = sqlx::query_scalar(
        "SELECT a.id FROM ledger_accounts a LEFT JOIN \
           (SELECT ledger_account_id, SUM(amount_minor) AS s FROM ledger_entries GROUP BY ledger_account_id) e \
           ON e.ledger_account_id = a.id \
         WHERE a.balance_minor <> COALESCE(e.s, 0) OR (a.kind <> 'system' AND a.balance_minor < 0)",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok((unbalanced, drifted))
}
