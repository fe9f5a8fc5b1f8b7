//! Terms versions: operators publish them, travellers accept them, and a
//! version that requires acceptance holds back a traveller's API calls and
//! portal pages (except reading and accepting terms, their account, signing
//! out, exports and closure) until they accept it.
//!
//! The check sits on the sign-in path of every request, so it costs no
//! query: the sign-in query already returns the account's accepted version,
//! and the versions that require acceptance are kept here for a few
//! seconds (cleared at once when this process publishes one; other
//! processes see a new version within [`CACHE_TTL`]).

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use serde_json::json;
use tern_domain::Locale;
use tern_domain::announcement::{BODY_MAX, check_text};
use tern_store::terms::{self as store, NewTerms, TermsRow};

use crate::App;
use crate::announcements::{Localised, markdown, parse_time};
use crate::auth::Principal;
use crate::clock::rfc3339;
use crate::error::{AppError, AppResult, FieldError};
use crate::error_code::Code;

/// How long the required versions are remembered.
pub const CACHE_TTL: Duration = Duration::from_secs(5);

/// (version, effective_at) of the versions that require acceptance.
type Schedule = Arc<Vec<(i64, i64)>>;

/// See the module documentation.
#[derive(Debug, Default)]
pub struct Cache(RwLock<Option<(Instant, Schedule)>>);

impl Cache {
    fn get(&self) -> Option<Schedule> {
        let guard = self.0.read().ok()?;
        guard
            .as_ref()
            .filter(|(at, _)| at.elapsed() < CACHE_TTL)
            .map(|(_, s)| s.clone())
    }

    fn put(&self, s: Schedule) {
        if let Ok(mut guard) = self.0.write() {
            *guard = Some((Instant::now(), s));
        }
    }

    fn clear(&self) {
        if let Ok(mut guard) = self.0.write() {
            *guard = None;
        }
    }
}

/// The newest version requiring acceptance that is in effect now.
pub async fn required_version(app: &App) -> AppResult<Option<i64>> {
    let schedule = match app.terms_cache.get() {
        Some(s) => s,
        // Boxed: a cache miss is rare, and every signed-in request's
        // future would otherwise carry the database read's.
        None => Box::pin(load_schedule(app)).await?,
    };
    let now = app.now_ms();
    Ok(schedule
        .iter()
        .filter(|(_, effective)| *effective <= now)
        .map(|(v, _)| *v)
        .max())
}

/// Reads the schedule and caches it.
async fn load_schedule(app: &App) -> AppResult<Schedule> {
    let mut conn = app.db.reader().await?;
    let s = Arc::new(store::required_schedule(&mut conn).await?);
    conn.release();
    app.terms_cache.put(s.clone());
    Ok(s)
}

/// The version `who` must accept before doing anything else, if any.
/// Staff accounts are never held back.
pub async fn pending_for(app: &App, who: &Principal) -> AppResult<Option<i64>> {
    if who.role.is_staff() {
        return Ok(None);
    }
    let required = required_version(app).await?;
    Ok(required.filter(|r| who.terms_version.unwrap_or(0) < *r))
}

/// Refuses with `terms_acceptance_required` while [`pending_for`] names a
/// version.
pub async fn check(app: &App, who: &Principal) -> AppResult<()> {
    match pending_for(app, who).await? {
        Some(_) => Err(AppError::TermsAcceptanceRequired),
        None => Ok(()),
    }
}

/// A terms version as travellers read it, in one language.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TermsView {
    pub version: i64,
    /// The language of `text_html` and `text_markdown`.
    pub locale: String,
    /// The text, rendered from Markdown and sanitised.
    pub text_html: String,
    pub text_markdown: String,
    pub effective_at: String,
    pub requires_acceptance: bool,
}

fn view(t: &TermsRow, locale: Locale) -> TermsView {
    let text = match locale {
        Locale::En => &t.text_en,
        Locale::ZhCn => &t.text_zh,
    };
    TermsView {
        version: t.version,
        locale: locale.tag().to_owned(),
        text_html: markdown::render(text),
        text_markdown: text.clone(),
        effective_at: rfc3339(t.effective_at),
        requires_acceptance: t.requires_acceptance,
    }
}

/// The version in effect now; `terms_not_published` when there is none.
pub async fn current(app: &App, locale: Locale) -> AppResult<TermsView> {
    let mut conn = app.db.reader().await?;
    let t = store::current(&mut conn, app.now_ms()).await?;
    conn.release();
    t.map(|t| view(&t, locale))
        .ok_or(AppError::Missing(Code::TermsNotPublished))
}

/// One acceptance, as the API and the export show it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Acceptance {
    pub version: i64,
    pub accepted_at: String,
}

