//! Keys that integrators (the mobile network) call the API with. Only the
//! SHA-256 of a key is stored.

use sqlx::{AnyConnection, Row, any::AnyRow};

use tern_domain::KeyRole;

use crate::Result;
use crate::decode::{self, Stored};

#[derive(Debug, Clone)]
pub struct ApiKeyRow {
    pub id: tern_domain::ApiKeyId,
    pub name: String,
    pub role: KeyRole,
    pub key_hash: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

fn from_row(r: &AnyRow) -> Result<ApiKeyRow> {
    Ok(ApiKeyRow {
        id: crate::decode::id(r, "id")?,
        name: r.try_get("name")?,
        role: decode::get(r, "role")?,
        key_hash: r.try_get("key_hash")?,
        created_at: r.try_get("created_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

pub async fn insert(conn: &mut AnyConnection, k: &ApiKeyRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO api_keys (id, name, role, key_hash, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(k.id.as_str())
    .bind(k.name.as_str())
    .bind(k.role.stored())
    .bind(k.key_hash.as_str())
    .bind(k.created_at)
    .bind(k.revoked_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The key with this hash, unless it was revoked.
pub async fn active_by_hash(conn: &mut AnyConnection, key_hash: &str) -> Result<Option<ApiKeyRow>> {
    let row = sqlx::query(
        "SELECT id, name, role, key_hash, created_at, revoked_at FROM api_keys \
         WHERE key_hash = $1 AND revoked_at IS NULL",
    )
    .bind(key_hash)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Every key, newest first.
pub async fn list(conn: &mut AnyConnection) -> Result<Vec<ApiKeyRow>> {
    let rows = sqlx::query(
        "SELECT id, name, role, key_hash, created_at, revoked_at FROM api_keys ORDER BY created_at DESC, id",
    )
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Revokes a key; false when there is no such key or it was revoked already.
pub async fn revoke(conn: &mut AnyConnection, id: &tern_domain::ApiKeyId, now: i64) -> Result<bool> {
    let r = sqlx::query("UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
        .bind(id.as_str())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}
