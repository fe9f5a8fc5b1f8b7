//! Operators: announcements and terms versions (admin only).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use tern_app::announcements::{self, AdminAnnouncement, AnnouncementInput};
use tern_app::terms::{self, AdminTerms, TermsInput};

use crate::error::ApiError;
use crate::extract::{ApiJson, Auth};
use crate::state::HttpState;

/// Refuses anyone but an admin, with an `access.forbidden` audit entry.
async fn admin(s: &HttpState, auth: &Auth, action: &str) -> Result<(), ApiError> {
    auth.require(s, tern_domain::Permission::PublishAnnouncements, action)
        .await
}

/// Write an announcement: a draft, or published from `publish_at`.
/// Important ones are emailed to their audience in batches once published.
#[utoipa::path(post, path = "/api/v1/admin/announcements", tag = "admin", request_body = AnnouncementInput,
    responses((status = 201, body = AdminAnnouncement), (status = 422, description = "invalid fields"),
        (status = 403, description = "forbidden")), security(("bearer" = [])))]
pub async fn create(
    State(s): State<HttpState>,
    auth: Auth,
    ApiJson(input): ApiJson<AnnouncementInput>,
) -> Result<(StatusCode, Json<AdminAnnouncement>), ApiError> {
    admin(&s, &auth, "admin.announcements.create").await?;
    let a = announcements::create(&s.app, &auth.who.account_id, &input).await?;
    Ok((StatusCode::CREATED, Json(a)))
}

/// Every announcement, newest first, with email progress (sent/total).
#[utoipa::path(get, path = "/api/v1/admin/announcements", tag = "admin",
    responses((status = 200, body = [AdminAnnouncement]), (status = 403, description = "forbidden")), security(("bearer" = [])))]
pub async fn list(State(s): State<HttpState>, auth: Auth) -> Result<Json<Vec<AdminAnnouncement>>, ApiError> {
    admin(&s, &auth, "admin.announcements.list").await?;
    Ok(Json(announcements::list(&s.app).await?))
}

/// One announcement with its email progress.
#[utoipa::path(get, path = "/api/v1/admin/announcements/{id}", tag = "admin", params(("id" = String, Path)),
    responses((status = 200, body = AdminAnnouncement), (status = 404, description = "announcement_not_found")),
    security(("bearer" = [])))]
pub async fn show(
    State(s): State<HttpState>,
    auth: Auth,
    Path(id): Path<tern_domain::AnnouncementId>,
) -> Result<Json<AdminAnnouncement>, ApiError> {
    admin(&s, &auth, "admin.announcements.show").await?;
    Ok(Json(announcements::show(&s.app, &id).await?))
}

/// Publish a draft now.
#[utoipa::path(post, path = "/api/v1/admin/announcements/{id}/publish", tag = "admin", params(("id" = String, Path)),
    responses((status = 200, body = AdminAnnouncement), (status = 409, description = "announcement_already_published"),
        (status = 404, description = "announcement_not_found")), security(("bearer" = [])))]
pub async fn publish(
    State(s): State<HttpState>,
    auth: Auth,
    Path(id): Path<tern_domain::AnnouncementId>,
) -> Result<Json<AdminAnnouncement>, ApiError> {
    admin(&s, &auth, "admin.announcements.publish").await?;
    Ok(Json(announcements::publish(&s.app, &auth.who.account_id, &id).await?))
}

/// Publish the next terms version (in effect from `effective_at`, or now).
#[utoipa::path(post, path = "/api/v1/admin/terms", tag = "admin", request_body = TermsInput,
    responses((status = 201, body = AdminTerms), (status = 422, description = "invalid fields"),
        (status = 403, description = "forbidden")), security(("bearer" = [])))]
pub async fn publish_terms(
    State(s): State<HttpState>,
    auth: Auth,
    ApiJson(input): ApiJson<TermsInput>,
) -> Result<(StatusCode, Json<AdminTerms>), ApiError> {
    admin(&s, &auth, "admin.terms.publish").await?;
    let t = terms::publish(&s.app, &auth.who.account_id, &input).await?;
    Ok((StatusCode::CREATED, Json(t)))
}

/// Every terms version, newest first.
#[utoipa::path(get, path = "/api/v1/admin/terms", tag = "admin",
    responses((status = 200, body = [AdminTerms]), (status = 403, description = "forbidden")), security(("bearer" = [])))]
pub async fn list_terms(State(s): State<HttpState>, auth: Auth) -> Result<Json<Vec<AdminTerms>>, ApiError> {
    admin(&s, &auth, "admin.terms.list").await?;
    Ok(Json(terms::list(&s.app).await?))
}
