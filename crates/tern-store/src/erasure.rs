//! Erasing a person, and searching the whole database for what might be
//! left of them.

use sqlx::{AnyConnection, AssertSqlSafe, Row};
use tern_domain::ledger::{LedgerAccountKind, SystemAccount};
use tern_domain::retention::Retained;

use crate::{Backend, Result};

/// What erasing an account removed, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Erased {
    /// Email, phone, name and password hash on the account.
    pub profile_fields: i64,
    pub sessions: i64,
    pub one_time_tokens: i64,
    pub notifications: i64,
    pub idempotency_records: i64,
    pub closure_reason_texts: i64,
    pub device_ids: i64,
    /// The TOTP secret and recovery codes.
    pub two_factor: i64,
}

async fn exec(conn: &mut AnyConnection, sql: &'static str, account_id: &tern_domain::AccountId) -> Result<i64> {
    let r = sqlx::query(sql).bind(account_id.as_str()).execute(conn).await?;
    Ok(i64::try_from(r.rows_affected()).unwrap_or(i64::MAX))
}

/// Deletes an account's personal data and keeps the account row as a
/// tombstone (`status = 'closed'`) whose random id is the pseudonym that
/// the records kept by law (orders, ledger, eSIMs, usage) still refer to.
/// Run it in a transaction; running it twice removes nothing more.
pub async fn erase_account(conn: &mut AnyConnection, account_id: &tern_domain::AccountId, now: i64) -> Result<Erased> {
    let profile_fields: i64 = sqlx::query(
        "SELECT (CASE WHEN email IS NULL THEN 0 ELSE 1 END) + (CASE WHEN phone IS NULL THEN 0 ELSE 1 END) \
         + (CASE WHEN name IS NULL THEN 0 ELSE 1 END) + (CASE WHEN password_hash IS NULL THEN 0 ELSE 1 END) AS n \
         FROM accounts WHERE id = $1",
    )
    .bind(account_id.as_str())
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| r.try_get::<i64, _>("n"))
    .transpose()?
    .unwrap_or(0);
    sqlx::query(
        "UPDATE accounts SET email = NULL, email_verified_at = NULL, phone = NULL, phone_verified_at = NULL, \
         name = NULL, password_hash = NULL, status = 'closed', erased_at = COALESCE(erased_at, $2), \
         dormant_warned_at = NULL, updated_at = $2 WHERE id = $1",
    )
    .bind(account_id.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(Erased {
        profile_fields,
        sessions: exec(conn, "DELETE FROM sessions WHERE account_id = $1", account_id).await?,
        one_time_tokens: exec(conn, "DELETE FROM one_time_tokens WHERE account_id = $1", account_id).await?,
        notifications: exec(conn, "DELETE FROM outbox WHERE account_id = $1", account_id).await?,
        idempotency_records: exec(conn, "DELETE FROM idempotency_keys WHERE account_id = $1", account_id).await?,
        closure_reason_texts: exec(
            conn,
            "UPDATE closure_requests SET reason_text = NULL WHERE account_id = $1 AND reason_text IS NOT NULL",
            account_id,
        )
        .await?,
        device_ids: exec(
            conn,
            "UPDATE esims SET eid = NULL WHERE account_id = $1 AND eid IS NOT NULL",
            account_id,
        )
        .await?,
        two_factor: crate::totp::delete_all(conn, account_id).await?,
    })
}

/// Outbox messages of an account not yet delivered.
pub async fn unsent_for(
    conn: &mut AnyConnection,
    account_id: &tern_domain::AccountId,
) -> Result<Vec<tern_domain::OutboxId>> {
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT id FROM outbox WHERE account_id = $1 AND sent_at IS NULL ORDER BY created_at")
            .bind(account_id.as_str())
            .fetch_all(conn)
            .await?;
    Ok(ids.into_iter().map(Into::into).collect())
}

