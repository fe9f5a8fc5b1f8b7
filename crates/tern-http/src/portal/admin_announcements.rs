//! The operators' console for announcements and terms versions: write in
//! both languages with a preview of each, save a draft or publish, and
//! follow an important announcement's email (sent/total). Admin only;
//! anyone else gets 403 and an `access.forbidden` audit entry.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Value, json};
use tern_app::announcements::{self, AdminAnnouncement, AnnouncementInput, Localised, markdown};
use tern_app::auth::Principal;
use tern_app::terms::{self, TermsInput};

use tern_domain::announcement::AnnouncementKind;
use tern_i18n::t;

use super::page::Ctx;
use crate::state::HttpState;

async fn admin(ctx: &Ctx, action: &str) -> Result<Principal, Response> {
    ctx.require(tern_domain::Permission::PublishAnnouncements, action).await
}

/// The announcement form as posted.
#[derive(Debug, Default, Clone, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct AnnouncementForm {
    csrf: String,
    /// preview, save (a draft) or publish
    action: String,
    kind: String,
    important: Option<String>,
    title_en: String,
    title_zh: String,
    body_en: String,
    body_zh: String,
    audience: String,
    /// Country codes separated by commas or spaces.
    countries: String,
    publish_at: String,
    expires_at: String,
}

impl AnnouncementForm {
    fn input(&self, publish: bool) -> AnnouncementInput {
        let opt = |s: &str| Some(s.to_owned()).filter(|s| !s.trim().is_empty());
        AnnouncementInput {
            kind: self.kind.clone(),
            important: self.important.is_some(),
            title: Localised {
                en: self.title_en.clone(),
                zh_cn: self.title_zh.clone(),
            },
            body: Localised {
                en: self.body_en.clone(),
                zh_cn: self.body_zh.clone(),
            },
            audience: opt(&self.audience),
            countries: self
                .countries
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect(),
            publish_at: if publish { opt(&self.publish_at) } else { None },
            expires_at: opt(&self.expires_at),
        }
    }
}

fn mail_text(ctx: &Ctx, a: &AdminAnnouncement) -> Option<String> {
    a.mail.map(|m| {
        tern_i18n::tf(
            ctx.locale,
            if m.done {
                "announcements.admin.mail_done"
            } else {
                "announcements.admin.mail_progress"
            },
            &[
                ("sent", &m.sent.to_string()),
                ("total", &m.total.to_string()),
                ("skipped", &m.skipped.to_string()),
            ],
        )
    })
}

fn row(ctx: &Ctx, a: &AdminAnnouncement) -> Value {
    json!({ "id": a.id, "title": a.title.get(ctx.locale), "kind_text": t(ctx.locale, &format!("announcements.kind.{}", a.kind)),
            "important": a.important, "state": a.state, "state_text": t(ctx.locale, &format!("announcements.admin.state.{}", a.state)),
            "publish_at": a.publish_at, "mail_text": mail_text(ctx, a), "audience_text": audience_text(ctx, &a.audience, &a.countries) })
}

fn audience_text(ctx: &Ctx, audience: &str, countries: &[String]) -> String {
    let base = t(ctx.locale, &format!("announcements.admin.audience.{audience}")).to_owned();
    if countries.is_empty() {
        base
    } else {
        format!("{base}: {}", countries.join(", "))
    }
}

fn choices(ctx: &Ctx, form: &AnnouncementForm) -> (Vec<Value>, Vec<Value>) {
    let kinds = AnnouncementKind::ALL
        .iter()
        .map(|k| json!({ "value": k.as_str(), "text": t(ctx.locale, &format!("announcements.kind.{}", k.as_str())), "selected": form.kind == k.as_str() }))
        .collect();
    let audiences = ["everyone", "active_esim", "countries"]
        .iter()
        .map(|a| json!({ "value": a, "text": t(ctx.locale, &format!("announcements.admin.audience.{a}")), "selected": form.audience == *a }))
        .collect();
    (kinds, audiences)
}

