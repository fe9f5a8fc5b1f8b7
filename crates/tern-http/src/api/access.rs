//! The permission check every admin API handler starts with.

use tern_domain::Permission;

use crate::error::ApiError;
use crate::extract::Auth;
use crate::state::HttpState;

impl Auth {
    /// 403 `forbidden` (and an `access.forbidden` audit entry naming
    /// `action`) unless the caller's role allows `permission`; see
    /// `tern_domain::Role::can` for the policy.
    ///
    /// ```ignore
    /// auth.require(&s, Permission::WorkTickets, "admin.tickets.list").await?;
    /// ```
    pub async fn require(&self, s: &HttpState, permission: Permission, action: &str) -> Result<(), ApiError> {
        tern_app::access::require(&s.app, &self.who, permission, action)
            .await
            .map_err(|e| self.err(e))
    }
}