/// Every text column of every table in the schema: (table, column).
pub async fn text_columns(conn: &mut AnyConnection, backend: Backend) -> Result<Vec<(String, String)>> {
    match backend {
        Backend::Postgres => {
            let rows = sqlx::query(
                "SELECT CAST(table_name AS TEXT) AS t, CAST(column_name AS TEXT) AS c FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND data_type IN ('text', 'character varying', 'character') \
                 ORDER BY table_name, column_name",
            )
            .fetch_all(conn)
            .await?;
            rows.iter().map(|r| Ok((r.try_get("t")?, r.try_get("c")?))).collect()
        }
        Backend::Sqlite => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )
            .fetch_all(&mut *conn)
            .await?;
            let mut out = Vec::new();
            for t in tables {
                let rows = sqlx::query("SELECT name, type FROM pragma_table_info($1)")
                    .bind(t.as_str())
                    .fetch_all(&mut *conn)
                    .await?;
                for r in rows {
                    let ty: String = r.try_get("type")?;
                    let ty = ty.to_ascii_uppercase();
                    if ty.contains("TEXT") || ty.contains("CHAR") || ty.contains("CLOB") || ty.is_empty() {
                        out.push((t.clone(), r.try_get("name")?));
                    }
                }
            }
            Ok(out)
        }
    }
}

