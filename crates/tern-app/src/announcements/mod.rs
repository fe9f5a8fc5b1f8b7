//! Announcements: operators write them in both languages (Markdown) for an
//! audience and publish them; travellers in the audience see them in the
//! portal and the API, important ones as a banner until read and by email
//! (see [`mail`]).

mod mail;
mod mail_job;
pub mod markdown;

pub use mail::{MAIL_BATCH, MailProgress, mail_batch, mail_progress};
pub use mail_job::MailAnnouncement;

use serde_json::json;
use tern_domain::Locale;
use tern_domain::announcement::{AnnouncementKind, AnnouncementState, Audience, BODY_MAX, check_text, check_title};
use tern_store::announcements::{self as store, AnnouncementRow};

use crate::App;
use crate::audit;
use crate::auth::Principal;
use crate::clock::rfc3339;
use crate::error::{AppError, AppResult, FieldError};
use crate::error_code::Code;
use crate::jobs;

/// A text in both languages.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Localised {
    #[serde(default)]
    pub en: String,
    #[serde(default, rename = "zh-CN")]
    pub zh_cn: String,
}

impl Localised {
    pub fn get(&self, locale: Locale) -> &str {
        match locale {
            Locale::En => &self.en,
            Locale::ZhCn => &self.zh_cn,
        }
    }
}

/// An RFC 3339 time, or a `datetime-local` form value (taken as UTC), as
/// Unix milliseconds.
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(s, f).ok())
        .map(|t| t.and_utc().timestamp_millis())
}

/// What an operator writes.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnnouncementInput {
    /// policy, promotion, maintenance or terms
    #[serde(default)]
    pub kind: String,
    /// Shown as a banner until read, and emailed to the audience.
    #[serde(default)]
    pub important: bool,
    #[serde(default)]
    pub title: Localised,
    /// Markdown; raw HTML is shown as text.
    #[serde(default)]
    pub body: Localised,
    /// everyone (default), active_esim, or countries
    #[serde(default)]
    pub audience: Option<String>,
    /// ISO 3166-1 alpha-2 codes, for the `countries` audience.
    #[serde(default)]
    pub countries: Vec<String>,
    /// RFC 3339. When present the announcement is published from then;
    /// otherwise it stays a draft until `POST …/{id}/publish`.
    pub publish_at: Option<String>,
    /// RFC 3339; shown until then.
    pub expires_at: Option<String>,
}

/// A checked [`AnnouncementInput`].
#[derive(Debug, Clone)]
pub struct Checked {
    pub kind: AnnouncementKind,
    pub audience: Audience,
    pub publish_at: Option<i64>,
    pub expires_at: Option<i64>,
}

/// Checks an operator's input, every problem at once.
pub fn validate(input: &AnnouncementInput) -> AppResult<Checked> {
    let mut problems = Vec::new();
    let kind = AnnouncementKind::parse(input.kind.trim());
    if kind.is_none() {
        problems.push(FieldError::new("kind", Code::AnnouncementKindUnknown));
    }
    for (field, text) in [("title.en", &input.title.en), ("title.zh-CN", &input.title.zh_cn)] {
        if let Err(code) = check_title(text) {
            problems.push(FieldError::parsed(field, code));
        }
    }
    for (field, text) in [("body.en", &input.body.en), ("body.zh-CN", &input.body.zh_cn)] {
        if let Err(code) = check_text(text, BODY_MAX) {
            problems.push(FieldError::parsed(field, code));
        }
    }
    let audience = Audience::parse(input.audience.as_deref().unwrap_or("everyone"), &input.countries)
        .map_err(|code| {
            let field = if code == "audience_unknown" {
                "audience"
            } else {
                "countries"
            };
            problems.push(FieldError::parsed(field, code));
        })
        .ok();
    let mut time = |field: &str, v: &Option<String>| match v.as_deref().filter(|s| !s.trim().is_empty()) {
        None => None,
        Some(s) => {
            let t = parse_time(s);
            if t.is_none() {
                problems.push(FieldError::new(field, Code::TimeInvalid));
            }
            t
        }
    };
    let publish_at = time("publish_at", &input.publish_at);
    let expires_at = time("expires_at", &input.expires_at);
    if let (Some(p), Some(e)) = (publish_at, expires_at)
        && e <= p
    {
        problems.push(FieldError::new("expires_at", Code::ExpiresBeforePublish));
    }
    match (kind, audience) {
        (Some(kind), Some(audience)) if problems.is_empty() => Ok(Checked {
            kind,
            audience,
            publish_at,
            expires_at,
        }),
        _ => Err(AppError::Validation(problems)),
    }
}

