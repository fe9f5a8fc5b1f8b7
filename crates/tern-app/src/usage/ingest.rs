//! Ingesting a batch of usage records from the network.
//!
//! All or nothing: every record is checked before anything is stored, and
//! a batch with one bad record is refused whole. A valid batch is applied
//! in one transaction:
//!
//! 1. the eSIMs it names are locked (PostgreSQL; SQLite serialises writers),
//!    so two batches for the same eSIM apply one after the other;
//! 2. event ids already stored (and repeats inside the batch) are skipped,
//!    which makes replaying a batch harmless. The first attempt assumes
//!    that no event id is stored yet, which is what a network sends almost
//!    always, and does not look them up (for 10 000 records that lookup
//!    cost about a fifth of the batch); if it was wrong, step 5 finds out
//!    and the batch is applied again with the lookup;
//! 3. the packages of those eSIMs are loaded once per batch, the records are
//!    drawn down in time order by `tern_domain::usage::draw_down`, and the
//!    changed packages are written back many per statement;
//! 4. reminders that became due (80 %, 100 %, a day before expiry) are
//!    queued in the same transaction, at most once each;
//! 5. the records are inserted many per statement with
//!    `ON CONFLICT DO NOTHING`. If one of the event ids was stored already
//!    (a replay, or a concurrent batch that stored it first), fewer rows go
//!    in than expected: the transaction is rolled back and the batch
//!    applied again, now looking the stored events up and leaving them out.

use std::collections::{HashMap, HashSet};

use compact_str::CompactString;
use serde::{Deserialize, Serialize};
use tern_domain::catalogue::{Activation, CountryCode};
use tern_domain::ids::Iccid;
use tern_domain::usage::{self as rules, DataNotice, MAX_BATCH, PackageBalance, RawQuantity, RawRecord, UsageRecord};
use tern_store::esims::PackageRow;
use tern_store::usage::{self as store, NewUsageEvent};

use super::UsageSweep;
use super::notices::{self, Notice, Recipients};
use crate::App;
use crate::error::{AppError, AppResult};

/// How long after a batch the reminder sweep runs; batches in between
/// share one sweep.
const SWEEP_DELAY_MS: i64 = 5 * 60 * 1000;
/// How often a batch is tried: once without looking stored event ids up,
/// then with the lookup (again after losing a race on event ids).
const ATTEMPTS: usize = 4;

/// `POST /api/v1/network/usage`: 1 to 10 000 records.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct UsageBatch {
    pub records: Vec<RawUsageRecord>,
}

/// One usage record from the network. Every field is required; problems
/// are reported per record and field.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct RawUsageRecord {
    /// Unique per record (up to 128 characters): a record whose id was
    /// seen before is counted as a duplicate and ignored.
    #[schema(required = true, value_type = String, example = "cdr-2025-06-15-000001")]
    pub event_id: Option<CompactString>,
    #[schema(required = true, value_type = String, example = "8981100000000000424")]
    pub iccid: Option<CompactString>,
    /// `data` (bytes), `voice` (seconds) or `sms` (messages).
    #[schema(required = true, value_type = String, example = "data")]
    pub kind: Option<CompactString>,
    /// A positive integer in the kind's unit.
    #[schema(required = true, value_type = i64, example = 1048576)]
    pub quantity: Option<serde_json::Value>,
    /// ISO 3166-1 alpha-2 code of the visited country.
    #[schema(required = true, value_type = String, example = "JP")]
    pub country: Option<CompactString>,
    /// RFC 3339.
    #[schema(required = true, value_type = String, format = DateTime, example = "2025-06-15T14:40:00Z")]
    pub occurred_at: Option<CompactString>,
}

