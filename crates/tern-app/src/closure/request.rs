//! Asking for closure, looking at it, calling it off, and the public
//! status by token.

use serde::Deserialize;
use serde_json::json;
use tern_domain::closure::{ClosureReason, ClosureState, MAX_REASON_TEXT, confirmation_matches};
use tern_domain::{AccountStatus, Locale, Phone};
use tern_store::closures::{self, ClosureRow};
use tern_store::{Conn, accounts};

use super::{AdvanceClosure, RemindClosure, Wake};
use super::{ClosureView, StatusView, status_token, status_url, view};
use crate::App;
use crate::audit;
use crate::auth::Principal;
use crate::clock::{ms, to_datetime};
use crate::error::{AppError, AppResult, FieldError};
use crate::error_code::Code;
use crate::idempotency::{Request, Scope};
use crate::jobs;
use crate::notify::{self, Channel, Message};
use crate::rate_limit::Limit;

/// `POST /api/v1/me/closure`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosureInput {
    /// The account password, again.
    pub password: String,
    /// The phrase the preview shows, typed.
    pub confirmation: String,
    /// `no_longer_needed`, `found_cheaper`, `poor_coverage`, `privacy`, `moving`, `other`.
    pub reason_code: Option<String>,
    /// Up to 500 characters.
    pub reason_text: Option<String>,
    /// Prepare a copy of my data first and mail me the link.
    #[serde(default)]
    pub export: bool,
    /// When two-factor is on: the six digits the app shows…
    #[serde(default)]
    pub totp_code: Option<String>,
    /// …or one of the recovery codes.
    #[serde(default)]
    pub recovery_code: Option<String>,
}

fn validate(input: &ClosureInput) -> AppResult<(Option<ClosureReason>, Option<String>)> {
    let mut errors = Vec::new();
    if !confirmation_matches(&input.confirmation) {
        errors.push(FieldError::new("confirmation", Code::ConfirmationMismatch));
    }
    let reason = match input.reason_code.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(code) => match ClosureReason::parse_user(code) {
            Some(r) => Some(r),
            None => {
                errors.push(FieldError::new("reason_code", Code::ReasonInvalid));
                None
            }
        },
    };
    let text = input.reason_text.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if text.is_some_and(|t| t.chars().count() > MAX_REASON_TEXT) {
        errors.push(FieldError::new("reason_text", Code::ReasonTooLong));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok((reason, text.map(str::to_owned)))
}

/// What makes two closure requests the same one.
fn canonical(input: &ClosureInput) -> serde_json::Value {
    // The password is not part of it: it is checked on every call and
    // never stored, not even hashed here.
    json!({
        "reason_code": input.reason_code.as_deref().map(str::trim),
        "reason_text": input.reason_text.as_deref().map(str::trim),
        "export": input.export,
    })
}

/// What opening a request needs, whoever opens it.
pub(crate) struct Opening<'a> {
    pub account_id: &'a tern_domain::AccountId,
    pub requested_by: &'a str,
    pub reason: Option<ClosureReason>,
    pub reason_text: Option<String>,
    pub export: bool,
}

