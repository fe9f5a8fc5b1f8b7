//! The console's plan catalogue (admin): every plan with its state,
//! activate and deactivate, and importing pasted JSON or CSV with the
//! importer's row-numbered errors.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Value, json};
use tern_app::catalogue::{Format, ImportFailure};
use tern_app::console;
use tern_domain::Permission;
use tern_i18n::tf;

use super::page::Ctx;
use crate::state::HttpState;

async fn page(
    ctx: &Ctx,
    status: StatusCode,
    notice: Option<String>,
    import_errors: Vec<Value>,
    error: Option<String>,
    pasted: &str,
) -> Response {
    let plans: Vec<Value> = page_try!(ctx, console::list_plans(&ctx.state.app, ctx.locale).await)
        .into_iter()
        .map(|p| {
            let spec = serde_json::to_value(&p.plan).unwrap_or(Value::Null);
            json!({ "code": spec["code"], "name": p.display_name, "active": spec["active"],
                    "price_text": p.plan.price.to_string() })
        })
        .collect();
    ctx.render_status(
        status,
        "admin_plans.html",
        json!({ "plans": plans, "notice": notice, "import_errors": import_errors, "error": error, "pasted": pasted }),
    )
}

/// `GET /admin/plans`.
pub async fn list(State(s): State<HttpState>, headers: HeaderMap) -> Response {
    let ctx = Ctx::load(s, &headers, "/admin/plans").await;
    if let Err(r) = ctx.require(Permission::ManagePlans, "portal.admin.plans").await {
        return r;
    }
    page(&ctx, StatusCode::OK, None, Vec::new(), None, "").await
}

#[derive(Debug, serde::Deserialize)]
pub struct CsrfForm {
    /// Missing is refused like a wrong token (403), not as a bad form.
    #[serde(default)]
    csrf: String,
}

/// `POST /admin/plans/{code}/{activate|deactivate}`.
pub async fn set_active(
    State(s): State<HttpState>,
    headers: HeaderMap,
    Path((code, action)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let ctx = Ctx::load(s, &headers, "/admin/plans").await;
    if let Err(r) = ctx.check_csrf(&f.csrf) {
        return r;
    }
    let active = match action.as_str() {
        "activate" => true,
        "deactivate" => false,
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let who = match ctx
        .require(Permission::ManagePlans, &format!("portal.admin.plans.{action}"))
        .await
    {
        Ok(w) => w,
        Err(r) => return r,
    };
    match console::set_plan_active(&ctx.state.app, &who.account_id, &code, active, ctx.locale).await {
        Ok(_) => Redirect::to("/admin/plans").into_response(),
        Err(e) => {
            let msg = crate::error::message(e.code(), ctx.locale);
            page(&ctx, crate::error::status_of(&e), None, Vec::new(), Some(msg), "").await
        }
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct ImportForm {
    /// Missing is refused like a wrong token (403), not as a bad form.
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    format: String,
    #[serde(default)]
    body: String,
}

/// `POST /admin/plans/import`: a pasted catalogue file.
pub async fn import(State(s): State<HttpState>, headers: HeaderMap, Form(f): Form<ImportForm>) -> Response {
    let ctx = Ctx::load(s, &headers, "/admin/plans").await;
    if let Err(r) = ctx.check_csrf(&f.csrf) {
        return r;
    }
    let who = match ctx.require(Permission::ManagePlans, "portal.admin.plans.import").await {
        Ok(w) => w,
        Err(r) => return r,
    };
    let format = if f.format == "csv" { Format::Csv } else { Format::Json };
    match console::import_plans(&ctx.state.app, &who.account_id, f.body.as_bytes(), format).await {
        Ok(r) => {
            let notice = tf(
                ctx.locale,
                "console.plans.imported",
                &[("created", &r.created.to_string()), ("updated", &r.updated.to_string())],
            );
            page(&ctx, StatusCode::OK, Some(notice), Vec::new(), None, "").await
        }
        Err(ImportFailure::Invalid(errors)) => {
            let lines: Vec<Value> = errors
                .as_slice()
                .iter()
                .map(|e| {
                    let at = match e.line {
                        Some(line) => tf(ctx.locale, "console.plans.at_line", &[("n", &line.to_string())]),
                        None => tf(ctx.locale, "console.plans.at_row", &[("n", &e.row.to_string())]),
                    };
                    json!({ "at": at, "field": e.field, "code": e.code.as_str(), "message": e.message })
                })
                .collect();
            page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, None, lines, None, &f.body).await
        }
        Err(ImportFailure::Failed(e)) => {
            let msg = match &e {
                tern_app::AppError::Validation(fields) => fields.first().map_or_else(
                    || crate::error::message(e.code(), ctx.locale),
                    |x| crate::error::message(x.code, ctx.locale),
                ),
                _ => crate::error::message(e.code(), ctx.locale),
            };
            page(&ctx, crate::error::status_of(&e), None, Vec::new(), Some(msg), &f.body).await
        }
    }
}