fn quoted(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// Rows of `table` whose `column` contains `needle`, ignoring letter case.
pub async fn count_containing(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
    column: &str,
    needle: &str,
) -> Result<i64> {
    let (t, c) = (quoted(table), quoted(column));
    let sql = match backend {
        Backend::Postgres => format!("SELECT COUNT(*) AS n FROM {t} WHERE strpos(lower({c}), lower($1)) > 0"),
        Backend::Sqlite => format!("SELECT COUNT(*) AS n FROM {t} WHERE instr(lower({c}), lower($1)) > 0"),
    };
    Ok(sqlx::query(AssertSqlSafe(sql))
        .bind(needle)
        .fetch_one(conn)
        .await?
        .try_get("n")?)
}

/// Rows of `table` whose `column` equals `value`, ignoring letter case.
pub async fn count_equal(conn: &mut AnyConnection, table: &str, column: &str, value: &str) -> Result<i64> {
    let sql = format!(
        "SELECT COUNT(*) AS n FROM {} WHERE lower(trim({})) = lower($1)",
        quoted(table),
        quoted(column)
    );
    Ok(sqlx::query(AssertSqlSafe(sql))
        .bind(value)
        .fetch_one(conn)
        .await?
        .try_get("n")?)
}

/// Folds SQLite's write-ahead log into the database file and empties it,
/// so old page versions do not linger in `tern.db-wal`. Returns false when
/// readers kept the log from being emptied (try again later). A no-op on
/// PostgreSQL.
pub async fn checkpoint(conn: &mut AnyConnection, backend: Backend) -> Result<bool> {
    if backend != Backend::Sqlite {
        return Ok(true);
    }
    let row = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").fetch_one(conn).await?;
    let busy: i64 = row.try_get(0)?;
    Ok(busy == 0)
}

/// Rewrites the SQLite database file from its live rows (`VACUUM`), then
/// empties the log. Even with `secure_delete`, rebalancing a b-tree page
/// can leave copies of removed cells in the page's unused space; the row
/// scan cannot see them but the file scan does. A no-op on PostgreSQL,
/// whose files the sweep does not read. Returns what [`checkpoint`] does.
pub async fn compact(conn: &mut AnyConnection, backend: Backend) -> Result<bool> {
    if backend != Backend::Sqlite {
        return Ok(true);
    }
    sqlx::query("VACUUM").execute(&mut *conn).await?;
    checkpoint(conn, backend).await
}

/// Records kept after erasure (pseudonymous, for the retention period):
/// (kind, count).
pub async fn retained_counts(
    conn: &mut AnyConnection,
    account_id: &tern_domain::AccountId,
) -> Result<Vec<(Retained, i64)>> {
    let queries: [(Retained, &'static str); 5] = [
        (
            Retained::Orders,
            "SELECT COUNT(*) AS n FROM orders WHERE account_id = $1",
        ),
        (Retained::Esims, "SELECT COUNT(*) AS n FROM esims WHERE account_id = $1"),
        (
            Retained::UsageRecords,
            "SELECT COUNT(*) AS n FROM usage_events WHERE iccid IN (SELECT iccid FROM esims WHERE account_id = $1)",
        ),
        (
            Retained::LedgerEntries,
            "SELECT COUNT(*) AS n FROM ledger_entries WHERE ledger_account_id IN \
             (SELECT id FROM ledger_accounts WHERE owner_id = $1)",
        ),
        (
            Retained::Payments,
            "SELECT COUNT(*) AS n FROM top_ups WHERE account_id = $1",
        ),
    ];
    let mut out = Vec::new();
    for (kind, sql) in queries {
        let n: i64 = sqlx::query(sql)
            .bind(account_id.as_str())
            .fetch_one(&mut *conn)
            .await?
            .try_get("n")?;
        out.push((kind, n));
    }
    Ok(out)
}

/// Ends retention: deletes the pseudonymous orders, eSIMs, packages, usage
/// and payments, and moves the person's ledger entries into the shared
/// `system:purged:<currency>` account, so every transaction (and every
/// system balance) stays as it was while nothing is kept per person.
/// Settled wallets are at zero, so the purged account's balance does not
/// change. Run in a transaction.
pub async fn purge_retained(
    conn: &mut AnyConnection,
    account_id: &tern_domain::AccountId,
    currency: &str,
    now: i64,
) -> Result<i64> {
    let mut n = 0;
    for sql in [
        "DELETE FROM usage_events WHERE iccid IN (SELECT iccid FROM esims WHERE account_id = $1)",
        "DELETE FROM packages WHERE account_id = $1",
        "DELETE FROM esims WHERE account_id = $1",
        "DELETE FROM orders WHERE account_id = $1",
        "DELETE FROM top_ups WHERE account_id = $1",
    ] {
        n += exec(conn, sql, account_id).await?;
    }
    let purged = SystemAccount::Purged.ledger_id(currency);
    crate::ledger::ensure_account(conn, &purged, None, LedgerAccountKind::System, currency, now).await?;
    let moved: i64 = sqlx::query(
        "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) AS s FROM ledger_entries WHERE ledger_account_id IN \
         (SELECT id FROM ledger_accounts WHERE owner_id = $1)",
    )
    .bind(account_id.as_str())
    .fetch_one(&mut *conn)
    .await?
    .try_get("s")?;
    n += sqlx::query(
        "UPDATE ledger_entries SET ledger_account_id = $2 WHERE ledger_account_id IN \
         (SELECT id FROM ledger_accounts WHERE owner_id = $1)",
    )
    .bind(account_id.as_str())
    .bind(purged.as_str())
    .execute(&mut *conn)
    .await?
    .rows_affected() as i64;
    sqlx::query("UPDATE ledger_accounts SET balance_minor = balance_minor + $2 WHERE id = $1")
        .bind(purged.as_str())
        .bind(moved)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM ledger_accounts WHERE owner_id = $1")
        .bind(account_id.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(n)
}

/// Streams every value of the given text columns of `table` to `visit`
/// (NULLs skipped), so a caller can search the whole table in one pass.
pub async fn scan_text(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[&str],
    mut visit: impl FnMut(&str),
) -> Result<u64> {
    use futures::TryStreamExt;
    if columns.is_empty() {
        return Ok(0);
    }
    let list: Vec<String> = columns.iter().map(|c| format!("CAST({} AS TEXT)", quoted(c))).collect();
    let sql = format!("SELECT {} FROM {}", list.join(", "), quoted(table));
    let mut rows = sqlx::query(AssertSqlSafe(sql)).fetch(conn);
    let mut n = 0;
    while let Some(row) = rows.try_next().await? {
        n += 1;
        for i in 0..columns.len() {
            if let Some(v) = row.try_get::<Option<String>, _>(i)? {
                visit(&v);
            }
        }
    }
    Ok(n)
}