impl RawUsageRecord {
    fn raw(&self) -> RawRecord<'_> {
        RawRecord {
            event_id: self.event_id.as_deref(),
            iccid: self.iccid.as_deref(),
            kind: self.kind.as_deref(),
            quantity: self.quantity.as_ref().map(|q| match q {
                serde_json::Value::Number(n) => match (n.as_i64(), n.as_u64()) {
                    (Some(i), _) => RawQuantity::Integer(i),
                    (None, Some(_)) => RawQuantity::Integer(i64::MAX),
                    _ => RawQuantity::NotInteger,
                },
                _ => RawQuantity::NotInteger,
            }),
            country: self.country.as_deref(),
            occurred_at: self.occurred_at.as_deref(),
        }
    }
}

/// One problem with one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordError {
    /// Position of the record in `records`, from 0.
    pub index: usize,
    pub field: &'static str,
    pub code: &'static str,
}

/// Why a batch was refused before anything was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchRejected {
    /// No records.
    Empty,
    /// More than `max` records.
    TooLarge { max: usize },
    /// Some records are invalid; `errors` lists their problems.
    Invalid {
        errors: Vec<RecordError>,
        invalid_records: usize,
    },
}

/// What became of a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct IngestReport {
    /// New records applied to a known eSIM.
    pub accepted: u64,
    /// Records whose event id was seen before (in an earlier batch or
    /// earlier in this one); ignored.
    pub duplicates: u64,
    /// New records for an ICCID Tern does not know; kept, not applied.
    pub unknown_iccid: u64,
    /// Accepted records that no package (fully) covered.
    pub overage_records: u64,
}

/// Checks every record; all problems of all records at once.
pub fn validate(app: &App, batch: &UsageBatch) -> Result<Vec<UsageRecord>, BatchRejected> {
    if batch.records.is_empty() {
        return Err(BatchRejected::Empty);
    }
    if batch.records.len() > MAX_BATCH {
        return Err(BatchRejected::TooLarge { max: MAX_BATCH });
    }
    let now = app.now_ms();
    let mut records = Vec::with_capacity(batch.records.len());
    let mut errors = Vec::new();
    let mut invalid_records = 0;
    for (index, r) in batch.records.iter().enumerate() {
        match rules::parse_record(&r.raw(), now) {
            Ok(rec) => records.push(rec),
            Err(problems) => {
                invalid_records += 1;
                errors.extend(problems.into_iter().map(|p| RecordError {
                    index,
                    field: p.field,
                    code: p.code,
                }));
            }
        }
    }
    if invalid_records > 0 {
        return Err(BatchRejected::Invalid {
            errors,
            invalid_records,
        });
    }
    Ok(records)
}

/// Applies a checked batch; see the module documentation.
pub async fn ingest(app: &App, records: Vec<UsageRecord>) -> AppResult<IngestReport> {
    let started = std::time::Instant::now();
    let total = records.len();
    // Repeats inside the batch: the first occurrence counts.
    let mut seen = HashSet::with_capacity(total);
    let keep: Vec<bool> = records.iter().map(|r| seen.insert(r.event_id.as_str())).collect();
    drop(seen);
    let unique: Vec<UsageRecord> = records
        .into_iter()
        .zip(keep)
        .filter_map(|(r, k)| k.then_some(r))
        .collect();
    let repeats = (total - unique.len()) as u64;
    for attempt in 0..ATTEMPTS {
        let stored = if attempt == 0 {
            Stored::NoneAssumed
        } else {
            Stored::LookedUp
        };
        if let Some(mut report) = apply(app, &unique, stored).await? {
            report.duplicates += repeats;
            metrics::counter!("tern_usage_records_total", "outcome" => "accepted").increment(report.accepted);
            metrics::counter!("tern_usage_records_total", "outcome" => "duplicate").increment(report.duplicates);
            metrics::counter!("tern_usage_records_total", "outcome" => "unknown_iccid").increment(report.unknown_iccid);
            metrics::histogram!("tern_usage_batch_seconds").record(started.elapsed().as_secs_f64());
            schedule_sweep(app).await;
            return Ok(report);
        }
        if attempt > 0 {
            tracing::info!("a concurrent batch stored some of the same events first; applying the batch again");
        }
    }
    Err(AppError::Unavailable(
        "concurrent batches keep storing the same events".into(),
    ))
}

