//! API keys for integrators. A key is shown once when created; Tern keeps
//! only its SHA-256, like session tokens.

use serde_json::json;
use tern_domain::KeyRole;
use tern_store::api_keys::{self, ApiKeyRow};

use crate::App;
use crate::error::{AppError, AppResult};
use crate::error_code::Code;
use crate::tokens;

/// What keys start with, so secret scanners and people recognise them.
const PREFIX: &str = "tern_key_";

/// A key as operators see it (never the key itself).
#[derive(Debug, Clone)]
pub struct ApiKey {
    pub id: tern_domain::ApiKeyId,
    pub name: String,
    pub role: KeyRole,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

impl From<ApiKeyRow> for ApiKey {
    fn from(r: ApiKeyRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            role: r.role,
            created_at: r.created_at,
            revoked_at: r.revoked_at,
        }
    }
}

/// Creates a key; returns its record and the key, which is not stored and
/// cannot be shown again.
pub async fn create_api_key(app: &App, name: &str, role: &str) -> AppResult<(ApiKey, String)> {
    let name = name.trim();
    let mut problems = vec![];
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        problems.push(crate::FieldError::new("name", Code::ApiKeyNameInvalid));
    }
    let role = KeyRole::parse(role);
    if role.is_none() {
        problems.push(crate::FieldError::new("role", Code::ApiKeyRoleInvalid));
    }
    let Some(role) = role.filter(|_| problems.is_empty()) else {
        return Err(AppError::Validation(problems));
    };
    let key = format!("{PREFIX}{}", tokens::new_token());
    let now = app.now_ms();
    let row = ApiKeyRow {
        id: tokens::new_id().into(),
        name: name.to_owned(),
        role,
        key_hash: tokens::hash(&key),
        created_at: now,
        revoked_at: None,
    };
    let mut tx = app.work_at(now).await?;
    api_keys::insert(&mut tx, &row).await?;
    tx.audit("cli", "api_key.created", &row.id, json!({ "role": role.as_str() }))
        .await?;
    tx.commit().await?;
    Ok((row.into(), key))
}

/// Every key, newest first.
pub async fn list_api_keys(app: &App) -> AppResult<Vec<ApiKey>> {
    let mut conn = app.db.conn().await?;
    Ok(api_keys::list(&mut conn).await?.into_iter().map(ApiKey::from).collect())
}

/// Revokes a key at once; false when there was no such active key.
pub async fn revoke_api_key(app: &App, id: &tern_domain::ApiKeyId) -> AppResult<bool> {
    let now = app.now_ms();
    let mut tx = app.work_at(now).await?;
    let revoked = api_keys::revoke(&mut tx, id, now).await?;
    if revoked {
        tx.audit("cli", "api_key.revoked", id, json!({})).await?;
    }
    tx.commit().await?;
    Ok(revoked)
}

/// Resolves a bearer key to an active key with the `network` role; any
/// other token (a user's session token included) is "not signed in".
pub async fn authenticate_network(app: &App, key: &str) -> AppResult<ApiKey> {
    if !key.starts_with(PREFIX) || key.len() > 256 {
        return Err(AppError::Unauthenticated);
    }
    let mut conn = app.db.conn().await?;
    match api_keys::active_by_hash(&mut conn, &tokens::hash(key)).await? {
        Some(k) if k.role == KeyRole::Network => Ok(k.into()),
        _ => Err(AppError::Unauthenticated),
    }
}
