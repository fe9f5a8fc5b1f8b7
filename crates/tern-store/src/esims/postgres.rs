//! [`super::with_packages_for_sessions`] on PostgreSQL, over a native
//! connection ([`crate::Db::pg_reader`]).
//!
//! The lookups go in as four arrays (`unnest … WITH ORDINALITY`), so there
//! is one statement for any batch and four parameters instead of five per
//! lookup, and the answer comes back as plain rows. Building the answer as
//! JSON (what SQLite does) cost PostgreSQL about twice the joins
//! themselves: `json_build_array` looks up the output function of every
//! argument on every call. Through sqlx's `Any` driver, rows were no
//! cheaper, since it copies every value of every row into an `Any` value;
//! the native driver decodes them from the row's buffer.
//!
//! The rows come back unordered and are put in order here: sorting them in
//! PostgreSQL (`ORDER BY`) copied every wide row into the sort and took
//! half of the statement's time.

use sqlx::Row;
use sqlx::postgres::{PgConnection, PgRow};

use super::{SessionEsim, SessionEsimKey, esim_and_packages};
use crate::Result;

/// Columns of the session and its account, before the fingerprint.
const SESSION_COLUMNS: usize = 8;

const SQL: &str = concat!(
    "SELECT r.n, s.id, s.account_id, s.last_seen_at, s.reauth_at, a.role, a.locale, a.status, a.terms_version, f.fingerprint, ",
    detail_columns!(),
    ", p.created_at, p.id",
    " FROM unnest($1::text[], $2::int8[], $3::text[], $4::int8[]) WITH ORDINALITY AS r(token_hash, now, iccid, known, n) \
     JOIN sessions s ON s.token_hash = r.token_hash AND s.expires_at > r.now \
     JOIN accounts a ON a.id = s.account_id \
     LEFT JOIN esims x ON x.iccid = r.iccid AND x.account_id = s.account_id \
     LEFT JOIN LATERAL (SELECT (x.version + coalesce(sum(v.version), 0))::int8 AS fingerprint \
                        FROM packages v WHERE v.iccid = x.iccid) f ON true \
     LEFT JOIN esims e ON e.iccid = x.iccid AND f.fingerprint <> r.known \
     LEFT JOIN packages p ON p.iccid = e.iccid"
);

/// What `GET /api/v1/esims/{iccid}` needs, for several requests in one
/// query; the same answer as [`super::with_packages_for_sessions`].
pub async fn with_packages_for_sessions_pg(
    conn: &mut PgConnection,
    keys: &[SessionEsimKey],
) -> Result<Vec<Option<SessionEsim>>> {
    let token_hashes: Vec<&str> = keys.iter().map(|k| k.token_hash.as_str()).collect();
    let nows: Vec<i64> = keys.iter().map(|k| k.now).collect();
    let iccids: Vec<&str> = keys.iter().map(|k| k.iccid.as_str()).collect();
    let known: Vec<i64> = keys.iter().map(|k| k.known).collect();
    let rows = sqlx::query(SQL)
        .bind(&token_hashes)
        .bind(&nows)
        .bind(&iccids)
        .bind(&known)
        .fetch_all(conn)
        .await?;
    let rows = in_order(rows)?;
    let mut out: Vec<Option<SessionEsim>> = std::iter::repeat_with(|| None).take(keys.len()).collect();
    let mut rest = rows.as_slice();
    while let Some(first) = rest.first() {
        let n: i64 = first.try_get(0)?;
        let same = rest
            .iter()
            .position(|r| r.try_get::<i64, _>(0).ok() != Some(n))
            .unwrap_or(rest.len());
        let (group, tail) = rest.split_at(same);
        rest = tail;
        // The ordinality counts from 1.
        let slot = usize::try_from(n - 1)
            .ok()
            .and_then(|i| out.get_mut(i))
            .ok_or_else(|| crate::StoreError::Corrupt(format!("lookup {n} not asked for")))?;
        *slot = Some(lookup(first, group)?);
    }
    Ok(out)
}

fn lookup(first: &PgRow, group: &[PgRow]) -> Result<SessionEsim> {
    Ok(SessionEsim {
        session: crate::sessions::session_account_at(first, 1)?,
        esim: super::read(
            first.try_get(1 + SESSION_COLUMNS)?,
            esim_and_packages(group, 2 + SESSION_COLUMNS)?,
        ),
    })
}

/// The rows by lookup, and each lookup's packages by creation (then id),
/// as `ORDER BY r.n, p.created_at, p.id` would give them. The last two
/// columns are the package's `created_at` and `id`.
fn in_order(rows: Vec<PgRow>) -> Result<Vec<PgRow>> {
    let mut keyed = rows
        .into_iter()
        .map(|r| {
            let at = r.len() - 2;
            let key: (i64, Option<i64>) = (r.try_get(0)?, r.try_get(at)?);
            Ok((key, r))
        })
        .collect::<Result<Vec<_>>>()?;
    keyed.sort_by(|(a, ra), (b, rb)| {
        // Ids only break ties (two packages bought in the same millisecond).
        a.cmp(b).then_with(|| package_id(ra).cmp(&package_id(rb)))
    });
    Ok(keyed.into_iter().map(|(_, r)| r).collect())
}

fn package_id(r: &PgRow) -> Option<&str> {
    r.try_get::<Option<&str>, _>(r.len() - 1).ok().flatten()
}
