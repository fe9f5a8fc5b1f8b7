//! The signed-in user's own profile and sessions.

use serde_json::json;
use tern_domain::{Locale, Phone};
use tern_store::accounts::{self, ProfilePatch};
use tern_store::sessions;

use super::Problems;
use crate::App;
use crate::auth::Principal;
use crate::clock::rfc3339;
use crate::error::{AppError, AppResult};
use crate::error_code::Code;

/// The account as its owner sees it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Me {
    #[schema(value_type = String)]
    pub id: tern_domain::AccountId,
    pub email: String,
    pub email_verified: bool,
    pub phone: Option<String>,
    pub phone_verified: bool,
    pub name: Option<String>,
    /// `en` or `zh-CN`.
    pub locale: String,
    /// `user`, `admin`, `support` or `finance`.
    #[schema(value_type = String)]
    pub role: tern_domain::Role,
    pub created_at: String,
}

pub async fn me(app: &App, who: &Principal) -> AppResult<Me> {
    let mut conn = app.db.conn().await?;
    let a = accounts::by_id(&mut conn, &who.account_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    Ok(Me {
        id: a.id,
        email: a.email.unwrap_or_default(),
        email_verified: a.email_verified_at.is_some(),
        phone: a.phone,
        phone_verified: a.phone_verified_at.is_some(),
        name: a.name,
        locale: a.locale,
        role: a.role,
        created_at: rfc3339(a.created_at),
    })
}

/// Fields of `PATCH /api/v1/me`; absent fields stay as they are, and an
/// empty `name` or `phone` removes it.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ProfileUpdate {
    pub name: Option<String>,
    pub locale: Option<String>,
    pub phone: Option<String>,
}

pub async fn update_profile(app: &App, who: &Principal, input: ProfileUpdate) -> AppResult<Me> {
    let mut problems = Problems::default();
    let mut patch = ProfilePatch::default();
    if let Some(name) = input.name {
        let name = name.trim().to_owned();
        if name.chars().count() > 100 {
            problems.add("name", Code::NameTooLong);
        }
        patch.name = Some((!name.is_empty()).then_some(name));
    }
    if let Some(l) = input.locale {
        match Locale::parse(&l) {
            Some(loc) => patch.locale = Some(loc.tag().to_owned()),
            None => problems.add("locale", Code::LocaleUnsupported),
        }
    }
    if let Some(p) = input.phone {
        if p.trim().is_empty() {
            patch.phone = Some(None);
        } else {
            match Phone::parse(&p) {
                Ok(phone) => patch.phone = Some(Some(phone.as_str().to_owned())),
                Err(_) => problems.add("phone", Code::PhoneInvalid),
            }
        }
    }
    problems.into_result()?;
    let now = app.now_ms();
    let mut tx = app.work_at(now).await?;
    accounts::update_profile(&mut tx, &who.account_id, &patch, now).await?;
    let fields: Vec<&str> = [
        patch.name.as_ref().map(|_| "name"),
        patch.locale.as_ref().map(|_| "locale"),
        patch.phone.as_ref().map(|_| "phone"),
    ]
    .into_iter()
    .flatten()
    .collect();
    tx.audit(
        &who.account_id,
        "account.profile_updated",
        &who.account_id,
        json!({ "fields": fields }),
    )
    .await?;
    tx.commit().await?;
    me(app, who).await
}

/// A session or API token as its owner sees it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SessionView {
    #[schema(value_type = String)]
    pub id: tern_domain::SessionId,
    /// `session` (a sign-in) or `api` (a personal API token).
    #[schema(value_type = String)]
    pub kind: tern_domain::SessionKind,
    pub label: Option<String>,
    pub current: bool,
    pub created_at: String,
    pub last_seen_at: String,
    pub expires_at: String,
    pub user_agent: Option<String>,
    /// The browser and system, e.g. "Chrome · Android".
    pub device: Option<String>,
    pub ip: Option<String>,
}

pub async fn list_sessions(app: &App, who: &Principal) -> AppResult<Vec<SessionView>> {
    let mut conn = app.db.conn().await?;
    let rows = sessions::list_for_account(&mut conn, &who.account_id, app.now_ms()).await?;
    Ok(rows
        .into_iter()
        .map(|s| SessionView {
            current: s.id == who.session_id,
            id: s.id,
            kind: s.kind,
            label: s.label,
            created_at: rfc3339(s.created_at),
            last_seen_at: rfc3339(s.last_seen_at),
            expires_at: rfc3339(s.expires_at),
            device: s.user_agent.as_deref().and_then(tern_domain::device::describe),
            user_agent: s.user_agent,
            ip: s.ip,
        })
        .collect())
}

/// Ends one of the caller's own sessions; another account's id is simply
/// not found.
pub async fn end_session(app: &App, who: &Principal, session_id: &tern_domain::SessionId) -> AppResult<()> {
    let now = app.now_ms();
    let mut tx = app.work_at(now).await?;
    if !sessions::delete(&mut tx, &who.account_id, session_id).await? {
        return Err(AppError::NotFound);
    }
    tx.audit(
        &who.account_id,
        "session.ended",
        &who.account_id,
        json!({ "session": session_id }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