/// The packages of one eSIM while a batch is applied.
struct Book {
    rows: Vec<PackageRow>,
    balances: Vec<PackageBalance>,
    dirty: Vec<bool>,
    /// Where the ids of `rows` start in the batch's list of package ids.
    first_id: usize,
}

/// A stored package as the rules see it; `None` when the row cannot be
/// read (it is then left alone).
fn balance(r: &PackageRow) -> Option<PackageBalance> {
    let countries = r
        .countries
        .split_whitespace()
        .map(CountryCode::parse)
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    Some(PackageBalance {
        countries,
        state: r.state,
        activation: Activation::parse(&r.activation).ok()?,
        validity_days: r.validity_days,
        bought_at: r.created_at,
        starts_at: r.starts_at,
        expires_at: r.expires_at,
        data_limit_bytes: r.data_limit_bytes,
        voice_limit_seconds: r.voice_limit_seconds,
        sms_limit: r.sms_limit,
        used_data_bytes: r.used_data_bytes,
        used_voice_seconds: r.used_voice_seconds,
        used_sms: r.used_sms,
    })
}

fn write_back(b: &PackageBalance, r: &mut PackageRow) {
    r.used_data_bytes = b.used_data_bytes;
    r.used_voice_seconds = b.used_voice_seconds;
    r.used_sms = b.used_sms;
    r.state = b.state;
    r.starts_at = b.starts_at;
    r.expires_at = b.expires_at;
}

fn books(rows: Vec<PackageRow>) -> HashMap<Iccid, Book> {
    let mut books: HashMap<Iccid, Book> = HashMap::new();
    for row in rows {
        let Some(b) = balance(&row) else {
            tracing::warn!(package = %row.id, "package row cannot be read; usage is not drawn from it");
            continue;
        };
        let book = books.entry(row.iccid.clone()).or_insert_with(|| Book {
            rows: vec![],
            balances: vec![],
            dirty: vec![],
            first_id: 0,
        });
        book.rows.push(row);
        book.balances.push(b);
        book.dirty.push(false);
    }
    books
}

/// What an attempt knows of the batch's event ids already stored.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stored {
    /// Nothing looked up: none is assumed stored.
    NoneAssumed,
    /// Looked up in the attempt's transaction.
    LookedUp,
}