/// An announcement as a traveller sees it, in one language.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AnnouncementView {
    #[schema(value_type = String)]
    pub id: tern_domain::AnnouncementId,
    /// policy, promotion, maintenance or terms
    #[schema(value_type = String)]
    pub kind: AnnouncementKind,
    pub important: bool,
    /// The language of `title`, `body_html` and `body_markdown`.
    pub locale: String,
    pub title: String,
    /// The body rendered from Markdown and sanitised.
    pub body_html: String,
    pub body_markdown: String,
    pub published_at: String,
    pub expires_at: Option<String>,
    /// Whether this account has read it.
    pub read: bool,
}

fn view(a: &AnnouncementRow, read: bool, locale: Locale) -> AnnouncementView {
    let (title, body) = match locale {
        Locale::En => (&a.title_en, &a.body_en),
        Locale::ZhCn => (&a.title_zh, &a.body_zh),
    };
    AnnouncementView {
        id: a.id.clone(),
        kind: a.kind,
        important: a.important,
        locale: locale.tag().to_owned(),
        title: title.clone(),
        body_html: markdown::render(body),
        body_markdown: body.clone(),
        published_at: a.publish_at.map(rfc3339).unwrap_or_default(),
        expires_at: a.expires_at.map(rfc3339),
        read,
    }
}

/// The announcements `who` sees now, newest first.
pub async fn visible(app: &App, who: &Principal, locale: Locale) -> AppResult<Vec<AnnouncementView>> {
    let mut conn = app.db.reader().await?;
    let rows = store::visible_to(&mut conn, &who.account_id, app.now_ms()).await?;
    conn.release();
    Ok(rows
        .iter()
        .map(|(a, read_at)| view(a, read_at.is_some(), locale))
        .collect())
}

/// The important announcements `who` has not read yet, newest first (the
/// portal's banner).
pub async fn unread_important(app: &App, who: &Principal, locale: Locale) -> AppResult<Vec<AnnouncementView>> {
    Ok(visible(app, who, locale)
        .await?
        .into_iter()
        .filter(|a| a.important && !a.read)
        .collect())
}

/// Marks an announcement read; `not_found` when `who` cannot see it.
/// Repeating it changes nothing.
pub async fn mark_read(app: &App, who: &Principal, id: &tern_domain::AnnouncementId) -> AppResult<()> {
    let now = app.now_ms();
    let mut conn = app.db.conn().await?;
    if !store::is_visible_to(&mut conn, id, &who.account_id, now).await? {
        return Err(AppError::Missing(Code::AnnouncementNotFound));
    }
    store::mark_read(&mut conn, id, &who.account_id, now).await?;
    Ok(())
}

/// Mail preferences.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Preferences {
    /// No promotional announcements by email (policy, maintenance and
    /// terms notices are always sent).
    pub promotions_opt_out: bool,
}

pub async fn preferences(app: &App, who: &Principal) -> AppResult<Preferences> {
    let mut conn = app.db.conn().await?;
    Ok(Preferences {
        promotions_opt_out: store::promotions_opt_out(&mut conn, &who.account_id).await?,
    })
}

/// Changes the mail preferences (audited).
pub async fn set_preferences(app: &App, who: &Principal, p: &Preferences) -> AppResult<Preferences> {
    let now = app.now_ms();
    let mut tx = app.work_at(now).await?;
    store::set_promotions_opt_out(&mut tx, &who.account_id, p.promotions_opt_out, now).await?;
    tx.audit(
        &who.account_id,
        "account.preferences_changed",
        &who.account_id,
        json!({ "promotions_opt_out": p.promotions_opt_out }),
    )
    .await?;
    tx.commit().await?;
    Ok(p.clone())
}

/// An announcement as operators see it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AdminAnnouncement {
    #[schema(value_type = String)]
    pub id: tern_domain::AnnouncementId,
    #[schema(value_type = String)]
    pub kind: AnnouncementKind,
    pub important: bool,
    pub title: Localised,
    pub body: Localised,
    pub audience: String,
    pub countries: Vec<String>,
    /// draft, scheduled, published or expired
    #[schema(value_type = String)]
    pub state: AnnouncementState,
    pub publish_at: Option<String>,
    pub expires_at: Option<String>,
    /// Email progress (important announcements once published).
    pub mail: Option<MailProgress>,
}

