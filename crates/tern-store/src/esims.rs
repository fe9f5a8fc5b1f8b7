//! eSIMs and the packages on them.

pub use postgres::with_packages_for_sessions_pg;

use sqlx::{AnyConnection, Row, ValueRef, any::AnyRow};

use tern_domain::esim::EsimState;
use tern_domain::ids::Iccid;
use tern_domain::usage::PackageState;

use crate::decode::{self, Stored};
use crate::{Backend, Result};

#[derive(Debug, Clone)]
pub struct EsimRow {
    pub iccid: Iccid,
    pub account_id: tern_domain::AccountId,
    pub state: EsimState,
    pub smdp_address: String,
    pub matching_id: String,
    pub activation_code: String,
    pub eid: Option<String>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub installed_at: Option<i64>,
}

/// The columns of `esims` in the order [`esim`] reads them. A macro,
/// so that queries are string literals: the same text every time, which
/// sqlx prepares once per connection.
macro_rules! esim_columns {
    () => {
        "iccid, account_id, state, smdp_address, matching_id, activation_code, eid, last_error, created_at, \
         updated_at, installed_at"
    };
}

/// The columns of `packages` in the order [`package`] reads them.
macro_rules! package_columns {
    () => {
        "id, iccid, order_id, account_id, plan_code, countries, data_limit_bytes, fair_use_bytes, \
         voice_limit_seconds, sms_limit, used_data_bytes, used_voice_seconds, used_sms, activation, validity_days, \
         starts_at, expires_at, state, created_at, notified_80_at, notified_100_at, notified_expiry_at"
    };
}
pub(crate) use package_columns;

/// Reads an eSIM selected as [`esim_columns`] (by position).
fn esim(r: &AnyRow) -> Result<EsimRow> {
    Ok(EsimRow {
        iccid: decode::iccid(r, 0)?,
        account_id: crate::decode::id(r, 1)?,
        state: decode::get(r, 2)?,
        smdp_address: r.try_get(3)?,
        matching_id: r.try_get(4)?,
        activation_code: r.try_get(5)?,
        eid: r.try_get(6)?,
        last_error: r.try_get(7)?,
        created_at: r.try_get(8)?,
        updated_at: r.try_get(9)?,
        installed_at: r.try_get(10)?,
    })
}

pub async fn insert(conn: &mut AnyConnection, e: &EsimRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO esims (iccid, account_id, state, smdp_address, matching_id, activation_code, eid, \
         last_error, created_at, updated_at, installed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(e.iccid.as_str())
    .bind(e.account_id.as_str())
    .bind(e.state.stored())
    .bind(e.smdp_address.as_str())
    .bind(e.matching_id.as_str())
    .bind(e.activation_code.as_str())
    .bind(e.eid.as_deref())
    .bind(e.last_error.as_deref())
    .bind(e.created_at)
    .bind(e.updated_at)
    .bind(e.installed_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn by_iccid(conn: &mut AnyConnection, iccid: &Iccid) -> Result<Option<EsimRow>> {
    let row = sqlx::query(concat!("SELECT ", esim_columns!(), " FROM esims WHERE iccid = $1"))
        .bind(iccid.as_str())
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(esim).transpose()
}

pub async fn for_account(conn: &mut AnyConnection, account_id: &tern_domain::AccountId) -> Result<Vec<EsimRow>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        esim_columns!(),
        " FROM esims WHERE account_id = $1 ORDER BY created_at DESC"
    ))
    .bind(account_id.as_str())
    .fetch_all(conn)
    .await?;
    rows.iter().map(esim).collect()
}

