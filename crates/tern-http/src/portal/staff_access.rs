//! The permission check every admin page starts with, and the staff
//! navigation bar shown on admin pages (links only to what the role may
//! do; the server checks again on every request regardless).

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};
use tern_app::auth::Principal;
use tern_domain::{Permission, Role};
use tern_i18n::t;

use super::page::Ctx;

impl Ctx {
    /// The signed-in staff member when their role allows `permission`;
    /// otherwise the sign-in redirect, or a 403 page and an
    /// `access.forbidden` audit entry naming `action`.
    pub async fn require(&self, permission: Permission, action: &str) -> Result<Principal, Response> {
        let who = self.require_login()?.clone();
        if tern_app::access::require(&self.state.app, &who, permission, action)
            .await
            .is_err()
        {
            return Err(self.render_status(
                StatusCode::FORBIDDEN,
                "message.html",
                json!({ "title": t(self.locale, "error.forbidden"), "body": t(self.locale, "console.forbidden_body"),
                        "link": if who.role.is_staff() { "/admin" } else { "/" },
                        "link_text": t(self.locale, "console.back") }),
            ));
        }
        Ok(who)
    }
}

impl Ctx {
    /// On admin pages, the staff navigation links the signed-in staff
    /// member's role may use (for `admin_nav.html`); None elsewhere.
    pub fn staff_nav(&self) -> Value {
        match &self.who {
            Some(p) if p.role.is_staff() && self.path.starts_with("/admin") => staff_nav(self, p.role),
            _ => Value::Null,
        }
    }
}

fn staff_nav(ctx: &Ctx, role: Role) -> Value {
    let links: Vec<Value> = [
        ("/admin", "console.nav.dashboard", Permission::ViewAccounts),
        ("/admin/accounts", "console.nav.accounts", Permission::ViewAccounts),
        ("/admin/closures", "console.nav.closures", Permission::HoldClosures),
        ("/admin/tickets", "console.nav.tickets", Permission::WorkTickets),
        (
            "/admin/announcements",
            "console.nav.announcements",
            Permission::PublishAnnouncements,
        ),
        ("/admin/terms", "console.nav.terms", Permission::PublishAnnouncements),
        ("/admin/refunds", "console.nav.refunds", Permission::ApproveRefunds),
        ("/admin/plans", "console.nav.plans", Permission::ManagePlans),
        ("/admin/staff", "console.nav.staff", Permission::ManageStaff),
    ]
    .into_iter()
    .filter(|(_, _, p)| role.can(*p))
    .map(|(href, key, _)| {
        let current = if href == "/admin" {
            ctx.path == "/admin"
        } else {
            ctx.path.starts_with(href)
        };
        json!({ "href": href, "text": t(ctx.locale, key), "current": current })
    })
    .collect();
    Value::Array(links)
}
