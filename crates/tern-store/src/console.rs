//! Queries for the operator console: finding accounts, listing staff, and
//! the dashboard's per-day figures (grouped SQL over a window, integer
//! Unix-ms times bucketed into UTC days as `t / 86400000`).

use sqlx::{AnyConnection, AssertSqlSafe, Row};

use crate::Result;
use crate::accounts::{AccountRow, COLUMNS, from_row};

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 1);
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Accounts whose email or phone is `q` or starts with it, that own the
/// eSIM with ICCID `q`, placed the order with id `q`, or have the id `q`;
/// newest first, at most `limit`. `q` is matched as given, except that
/// emails compare lower-cased and ICCIDs without spaces.
pub async fn search_accounts(conn: &mut AnyConnection, q: &str, limit: i64) -> Result<Vec<AccountRow>> {
    let lower = q.to_lowercase();
    let compact: String = q.chars().filter(|c| !c.is_whitespace()).collect();
    let sql = format!(
        "SELECT {COLUMNS} FROM accounts WHERE email LIKE $1 ESCAPE '\\' OR phone LIKE $2 ESCAPE '\\' \
         OR id = $3 OR id IN (SELECT account_id FROM esims WHERE iccid = $4) \
         OR id IN (SELECT account_id FROM orders WHERE id = $3) \
         ORDER BY created_at DESC, id LIMIT $5"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(format!("{}%", like_escape(&lower)))
        .bind(format!("{}%", like_escape(&compact)))
        .bind(q)
        .bind(compact.as_str())
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.iter().map(from_row).collect()
}

/// Every account with a staff role, oldest first.
pub async fn staff(conn: &mut AnyConnection) -> Result<Vec<AccountRow>> {
    let sql = format!("SELECT {COLUMNS} FROM accounts WHERE role <> 'user' ORDER BY created_at, id");
    let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(conn).await?;
    rows.iter().map(from_row).collect()
}

/// Takes a staff account out of service: status `disabled` (its sessions
/// are ended by the caller). False when it was not active.
pub async fn disable(conn: &mut AnyConnection, id: &str, now: i64) -> Result<bool> {
    let r = sqlx::query("UPDATE accounts SET status = 'disabled', updated_at = $2 WHERE id = $1 AND status = 'active'")
        .bind(id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// One figure per UTC day: (day number since the epoch, value).
pub type PerDay = Vec<(i64, i64)>;

async fn per_day(conn: &mut AnyConnection, sql: &'static str, since: i64) -> Result<PerDay> {
    let rows = sqlx::query(sql).bind(since).fetch_all(conn).await?;
    rows.iter()
        .map(|r| Ok((r.try_get::<i64, _>("day")?, r.try_get::<i64, _>("n")?)))
        .collect()
}

/// Travellers' sign-ups per day since `since`.
pub async fn signups_by_day(conn: &mut AnyConnection, since: i64) -> Result<PerDay> {
    per_day(
        conn,
        "SELECT created_at / 86400000 AS day, COUNT(*) AS n FROM accounts \
         WHERE created_at >= $1 AND role = 'user' GROUP BY created_at / 86400000 ORDER BY day",
        since,
    )
    .await
}

/// Money paid into wallets by card top-ups per day (minor units).
pub async fn top_up_revenue_by_day(conn: &mut AnyConnection, since: i64) -> Result<PerDay> {
    per_day(
        conn,
        "SELECT t.created_at / 86400000 AS day, CAST(SUM(e.amount_minor) AS BIGINT) AS n \
         FROM ledger_transactions t JOIN ledger_entries e ON e.transaction_id = t.id \
         JOIN ledger_accounts a ON a.id = e.ledger_account_id \
         WHERE t.kind = 'top_up' AND a.kind <> 'system' AND t.created_at >= $1 \
         GROUP BY t.created_at / 86400000 ORDER BY day",
        since,
    )
    .await
}

/// Orders placed per day that were not failed or canceled (minor units).
pub async fn order_revenue_by_day(conn: &mut AnyConnection, since: i64) -> Result<PerDay> {
    per_day(
        conn,
        "SELECT created_at / 86400000 AS day, CAST(SUM(price_minor) AS BIGINT) AS n FROM orders \
         WHERE created_at >= $1 AND state IN ('provisioning', 'completed') \
         GROUP BY created_at / 86400000 ORDER BY day",
        since,
    )
    .await
}

/// Data used per day (bytes), by when it was used.
pub async fn data_usage_by_day(conn: &mut AnyConnection, since: i64) -> Result<PerDay> {
    per_day(
        conn,
        "SELECT occurred_at / 86400000 AS day, CAST(SUM(quantity) AS BIGINT) AS n FROM usage_events \
         WHERE kind = 'data' AND occurred_at >= $1 GROUP BY occurred_at / 86400000 ORDER BY day",
        since,
    )
    .await
}

/// eSIMs installed per day.
pub async fn installs_by_day(conn: &mut AnyConnection, since: i64) -> Result<PerDay> {
    per_day(
        conn,
        "SELECT installed_at / 86400000 AS day, COUNT(*) AS n FROM esims \
         WHERE installed_at >= $1 GROUP BY installed_at / 86400000 ORDER BY day",
        since,
    )
    .await
}

/// eSIMs per state, now.
pub async fn esims_by_state(conn: &mut AnyConnection) -> Result<Vec<(String, i64)>> {
    let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM esims GROUP BY state ORDER BY state")
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("state")?, r.try_get("n")?)))
        .collect()
}