/// A package (a bought plan) on an eSIM: allowances, what is used, validity,
/// and when each reminder went out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageRow {
    pub id: tern_domain::PackageId,
    pub iccid: Iccid,
    pub order_id: tern_domain::OrderId,
    pub account_id: tern_domain::AccountId,
    pub plan_code: String,
    pub countries: String,
    pub data_limit_bytes: Option<i64>,
    pub fair_use_bytes: Option<i64>,
    pub voice_limit_seconds: i64,
    pub sms_limit: i64,
    pub used_data_bytes: i64,
    pub used_voice_seconds: i64,
    pub used_sms: i64,
    pub activation: String,
    pub validity_days: i64,
    pub starts_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub state: PackageState,
    pub created_at: i64,
    /// When the 80 % data reminder went out (None: not yet).
    pub notified_80_at: Option<i64>,
    /// When the 100 % data reminder went out.
    pub notified_100_at: Option<i64>,
    /// When the reminder a day before expiry went out.
    pub notified_expiry_at: Option<i64>,
}

/// Reads a package selected as [`package_columns`] (by position).
pub(crate) fn package(r: &AnyRow) -> Result<PackageRow> {
    Ok(PackageRow {
        id: decode::id(r, 0)?,
        iccid: decode::iccid(r, 1)?,
        order_id: decode::id(r, 2)?,
        account_id: crate::decode::id(r, 3)?,
        plan_code: r.try_get(4)?,
        countries: r.try_get(5)?,
        data_limit_bytes: r.try_get(6)?,
        fair_use_bytes: r.try_get(7)?,
        voice_limit_seconds: r.try_get(8)?,
        sms_limit: r.try_get(9)?,
        used_data_bytes: r.try_get(10)?,
        used_voice_seconds: r.try_get(11)?,
        used_sms: r.try_get(12)?,
        activation: r.try_get(13)?,
        validity_days: r.try_get(14)?,
        starts_at: r.try_get(15)?,
        expires_at: r.try_get(16)?,
        state: decode::get(r, 17)?,
        created_at: r.try_get(18)?,
        notified_80_at: r.try_get(19)?,
        notified_100_at: r.try_get(20)?,
        notified_expiry_at: r.try_get(21)?,
    })
}

/// An eSIM as its owner is shown it (`GET /api/v1/esims/{iccid}`, the
/// portal's eSIM page): only those columns, as they are read on a hot path.
/// The fields are in the order of [`detail_columns`] (it is read from
/// JSON arrays in that order too).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct EsimDetailRow {
    #[serde(deserialize_with = "decode::stored_iccid")]
    pub iccid: Iccid,
    pub state: EsimState,
    pub smdp_address: String,
    pub matching_id: String,
    pub activation_code: String,
    pub eid: Option<String>,
    pub last_error: Option<String>,
    pub installed_at: Option<i64>,
}

/// A package as its owner is shown it, next to [`EsimDetailRow`], with its
/// fields in the order of [`detail_columns`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct PackageDetailRow {
    pub order_id: tern_domain::OrderId,
    pub plan_code: String,
    pub countries: String,
    pub data_limit_bytes: Option<i64>,
    pub fair_use_bytes: Option<i64>,
    pub voice_limit_seconds: i64,
    pub sms_limit: i64,
    pub used_data_bytes: i64,
    pub used_voice_seconds: i64,
    pub used_sms: i64,
    pub activation: String,
    pub validity_days: i64,
    pub starts_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub state: PackageState,
}

impl From<PackageRow> for PackageDetailRow {
    fn from(p: PackageRow) -> Self {
        PackageDetailRow {
            order_id: p.order_id,
            plan_code: p.plan_code,
            countries: p.countries,
            data_limit_bytes: p.data_limit_bytes,
            fair_use_bytes: p.fair_use_bytes,
            voice_limit_seconds: p.voice_limit_seconds,
            sms_limit: p.sms_limit,
            used_data_bytes: p.used_data_bytes,
            used_voice_seconds: p.used_voice_seconds,
            used_sms: p.used_sms,
            activation: p.activation,
            validity_days: p.validity_days,
            starts_at: p.starts_at,
            expires_at: p.expires_at,
            state: p.state,
        }
    }
}

/// The columns of [`EsimDetailRow`] from `esims e` and of
/// [`PackageDetailRow`] from `packages p`, in the order
/// [`esim_and_packages`] reads them.
macro_rules! detail_columns {
    () => {
        concat!(esim_detail_columns!(), ", ", package_detail_columns!())
    };
}

