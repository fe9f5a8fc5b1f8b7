//! TOTP two-factor (RFC 6238: SHA-1, 6 digits, 30-second steps, one step
//! of clock drift either way) with ten single-use recovery codes.
//!
//! Enrolling is two calls: [`start`] (needs a recent re-authentication)
//! makes a secret and shows it once as text, an `otpauth://` URI and a QR
//! code; [`confirm`] checks a first code from the app, turns the factor on
//! and returns the recovery codes once. From then on signing in
//! ([`crate::accounts::login`]), asking for closure and turning the factor
//! off ([`disable`], which also needs the password) ask for a code.
//!
//! The secret is sealed at rest ([`crate::sealing`]) under the server
//! secret and the account id; recovery codes are stored as keyed hashes. A
//! code is accepted once: the step of the last accepted code is kept and
//! only a later one passes. Wrong codes are throttled per account.

mod codes;

use serde_json::json;
use subtle::ConstantTimeEq;
use tern_store::accounts;
use tern_store::totp as store;

use crate::App;
use crate::audit;
use crate::auth::Principal;
use crate::error::{AppError, AppResult};
use crate::error_code::Code;
use crate::rate_limit::{self, Limit};
use crate::tokens;

pub use codes::{RECOVERY_CODES, normalise_recovery_code};

const SEAL_PURPOSE: &[u8] = b"tern totp secret v1\0";
/// Seconds per step.
const STEP: u64 = 30;
const DIGITS: usize = 6;

/// Wrong codes (TOTP or recovery) allowed per account per window.
fn limit() -> Limit {
    Limit {
        max: 5,
        window: std::time::Duration::from_secs(15 * 60),
    }
}

fn limit_key(account_id: &tern_domain::AccountId) -> String {
    format!("totp:{account_id}")
}

/// What enrolment shows once: the secret (base32, for typing), the
/// `otpauth://` URI and the same URI as a QR code (SVG).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Enrolment {
    /// Base32, for apps where the code is typed in.
    pub secret: String,
    pub otpauth_uri: String,
    /// An SVG image of `otpauth_uri`.
    pub qr_svg: String,
}

/// The recovery codes, shown once when the factor is turned on.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct RecoveryCodes {
    /// Ten codes; each works once in place of an app code.
    pub recovery_codes: Vec<String>,
}

/// Whether the factor is on.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TotpStatus {
    pub enabled: bool,
    /// A secret was shown but no code confirmed yet.
    pub enrolling: bool,
    pub recovery_codes_left: i64,
}

/// `POST /api/v1/me/totp/confirm`.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct ConfirmInput {
    /// The six digits the app shows now.
    pub code: String,
}

/// `DELETE /api/v1/me/totp`: the password and a second factor.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct DisableInput {
    pub password: String,
    /// The six digits the app shows now…
    #[serde(default)]
    pub totp_code: Option<String>,
    /// …or one of the recovery codes.
    #[serde(default)]
    pub recovery_code: Option<String>,
}

/// What checking a second factor found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Second {
    /// The account has no factor on: nothing to check.
    NotEnabled,
    /// A factor is on but no code came with the request.
    Missing,
    /// The code was wrong, used before, or the recovery code unknown.
    Wrong,
    Accepted,
}

fn totp_for(app: &App, secret: Vec<u8>, label: &str) -> totp_rs::TOTP {
    let issuer = app.settings.product_name.replace(':', "");
    let label = label.replace(':', "");
    match totp_rs::TOTP::new(
        totp_rs::Algorithm::SHA1,
        DIGITS,
        1,
        STEP,
        secret.clone(),
        Some(issuer.clone()),
        label.clone(),
    ) {
        Ok(t) => t,
        // Only an odd label is refused; the secret is always 160 bits.
        Err(_) => totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, DIGITS, 1, STEP, secret, Some(issuer), label),
    }
}

fn open_secret(app: &App, f: &store::FactorRow) -> AppResult<Vec<u8>> {
    crate::sealing::open(app, SEAL_PURPOSE, &f.account_id, &f.secret_sealed)
}