/// Opens a request in `tx` unless the account has one open; returns the
/// open request either way (and whether it is new). Queues the "received"
/// email and SMS and the workflow's first job.
pub(crate) async fn open(app: &App, tx: &mut Conn, o: Opening<'_>) -> AppResult<(ClosureRow, bool)> {
    if let Some(existing) = closures::open_for(tx, o.account_id).await? {
        return Ok((existing, false));
    }
    let now = app.now_ms();
    let id = tern_domain::ClosureId::from(crate::tokens::new_id());
    let row = ClosureRow {
        id: id.clone(),
        account_id: o.account_id.clone(),
        state: ClosureState::Received,
        requested_by: o.requested_by.to_owned(),
        reason_code: o.reason.map(|r| r.as_str().to_owned()),
        reason_text: o.reason_text,
        export_requested: o.export,
        status_token_hash: crate::tokens::hash(&status_token(app, &id)),
        received_at: now,
        cooling_off_until: now + ms(app.settings.closure.cooling_off),
        due_on: super::due_date(app, now)?.to_string(),
        hold_reason: None,
        last_error: None,
        sweep_sealed: None,
        receipt: None,
        refund_minor: None,
        currency: None,
        retain_until: None,
        purged_at: None,
        reminded_at: None,
        completed_at: None,
        canceled_at: None,
        updated_at: now,
    };
    if !closures::insert_open(tx, &row).await? {
        // Another request got in first (a concurrent double submit).
        let existing = closures::open_for(tx, o.account_id)
            .await?
            .ok_or_else(|| AppError::Internal("open closure vanished".into()))?;
        return Ok((existing, false));
    }
    let start = AdvanceClosure {
        closure_id: id.clone(),
        wake: Wake::Opened,
    };
    jobs::enqueue(app, tx, &start).await?;
    let reminder_at = row.cooling_off_until - 86_400_000;
    if reminder_at > now {
        jobs::enqueue_at(app, tx, &RemindClosure { closure_id: id.clone() }, reminder_at).await?;
    }
    notify_account(app, tx, &row, "closure_received").await?;
    audit::record(
        tx,
        app.db.backend(),
        o.requested_by,
        "closure.requested",
        o.account_id,
        json!({ "closure": id, "reason": row.reason_code, "export": o.export }),
        now,
    )
    .await?;
    metrics::counter!("tern_closures_requested_total", "by" => if o.requested_by == "dormant" { "dormant" } else { "user" }).increment(1);
    Ok((row, true))
}

/// Values every closure message shares.
fn message_values(app: &App, c: &ClosureRow, locale: Locale) -> serde_json::Value {
    // A chrono format string per language, from tern-i18n.
    let pattern = tern_i18n::t(locale, "format.datetime_utc");
    let date = |ms: i64| -> String { to_datetime(ms).format(pattern).to_string() };
    json!({
        "status_link": status_url(app, &c.id),
        "cancel_link": format!("{}/account", app.settings.base_url()),
        "cooling_off": c.cooling_off_until > c.received_at,
        "cooling_off_until": date(c.cooling_off_until),
        "due_on": c.due_on,
    })
}

/// Emails (and texts, when the phone is verified) the account a closure
/// message, in its language.
pub(crate) async fn notify_account(app: &App, tx: &mut Conn, c: &ClosureRow, template: &str) -> AppResult<()> {
    notify_with(app, tx, c, template, json!({})).await
}

pub(crate) async fn notify_with(
    app: &App,
    tx: &mut Conn,
    c: &ClosureRow,
    template: &str,
    extra: serde_json::Value,
) -> AppResult<()> {
    let Some(account) = accounts::by_id(tx, &c.account_id).await? else {
        return Ok(());
    };
    let locale = Locale::parse(&account.locale).unwrap_or_default();
    let mut values = message_values(app, c, locale);
    if let (serde_json::Value::Object(v), serde_json::Value::Object(e)) = (&mut values, extra) {
        v.extend(e);
    }
    if let Some(email) = account.email.as_deref() {
        notify::queue(
            app,
            tx,
            Message {
                channel: Channel::Email,
                account_id: Some(&c.account_id),
                recipient: email,
                template,
                locale,
                values: values.clone(),
            },
        )
        .await?;
    }
    let phone = account
        .phone
        .as_deref()
        .filter(|_| account.phone_verified_at.is_some())
        .and_then(|p| Phone::parse(p).ok());
    if let Some(phone) = phone
        && template != "closure_canceled"
    {
        let mut sms = values;
        sms["sms"] = json!(true);
        notify::queue(
            app,
            tx,
            Message {
                channel: Channel::Sms,
                account_id: Some(&c.account_id),
                recipient: phone.as_str(),
                template,
                locale,
                values: sms,
            },
        )
        .await?;
    }
    Ok(())
}