/// The eSIM's part of [`detail_columns`].
macro_rules! esim_detail_columns {
    () => {
        "e.iccid, e.state, e.smdp_address, e.matching_id, e.activation_code, e.eid, e.last_error, e.installed_at"
    };
}

/// The packages' part of [`detail_columns`].
macro_rules! package_detail_columns {
    () => {
        "p.order_id, p.plan_code, p.countries, p.data_limit_bytes, p.fair_use_bytes, p.voice_limit_seconds, \
         p.sms_limit, p.used_data_bytes, p.used_voice_seconds, p.used_sms, p.activation, p.validity_days, \
         p.starts_at, p.expires_at, p.state"
    };
}

// After the column macros, which it uses.
mod postgres;

/// How many of [`detail_columns`] are the eSIM's.
const ESIM_DETAIL_COLUMNS: usize = 8;

/// One eSIM of an account with its packages, oldest first, in one query;
/// None when there is no such eSIM or it is someone else's.
pub async fn with_packages(
    conn: &mut AnyConnection,
    iccid: &Iccid,
    account_id: &tern_domain::AccountId,
) -> Result<Option<(EsimDetailRow, Vec<PackageDetailRow>)>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        detail_columns!(),
        " FROM esims e LEFT JOIN packages p ON p.iccid = e.iccid \
         WHERE e.iccid = $1 AND e.account_id = $2 ORDER BY p.created_at, p.id"
    ))
    .bind(iccid.as_str())
    .bind(account_id.as_str())
    .fetch_all(conn)
    .await?;
    esim_and_packages(&rows, 0)
}

/// The eSIM in columns `at…` of `rows` (the same in every row) and the
/// packages after it (absent when the outer join found none), as
/// [`detail_columns`] selects them.
fn esim_and_packages<R>(rows: &[R], at: usize) -> Result<Option<(EsimDetailRow, Vec<PackageDetailRow>)>>
where
    R: Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> &'r str: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let Some(r) = rows.first() else {
        return Ok(None);
    };
    if r.try_get_raw(at)?.is_null() {
        return Ok(None);
    }
    let esim = EsimDetailRow {
        iccid: decode::iccid(r, at)?,
        state: decode::get(r, at + 1)?,
        smdp_address: r.try_get(at + 2)?,
        matching_id: r.try_get(at + 3)?,
        activation_code: r.try_get(at + 4)?,
        eid: r.try_get(at + 5)?,
        last_error: r.try_get(at + 6)?,
        installed_at: r.try_get(at + 7)?,
    };
    let p = at + ESIM_DETAIL_COLUMNS;
    let mut packages = Vec::with_capacity(rows.len());
    for r in rows {
        if r.try_get_raw(p)?.is_null() {
            continue;
        }
        packages.push(PackageDetailRow {
            order_id: decode::id(r, p)?,
            plan_code: r.try_get(p + 1)?,
            countries: r.try_get(p + 2)?,
            data_limit_bytes: r.try_get(p + 3)?,
            fair_use_bytes: r.try_get(p + 4)?,
            voice_limit_seconds: r.try_get(p + 5)?,
            sms_limit: r.try_get(p + 6)?,
            used_data_bytes: r.try_get(p + 7)?,
            used_voice_seconds: r.try_get(p + 8)?,
            used_sms: r.try_get(p + 9)?,
            activation: r.try_get(p + 10)?,
            validity_days: r.try_get(p + 11)?,
            starts_at: r.try_get(p + 12)?,
            expires_at: r.try_get(p + 13)?,
            state: decode::get(r, p + 14)?,
        });
    }
    Ok(Some((esim, packages)))
}

/// One lookup for [`with_packages_for_sessions`].
#[derive(Debug, Clone)]
pub struct SessionEsimKey {
    /// The token's stored form.
    pub token_hash: String,
    /// Sessions that end by then are over.
    pub now: i64,
    pub iccid: String,
    /// The fingerprint of the detail the caller already holds for this
    /// eSIM ([`EsimRead::Unchanged`]), 0 for none.
    pub known: i64,
}

