//! Announcements for the signed-in traveller, their mail preference, and
//! the terms (public to read, signed in to accept).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use tern_app::announcements::{self, AnnouncementView, Preferences};
use tern_app::terms::{self, Acceptance, TermsView};

use crate::error::ApiError;
use crate::extract::{ApiJson, Auth, Lang};
use crate::state::HttpState;

/// The announcements for you, newest first, in your language, each with
/// its body as sanitised HTML and as Markdown, and whether you read it.
#[utoipa::path(get, path = "/api/v1/announcements", tag = "announcements",
    responses((status = 200, body = [AnnouncementView])), security(("bearer" = [])))]
pub async fn list(State(s): State<HttpState>, auth: Auth) -> Result<Json<Vec<AnnouncementView>>, ApiError> {
    Ok(Json(announcements::visible(&s.app, &auth.who, auth.locale).await?))
}

/// Mark an announcement read (its banner goes away). Repeats are harmless.
#[utoipa::path(post, path = "/api/v1/announcements/{id}/read", tag = "announcements", params(("id" = String, Path)),
    responses((status = 204, description = "read"), (status = 404, description = "announcement_not_found")),
    security(("bearer" = [])))]
pub async fn read(
    State(s): State<HttpState>,
    auth: Auth,
    Path(id): Path<tern_domain::AnnouncementId>,
) -> Result<StatusCode, ApiError> {
    announcements::mark_read(&s.app, &auth.who, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Your mail preferences.
#[utoipa::path(get, path = "/api/v1/me/preferences", tag = "me",
    responses((status = 200, body = Preferences)), security(("bearer" = [])))]
pub async fn get_preferences(State(s): State<HttpState>, auth: Auth) -> Result<Json<Preferences>, ApiError> {
    Ok(Json(announcements::preferences(&s.app, &auth.who).await?))
}

/// Change your mail preferences: `promotions_opt_out` stops promotional
/// announcements by email (policy, maintenance and terms notices still come).
#[utoipa::path(put, path = "/api/v1/me/preferences", tag = "me", request_body = Preferences,
    responses((status = 200, body = Preferences)), security(("bearer" = [])))]
pub async fn put_preferences(
    State(s): State<HttpState>,
    auth: Auth,
    ApiJson(input): ApiJson<Preferences>,
) -> Result<Json<Preferences>, ApiError> {
    Ok(Json(announcements::set_preferences(&s.app, &auth.who, &input).await?))
}

/// The terms in effect, in the request's language (no sign-in needed).
#[utoipa::path(get, path = "/api/v1/terms/current", tag = "terms",
    responses((status = 200, body = TermsView), (status = 404, description = "terms_not_published")))]
pub async fn current_terms(State(s): State<HttpState>, Lang(locale): Lang) -> Result<Json<TermsView>, ApiError> {
    Ok(Json(terms::current(&s.app, locale).await?))
}

/// Accept a terms version. While a version that requires acceptance is in
/// effect and not accepted, other calls answer 403 `terms_acceptance_required`.
#[utoipa::path(post, path = "/api/v1/terms/{version}/accept", tag = "terms", params(("version" = i64, Path)),
    responses((status = 200, body = Acceptance), (status = 404, description = "terms_version_not_found")),
    security(("bearer" = [])))]
pub async fn accept_terms(
    State(s): State<HttpState>,
    auth: Auth,
    Path(version): Path<String>,
) -> Result<Json<Acceptance>, ApiError> {
    let version = terms::parse_version(&version)?;
    Ok(Json(terms::accept(&s.app, &auth.who, version).await?))
}