/// `POST /api/v1/me/closure`: checks the phrase, the reason and the
/// password (5 wrong ones per 15 minutes, then 429) and, when two-factor
/// is on, a code (422 `totp_required` / `totp_invalid` on `totp_code`),
/// then opens the
/// request — or returns the one already open.
pub async fn request(app: &App, who: &Principal, input: ClosureInput, key: Option<&str>) -> AppResult<ClosureView> {
    let (reason, reason_text) = validate(&input)?;
    // A repeat answers with the request that is open now (not a stored
    // copy, which would show stale step progress); a key reused for a
    // different body is 409 before the password is even checked.
    let req = Request::new(&who.account_id, Scope::Closure, key, &canonical(&input))?;
    if let Some(r) = &req {
        let mut conn = app.db.conn().await?;
        r.stored(&mut conn).await?;
    }
    let limit = Limit {
        max: app.settings.closure.password_failures,
        window: app.settings.closure.password_window,
    };
    crate::accounts::check_password_limited(app, who, &input.password, "closure", limit).await?;
    // With two-factor on, the re-authentication asks for a code too.
    match crate::totp::verify(
        app,
        &who.account_id,
        input.totp_code.as_deref(),
        input.recovery_code.as_deref(),
        "closure",
    )
    .await?
    {
        crate::totp::Second::NotEnabled | crate::totp::Second::Accepted => {}
        crate::totp::Second::Missing => return Err(AppError::field("totp_code", Code::TotpRequired)),
        crate::totp::Second::Wrong => return Err(AppError::field("totp_code", Code::TotpInvalid)),
    }
    let mut tx = app.work().await?;
    // The password check can take a while under load, and meanwhile an
    // earlier request (asked on another node, say) may have frozen the
    // account, ended this session and run to completion, freeing the
    // account's open slot. A frozen or closed account opens nothing: the
    // caller is signed out. The no-op update also locks the account row
    // until this request is stored, so a freeze cannot slip in between.
    let active = tern_store::accounts::set_status(
        &mut tx,
        &who.account_id,
        AccountStatus::Active,
        AccountStatus::Active,
        app.now_ms(),
    )
    .await?;
    if !active {
        return Err(AppError::Unauthenticated);
    }
    let (row, _new) = open(
        app,
        &mut tx,
        Opening {
            account_id: &who.account_id,
            requested_by: &who.account_id,
            reason,
            reason_text,
            export: input.export,
        },
    )
    .await?;
    let out = view(app, &row);
    if let Some(r) = &req
        && r.stored(&mut tx).await?.is_none()
    {
        let now = tx.now;
        r.remember(&mut tx, now, 202, &out).await?;
    }
    tx.commit().await?;
    Ok(out)
}

/// `GET /api/v1/me/closure`: the open request, or the latest one.
pub async fn current(app: &App, who: &Principal) -> AppResult<ClosureView> {
    let mut conn = app.db.conn().await?;
    let row = closures::latest_for(&mut conn, &who.account_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(view(app, &row))
}

/// Calls off an open request during cooling-off; any other time is 409
/// `closure_not_cancelable`. The account is usable again at once.
pub async fn cancel(app: &App, who: &Principal, actor: &str) -> AppResult<ClosureView> {
    let now = app.now_ms();
    let mut tx = app.work_at(now).await?;
    let row = closures::open_for(&mut tx, &who.account_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let state = row.state;
    state
        .transition(ClosureState::Canceled)
        .map_err(|_| AppError::Conflict(Code::ClosureNotCancelable))?;
    if !closures::transition(&mut tx, &row.id, state, ClosureState::Canceled, None, now).await? {
        return Err(AppError::Conflict(Code::ClosureNotCancelable));
    }
    notify_account(app, &mut tx, &row, "closure_canceled").await?;
    tx.audit(actor, "closure.canceled", &who.account_id, json!({ "closure": row.id }))
        .await?;
    let row = closures::by_id(&mut tx, &row.id).await?.ok_or(AppError::NotFound)?;
    tx.commit().await?;
    metrics::counter!("tern_closures_canceled_total").increment(1);
    Ok(view(app, &row))
}

/// `GET /api/v1/closure-status/{token}`: state, dates, steps, receipt; no
/// personal data. Unknown tokens are 404.
pub async fn status_by_token(app: &App, token: &str) -> AppResult<StatusView> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::NotFound);
    }
    let mut conn = app.db.conn().await?;
    let row = closures::by_token_hash(&mut conn, &crate::tokens::hash(token))
        .await?
        .ok_or(AppError::NotFound)?;
    let steps = super::in_order(closures::steps(&mut conn, &row.id).await?);
    Ok(super::status_view(&row, &steps))
}
