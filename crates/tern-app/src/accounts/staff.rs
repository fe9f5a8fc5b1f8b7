//! Staff accounts, created by an operator from the command line or by an
//! admin in the console.

use serde_json::json;
use tern_domain::{AccountId, Email, Locale, NewPassword, Role};
use tern_store::accounts::{self, NewAccount};

use crate::App;
use crate::error::{AppError, AppResult};
use crate::error_code::Code;
use crate::tokens;

/// Creates a verified staff account, or gives an existing account the
/// role. Returns the account id and whether it was created.
pub async fn create_staff(app: &App, email: &str, role: Role, password: &str) -> AppResult<(AccountId, bool)> {
    create_staff_by(app, "cli", email, role, password).await
}

/// [`create_staff`] on behalf of `actor` (the audit entries' actor).
pub async fn create_staff_by(
    app: &App,
    actor: &str,
    email: &str,
    role: Role,
    password: &str,
) -> AppResult<(AccountId, bool)> {
    if !role.is_staff() {
        return Err(AppError::field("role", Code::RoleNotStaff));
    }
    let email = Email::parse(email).map_err(|_| AppError::field("email", Code::EmailInvalid))?;
    let now = app.now_ms();
    let existing = {
        let mut conn = app.db.conn().await?;
        accounts::by_email(&mut conn, email.as_str()).await?
    };
    if let Some(a) = existing {
        let mut tx = app.work_at(now).await?;
        accounts::set_role(&mut tx, &a.id, role, now).await?;
        tx.audit(actor, "admin.staff_role_set", &a.id, json!({ "role": role.as_str() }))
            .await?;
        tx.commit().await?;
        return Ok((a.id, false));
    }
    let password =
        NewPassword::parse(password, &[email.as_str()]).map_err(|e| AppError::parsed("password", e.code()))?;
    let hash = crate::passwords::hash(password.expose().to_owned()).await?;
    let id = tokens::new_id();
    let mut tx = app.work_at(now).await?;
    accounts::insert(
        &mut tx,
        &NewAccount {
            id: &id,
            email: email.as_str(),
            phone: None,
            name: None,
            password_hash: &hash,
            locale: Locale::En.tag(),
            role,
            verified_at: Some(now),
            now,
        },
    )
    .await?;
    tx.audit(actor, "admin.staff_created", &id, json!({ "role": role.as_str() }))
        .await?;
    tx.commit().await?;
    Ok((id.into(), true))
}
