//! Changing and resetting passwords. Both end other sessions and any
//! sign-in still waiting for its second factor.

use serde_json::json;
use tern_domain::{Email, Locale, NewPassword};
use tern_store::tokens as token_store;
use tern_store::tokens::NewToken;
use tern_store::{accounts, sessions};

use crate::App;
use crate::auth::Principal;
use crate::clock::ms;
use crate::error::{AppError, AppResult};
use crate::error_code::Code;
use crate::notify::{Channel, Message, queue};
use crate::rate_limit::{self, Limit};
use crate::tokens;

pub const RESET_PASSWORD: &str = "reset_password";

fn policy_inputs(account: &tern_store::accounts::AccountRow) -> Vec<String> {
    let mut v = vec![];
    if let Some(e) = &account.email {
        v.push(e.clone());
        v.push(e.split('@').next().unwrap_or("").to_owned());
    }
    if let Some(n) = &account.name {
        v.push(n.clone());
    }
    v
}

fn check_new(raw: &str, account: &tern_store::accounts::AccountRow) -> AppResult<NewPassword> {
    let inputs = policy_inputs(account);
    let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    NewPassword::parse(raw, &refs).map_err(|e| AppError::parsed("new_password", e.code()))
}

/// Changes the password after checking the current one; every other
/// session and token of the account ends, and the owner is told by email.
pub async fn change_password(app: &App, who: &Principal, current: &str, new: &str) -> AppResult<()> {
    super::login::check_password(app, who, current, "change_password")
        .await
        .map_err(|e| match e {
            AppError::Validation(_) => AppError::field("current_password", Code::PasswordIncorrect),
            other => other,
        })?;
    let account = {
        let mut conn = app.db.conn().await?;
        accounts::by_id(&mut conn, &who.account_id)
            .await?
            .ok_or(AppError::Unauthenticated)?
    };
    let new = check_new(new, &account)?;
    let hash = crate::passwords::hash(new.expose().to_owned()).await?;
    let now = app.now_ms();
    let mut tx = app.work_at(now).await?;
    accounts::set_password(&mut tx, &account.id, &hash, now).await?;
    let ended = sessions::delete_all_for_account(&mut tx, &account.id, Some(&who.session_id)).await?;
    token_store::void_all(&mut tx, &account.id, RESET_PASSWORD, now).await?;
    // A sign-in half done (password right, second factor pending) was made
    // with the old password: it ends too.
    token_store::void_all(&mut tx, &account.id, super::login::LOGIN_CHALLENGE, now).await?;
    tell_password_changed(app, &mut tx, &account).await?;
    tx.audit(
        &account.id,
        "account.password_changed",
        &account.id,
        json!({ "sessions_ended": ended }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Mails a reset link when the email has an account. Always succeeds the
/// same way, whatever the email, so it tells nobody who has an account.
pub async fn request_reset(app: &App, email: &str, ip: Option<&str>) -> AppResult<()> {
    let Ok(email) = Email::parse(email) else {
        return Ok(());
    };
    let now = app.now_ms();
    let mut tx = app.work_at(now).await?;
    // At most 5 links an hour per address and 30 per client address; past
    // that, requests are quietly dropped (the answer stays the same).
    let per_email = Limit {
        max: 5,
        window: std::time::Duration::from_secs(3600),
    };
    let per_ip = Limit {
        max: 30,
        window: std::time::Duration::from_secs(3600),
    };
    let email_key = format!("reset:email:{}", tokens::keyed_hash(app.secret_key(), email.as_str()));
    let over_email = rate_limit::take(&mut tx, &email_key, per_email, now).await.is_err();
    let over_ip = match ip {
        Some(ip) => {
            let k = format!("reset:ip:{}", tokens::keyed_hash(app.secret_key(), ip));
            rate_limit::take(&mut tx, &k, per_ip, now).await.is_err()
        }
        None => false,
    };
    if over_email || over_ip {
        tx.commit().await?;
        return Ok(());
    }
    if let Some(account) = accounts::by_email(&mut tx, email.as_str())
        .await?
        .filter(|a| a.status == tern_domain::AccountStatus::Active)
    {
        let token = tokens::new_token();
        let ttl = app.settings.auth.reset_ttl;
        token_store::void_all(&mut tx, &account.id, RESET_PASSWORD, now).await?;
        token_store::insert(
            &mut tx,
            &NewToken {
                id: &tokens::new_id(),
                account_id: &account.id,
                purpose: RESET_PASSWORD,
                token_hash: &tokens::hash(&token),
                target: None,
                now,
                expires_at: now + ms(ttl),
            },
        )
        .await?;
        let link = format!("{}/reset-password?token={token}", app.settings.base_url());
        let locale = Locale::parse(&account.locale).unwrap_or_default();
        queue(
            app,
            &mut tx,
            Message {
                channel: Channel::Email,
                account_id: Some(&account.id),
                recipient: email.as_str(),
                template: "password_reset",
                locale,
                values: json!({ "link": link, "minutes": ttl.as_secs() / 60 }),
            },
        )
        .await?;
        tx.audit("anonymous", "account.password_reset_requested", &account.id, json!({}))
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Sets a new password with a reset token; ends every session. Reset also
/// confirms the email, since the link proved the mailbox.
pub async fn confirm_reset(app: &App, token: &str, new: &str) -> AppResult<()> {
    let now = app.now_ms();
    // Validate the new password before spending the token.
    let account = {
        let mut conn = app.db.conn().await?;
        let Some((row, _)) = find_live_reset(&mut conn, token, now).await? else {
            return Err(AppError::TokenInvalid);
        };
        accounts::by_id(&mut conn, &row).await?.ok_or(AppError::TokenInvalid)?
    };
    let new = check_new(new, &account)?;
    let hash = crate::passwords::hash(new.expose().to_owned()).await?;
    let mut tx = app.work_at(now).await?;
    let row = token_store::consume(&mut tx, RESET_PASSWORD, &tokens::hash(token.trim()), now)
        .await?
        .ok_or(AppError::TokenInvalid)?;
    accounts::set_password(&mut tx, &row.account_id, &hash, now).await?;
    accounts::set_email_verified(&mut tx, &row.account_id, now).await?;
    let ended = sessions::delete_all_for_account(&mut tx, &row.account_id, None).await?;
    token_store::void_all(&mut tx, &row.account_id, super::login::LOGIN_CHALLENGE, now).await?;
    tell_password_changed(app, &mut tx, &account).await?;
    tx.audit(
        &row.account_id,
        "account.password_reset",
        &row.account_id,
        json!({ "sessions_ended": ended }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Emails the owner that the password changed (if the account has an email).
async fn tell_password_changed(
    app: &App,
    conn: &mut tern_store::Conn,
    account: &tern_store::accounts::AccountRow,
) -> AppResult<()> {
    let Some(email) = &account.email else { return Ok(()) };
    let locale = Locale::parse(&account.locale).unwrap_or_default();
    let msg = Message {
        channel: Channel::Email,
        account_id: Some(&account.id),
        recipient: email,
        template: "password_changed",
        locale,
        values: json!({ "name": account.name }),
    };
    queue(app, conn, msg).await?;
    Ok(())
}

/// Whether a reset token is live, without using it (the reset page checks
/// this before showing the form).
pub async fn reset_token_is_live(app: &App, token: &str) -> AppResult<bool> {
    let mut conn = app.db.conn().await?;
    Ok(find_live_reset(&mut conn, token, app.now_ms()).await?.is_some())
}

async fn find_live_reset(conn: &mut tern_store::Conn, token: &str, now: i64) -> AppResult<Option<(String, i64)>> {
    Ok(token_store::peek(conn, RESET_PASSWORD, &tokens::hash(token.trim()), now).await?)
}