/// What a batched lookup found of an eSIM.
///
/// The fingerprint is the eSIM row's `version` plus its packages'
/// (migration 0012: triggers give a new row a random version in
/// [2^40, 2^52) and add one on every update), read in the same statement
/// as the rows, so equal fingerprints mean the same eSIM and packages: an
/// update adds at least one, and a package added or removed moves the sum
/// by a random 2^40 or more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EsimRead {
    /// No such eSIM, or someone else's.
    Missing,
    /// The eSIM's fingerprint is the one the caller said it knows.
    Unchanged { fingerprint: i64 },
    /// The eSIM and its packages, oldest first, with their fingerprint.
    Changed {
        fingerprint: i64,
        /// Boxed: most reads are [`EsimRead::Unchanged`], and the answer
        /// travels through a channel to its caller.
        esim: Box<EsimDetailRow>,
        packages: Vec<PackageDetailRow>,
    },
}

/// Most lookups [`with_packages_for_sessions`] makes in one statement.
pub const SESSION_LOOKUPS_PER_STATEMENT: usize = 32;

/// The statement for up to `n` lookups on SQLite (PostgreSQL has its own,
/// see [`with_packages_for_sessions_pg`]): the lookups are a `VALUES` list
/// padded to a power of two (rows that match nothing), so that only a few
/// statements exist and each is prepared once per connection.
///
/// The answer is one JSON value for the whole batch: an array with one
/// `[lookup, [session…], fingerprint | null, [eSIM…] | null, [package…] |
/// null]` per row the joins found, in lookup order and the packages'
/// order; the eSIM and packages only where the fingerprint differs from
/// the one the lookup knows (see [`EsimRead`]). One value instead of a row
/// per package matters on the hot path: the drivers copy every value of
/// every row (SQLite's `sqlite3_value_dup`, then into sqlx's `AnyValue`),
/// and SQLite hands each row over from the connection's thread on its
/// own. The arrays' items are in the order of the fields of
/// [`SessionAccount`], [`EsimDetailRow`] and [`PackageDetailRow`].
///
/// [`SessionAccount`]: crate::sessions::SessionAccount
fn session_esim_sql(n: usize) -> &'static str {
    static SQL: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let all = SQL.get_or_init(|| {
        let mut all = Vec::new();
        let mut rows = 1;
        while rows <= SESSION_LOOKUPS_PER_STATEMENT {
            all.push(format!(
                "SELECT json_group_array(json_array(q.n, \
                   json_array(q.id, q.account_id, q.last_seen_at, q.reauth_at, q.role, q.locale, q.status, q.terms_version), \
                   q.fingerprint, \
                   CASE WHEN e.iccid IS NULL THEN NULL ELSE json_array({esim}) END, \
                   CASE WHEN p.id IS NULL THEN NULL ELSE json_array({package}) END) \
                 ORDER BY q.n, p.created_at, p.id) \
                 FROM (SELECT r.column1 AS n, r.column5 AS known, x.iccid AS iccid, \
                         s.id, s.account_id, s.last_seen_at, s.reauth_at, a.role, a.locale, a.status, a.terms_version, \
                         x.version + (SELECT coalesce(sum(v.version), 0) FROM packages v WHERE v.iccid = x.iccid) AS fingerprint \
                       FROM (VALUES {values}) AS r \
                       JOIN sessions s ON s.token_hash = r.column2 AND s.expires_at > r.column3 \
                       JOIN accounts a ON a.id = s.account_id \
                       LEFT JOIN esims x ON x.iccid = r.column4 AND x.account_id = s.account_id) AS q \
                 LEFT JOIN esims e ON e.iccid = q.iccid AND q.fingerprint <> q.known \
                 LEFT JOIN packages p ON p.iccid = e.iccid",
                esim = esim_detail_columns!(),
                package = package_detail_columns!(),
                values = crate::sql::rows(Backend::Sqlite, rows, 5),
            ));
            rows *= 2;
        }
        all
    });
    let i = n.max(1).next_power_of_two().trailing_zeros() as usize;
    all.get(i).or(all.last()).map_or("", String::as_str)
}

