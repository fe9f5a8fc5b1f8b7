//! Redeeming a voucher code into the wallet.

use serde_json::json;
use tern_domain::ledger::{SystemAccount, TransactionKind};
use tern_domain::voucher::VoucherCode;
use tern_store::ledger::{self, Entry, NewTransaction, Posted};
use tern_store::vouchers;

use super::{WalletView, bucket_id, ensure_accounts, view};
use crate::App;
use crate::auth::Principal;
use crate::error::{AppError, AppResult};
use crate::error_code::Code;
use crate::rate_limit::{self, Limit};

/// Redeems `typed` into the caller's wallet. A typo or unknown code is 422
/// `voucher_invalid`, a used one 409 `voucher_already_redeemed`, an expired
/// one 422 `voucher_expired`; ten failures an hour, then 429.
pub async fn redeem(app: &App, who: &Principal, typed: &str) -> AppResult<WalletView> {
    let now = app.now_ms();
    let limit = Limit {
        max: 10,
        window: std::time::Duration::from_secs(3600),
    };
    let key = format!("redeem:{}", who.account_id);
    {
        let mut conn = app.db.conn().await?;
        rate_limit::check(&mut conn, &key, limit, now).await?;
    }
    let failed = |e: AppError| async {
        if let Ok(mut conn) = app.db.conn().await {
            let _ = rate_limit::hit(&mut conn, &key, limit, now).await;
        }
        Err::<WalletView, _>(e)
    };
    let Ok(code) = VoucherCode::parse(typed) else {
        return failed(AppError::field("code", Code::VoucherInvalid)).await;
    };
    let mut tx = app.work_at(now).await?;
    let Some(voucher) = vouchers::by_code(&mut tx, code.as_str()).await? else {
        drop(tx);
        return failed(AppError::field("code", Code::VoucherInvalid)).await;
    };
    if voucher.redeemed_at.is_some() {
        drop(tx);
        return failed(AppError::Conflict(Code::VoucherAlreadyRedeemed)).await;
    }
    if voucher.expires_at.is_some_and(|t| t <= now) {
        drop(tx);
        return failed(AppError::field("code", Code::VoucherExpired)).await;
    }
    if voucher.currency != app.settings.wallet.currency {
        drop(tx);
        return failed(AppError::field("code", Code::VoucherCurrency)).await;
    }
    if !vouchers::claim(&mut tx, code.as_str(), &who.account_id, now).await? {
        drop(tx);
        return failed(AppError::Conflict(Code::VoucherAlreadyRedeemed)).await;
    }
    ensure_accounts(app, &mut tx, &who.account_id, &[SystemAccount::Vouchers]).await?;
    let cur = voucher.currency.as_str();
    let wallet = bucket_id(voucher.kind, &who.account_id, cur);
    let entries = [
        Entry {
            ledger_account_id: SystemAccount::Vouchers.ledger_id(cur),
            amount_minor: -voucher.value_minor,
        },
        Entry {
            ledger_account_id: wallet,
            amount_minor: voucher.value_minor,
        },
    ];
    let id = tern_domain::TransactionId::from(crate::tokens::new_id());
    let posted = ledger::post(
        &mut tx,
        &NewTransaction {
            id: &id,
            kind: TransactionKind::Voucher,
            reference: code.as_str(),
            memo: None,
            currency: cur,
            entries: &entries,
            now,
        },
    )
    .await?;
    if posted != Posted::Done {
        return Err(AppError::Internal(format!("voucher posting refused: {posted:?}")));
    }
    tx.audit(
        &who.account_id,
        "wallet.voucher_redeemed",
        &who.account_id,
        json!({ "batch": voucher.batch, "amount_minor": voucher.value_minor, "currency": cur }),
    )
    .await?;
    tx.commit().await?;
    metrics::counter!("tern_vouchers_redeemed_total").increment(1);
    view(app, who).await
}
