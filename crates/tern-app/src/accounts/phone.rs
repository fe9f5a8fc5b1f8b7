//! Verifying the account's phone number with a six-digit SMS code.

use serde_json::json;
use subtle::ConstantTimeEq;
use tern_domain::Locale;
use tern_store::accounts;
use tern_store::tokens as token_store;
use tern_store::tokens::NewToken;

use crate::App;
use crate::auth::Principal;
use crate::clock::ms;
use crate::error::{AppError, AppResult};
use crate::error_code::Code;
use crate::notify::{Channel, Message, queue};
use crate::rate_limit::{self, Limit};
use crate::tokens;

pub const PHONE_CODE: &str = "phone_code";

/// Texts a new code to the account's phone (at most 5 an hour).
pub async fn send_phone_code(app: &App, who: &Principal) -> AppResult<()> {
    let now = app.now_ms();
    let mut tx = app.work_at(now).await?;
    let account = accounts::by_id(&mut tx, &who.account_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let phone = account
        .phone
        .clone()
        .ok_or_else(|| AppError::field("phone", Code::PhoneMissing))?;
    if account.phone_verified_at.is_some() {
        return Err(AppError::Conflict(Code::PhoneAlreadyVerified));
    }
    let limit = Limit {
        max: 5,
        window: std::time::Duration::from_secs(3600),
    };
    rate_limit::take(&mut tx, &format!("phone_code:{}", account.id), limit, now).await?;
    let code = tokens::new_code();
    let ttl = app.settings.auth.phone_code_ttl;
    token_store::void_all(&mut tx, &account.id, PHONE_CODE, now).await?;
    token_store::insert(
        &mut tx,
        &NewToken {
            id: &tokens::new_id(),
            account_id: &account.id,
            purpose: PHONE_CODE,
            token_hash: &tokens::hash(&format!("{}:{code}", account.id)),
            target: Some(&phone),
            now,
            expires_at: now + ms(ttl),
        },
    )
    .await?;
    let locale = Locale::parse(&account.locale).unwrap_or_default();
    queue(
        app,
        &mut tx,
        Message {
            channel: Channel::Sms,
            account_id: Some(&account.id),
            recipient: &phone,
            template: "phone_code",
            locale,
            values: json!({ "code": code, "minutes": ttl.as_secs() / 60 }),
        },
    )
    .await?;
    tx.audit(&account.id, "account.phone_code_sent", &account.id, json!({}))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Checks a code. After the allowed attempts the code is void and a new
/// one must be requested.
pub async fn confirm_phone_code(app: &App, who: &Principal, code: &str) -> AppResult<()> {
    let now = app.now_ms();
    let mut tx = app.work_at(now).await?;
    let (row, stored_hash) = token_store::latest_live(&mut tx, &who.account_id, PHONE_CODE, now)
        .await?
        .ok_or_else(|| AppError::field("code", Code::CodeExpired))?;
    let max = i64::from(app.settings.auth.phone_code_attempts);
    if row.attempts >= max {
        return Err(AppError::RateLimited {
            retry_after_secs: u64::try_from((row.expires_at - now) / 1000).unwrap_or(1).max(1),
        });
    }
    let given = tokens::hash(&format!("{}:{}", who.account_id, code.trim()));
    if !bool::from(given.as_bytes().ct_eq(stored_hash.as_bytes())) {
        let attempts = token_store::add_attempt(&mut tx, &row.id).await?;
        if attempts >= max {
            token_store::mark_used(&mut tx, &row.id, now).await?;
        }
        tx.commit().await?;
        return Err(AppError::field("code", Code::CodeInvalid));
    }
    token_store::mark_used(&mut tx, &row.id, now).await?;
    let phone = row.target.unwrap_or_default();
    if !accounts::set_phone_verified(&mut tx, &who.account_id, &phone, now).await? {
        // The number changed after the code was sent.
        return Err(AppError::field("code", Code::CodeExpired));
    }
    tx.audit(&who.account_id, "account.phone_verified", &who.account_id, json!({}))
        .await?;
    tx.commit().await?;
    Ok(())
}
