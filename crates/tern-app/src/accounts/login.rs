//! Signing in and out, and re-authentication.

use serde_json::json;
use tern_domain::{AccountId, AccountStatus, Email, Role};
use tern_store::{accounts, sessions};

use crate::App;
use crate::audit;
use crate::auth::Principal;
use crate::clock::{ms, rfc3339};
use crate::error::{AppError, AppResult};
use crate::error_code::Code;
use crate::rate_limit::{self, Limit};
use crate::tokens;

/// Signing in: email and password; on an account with two-factor on,
/// the first answer is 401 `totp_required` with a `challenge`, and the
/// client repeats with that `challenge` and `totp_code` (or
/// `recovery_code`) in place of email and password. Email, password and a
/// code together in one request work too.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct LoginInput {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
    /// From a `totp_required` answer; valid for five minutes.
    #[serde(default)]
    pub challenge: Option<String>,
    /// The six digits the authenticator app shows.
    #[serde(default)]
    pub totp_code: Option<String>,
    /// One of the ten recovery codes, instead of `totp_code`.
    #[serde(default)]
    pub recovery_code: Option<String>,
}

/// One-time token purpose of a sign-in waiting for its second factor.
pub const LOGIN_CHALLENGE: &str = "login_totp";
const CHALLENGE_TTL_MS: i64 = 5 * 60 * 1000;

/// A new session: the token is shown once and never stored.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct NewSession {
    pub token: String,
    /// RFC 3339 UTC.
    pub expires_at: String,
    #[serde(skip)]
    pub account_id: AccountId,
    #[serde(skip)]
    pub role: Role,
}

fn account_limit(app: &App) -> Limit {
    Limit {
        max: app.settings.auth.login_failures_per_account,
        window: app.settings.auth.login_window,
    }
}

fn address_limit(app: &App) -> Limit {
    Limit {
        max: app.settings.auth.login_attempts_per_address,
        window: app.settings.auth.login_window,
    }
}

/// Checks email and password and opens a session.
///
/// An unknown email and a wrong password give the same error after the
/// same work (a full Argon2id verification), and both count against the
/// same per-email limit, so neither the answer, its timing nor the
/// throttling tells whether an account exists.
pub async fn login(app: &App, input: LoginInput, ip: Option<&str>, user_agent: Option<&str>) -> AppResult<NewSession> {
    if let Some(challenge) = input.challenge.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        return login_with_challenge(app, challenge, &input, ip, user_agent).await;
    }
    let now = app.now_ms();
    let normalised = Email::parse(&input.email)
        .map(|e| e.as_str().to_owned())
        .unwrap_or_else(|_| input.email.trim().to_lowercase());
    let email_key = format!("login:email:{}", tokens::keyed_hash(app.secret_key(), &normalised));
    let ip_key = ip.map(|ip| format!("login:ip:{}", tokens::keyed_hash(app.secret_key(), ip)));
    {
        let mut conn = app.db.conn().await?;
        rate_limit::check(&mut conn, &email_key, account_limit(app), now).await?;
        if let Some(k) = &ip_key {
            rate_limit::take(&mut conn, k, address_limit(app), now).await?;
        }
    }
    let account = {
        let mut conn = app.db.conn().await?;
        accounts::by_email(&mut conn, &normalised).await?
    };
    let stored = match account.as_ref().and_then(|a| a.password_hash.clone()) {
        Some(h) => h,
        None => app
            .dummy_hash
            .get_or_try_init(|| crate::passwords::hash(tokens::new_token()))
            .await?
            .clone(),
    };
    let ok = crate::passwords::verify(input.password.clone(), stored).await? && account.is_some();
    if ok
        && let Some(a) = account.as_ref()
        && a.status == AccountStatus::Active
        && a.email_verified_at.is_some()
    {
        second_factor(app, a, &input, None).await?;
    }
    let mut tx = app.work_at(now).await?;
    let Some(account) = account.filter(|_| ok) else {
        rate_limit::hit(&mut tx, &email_key, account_limit(app), now).await?;
        // The subject is the account when there is one; never the email.
        let subject = match accounts::by_email(&mut tx, &normalised).await? {
            Some(a) => a.id.to_string(),
            None => "unknown".to_owned(),
        };
        tx.audit("anonymous", "session.login_failed", &subject, json!({}))
            .await?;
        tx.commit().await?;
        metrics::counter!("tern_logins_total", "outcome" => "failed").increment(1);
        return Err(AppError::InvalidCredentials);
    };
    if account.status != AccountStatus::Active {
        return Err(AppError::InvalidCredentials);
    }
    if account.email_verified_at.is_none() {
        return Err(AppError::EmailNotVerified);
    }
    rate_limit::clear(&mut tx, &email_key).await?;
    open_session(app, tx, account, ip, user_agent).await
}

/// The second step of signing in: a live challenge and a code.
async fn login_with_challenge(
    app: &App,
    challenge: &str,
    input: &LoginInput,
    ip: Option<&str>,
    user_agent: Option<&str>,
) -> AppResult<NewSession> {
    let now = app.now_ms();
    let hash = tokens::hash(challenge);
    let account = {
        let mut conn = app.db.conn().await?;
        let (account_id, _) = tern_store::tokens::peek(&mut conn, LOGIN_CHALLENGE, &hash, now)
            .await?
            .ok_or(AppError::TokenInvalid)?;
        accounts::by_id(&mut conn, &account_id)
            .await?
            .filter(|a| a.status == AccountStatus::Active)
            .ok_or(AppError::TokenInvalid)?
    };
    second_factor(app, &account, input, Some(challenge)).await?;
    let mut tx = app.work().await?;
    if tern_store::tokens::consume(&mut tx, LOGIN_CHALLENGE, &hash, now)
        .await?
        .is_none()
    {
        // Used by a concurrent request a moment ago.
        return Err(AppError::TokenInvalid);
    }
    if let Some(email) = account.email.as_deref() {
        let key = format!("login:email:{}", tokens::keyed_hash(app.secret_key(), email));
        rate_limit::clear(&mut tx, &key).await?;
    }
    open_session(app, tx, account, ip, user_agent).await
}