async fn list_page(ctx: &Ctx, form: &AnnouncementForm, preview: bool, errors: Value, status: StatusCode) -> Response {
    let rows: Vec<Value> = match announcements::list(&ctx.state.app).await {
        Ok(list) => list.iter().map(|a| row(ctx, a)).collect(),
        Err(_) => Vec::new(),
    };
    let (kinds, audiences) = choices(ctx, form);
    let previews = preview.then(|| {
        json!({ "en": { "title": form.title_en, "body_html": markdown::render(&form.body_en) },
                "zh": { "title": form.title_zh, "body_html": markdown::render(&form.body_zh) } })
    });
    ctx.render_status(
        status,
        "admin_announcements.html",
        json!({ "rows": rows, "form": form, "kinds": kinds, "audiences": audiences, "md_preview": previews, "errors": errors }),
    )
}

pub async fn list(State(s): State<HttpState>, headers: HeaderMap) -> Response {
    let ctx = Ctx::load(s, &headers, "/admin/announcements").await;
    if let Err(r) = admin(&ctx, "portal.admin.announcements").await {
        return r;
    }
    let form = AnnouncementForm {
        kind: "policy".into(),
        audience: "everyone".into(),
        ..Default::default()
    };
    list_page(&ctx, &form, false, json!({}), StatusCode::OK).await
}