/// One attempt in one transaction; `None` when some of the events turned
/// out to be stored already (everything is rolled back).
async fn apply(app: &App, records: &[UsageRecord], stored: Stored) -> AppResult<Option<IngestReport>> {
    let now = app.now_ms();
    let backend = app.db.backend();
    let mut report = IngestReport::default();
    let mut tx = app.work().await?;
    let iccids: Vec<&Iccid> = records.iter().map(|r| &r.iccid).collect();
    let known_esims = store::lock_esims(&mut tx, backend, &iccids).await?;
    let existing = match stored {
        Stored::NoneAssumed => HashSet::new(),
        Stored::LookedUp => {
            let ids: Vec<&str> = records.iter().map(|r| r.event_id.as_str()).collect();
            store::existing_events(&mut tx, backend, &ids).await?
        }
    };
    report.duplicates = existing.len() as u64;
    let mut fresh: Vec<&UsageRecord> = records.iter().filter(|r| !existing.contains(&r.event_id)).collect();
    // In time order, so the first use starts a package and later records
    // find it running. The sort is stable: ties keep the batch order.
    fresh.sort_by_key(|r| r.occurred_at);
    let known: Vec<&Iccid> = fresh
        .iter()
        .map(|r| &r.iccid)
        .filter(|i| known_esims.contains(*i))
        .collect();
    let mut books = books(store::packages_for(&mut tx, backend, &known).await?);
    // The packages' ids apart from the books, which change below: the
    // events name their packages by an index into this.
    let mut package_ids: Vec<tern_domain::PackageId> = Vec::new();
    for book in books.values_mut() {
        book.first_id = package_ids.len();
        package_ids.extend(book.rows.iter().map(|r| r.id.clone()));
    }

    let mut events = Vec::with_capacity(fresh.len());
    let mut started_by_use = 0;
    for r in &fresh {
        let (package_id, overage) = if known_esims.contains(&r.iccid) {
            report.accepted += 1;
            let (package_id, overage) = match books.get_mut(&r.iccid) {
                Some(book) => {
                    let a = rules::draw_down(&mut book.balances, r.kind, r.quantity, r.country, r.occurred_at);
                    for d in &a.draws {
                        book.dirty[d.package] = true;
                    }
                    started_by_use += a.started.len() as u64;
                    (a.draws.first().map(|d| book.first_id + d.package), a.overage)
                }
                None => (None, r.quantity),
            };
            if overage > 0 {
                report.overage_records += 1;
            }
            (package_id, overage)
        } else {
            report.unknown_iccid += 1;
            (None, r.quantity)
        };
        events.push((*r, package_id, overage));
    }

    // Expiry and reminders, for every package the batch loaded.
    let mut due: Vec<(Notice, PackageRow)> = vec![];
    for book in books.values_mut() {
        for i in rules::expire_due(&mut book.balances, now) {
            book.dirty[i] = true;
        }
        for ((b, row), dirty) in book
            .balances
            .iter()
            .zip(book.rows.iter_mut())
            .zip(book.dirty.iter_mut())
        {
            if *dirty {
                write_back(b, row);
            }
            match rules::data_notice(b, row.notified_80_at.is_some(), row.notified_100_at.is_some()) {
                Some(DataNotice::Eighty) => {
                    row.notified_80_at = Some(now);
                    *dirty = true;
                    due.push((Notice::Usage80, row.clone()));
                }
                Some(DataNotice::Hundred) => {
                    row.notified_80_at.get_or_insert(now);
                    row.notified_100_at = Some(now);
                    *dirty = true;
                    due.push((Notice::Usage100, row.clone()));
                }
                None => {}
            }
            if rules::expiry_notice_due(b, row.notified_expiry_at.is_some(), now) {
                row.notified_expiry_at = Some(now);
                *dirty = true;
                due.push((Notice::ExpirySoon, row.clone()));
            }
        }
    }
    let changed: Vec<&PackageRow> = books
        .values()
        .flat_map(|b| b.rows.iter().zip(&b.dirty).filter(|(_, d)| **d).map(|(r, _)| r))
        .collect();
    store::update_packages(&mut tx, backend, &changed).await?;
    let mut recipients = Recipients::default();
    for (notice, row) in &due {
        notices::send(app, &mut tx, &mut recipients, *notice, row).await?;
    }
    let mut events: Vec<NewUsageEvent<'_>> = events
        .into_iter()
        .map(|(r, package, overage)| NewUsageEvent {
            event_id: &r.event_id,
            iccid: &r.iccid,
            kind: r.kind,
            quantity: r.quantity,
            country: r.country.as_str(),
            occurred_at: r.occurred_at,
            package_id: package.and_then(|i| package_ids.get(i)),
            overage,
            received_at: now,
        })
        .collect();
    // In one order for every batch, so two batches racing on the same
    // event ids wait for each other instead of deadlocking.
    events.sort_unstable_by(|a, b| a.event_id.cmp(b.event_id));
    let inserted = store::insert_events(&mut tx, backend, &events).await?;
    if inserted != events.len() as u64 {
        // Dropping the transaction rolls it back.
        return Ok(None);
    }
    tx.commit().await?;
    metrics::counter!("tern_packages_started_by_use_total").increment(started_by_use);
    Ok(Some(report))
}

/// Queues the reminder sweep a few minutes from now, unless one is queued.
async fn schedule_sweep(app: &App) {
    let queued = async {
        let mut conn = app.db.conn().await?;
        crate::jobs::enqueue_at(app, &mut conn, &UsageSweep {}, app.now_ms() + SWEEP_DELAY_MS).await?;
        Ok::<_, AppError>(())
    };
    if let Err(e) = queued.await {
        tracing::warn!(error = %e, "could not queue the usage reminder sweep; the next batch will");
    }
}