/// One item of the array [`session_esim_sql`] answers.
#[derive(serde::Deserialize)]
struct SessionEsimItem(
    i64,
    crate::sessions::SessionAccount,
    Option<i64>,
    Option<EsimDetailRow>,
    Option<PackageDetailRow>,
);

/// What `GET /api/v1/esims/{iccid}` needs, for several requests in one
/// query on SQLite: per key (in order), the live session of the token with its
/// account (as [`sessions::with_account_by_token_hash`] finds it) and what
/// became of that account's eSIM `iccid` ([`EsimRead`]); None when the
/// token belongs to no live session.
///
/// [`sessions::with_account_by_token_hash`]: crate::sessions::with_account_by_token_hash
pub async fn with_packages_for_sessions(
    conn: &mut AnyConnection,
    keys: &[SessionEsimKey],
) -> Result<Vec<Option<SessionEsim>>> {
    let mut out: Vec<Option<SessionEsim>> = Vec::with_capacity(keys.len());
    for (c, chunk) in keys.chunks(SESSION_LOOKUPS_PER_STATEMENT).enumerate() {
        let base = c * SESSION_LOOKUPS_PER_STATEMENT;
        let padded = chunk.len().next_power_of_two();
        let mut q = sqlx::query_scalar::<_, Option<String>>(session_esim_sql(chunk.len()));
        for (i, k) in chunk.iter().enumerate() {
            q = q
                .bind((base + i) as i64)
                .bind(k.token_hash.as_str())
                .bind(k.now)
                .bind(k.iccid.as_str())
                .bind(k.known);
        }
        for _ in chunk.len()..padded {
            // No token hashes to the empty string.
            q = q.bind(-1_i64).bind("").bind(0_i64).bind("").bind(0_i64);
        }
        let json = q.fetch_one(&mut *conn).await?.unwrap_or_default();
        let items: Vec<SessionEsimItem> = if json.is_empty() {
            Vec::new()
        } else {
            serde_json::from_str(&json).map_err(|e| crate::StoreError::Corrupt(format!("eSIM lookup answer: {e}")))?
        };
        out.extend(std::iter::repeat_with(|| None).take(chunk.len()));
        for SessionEsimItem(n, session, fingerprint, esim, package) in items {
            let slot = usize::try_from(n)
                .ok()
                .and_then(|n| out.get_mut(n))
                .ok_or_else(|| crate::StoreError::Corrupt(format!("lookup {n} not asked for")))?;
            // The first item of a lookup brings the session and the eSIM;
            // every item brings one package (or none).
            let found = slot.get_or_insert_with(|| SessionEsim {
                session,
                esim: read(fingerprint, esim.map(|e| (e, Vec::new()))),
            });
            if let (EsimRead::Changed { packages, .. }, Some(p)) = (&mut found.esim, package) {
                packages.push(p);
            }
        }
    }
    Ok(out)
}

/// The [`EsimRead`] a lookup's rows make: no fingerprint means no eSIM; a
/// fingerprint without the eSIM's columns means it is the one known.
pub(crate) fn read(fingerprint: Option<i64>, esim: Option<(EsimDetailRow, Vec<PackageDetailRow>)>) -> EsimRead {
    match (fingerprint, esim) {
        (Some(fingerprint), Some((esim, packages))) => EsimRead::Changed {
            fingerprint,
            esim: Box::new(esim),
            packages,
        },
        (Some(fingerprint), None) => EsimRead::Unchanged { fingerprint },
        (None, _) => EsimRead::Missing,
    }
}

/// A session with its account, and one of the account's eSIMs.
#[derive(Debug, Clone)]
pub struct SessionEsim {
    pub session: crate::sessions::SessionAccount,
    pub esim: EsimRead,
}