/// The step a six-digit `code` belongs to at `now_secs` (now, one before or
/// one after), if any.
fn matching_step(totp: &totp_rs::TOTP, code: &str, now_secs: u64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let step = now_secs / STEP;
    let mut found = None;
    // Every candidate is compared, in constant time, whatever matched.
    for s in [step.saturating_sub(1), step, step + 1] {
        if bool::from(totp.generate(s * STEP).as_bytes().ct_eq(code.as_bytes())) {
            found = found.or(i64::try_from(s).ok());
        }
    }
    found
}

fn now_secs(app: &App) -> u64 {
    u64::try_from(app.now_ms() / 1000).unwrap_or(0)
}

/// Whether the account has the factor on.
pub async fn is_enabled(app: &App, account_id: &tern_domain::AccountId) -> AppResult<bool> {
    let mut conn = app.db.conn().await?;
    Ok(store::factor(&mut conn, account_id)
        .await?
        .is_some_and(|f| f.enabled_at.is_some()))
}

/// `GET /api/v1/me/totp`.
pub async fn status(app: &App, who: &Principal) -> AppResult<TotpStatus> {
    let mut conn = app.db.conn().await?;
    let f = store::factor(&mut conn, &who.account_id).await?;
    let left = store::recovery_codes_left(&mut conn, &who.account_id).await?;
    Ok(TotpStatus {
        enabled: f.as_ref().is_some_and(|f| f.enabled_at.is_some()),
        enrolling: f.as_ref().is_some_and(|f| f.enabled_at.is_none()),
        recovery_codes_left: if f.as_ref().is_some_and(|f| f.enabled_at.is_some()) {
            left
        } else {
            0
        },
    })
}

/// `POST /api/v1/me/totp`: a new secret to scan. Needs a recent
/// re-authentication; 409 `totp_already_enabled` when the factor is on
/// (turn it off first). Starting again replaces a secret not confirmed yet.
pub async fn start(app: &App, who: &Principal) -> AppResult<Enrolment> {
    who.require_recent_auth(app)?;
    let now = app.now_ms();
    let mut secret = vec![0u8; 20];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut secret);
    let sealed = crate::sealing::seal(app, SEAL_PURPOSE, &who.account_id, &secret)?;
    let mut tx = app.work_at(now).await?;
    let account = accounts::by_id(&mut tx, &who.account_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    if !store::start_enrolment(&mut tx, &who.account_id, &sealed, now).await? {
        return Err(AppError::Conflict(Code::TotpAlreadyEnabled));
    }
    tx.audit(
        &who.account_id,
        "account.totp_enrolment_started",
        &who.account_id,
        json!({}),
    )
    .await?;
    tx.commit().await?;
    enrolment(app, secret, account.email.as_deref().unwrap_or(&who.account_id))
}

/// The enrolment started but not confirmed yet, shown again (a wrong first
/// code on the portal); `None` when there is none.
pub async fn pending_enrolment(app: &App, who: &Principal) -> AppResult<Option<Enrolment>> {
    let (factor, account) = {
        let mut conn = app.db.conn().await?;
        (
            store::factor(&mut conn, &who.account_id).await?,
            accounts::by_id(&mut conn, &who.account_id).await?,
        )
    };
    let Some(f) = factor.filter(|f| f.enabled_at.is_none()) else {
        return Ok(None);
    };
    let label = account
        .and_then(|a| a.email)
        .unwrap_or_else(|| who.account_id.to_string());
    enrolment(app, open_secret(app, &f)?, &label).map(Some)
}

fn enrolment(app: &App, secret: Vec<u8>, label: &str) -> AppResult<Enrolment> {
    let totp = totp_for(app, secret, label);
    let uri = totp.get_url();
    let qr = qrcode::QrCode::with_error_correction_level(uri.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| AppError::Internal(format!("QR code: {e}")))?;
    Ok(Enrolment {
        secret: totp.get_secret_base32(),
        otpauth_uri: uri,
        qr_svg: qr
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
    })
}