/// `POST /admin/announcements`: preview, save a draft, or publish.
pub async fn submit(State(s): State<HttpState>, headers: HeaderMap, Form(f): Form<AnnouncementForm>) -> Response {
    let ctx = Ctx::load(s, &headers, "/admin/announcements").await;
    if let Err(r) = ctx.check_csrf(&f.csrf) {
        return r;
    }
    let who = match admin(&ctx, "portal.admin.announcements.submit").await {
        Ok(w) => w,
        Err(r) => return r,
    };
    let app = &ctx.state.app;
    let publish = f.action == "publish";
    if f.action == "preview" {
        // Check too, so problems show beside the preview.
        let errors = match announcements::validate(&f.input(true)) {
            Ok(_) => json!({}),
            Err(e) => ctx.errors(&e),
        };
        return list_page(&ctx, &f, true, errors, StatusCode::OK).await;
    }
    let result = match announcements::create(app, &who.account_id, &f.input(publish)).await {
        Ok(a) if publish && a.state == tern_domain::announcement::AnnouncementState::Draft => {
            announcements::publish(app, &who.account_id, &a.id).await
        }
        other => other,
    };
    match result {
        Ok(a) => Redirect::to(&format!("/admin/announcements/{}", a.id)).into_response(),
        Err(e) => list_page(&ctx, &f, true, ctx.errors(&e), StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}

async fn detail_page(ctx: &Ctx, id: &tern_domain::AnnouncementId, error: Option<String>) -> Response {
    match announcements::show(&ctx.state.app, id).await {
        Ok(a) => ctx.render(
            "admin_announcement.html",
            json!({ "a": row(ctx, &a), "expires_at": a.expires_at, "error": error,
                    "en": { "title": a.title.en, "body_html": markdown::render(&a.body.en) },
                    "zh": { "title": a.title.zh_cn, "body_html": markdown::render(&a.body.zh_cn) } }),
        ),
        Err(e) => ctx.render_status(
            crate::error::status_of(&e),
            "message.html",
            json!({ "title": t(ctx.locale, "error.not_found"), "body": crate::error::message(e.code(), ctx.locale), "link": "/admin/announcements", "link_text": t(ctx.locale, "announcements.admin.title") }),
        ),
    }
}

pub async fn show(
    State(s): State<HttpState>,
    headers: HeaderMap,
    Path(id): Path<tern_domain::AnnouncementId>,
) -> Response {
    let ctx = Ctx::load(s, &headers, "/admin/announcements").await;
    if let Err(r) = admin(&ctx, "portal.admin.announcement").await {
        return r;
    }
    detail_page(&ctx, &id, None).await
}

#[derive(Debug, serde::Deserialize)]
pub struct CsrfForm {
    /// Missing is refused like a wrong token (403), not as a bad form.
    #[serde(default)]
    csrf: String,
}

/// `POST /admin/announcements/{id}/publish`.
pub async fn publish(
    State(s): State<HttpState>,
    headers: HeaderMap,
    Path(id): Path<tern_domain::AnnouncementId>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let ctx = Ctx::load(s, &headers, "/admin/announcements").await;
    if let Err(r) = ctx.check_csrf(&f.csrf) {
        return r;
    }
    let who = match admin(&ctx, "portal.admin.announcement.publish").await {
        Ok(w) => w,
        Err(r) => return r,
    };
    match announcements::publish(&ctx.state.app, &who.account_id, &id).await {
        Ok(_) => Redirect::to(&format!("/admin/announcements/{id}")).into_response(),
        Err(e) => detail_page(&ctx, &id, Some(crate::error::message(e.code(), ctx.locale))).await,
    }
}

/// The terms form as posted.
#[derive(Debug, Default, Clone, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct TermsForm {
    csrf: String,
    /// preview or publish
    action: String,
    text_en: String,
    text_zh: String,
    effective_at: String,
    requires_acceptance: Option<String>,
}

impl TermsForm {
    fn input(&self) -> TermsInput {
        TermsInput {
            text: Localised {
                en: self.text_en.clone(),
                zh_cn: self.text_zh.clone(),
            },
            effective_at: Some(self.effective_at.clone()).filter(|s| !s.trim().is_empty()),
            requires_acceptance: self.requires_acceptance.is_some(),
        }
    }
}

async fn terms_page(ctx: &Ctx, form: &TermsForm, preview: bool, errors: Value, status: StatusCode) -> Response {
    let versions: Vec<Value> = page_try!(ctx, terms::list(&ctx.state.app).await)
        .iter()
        .map(|v| json!({ "version": v.version, "effective_at": v.effective_at, "requires_acceptance": v.requires_acceptance, "current": v.current }))
        .collect();
    let previews =
        preview.then(|| json!({ "en": markdown::render(&form.text_en), "zh": markdown::render(&form.text_zh) }));
    ctx.render_status(
        status,
        "admin_terms.html",
        json!({ "versions": versions, "form": form, "md_preview": previews, "errors": errors }),
    )
}

pub async fn terms_list(State(s): State<HttpState>, headers: HeaderMap) -> Response {
    let ctx = Ctx::load(s, &headers, "/admin/terms").await;
    if let Err(r) = admin(&ctx, "portal.admin.terms").await {
        return r;
    }
    terms_page(&ctx, &TermsForm::default(), false, json!({}), StatusCode::OK).await
}

/// `POST /admin/terms`: preview or publish.
pub async fn terms_submit(State(s): State<HttpState>, headers: HeaderMap, Form(f): Form<TermsForm>) -> Response {
    let ctx = Ctx::load(s, &headers, "/admin/terms").await;
    if let Err(r) = ctx.check_csrf(&f.csrf) {
        return r;
    }
    let who = match admin(&ctx, "portal.admin.terms.submit").await {
        Ok(w) => w,
        Err(r) => return r,
    };
    let app = &ctx.state.app;
    if f.action != "publish" {
        let errors = match terms::validate(app, &f.input()) {
            Ok(_) => json!({}),
            Err(e) => ctx.errors(&e),
        };
        return terms_page(&ctx, &f, true, errors, StatusCode::OK).await;
    }
    match terms::publish(app, &who.account_id, &f.input()).await {
        Ok(_) => Redirect::to("/admin/terms").into_response(),
        Err(e) => terms_page(&ctx, &f, true, ctx.errors(&e), StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}
