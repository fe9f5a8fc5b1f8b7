//! Vouchers: prepaid codes redeemed once into a wallet.

use sqlx::{AnyConnection, Row};

use crate::Result;

#[derive(Debug, Clone)]
pub struct VoucherRow {
    pub code: String,
    pub batch: String,
    pub value_minor: i64,
    pub currency: String,
    pub kind: tern_domain::money::Bucket,
    pub expires_at: Option<i64>,
    pub redeemed_by: Option<String>,
    pub redeemed_at: Option<i64>,
}

/// What every code of a batch has in common.
#[derive(Debug, Clone)]
pub struct Batch<'a> {
    pub id: &'a str,
    pub value_minor: i64,
    pub currency: &'a str,
    /// `cash` or `promo`.
    pub kind: tern_domain::money::Bucket,
    pub expires_at: Option<i64>,
    pub now: i64,
}

/// Inserts codes of a batch, 500 to a statement.
pub async fn insert_many(conn: &mut AnyConnection, codes: &[String], b: &Batch<'_>) -> Result<()> {
    for chunk in codes.chunks(500) {
        let mut sql = String::from(
            "INSERT INTO vouchers (code, batch, value_minor, currency, kind, expires_at, created_at) VALUES ",
        );
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!("(${}, $1, $2, $3, $4, $5, $6)", i + 7));
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(b.id)
            .bind(b.value_minor)
            .bind(b.currency)
            .bind(crate::decode::Stored::stored(&b.kind))
            .bind(b.expires_at)
            .bind(b.now);
        for c in chunk {
            q = q.bind(c.as_str());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

pub async fn by_code(conn: &mut AnyConnection, code: &str) -> Result<Option<VoucherRow>> {
    let row = sqlx::query(
        "SELECT code, batch, value_minor, currency, kind, expires_at, redeemed_by, redeemed_at \
         FROM vouchers WHERE code = $1",
    )
    .bind(code)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok(VoucherRow {
            code: r.try_get("code")?,
            batch: r.try_get("batch")?,
            value_minor: r.try_get("value_minor")?,
            currency: r.try_get("currency")?,
            kind: crate::decode::get(&r, "kind")?,
            expires_at: r.try_get("expires_at")?,
            redeemed_by: r.try_get("redeemed_by")?,
            redeemed_at: r.try_get("redeemed_at")?,
        })
    })
    .transpose()
}

/// Marks an unredeemed, unexpired voucher as redeemed by `account_id`;
/// false when someone else got there first (or it expired).
pub async fn claim(
    conn: &mut AnyConnection,
    code: &str,
    account_id: &tern_domain::AccountId,
    now: i64,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE vouchers SET redeemed_by = $2, redeemed_at = $3 \
         WHERE code = $1 AND redeemed_at IS NULL AND (expires_at IS NULL OR expires_at > $3)",
    )
    .bind(code)
    .bind(account_id.as_str())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}