/// `POST /api/v1/me/totp/confirm`: the first code from the app turns the
/// factor on; answers the ten recovery codes, once. 409
/// `totp_not_enrolling` without a [`start`] first; a wrong code is 422
/// `totp_invalid` (throttled).
pub async fn confirm(app: &App, who: &Principal, code: &str) -> AppResult<RecoveryCodes> {
    let now = app.now_ms();
    let key = limit_key(&who.account_id);
    let factor = {
        let mut conn = app.db.conn().await?;
        rate_limit::check(&mut conn, &key, limit(), now).await?;
        store::factor(&mut conn, &who.account_id).await?
    };
    let factor = match factor {
        Some(f) if f.enabled_at.is_none() => f,
        Some(_) => return Err(AppError::Conflict(Code::TotpAlreadyEnabled)),
        None => return Err(AppError::Conflict(Code::TotpNotEnrolling)),
    };
    let totp = totp_for(app, open_secret(app, &factor)?, "");
    let step = matching_step(&totp, code, now_secs(app));
    let mut tx = app.work_at(now).await?;
    let accepted = match step {
        Some(s) => store::accept_step(&mut tx, &who.account_id, s, true, now).await?,
        None => false,
    };
    if !accepted {
        rate_limit::hit(&mut tx, &key, limit(), now).await?;
        failed(app, &mut tx, &who.account_id, "enrol", now).await?;
        tx.commit().await?;
        return Err(AppError::field("code", Code::TotpInvalid));
    }
    let codes = codes::generate();
    let hashes: Vec<(String, String)> = codes
        .iter()
        .map(|c| (tokens::new_id(), recovery_hash(app, &who.account_id, c)))
        .collect();
    store::replace_recovery_codes(&mut tx, &who.account_id, &hashes, now).await?;
    rate_limit::clear(&mut tx, &key).await?;
    tell_owner(app, &mut tx, &who.account_id, "two_factor_enabled").await?;
    tx.audit(
        &who.account_id,
        "account.totp_enabled",
        &who.account_id,
        json!({ "recovery_codes": codes.len() }),
    )
    .await?;
    tx.commit().await?;
    metrics::counter!("tern_totp_changes_total", "change" => "enabled").increment(1);
    Ok(RecoveryCodes { recovery_codes: codes })
}

/// `DELETE /api/v1/me/totp`: the password again (throttled like every
/// password check) and a code from the app or a recovery code. 409
/// `totp_not_enabled` when it is off.
pub async fn disable(app: &App, who: &Principal, input: &DisableInput) -> AppResult<()> {
    crate::accounts::check_password_limited(
        app,
        who,
        &input.password,
        "totp_disable",
        Limit {
            max: 5,
            window: std::time::Duration::from_secs(15 * 60),
        },
    )
    .await?;
    match verify(
        app,
        &who.account_id,
        input.totp_code.as_deref(),
        input.recovery_code.as_deref(),
        "disable",
    )
    .await?
    {
        Second::NotEnabled => return Err(AppError::Conflict(Code::TotpNotEnabled)),
        Second::Missing => return Err(AppError::field("totp_code", Code::TotpRequired)),
        Second::Wrong => return Err(AppError::field("totp_code", Code::TotpInvalid)),
        Second::Accepted => {}
    }
    let now = app.now_ms();
    let mut tx = app.work_at(now).await?;
    store::delete_all(&mut tx, &who.account_id).await?;
    tell_owner(app, &mut tx, &who.account_id, "two_factor_disabled").await?;
    tx.audit(&who.account_id, "account.totp_disabled", &who.account_id, json!({}))
        .await?;
    tx.commit().await?;
    metrics::counter!("tern_totp_changes_total", "change" => "disabled").increment(1);
    Ok(())
}

/// Mails the owner (when the account has an email) that the factor was
/// turned on or off, in the same transaction as the change.
async fn tell_owner(
    app: &App,
    tx: &mut tern_store::Conn,
    account_id: &tern_domain::AccountId,
    template: &'static str,
) -> AppResult<()> {
    let Some(account) = accounts::by_id(tx, account_id).await? else {
        return Ok(());
    };
    let Some(email) = account.email.as_deref() else {
        return Ok(());
    };
    crate::notify::queue(
        app,
        tx,
        crate::notify::Message {
            channel: crate::notify::Channel::Email,
            account_id: Some(account_id),
            recipient: email,
            template,
            locale: tern_domain::Locale::parse(&account.locale).unwrap_or_default(),
            values: json!({ "name": account.name }),
        },
    )
    .await?;
    Ok(())
}