pub async fn insert_package(conn: &mut AnyConnection, p: &PackageRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO packages (id, iccid, order_id, account_id, plan_code, countries, data_limit_bytes, \
         fair_use_bytes, voice_limit_seconds, sms_limit, used_data_bytes, used_voice_seconds, used_sms, activation, \
         validity_days, starts_at, expires_at, state, created_at, notified_80_at, notified_100_at, notified_expiry_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)",
    )
    .bind(p.id.as_str())
    .bind(p.iccid.as_str())
    .bind(p.order_id.as_str())
    .bind(p.account_id.as_str())
    .bind(p.plan_code.as_str())
    .bind(p.countries.as_str())
    .bind(p.data_limit_bytes)
    .bind(p.fair_use_bytes)
    .bind(p.voice_limit_seconds)
    .bind(p.sms_limit)
    .bind(p.used_data_bytes)
    .bind(p.used_voice_seconds)
    .bind(p.used_sms)
    .bind(p.activation.as_str())
    .bind(p.validity_days)
    .bind(p.starts_at)
    .bind(p.expires_at)
    .bind(p.state.stored())
    .bind(p.created_at)
    .bind(p.notified_80_at)
    .bind(p.notified_100_at)
    .bind(p.notified_expiry_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn packages_of(conn: &mut AnyConnection, iccid: &Iccid) -> Result<Vec<PackageRow>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        package_columns!(),
        " FROM packages WHERE iccid = $1 ORDER BY created_at, id"
    ))
    .bind(iccid.as_str())
    .fetch_all(conn)
    .await?;
    rows.iter().map(package).collect()
}

pub async fn package_of_order(conn: &mut AnyConnection, order_id: &tern_domain::OrderId) -> Result<Option<PackageRow>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        package_columns!(),
        " FROM packages WHERE order_id = $1"
    ))
    .bind(order_id.as_str())
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(package).transpose()
}

/// Moves a package between states; false when it was not in `from`.
pub async fn set_package_state(
    conn: &mut AnyConnection,
    id: &tern_domain::PackageId,
    from: PackageState,
    to: PackageState,
) -> Result<bool> {
    let r = sqlx::query("UPDATE packages SET state = $3 WHERE id = $1 AND state = $2")
        .bind(id.as_str())
        .bind(from.stored())
        .bind(to.stored())
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Sets an eSIM's state.
pub async fn set_state(conn: &mut AnyConnection, iccid: &Iccid, state: EsimState, now: i64) -> Result<()> {
    sqlx::query("UPDATE esims SET state = $2, updated_at = $3 WHERE iccid = $1")
        .bind(iccid.as_str())
        .bind(state.stored())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records a failed download or install step.
pub async fn set_error(conn: &mut AnyConnection, iccid: &Iccid, reason: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE esims SET state = 'error', last_error = $2, updated_at = $3 WHERE iccid = $1")
        .bind(iccid.as_str())
        .bind(reason)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Moves an eSIM forward to `downloaded` or `installed`.
pub async fn advance(
    conn: &mut AnyConnection,
    iccid: &Iccid,
    state: EsimState,
    eid: Option<&str>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE esims SET state = $2, eid = COALESCE($3, eid), updated_at = $4, \
         installed_at = CASE WHEN $2 = 'installed' THEN $4 ELSE installed_at END WHERE iccid = $1",
    )
    .bind(iccid.as_str())
    .bind(state.stored())
    .bind(eid)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Starts the validity of packages that start on install; returns how many.
pub async fn start_on_install(conn: &mut AnyConnection, iccid: &Iccid, now: i64) -> Result<u64> {
    let r = sqlx::query(
        "UPDATE packages SET state = 'active', starts_at = $2, expires_at = $2 + validity_days * 86400000 \
         WHERE iccid = $1 AND state = 'pending' AND activation = 'on_install'",
    )
    .bind(iccid.as_str())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected())
}

/// Stops every package on an eSIM that is waiting or running; returns how many.
pub async fn stop_packages(conn: &mut AnyConnection, iccid: &Iccid) -> Result<u64> {
    let r = sqlx::query("UPDATE packages SET state = 'canceled' WHERE iccid = $1 AND state IN ('pending', 'active')")
        .bind(iccid.as_str())
        .execute(conn)
        .await?;
    Ok(r.rows_affected())
}
