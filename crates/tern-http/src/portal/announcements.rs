//! The traveller's announcements: the list (unread ones marked), marking
//! one read (also from the banner on every signed-in page), and the
//! promotional mail preference.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;
use tern_app::announcements::{self, Preferences};
use tern_i18n::t;

use super::page::{Ctx, safe_next};
use crate::state::HttpState;

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct Notice {
    notice: String,
}

pub async fn list(State(s): State<HttpState>, headers: HeaderMap, Query(q): Query<Notice>) -> Response {
    let ctx = Ctx::load(s, &headers, "/announcements").await;
    let who = match ctx.require_login() {
        Ok(w) => w.clone(),
        Err(r) => return r,
    };
    let app = &ctx.state.app;
    let items = match announcements::visible(app, &who, ctx.locale).await {
        Ok(v) => v,
        Err(e) => return ctx.render("message.html", json!({ "title": t(ctx.locale, "error.generic"), "body": crate::error::message(e.code(), ctx.locale), "link": "/", "link_text": t(ctx.locale, "announcements.title") })),
    };
    let items: Vec<_> = items
        .iter()
        .map(|a| json!({ "id": a.id, "title": a.title, "body_html": a.body_html, "important": a.important, "read": a.read,
                         "published_at": a.published_at, "kind_text": t(ctx.locale, &format!("announcements.kind.{}", a.kind)) }))
        .collect();
    let prefs = announcements::preferences(app, &who).await.unwrap_or(Preferences {
        promotions_opt_out: false,
    });
    let notice = match q.notice.as_str() {
        "saved" => Some(t(ctx.locale, "announcements.preferences_saved")),
        _ => None,
    };
    ctx.render(
        "announcements.html",
        json!({ "items": items, "promotions_opt_out": prefs.promotions_opt_out, "notice": notice, "hide_announcement_banner": true }),
    )
}

#[derive(Debug, serde::Deserialize)]
pub struct ReadForm {
    /// Missing is refused like a wrong token (403), not as a bad form.
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
}

/// `POST /announcements/{id}/read`, then back where the reader was.
pub async fn read(
    State(s): State<HttpState>,
    headers: HeaderMap,
    Path(id): Path<tern_domain::AnnouncementId>,
    Form(f): Form<ReadForm>,
) -> Response {
    let ctx = Ctx::load(s, &headers, "/announcements").await;
    let who = match ctx.form_user(&f.csrf) {
        Ok(w) => w,
        Err(r) => return r,
    };
    // An announcement that is gone or not for this reader: nothing to mark.
    let _ = announcements::mark_read(&ctx.state.app, &who, &id).await;
    let next = if f.next.is_empty() {
        "/announcements".to_owned()
    } else {
        safe_next(&f.next)
    };
    Redirect::to(&next).into_response()
}

#[derive(Debug, serde::Deserialize)]
pub struct PreferencesForm {
    /// Missing is refused like a wrong token (403), not as a bad form.
    #[serde(default)]
    csrf: String,
    /// Present (checked) when the traveller wants promotional mail.
    #[serde(default)]
    promotions: Option<String>,
}

/// `POST /announcements/preferences`.
pub async fn preferences(State(s): State<HttpState>, headers: HeaderMap, Form(f): Form<PreferencesForm>) -> Response {
    let ctx = Ctx::load(s, &headers, "/announcements").await;
    let who = match ctx.form_user(&f.csrf) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let p = Preferences {
        promotions_opt_out: f.promotions.is_none(),
    };
    match announcements::set_preferences(&ctx.state.app, &who, &p).await {
        Ok(_) => Redirect::to("/announcements?notice=saved#preferences").into_response(),
        Err(e) => ctx.render("message.html", json!({ "title": t(ctx.locale, "error.generic"), "body": crate::error::message(e.code(), ctx.locale), "link": "/announcements", "link_text": t(ctx.locale, "announcements.title") })),
    }
}
