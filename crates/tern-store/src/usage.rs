//! Usage records from the network, and reading and writing back the
//! packages they draw down (allowances, validity, reminder markers).
//!
//! Batches are large (up to 10 000 records), so everything here works on
//! many rows per statement: `IN` lists and multi-row `VALUES` of at most
//! [`ROWS_PER_STATEMENT`] rows, which keeps every statement far below
//! SQLite's 32 766 and PostgreSQL's 65 535 bound parameters.

use std::collections::HashSet;

use sqlx::{AnyConnection, Row};
use tern_domain::ids::Iccid;

use crate::esims::{PackageRow, package, package_columns};
use crate::sql;
use crate::{Backend, Result};

/// Most rows one statement carries.
pub const ROWS_PER_STATEMENT: usize = 500;
/// Rows per package update (ten parameters each).
const PACKAGES_PER_UPDATE: usize = 200;

fn lock_clause(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => " FOR UPDATE",
        // SQLite has one writer at a time (`BEGIN IMMEDIATE`).
        Backend::Sqlite => "",
    }
}

/// Locks the eSIMs among `iccids` for the transaction (PostgreSQL; SQLite
/// writers are serialised anyway) and returns those Tern holds.
/// Locking in ICCID order keeps concurrent batches from deadlocking.
pub async fn lock_esims(conn: &mut AnyConnection, backend: Backend, iccids: &[&Iccid]) -> Result<HashSet<Iccid>> {
    let mut sorted: Vec<&Iccid> = iccids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = HashSet::with_capacity(sorted.len());
    for chunk in sorted.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "SELECT iccid FROM esims WHERE iccid IN ({}) ORDER BY iccid{}",
            sql::list(backend, chunk.len()),
            lock_clause(backend)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for i in chunk {
            q = q.bind(i.as_str());
        }
        for r in q.fetch_all(&mut *conn).await? {
            out.insert(crate::decode::iccid(&r, "iccid")?);
        }
    }
    Ok(out)
}

/// Which of `event_ids` are stored already.
pub async fn existing_events(
    conn: &mut AnyConnection,
    backend: Backend,
    event_ids: &[&str],
) -> Result<HashSet<String>> {
    let mut out = HashSet::new();
    for chunk in event_ids.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "SELECT event_id FROM usage_events WHERE event_id IN ({})",
            sql::list(backend, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *conn).await? {
            out.insert(r.try_get("event_id")?);
        }
    }
    Ok(out)
}

/// A usage record as stored.
#[derive(Debug, Clone)]
pub struct UsageEventRow {
    pub event_id: String,
    pub iccid: tern_domain::ids::Iccid,
    pub kind: tern_domain::usage::UsageKind,
    pub quantity: i64,
    pub country: String,
    pub occurred_at: i64,
    pub package_id: Option<tern_domain::PackageId>,
    pub overage: i64,
    pub received_at: i64,
}

/// A usage record to insert, borrowing from the batch it came in (a
/// batch has up to 10 000; copying four strings of each cost time).
#[derive(Debug, Clone, Copy)]
pub struct NewUsageEvent<'a> {
    pub event_id: &'a str,
    pub iccid: &'a tern_domain::ids::Iccid,
    pub kind: tern_domain::usage::UsageKind,
    pub quantity: i64,
    pub country: &'a str,
    pub occurred_at: i64,
    pub package_id: Option<&'a tern_domain::PackageId>,
    pub overage: i64,
    pub received_at: i64,
}

/// Inserts records, skipping event ids already stored; returns how many
/// were inserted.
pub async fn insert_events(conn: &mut AnyConnection, backend: Backend, rows: &[NewUsageEvent<'_>]) -> Result<u64> {
    let mut inserted = 0;
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO usage_events (event_id, iccid, kind, quantity, country, occurred_at, package_id, overage, \
             received_at) VALUES {} ON CONFLICT (event_id) DO NOTHING",
            sql::rows(backend, chunk.len(), 9)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for e in chunk {
            q = q
                .bind(e.event_id)
                .bind(e.iccid.as_str())
                .bind(e.kind.as_str())
                .bind(e.quantity)
                .bind(e.country)
                .bind(e.occurred_at)
                .bind(e.package_id.map(|p| p.as_str()))
                .bind(e.overage)
                .bind(e.received_at);
        }
        inserted += q.execute(&mut *conn).await?.rows_affected();
    }
    Ok(inserted)
}

