//! Issuing voucher codes in batches (the `tern vouchers issue` command).

use rand::RngCore;
use rand::rngs::OsRng;
use serde_json::json;
use tern_domain::Money;
use tern_domain::money::Bucket;
use tern_domain::voucher::{BODY_LEN, VoucherCode};
use tern_store::vouchers::{self, Batch};

use crate::App;
use crate::error::{AppError, AppResult};
use crate::error_code::Code;

/// A batch that was issued.
#[derive(Debug, Clone)]
pub struct IssuedBatch {
    pub id: String,
    pub codes: Vec<VoucherCode>,
}

/// Creates `count` codes worth `value` each, `promo` ones being promotional
/// credit. Codes are written 5 000 to a transaction; `progress` is told how
/// many are stored so far.
pub async fn issue_vouchers(
    app: &App,
    value: Money,
    count: usize,
    promo: bool,
    expires_at: Option<i64>,
    mut progress: impl FnMut(usize),
) -> AppResult<IssuedBatch> {
    if value.amount_minor <= 0 {
        return Err(AppError::field("value", Code::AmountNotPositive));
    }
    if value.currency.as_str() != app.settings.wallet.currency {
        return Err(AppError::field("currency", Code::VoucherCurrency));
    }
    let batch = crate::tokens::new_id();
    let mut codes = Vec::with_capacity(count);
    let mut seen = std::collections::HashSet::with_capacity(count);
    while codes.len() < count {
        let mut bytes = [0u8; BODY_LEN];
        OsRng.fill_bytes(&mut bytes);
        let code = VoucherCode::from_random(bytes);
        if seen.insert(code.as_str().to_owned()) {
            codes.push(code);
        }
    }
    let now = app.now_ms();
    let kind = if promo { Bucket::Promo } else { Bucket::Cash };
    let cur = value.currency.as_str().to_owned();
    for chunk in codes.chunks(5_000) {
        let plain: Vec<String> = chunk.iter().map(|c| c.as_str().to_owned()).collect();
        let mut tx = app.work().await?;
        vouchers::insert_many(
            &mut tx,
            &plain,
            &Batch {
                id: &batch,
                value_minor: value.amount_minor,
                currency: &cur,
                kind,
                expires_at,
                now,
            },
        )
        .await?;
        tx.commit().await?;
        progress(chunk.len());
    }
    let mut tx = app.work_at(now).await?;
    tx.audit(
        "cli",
        "wallet.vouchers_issued",
        &batch,
        json!({ "count": count, "value_minor": value.amount_minor, "currency": cur, "kind": kind }),
    )
    .await?;
    tx.commit().await?;
    Ok(IssuedBatch { id: batch, codes })
}
