//! The console's staff page (admin): who has which role, adding someone
//! (the one-time password is shown once), changing a role, disabling.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Value, json};
use tern_app::console::{self, StaffInput};
use tern_domain::Permission;

use super::page::Ctx;
use crate::state::HttpState;

async fn page(ctx: &Ctx, status: StatusCode, created: Value, errors: Value, form: Value) -> Response {
    let me = ctx.who.as_ref().map(|w| w.account_id.clone()).unwrap_or_default();
    let staff: Vec<Value> = page_try!(ctx, console::list_staff(&ctx.state.app).await)
        .into_iter()
        .map(|s| {
            json!({ "id": s.id, "email": s.email, "role": s.role, "status": s.status,
                    "created_at": s.created_at, "last_login_at": s.last_login_at, "me": s.id == me })
        })
        .collect();
    ctx.render_status(
        status,
        "admin_staff.html",
        json!({ "staff": staff, "created": created, "errors": errors, "form": form,
                "roles": ["support", "finance", "admin"] }),
    )
}

/// `GET /admin/staff`.
pub async fn list(State(s): State<HttpState>, headers: HeaderMap) -> Response {
    let ctx = Ctx::load(s, &headers, "/admin/staff").await;
    if let Err(r) = ctx.require(Permission::ManageStaff, "portal.admin.staff").await {
        return r;
    }
    page(&ctx, StatusCode::OK, Value::Null, Value::Null, Value::Null).await
}

#[derive(Debug, serde::Deserialize)]
pub struct CreateForm {
    /// Missing is refused like a wrong token (403), not as a bad form.
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

/// `POST /admin/staff`.
pub async fn create(State(s): State<HttpState>, headers: HeaderMap, Form(f): Form<CreateForm>) -> Response {
    let ctx = Ctx::load(s, &headers, "/admin/staff").await;
    if let Err(r) = ctx.check_csrf(&f.csrf) {
        return r;
    }
    let who = match ctx.require(Permission::ManageStaff, "portal.admin.staff.create").await {
        Ok(w) => w,
        Err(r) => return r,
    };
    let input = StaffInput {
        email: f.email.clone(),
        role: f.role.clone(),
    };
    match console::create_staff(&ctx.state.app, &who.account_id, &input).await {
        Ok(made) => {
            page(
                &ctx,
                StatusCode::OK,
                json!({ "email": made.staff.email, "role": made.staff.role, "password": made.one_time_password }),
                Value::Null,
                Value::Null,
            )
            .await
        }
        Err(e) => {
            let form = json!({ "email": f.email, "role": f.role });
            page(&ctx, crate::error::status_of(&e), Value::Null, ctx.errors(&e), form).await
        }
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct ActionForm {
    /// Missing is refused like a wrong token (403), not as a bad form.
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
}

/// `POST /admin/staff/{id}/{role|disable}`.
pub async fn act(
    State(s): State<HttpState>,
    headers: HeaderMap,
    Path((id, action)): Path<(tern_domain::AccountId, String)>,
    Form(f): Form<ActionForm>,
) -> Response {
    let ctx = Ctx::load(s, &headers, "/admin/staff").await;
    if let Err(r) = ctx.check_csrf(&f.csrf) {
        return r;
    }
    let who = match ctx
        .require(Permission::ManageStaff, &format!("portal.admin.staff.{action}"))
        .await
    {
        Ok(w) => w,
        Err(r) => return r,
    };
    let app = &ctx.state.app;
    let result = match action.as_str() {
        "role" => console::set_staff_role(app, &who.account_id, &id, &f.role).await,
        "disable" => console::disable_staff(app, &who.account_id, &id).await,
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    match result {
        Ok(_) => Redirect::to("/admin/staff").into_response(),
        Err(e) => {
            page(
                &ctx,
                crate::error::status_of(&e),
                Value::Null,
                ctx.errors(&e),
                Value::Null,
            )
            .await
        }
    }
}