/// Refuses unless the account's second factor (when it has one) came with
/// the request. Without a code the answer is `totp_required` with a
/// challenge (the one given, or a new one).
async fn second_factor(
    app: &App,
    account: &accounts::AccountRow,
    input: &LoginInput,
    challenge: Option<&str>,
) -> AppResult<()> {
    use crate::totp::Second;
    let outcome = crate::totp::verify(
        app,
        &account.id,
        input.totp_code.as_deref(),
        input.recovery_code.as_deref(),
        "login",
    )
    .await?;
    match outcome {
        Second::NotEnabled | Second::Accepted => Ok(()),
        Second::Wrong => Err(AppError::TotpInvalid),
        Second::Missing => {
            let now = app.now_ms();
            let challenge = match challenge {
                Some(c) => c.to_owned(),
                None => {
                    let c = tokens::new_token();
                    let mut tx = app.work().await?;
                    tern_store::tokens::insert(
                        &mut tx,
                        &tern_store::tokens::NewToken {
                            id: &tokens::new_id(),
                            account_id: &account.id,
                            purpose: LOGIN_CHALLENGE,
                            token_hash: &tokens::hash(&c),
                            target: None,
                            now,
                            expires_at: now + CHALLENGE_TTL_MS,
                        },
                    )
                    .await?;
                    tx.commit().await?;
                    c
                }
            };
            Err(AppError::TotpRequired {
                challenge,
                expires_at: rfc3339(now + CHALLENGE_TTL_MS),
            })
        }
    }
}

/// Opens a session for `account` in `tx` and commits.
async fn open_session(
    app: &App,
    mut tx: crate::Work<'_>,
    account: accounts::AccountRow,
    ip: Option<&str>,
    user_agent: Option<&str>,
) -> AppResult<NewSession> {
    let now = app.now_ms();
    let token = tokens::new_token();
    let id = tern_domain::SessionId::from(tokens::new_id());
    let expires_at = now + ms(app.settings.auth.session_ttl);
    sessions::insert(
        &mut tx,
        &sessions::NewSession {
            id: &id,
            account_id: &account.id,
            token_hash: &tokens::hash(&token),
            kind: tern_domain::SessionKind::Session,
            label: None,
            expires_at,
            ip,
            user_agent: user_agent.map(|u| &u[..u.len().min(200)]),
            now,
        },
    )
    .await?;
    accounts::touch_login(&mut tx, &account.id, now).await?;
    audit::record(
        &mut tx,
        app.db.backend(),
        &account.id,
        "session.login",
        &account.id,
        json!({ "session": id }),
        now,
    )
    .await?;
    tx.commit().await?;
    metrics::counter!("tern_logins_total", "outcome" => "ok").increment(1);
    Ok(NewSession {
        token,
        expires_at: rfc3339(expires_at),
        account_id: account.id,
        role: account.role,
    })
}

/// Ends the caller's session.
pub async fn logout(app: &App, who: &Principal) -> AppResult<()> {
    let now = app.now_ms();
    let mut tx = app.work_at(now).await?;
    sessions::delete(&mut tx, &who.account_id, &who.session_id).await?;
    tx.audit(
        &who.account_id,
        "session.logout",
        &who.account_id,
        json!({ "session": who.session_id }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Checks the password again and opens the re-authentication window on
/// this session. Wrong passwords are throttled like logins.
pub async fn reauthenticate(app: &App, who: &Principal, password: &str) -> AppResult<()> {
    check_password(app, who, password, "reauth").await?;
    let mut conn = app.db.conn().await?;
    sessions::set_reauth(&mut conn, &who.session_id, app.now_ms()).await?;
    Ok(())
}

/// Verifies the caller's current password, throttled per account under
/// `purpose` (5 failures per 15 minutes).
pub async fn check_password(app: &App, who: &Principal, password: &str, purpose: &str) -> AppResult<()> {
    let limit = Limit {
        max: 5,
        window: std::time::Duration::from_secs(15 * 60),
    };
    check_password_limited(app, who, password, purpose, limit).await
}

/// [`check_password`] with its own allowance of failures.
pub async fn check_password_limited(
    app: &App,
    who: &Principal,
    password: &str,
    purpose: &str,
    limit: Limit,
) -> AppResult<()> {
    let now = app.now_ms();
    let key = format!("{purpose}:{}", who.account_id);
    let hash = {
        let mut conn = app.db.conn().await?;
        rate_limit::check(&mut conn, &key, limit, now).await?;
        accounts::by_id(&mut conn, &who.account_id)
            .await?
            .and_then(|a| a.password_hash)
    };
    let ok = match hash {
        Some(h) => crate::passwords::verify(password.to_owned(), h).await?,
        None => false,
    };
    let mut tx = app.work_at(now).await?;
    if !ok {
        rate_limit::hit(&mut tx, &key, limit, now).await?;
        tx.audit(
            &who.account_id,
            "account.password_check_failed",
            &who.account_id,
            json!({ "purpose": purpose }),
        )
        .await?;
        tx.commit().await?;
        return Err(AppError::field("password", Code::PasswordIncorrect));
    }
    rate_limit::clear(&mut tx, &key).await?;
    tx.commit().await?;
    Ok(())
}