/// A version as a caller names it (a path segment, a form field); one that
/// is not a number is as unknown as one never published.
pub fn parse_version(text: &str) -> AppResult<i64> {
    text.parse().map_err(|_| AppError::Missing(Code::TermsVersionNotFound))
}

/// Accepts a published version (once; a repeat answers the first time).
pub async fn accept(app: &App, who: &Principal, version: i64) -> AppResult<Acceptance> {
    let now = app.now_ms();
    let mut tx = app.work_at(now).await?;
    if store::by_version(&mut tx, version).await?.is_none() {
        return Err(AppError::Missing(Code::TermsVersionNotFound));
    }
    let accepted_at = store::accept(&mut tx, &who.account_id, version, now).await?;
    if accepted_at == now {
        tx.audit(
            &who.account_id,
            "terms.accepted",
            &who.account_id,
            json!({ "version": version }),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Acceptance {
        version,
        accepted_at: rfc3339(accepted_at),
    })
}

/// At sign-up, in its transaction: the new account accepts the version in
/// effect, if there is one.
pub(crate) async fn accept_at_signup(
    tx: &mut tern_store::Conn,
    account_id: &tern_domain::AccountId,
    now: i64,
) -> AppResult<()> {
    if let Some(t) = store::current(tx, now).await? {
        store::accept(tx, account_id, t.version, now).await?;
    }
    Ok(())
}

/// An account's acceptances, oldest first (for its data export).
pub async fn acceptances(
    conn: &mut tern_store::Conn,
    account_id: &tern_domain::AccountId,
) -> AppResult<Vec<Acceptance>> {
    Ok(store::acceptances(conn, account_id)
        .await?
        .into_iter()
        .map(|(version, at)| Acceptance {
            version,
            accepted_at: rfc3339(at),
        })
        .collect())
}

/// What an operator publishes.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TermsInput {
    /// Markdown, in both languages.
    #[serde(default)]
    pub text: Localised,
    /// RFC 3339; now when absent.
    pub effective_at: Option<String>,
    /// Whether travellers must accept it before they carry on.
    #[serde(default)]
    pub requires_acceptance: bool,
}

/// A version as operators see it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AdminTerms {
    pub version: i64,
    pub text: Localised,
    pub effective_at: String,
    pub requires_acceptance: bool,
    pub published_at: String,
    /// Whether it is the version in effect now.
    pub current: bool,
}

/// Checks an operator's input: both texts, and a valid effective date.
pub fn validate(app: &App, input: &TermsInput) -> AppResult<i64> {
    let mut problems = Vec::new();
    for (field, text) in [("text.en", &input.text.en), ("text.zh-CN", &input.text.zh_cn)] {
        if let Err(code) = check_text(text, BODY_MAX) {
            problems.push(FieldError::parsed(field, code));
        }
    }
    let effective_at = match input.effective_at.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => parse_time(s).unwrap_or_else(|| {
            problems.push(FieldError::new("effective_at", Code::TimeInvalid));
            0
        }),
        None => app.now_ms(),
    };
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    Ok(effective_at)
}

/// Publishes the next version (audited). Admin only; the caller checks.
pub async fn publish(app: &App, actor: &str, input: &TermsInput) -> AppResult<AdminTerms> {
    let effective_at = validate(app, input)?;
    let now = app.now_ms();
    let mut tx = app.work_at(now).await?;
    let version = store::insert_next(
        &mut tx,
        &NewTerms {
            text_en: input.text.en.trim(),
            text_zh: input.text.zh_cn.trim(),
            effective_at,
            requires_acceptance: input.requires_acceptance,
            published_by: actor,
            now,
        },
    )
    .await
    .map_err(|e| match e {
        tern_store::StoreError::Conflict(_) => AppError::Conflict(Code::TermsPublishConflict),
        other => other.into(),
    })?;
    tx.audit(
        actor,
        "terms.published",
        &version.to_string(),
        json!({ "requires_acceptance": input.requires_acceptance, "effective_at": effective_at }),
    )
    .await?;
    tx.commit().await?;
    app.terms_cache.clear();
    list(app)
        .await?
        .into_iter()
        .find(|t| t.version == version)
        .ok_or(AppError::Internal("published terms vanished".into()))
}

/// Every version, newest first.
pub async fn list(app: &App) -> AppResult<Vec<AdminTerms>> {
    let mut conn = app.db.conn().await?;
    let rows = store::list(&mut conn).await?;
    let now = app.now_ms();
    let current = rows.iter().find(|t| t.effective_at <= now).map(|t| t.version);
    Ok(rows
        .into_iter()
        .map(|t| AdminTerms {
            version: t.version,
            current: Some(t.version) == current,
            effective_at: rfc3339(t.effective_at),
            requires_acceptance: t.requires_acceptance,
            published_at: rfc3339(t.published_at),
            text: Localised {
                en: t.text_en,
                zh_cn: t.text_zh,
            },
        })
        .collect())
}