fn recovery_hash(app: &App, account_id: &tern_domain::AccountId, code: &str) -> String {
    tokens::keyed_hash(
        app.secret_key(),
        &format!("totp-recovery:{account_id}:{}", normalise_recovery_code(code)),
    )
}

async fn failed(
    app: &App,
    tx: &mut tern_store::Conn,
    account_id: &tern_domain::AccountId,
    purpose: &str,
    now: i64,
) -> AppResult<()> {
    audit::record(
        tx,
        app.db.backend(),
        account_id,
        "account.second_factor_failed",
        account_id,
        json!({ "purpose": purpose }),
        now,
    )
    .await
}

/// Checks the second factor of `account_id` for `purpose` (`login`,
/// `closure`, `disable`): a TOTP code, or a recovery code (used up when it
/// passes). 429 after too many wrong codes. Audited: failures, and every
/// recovery code used.
pub async fn verify(
    app: &App,
    account_id: &tern_domain::AccountId,
    totp_code: Option<&str>,
    recovery_code: Option<&str>,
    purpose: &str,
) -> AppResult<Second> {
    let now = app.now_ms();
    let key = limit_key(account_id);
    let factor = {
        let mut conn = app.db.conn().await?;
        store::factor(&mut conn, account_id).await?
    };
    let Some(factor) = factor.filter(|f| f.enabled_at.is_some()) else {
        return Ok(Second::NotEnabled);
    };
    let totp_code = totp_code.map(str::trim).filter(|c| !c.is_empty());
    let recovery_code = recovery_code.map(str::trim).filter(|c| !c.is_empty());
    if totp_code.is_none() && recovery_code.is_none() {
        return Ok(Second::Missing);
    }
    {
        let mut conn = app.db.conn().await?;
        rate_limit::check(&mut conn, &key, limit(), now).await?;
    }
    let step = match totp_code {
        Some(c) => matching_step(&totp_for(app, open_secret(app, &factor)?, ""), c, now_secs(app)),
        None => None,
    };
    let mut tx = app.work_at(now).await?;
    let accepted = match (step, recovery_code) {
        (Some(s), _) => store::accept_step(&mut tx, account_id, s, false, now).await?,
        (None, Some(rc)) if totp_code.is_none() => {
            let used = store::use_recovery_code(&mut tx, account_id, &recovery_hash(app, account_id, rc), now).await?;
            if used {
                let left = store::recovery_codes_left(&mut tx, account_id).await?;
                tx.audit(
                    account_id,
                    "account.recovery_code_used",
                    account_id,
                    json!({ "purpose": purpose, "left": left }),
                )
                .await?;
            }
            used
        }
        _ => false,
    };
    if accepted {
        rate_limit::clear(&mut tx, &key).await?;
    } else {
        rate_limit::hit(&mut tx, &key, limit(), now).await?;
        failed(app, &mut tx, account_id, purpose, now).await?;
    }
    tx.commit().await?;
    Ok(if accepted { Second::Accepted } else { Second::Wrong })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_sha1_vector_and_drift() {
        // RFC 6238 appendix B: the ASCII secret "12345678901234567890",
        // T = 59 s gives 94287082 in 8 digits, so 287082 in 6.
        let t = totp_rs::TOTP::new_unchecked(
            totp_rs::Algorithm::SHA1,
            6,
            1,
            30,
            b"12345678901234567890".to_vec(),
            None,
            String::new(),
        );
        assert_eq!(t.generate(59), "287082");
        assert_eq!(matching_step(&t, "287082", 59), Some(1));
        assert_eq!(matching_step(&t, "287 082", 59 + 30), Some(1), "one step late is fine");
        assert_eq!(matching_step(&t, "287082", 59 + 60), None, "two steps late is not");
        assert_eq!(matching_step(&t, "28708", 59), None);
        assert_eq!(matching_step(&t, "abcdef", 59), None);
    }
}
