//! Checking a staff permission, the one way every admin endpoint and page
//! does it: the policy is `tern_domain::Role::can`; a refusal is
//! `AppError::Forbidden` (HTTP 403) and an `access.forbidden` audit entry.

use serde_json::json;
use tern_domain::Permission;

use crate::App;
use crate::audit;
use crate::auth::Principal;
use crate::error::{AppError, AppResult};

/// Refuses unless `who`'s role allows `permission`. `action` names what was
/// attempted (`admin.wallet_adjustments.create`, `portal.admin.staff`, …)
/// and becomes the audit entry's subject, with the caller's role and the
/// permission that was missing in its details. Recording is best effort:
/// when the audit write fails it is logged and the 403 stands.
pub async fn require(app: &App, who: &Principal, permission: Permission, action: &str) -> AppResult<()> {
    if who.role.can(permission) {
        return Ok(());
    }
    let result = async {
        let mut tx = app.work().await?;
        audit::record(
            &mut tx,
            app.db.backend(),
            &who.account_id,
            "access.forbidden",
            action,
            json!({ "role": who.role.as_str(), "permission": permission.as_str() }),
            app.now_ms(),
        )
        .await?;
        tx.commit().await?;
        Ok::<_, AppError>(())
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, action, "could not record a forbidden attempt");
    }
    metrics::counter!("tern_forbidden_total").increment(1);
    Err(AppError::Forbidden)
}