async fn admin_view(app: &App, a: AnnouncementRow) -> AppResult<AdminAnnouncement> {
    let mail = if a.important && a.publish_at.is_some() {
        Some(mail_progress(app, &a).await?)
    } else {
        None
    };
    Ok(AdminAnnouncement {
        state: AnnouncementState::at(a.publish_at, a.expires_at, app.now_ms()),
        id: a.id,
        kind: a.kind,
        important: a.important,
        title: Localised {
            en: a.title_en,
            zh_cn: a.title_zh,
        },
        body: Localised {
            en: a.body_en,
            zh_cn: a.body_zh,
        },
        audience: a.audience,
        countries: a.countries,
        publish_at: a.publish_at.map(rfc3339),
        expires_at: a.expires_at.map(rfc3339),
        mail,
    })
}

/// Queues the email job of an important announcement for its publish time.
async fn schedule_mail(app: &App, tx: &mut tern_store::Conn, a: &AnnouncementRow, at: i64) -> AppResult<()> {
    if a.important {
        let job = MailAnnouncement {
            announcement_id: a.id.clone(),
            handled: None,
        };
        jobs::enqueue_at(app, tx, &job, at).await?;
    }
    Ok(())
}

/// Stores a new announcement (a draft unless it has `publish_at`). Admin
/// only; the caller checks.
pub async fn create(app: &App, actor: &str, input: &AnnouncementInput) -> AppResult<AdminAnnouncement> {
    let c = validate(input)?;
    let now = app.now_ms();
    let row = AnnouncementRow {
        id: crate::tokens::new_id().into(),
        kind: c.kind,
        important: input.important,
        title_en: input.title.en.trim().to_owned(),
        body_en: input.body.en.trim().to_owned(),
        title_zh: input.title.zh_cn.trim().to_owned(),
        body_zh: input.body.zh_cn.trim().to_owned(),
        audience: c.audience.kind().to_owned(),
        countries: c.audience.countries().iter().map(|c| c.as_str().to_owned()).collect(),
        publish_at: c.publish_at,
        expires_at: c.expires_at,
        mail_done_at: None,
        created_by: actor.to_owned(),
        created_at: now,
        updated_at: now,
    };
    let mut tx = app.work_at(now).await?;
    store::insert(&mut tx, &row).await?;
    tx.audit(
        actor,
        "announcement.created",
        &row.id,
        json!({ "kind": row.kind.as_str(), "important": row.important, "audience": row.audience }),
    )
    .await?;
    if let Some(at) = row.publish_at {
        published(app, &mut tx, actor, &row, at).await?;
    }
    tx.commit().await?;
    admin_view(app, row).await
}

async fn published(app: &App, tx: &mut tern_store::Conn, actor: &str, a: &AnnouncementRow, at: i64) -> AppResult<()> {
    schedule_mail(app, tx, a, at).await?;
    audit::record(
        tx,
        app.db.backend(),
        actor,
        "announcement.published",
        &a.id,
        json!({ "publish_at": at, "important": a.important }),
        app.now_ms(),
    )
    .await
}

/// Publishes a draft now; `announcement_already_published` otherwise.
pub async fn publish(app: &App, actor: &str, id: &tern_domain::AnnouncementId) -> AppResult<AdminAnnouncement> {
    let now = app.now_ms();
    let mut tx = app.work().await?;
    let Some(mut a) = store::by_id(&mut tx, id).await? else {
        return Err(AppError::Missing(Code::AnnouncementNotFound));
    };
    if !store::publish(&mut tx, id, now, now).await? {
        return Err(AppError::Conflict(Code::AnnouncementAlreadyPublished));
    }
    a.publish_at = Some(now);
    published(app, &mut tx, actor, &a, now).await?;
    tx.commit().await?;
    admin_view(app, a).await
}

/// Every announcement, newest first, with email progress.
pub async fn list(app: &App) -> AppResult<Vec<AdminAnnouncement>> {
    let rows = {
        let mut conn = app.db.conn().await?;
        store::list(&mut conn, 200).await?
    };
    let mut out = Vec::with_capacity(rows.len());
    for a in rows {
        out.push(admin_view(app, a).await?);
    }
    Ok(out)
}

pub async fn show(app: &App, id: &tern_domain::AnnouncementId) -> AppResult<AdminAnnouncement> {
    let a = {
        let mut conn = app.db.conn().await?;
        store::by_id(&mut conn, id).await?
    };
    admin_view(app, a.ok_or(AppError::Missing(Code::AnnouncementNotFound))?).await
}
