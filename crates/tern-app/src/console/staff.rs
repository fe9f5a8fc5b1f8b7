//! Staff management for admins: who has a staff role, adding someone
//! (what `tern admin create` does, with a generated one-time password),
//! changing a role and disabling an account. Admins cannot change or
//! disable themselves, so a console always keeps the admin using it.

use serde::{Deserialize, Serialize};
use serde_json::json;
use tern_domain::{AccountStatus, Role};
use tern_store::{accounts, console, sessions};

use crate::App;
use crate::clock::rfc3339;
use crate::error::{AppError, AppResult};
use crate::error_code::Code;

/// A staff member.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StaffView {
    #[schema(value_type = String)]
    pub id: tern_domain::AccountId,
    pub email: Option<String>,
    /// `admin`, `support` or `finance`.
    #[schema(value_type = String)]
    pub role: Role,
    /// `active` or `disabled`.
    #[schema(value_type = String)]
    pub status: AccountStatus,
    pub created_at: String,
    pub last_login_at: Option<String>,
}

impl StaffView {
    fn from_row(a: &tern_store::accounts::AccountRow) -> Self {
        Self {
            id: a.id.clone(),
            email: a.email.clone(),
            role: a.role,
            status: a.status,
            created_at: rfc3339(a.created_at),
            last_login_at: a.last_login_at.map(rfc3339),
        }
    }
}

/// `POST /api/v1/admin/staff`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffInput {
    pub email: String,
    /// `admin`, `support` or `finance`.
    pub role: String,
}

/// A staff member added: with the one-time password to hand over when the
/// account is new (the person changes it after signing in); an existing
/// account keeps its password and gets the role.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NewStaff {
    pub staff: StaffView,
    pub created: bool,
    pub one_time_password: Option<String>,
}

fn staff_role(raw: &str) -> AppResult<Role> {
    match Role::parse(raw.trim()) {
        Some(r) if r.is_staff() => Ok(r),
        _ => Err(AppError::field("role", Code::RoleNotStaff)),
    }
}

async fn show(app: &App, id: &tern_domain::AccountId) -> AppResult<StaffView> {
    let mut conn = app.db.conn().await?;
    let a = accounts::by_id(&mut conn, id).await?.ok_or(AppError::NotFound)?;
    Ok(StaffView::from_row(&a))
}

/// Every staff account, oldest first.
pub async fn list_staff(app: &App) -> AppResult<Vec<StaffView>> {
    let mut conn = app.db.conn().await?;
    Ok(console::staff(&mut conn)
        .await?
        .iter()
        .map(StaffView::from_row)
        .collect())
}

/// Adds a staff member by email.
pub async fn create_staff(app: &App, actor: &tern_domain::AccountId, input: &StaffInput) -> AppResult<NewStaff> {
    let role = staff_role(&input.role)?;
    let password = crate::tokens::new_token();
    let (id, created) = crate::accounts::create_staff_by(app, actor, &input.email, role, &password).await?;
    Ok(NewStaff {
        staff: show(app, &id).await?,
        created,
        one_time_password: created.then_some(password),
    })
}

async fn target(
    tx: &mut tern_store::Conn,
    actor: &tern_domain::AccountId,
    id: &tern_domain::AccountId,
) -> AppResult<tern_store::accounts::AccountRow> {
    let a = accounts::by_id(tx, id).await?.ok_or(AppError::NotFound)?;
    if a.role == Role::User {
        return Err(AppError::NotFound);
    }
    if a.id == *actor {
        return Err(AppError::Conflict(Code::StaffSelfChange));
    }
    Ok(a)
}

/// Gives a staff member another staff role; their sessions see it on the
/// next request.
pub async fn set_staff_role(
    app: &App,
    actor: &tern_domain::AccountId,
    id: &tern_domain::AccountId,
    role: &str,
) -> AppResult<StaffView> {
    let role = staff_role(role)?;
    let now = app.now_ms();
    let mut tx = app.work_at(now).await?;
    let a = target(&mut tx, actor, id).await?;
    accounts::set_role(&mut tx, id, role, now).await?;
    tx.audit(
        actor,
        "admin.staff_role_set",
        id,
        json!({ "role": role.as_str(), "was": a.role.as_str() }),
    )
    .await?;
    tx.commit().await?;
    show(app, id).await
}

/// Disables a staff account and ends its sessions; 409
/// `staff_not_active` when it is not active.
pub async fn disable_staff(
    app: &App,
    actor: &tern_domain::AccountId,
    id: &tern_domain::AccountId,
) -> AppResult<StaffView> {
    let now = app.now_ms();
    let mut tx = app.work_at(now).await?;
    target(&mut tx, actor, id).await?;
    if !console::disable(&mut tx, id, now).await? {
        return Err(AppError::Conflict(Code::StaffNotActive));
    }
    let ended = sessions::delete_all_for_account(&mut tx, id, None).await?;
    tx.audit(actor, "admin.staff_disabled", id, json!({ "sessions_ended": ended }))
        .await?;
    tx.commit().await?;
    show(app, id).await
}
