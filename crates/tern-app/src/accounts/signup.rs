//! Signing up and confirming the email address.

use serde_json::json;
use tern_domain::{Email, Locale, NewPassword, Phone, Role};
use tern_store::accounts::{self, NewAccount};
use tern_store::tokens as token_store;
use tern_store::tokens::NewToken;

use super::Problems;
use crate::App;
use crate::clock::ms;
use crate::error::{AppError, AppResult};
use crate::error_code::Code;
use crate::notify::{Channel, Message, queue};
use crate::tokens;

/// What a person types to sign up.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct SignupInput {
    pub email: String,
    pub password: String,
    pub phone: Option<String>,
    pub name: Option<String>,
    pub locale: Option<String>,
}

pub const VERIFY_EMAIL: &str = "verify_email";

/// Creates an unverified account and mails a verification link.
///
/// An email that already has an account gets the same answer (so sign-up
/// cannot be used to learn who is a customer); that address is mailed a
/// note instead of a link.
pub async fn signup(app: &App, input: SignupInput, fallback_locale: Locale) -> AppResult<()> {
    let mut problems = Problems::default();
    let email = Email::parse(&input.email)
        .map_err(|_| problems.add("email", Code::EmailInvalid))
        .ok();
    let phone = match input.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => Phone::parse(p)
            .map_err(|_| problems.add("phone", Code::PhoneInvalid))
            .ok(),
        None => None,
    };
    let name = input
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    if name.as_ref().is_some_and(|n| n.chars().count() > 100) {
        problems.add("name", Code::NameTooLong);
    }
    let locale = match input.locale.as_deref() {
        Some(l) => Locale::parse(l).unwrap_or_else(|| {
            problems.add("locale", Code::LocaleUnsupported);
            fallback_locale
        }),
        None => fallback_locale,
    };
    let mut inputs: Vec<&str> = vec![];
    if let Some(e) = &email {
        inputs.push(e.as_str());
        inputs.push(e.as_str().split('@').next().unwrap_or(""));
    }
    if let Some(n) = &name {
        inputs.push(n);
    }
    let password = NewPassword::parse(&input.password, &inputs)
        .map_err(|e| problems.parsed("password", e.code()))
        .ok();
    problems.into_result()?;
    let (Some(email), Some(password)) = (email, password) else {
        return Err(AppError::Internal("validated fields missing".into()));
    };

    // Hash before looking the email up, so both paths cost the same.
    let hash = crate::passwords::hash(password.expose().to_owned()).await?;
    let now = app.now_ms();
    let mut tx = app.work_at(now).await?;
    if let Some(existing) = accounts::by_email(&mut tx, email.as_str()).await? {
        let existing_locale = Locale::parse(&existing.locale).unwrap_or(locale);
        let link = format!("{}/login", app.settings.base_url());
        let values = json!({ "link": link, "reset_link": format!("{}/forgot-password", app.settings.base_url()) });
        let msg = Message {
            channel: Channel::Email,
            account_id: Some(&existing.id),
            recipient: email.as_str(),
            template: "signup_existing",
            locale: existing_locale,
            values,
        };
        queue(app, &mut tx, msg).await?;
        tx.audit("anonymous", "account.signup_existing_email", &existing.id, json!({}))
            .await?;
        tx.commit().await?;
        return Ok(());
    }
    let id = tern_domain::AccountId::from(tokens::new_id());
    accounts::insert(
        &mut tx,
        &NewAccount {
            id: &id,
            email: email.as_str(),
            phone: phone.as_ref().map(Phone::as_str),
            name: name.as_deref(),
            password_hash: &hash,
            locale: locale.tag(),
            role: Role::User,
            verified_at: None,
            now,
        },
    )
    .await?;
    send_verification(app, &mut tx, &id, &email, name.as_deref(), locale).await?;
    crate::terms::accept_at_signup(&mut tx, &id, now).await?;
    tx.audit(
        &id,
        "account.signup",
        &id,
        json!({ "locale": locale.tag(), "phone": phone.is_some() }),
    )
    .await?;
    tx.commit().await?;
    metrics::counter!("tern_signups_total").increment(1);
    Ok(())
}

/// Issues a fresh verification link (voiding older ones) and mails it.
pub(crate) async fn send_verification(
    app: &App,
    conn: &mut tern_store::Conn,
    account_id: &tern_domain::AccountId,
    email: &Email,
    name: Option<&str>,
    locale: Locale,
) -> AppResult<()> {
    let now = app.now_ms();
    let token = tokens::new_token();
    let ttl = app.settings.auth.verify_email_ttl;
    token_store::void_all(conn, account_id, VERIFY_EMAIL, now).await?;
    token_store::insert(
        conn,
        &NewToken {
            id: &tokens::new_id(),
            account_id,
            purpose: VERIFY_EMAIL,
            token_hash: &tokens::hash(&token),
            target: None,
            now,
            expires_at: now + ms(ttl),
        },
    )
    .await?;
    let link = format!("{}/verify-email?token={token}", app.settings.base_url());
    queue(
        app,
        conn,
        Message {
            channel: Channel::Email,
            account_id: Some(account_id),
            recipient: email.as_str(),
            template: "verify_email",
            locale,
            values: json!({ "link": link, "name": name, "hours": ttl.as_secs() / 3600 }),
        },
    )
    .await?;
    Ok(())
}

/// Confirms an email address with the token from the link; returns the
/// account id. A used or expired token is `TokenInvalid`.
pub async fn verify_email(app: &App, token: &str) -> AppResult<tern_domain::AccountId> {
    let now = app.now_ms();
    let mut tx = app.work_at(now).await?;
    let row = token_store::consume(&mut tx, VERIFY_EMAIL, &tokens::hash(token.trim()), now)
        .await?
        .ok_or(AppError::TokenInvalid)?;
    let account = accounts::by_id(&mut tx, &row.account_id)
        .await?
        .ok_or(AppError::TokenInvalid)?;
    accounts::set_email_verified(&mut tx, &account.id, now).await?;
    if let Some(email) = &account.email {
        let locale = Locale::parse(&account.locale).unwrap_or_default();
        queue(
            app,
            &mut tx,
            Message {
                channel: Channel::Email,
                account_id: Some(&account.id),
                recipient: email,
                template: "welcome",
                locale,
                values: json!({ "name": account.name }),
            },
        )
        .await?;
    }
    tx.audit(&account.id, "account.email_verified", &account.id, json!({}))
        .await?;
    tx.commit().await?;
    Ok(account.id)
}