/// The packages on the eSIMs `iccids`, oldest first per eSIM, locked for
/// the transaction on PostgreSQL.
pub async fn packages_for(conn: &mut AnyConnection, backend: Backend, iccids: &[&Iccid]) -> Result<Vec<PackageRow>> {
    let mut sorted: Vec<&Iccid> = iccids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = Vec::new();
    for chunk in sorted.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "SELECT {} FROM packages WHERE iccid IN ({}) ORDER BY iccid, created_at, id{}",
            package_columns!(),
            sql::list(backend, chunk.len()),
            lock_clause(backend)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for i in chunk {
            q = q.bind(i.as_str());
        }
        for r in q.fetch_all(&mut *conn).await? {
            out.push(package(&r)?);
        }
    }
    Ok(out)
}

/// Writes back what drawing down changed: usage, state, validity and
/// reminder markers, many packages per statement.
pub async fn update_packages(conn: &mut AnyConnection, backend: Backend, rows: &[&PackageRow]) -> Result<()> {
    for chunk in rows.chunks(PACKAGES_PER_UPDATE) {
        let sql = format!(
            "UPDATE packages SET used_data_bytes = v.column2, used_voice_seconds = v.column3, used_sms = v.column4, \
             state = v.column5, starts_at = v.column6, expires_at = v.column7, notified_80_at = v.column8, \
             notified_100_at = v.column9, notified_expiry_at = v.column10 \
             FROM (VALUES {}) AS v WHERE packages.id = v.column1",
            sql::rows(backend, chunk.len(), 10)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for p in chunk {
            q = q
                .bind(p.id.as_str())
                .bind(p.used_data_bytes)
                .bind(p.used_voice_seconds)
                .bind(p.used_sms)
                .bind(p.state.as_str())
                .bind(p.starts_at)
                .bind(p.expires_at)
                .bind(p.notified_80_at)
                .bind(p.notified_100_at)
                .bind(p.notified_expiry_at);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Marks every running package whose validity ended by `now` as expired;
/// returns how many.
pub async fn expire_due(conn: &mut AnyConnection, now: i64) -> Result<u64> {
    let r = sqlx::query("UPDATE packages SET state = 'expired' WHERE state = 'active' AND expires_at <= $1")
        .bind(now)
        .execute(conn)
        .await?;
    Ok(r.rows_affected())
}

/// Running packages that end in `(now, until]` and were not reminded yet.
pub async fn expiring_unnotified(
    conn: &mut AnyConnection,
    now: i64,
    until: i64,
    limit: i64,
) -> Result<Vec<PackageRow>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        package_columns!(),
        " FROM packages WHERE state = 'active' AND expires_at > $1 AND expires_at <= $2 \
         AND notified_expiry_at IS NULL ORDER BY expires_at, id LIMIT $3"
    ))
    .bind(now)
    .bind(until)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(package).collect()
}

/// Records that the expiry reminder of a package went out; false when
/// another worker recorded it first.
pub async fn claim_expiry_notice(conn: &mut AnyConnection, id: &str, now: i64) -> Result<bool> {
    let r = sqlx::query("UPDATE packages SET notified_expiry_at = $2 WHERE id = $1 AND notified_expiry_at IS NULL")
        .bind(id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Usage of one kind on one UTC day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyUsage {
    /// Days since the Unix epoch.
    pub day: i64,
    pub kind: tern_domain::usage::UsageKind,
    pub quantity: i64,
    pub overage: i64,
}

/// An eSIM's usage per UTC day and kind, oldest first.
pub async fn daily(conn: &mut AnyConnection, iccid: &Iccid) -> Result<Vec<DailyUsage>> {
    let rows = sqlx::query(
        "SELECT occurred_at / 86400000 AS day, kind, CAST(SUM(quantity) AS BIGINT) AS quantity, \
         CAST(SUM(overage) AS BIGINT) AS overage FROM usage_events WHERE iccid = $1 \
         GROUP BY occurred_at / 86400000, kind ORDER BY day, kind",
    )
    .bind(iccid.as_str())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(DailyUsage {
                day: r.try_get("day")?,
                kind: crate::decode::get(r, "kind")?,
                quantity: r.try_get("quantity")?,
                overage: r.try_get("overage")?,
            })
        })
        .collect()
}

// Nine parameters per event row must stay under SQLite's limit.
const _: () = assert!(ROWS_PER_STATEMENT * 9 < 32_766 && PACKAGES_PER_UPDATE * 10 < 32_766);
