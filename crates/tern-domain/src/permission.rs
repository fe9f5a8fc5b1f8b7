//! What each staff role may do: the one table every admin endpoint and
//! page checks (through `tern_app::access::require`), so the policy is
//! read, reviewed and tested in one place.

use crate::Role;

/// Something an operator can be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Search accounts and read an account's profile, eSIMs, wallet,
    /// orders, closure and audit trail; see the dashboard.
    ViewAccounts,
    /// List closure requests and hold, resume or retry them.
    HoldClosures,
    /// Credit or debit a wallet by hand, with a reason.
    AdjustWallets,
    /// See manual payouts waiting and mark them paid.
    ApproveRefunds,
    /// Import plans and activate or deactivate them.
    ManagePlans,
    /// Create staff accounts, change their role, disable them.
    ManageStaff,
    /// Publish announcements and terms.
    PublishAnnouncements,
    /// Answer support tickets.
    WorkTickets,
}

impl Permission {
    /// Every permission, for tables and tests.
    pub const ALL: [Permission; 8] = [
        Permission::ViewAccounts,
        Permission::HoldClosures,
        Permission::AdjustWallets,
        Permission::ApproveRefunds,
        Permission::ManagePlans,
        Permission::ManageStaff,
        Permission::PublishAnnouncements,
        Permission::WorkTickets,
    ];

    /// The stable name used in audit entries.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::ViewAccounts => "view_accounts",
            Permission::HoldClosures => "hold_closures",
            Permission::AdjustWallets => "adjust_wallets",
            Permission::ApproveRefunds => "approve_refunds",
            Permission::ManagePlans => "manage_plans",
            Permission::ManageStaff => "manage_staff",
            Permission::PublishAnnouncements => "publish_announcements",
            Permission::WorkTickets => "work_tickets",
        }
    }
}

impl Role {
    /// Whether this role may do `p`. Admin may do everything; support sees
    /// accounts, holds closures and works tickets; finance sees accounts,
    /// adjusts wallets and approves refunds; a traveller may do none of it.
    pub fn can(self, p: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            Role::Support => matches!(p, ViewAccounts | HoldClosures | WorkTickets),
            Role::Finance => matches!(p, ViewAccounts | AdjustWallets | ApproveRefunds),
            Role::User => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Permission::*;
    use super::*;

    #[test]
    fn the_policy_table() {
        let expect = |role: Role, allowed: &[Permission]| {
            for p in Permission::ALL {
                assert_eq!(role.can(p), allowed.contains(&p), "{role} {p:?}");
            }
        };
        expect(Role::Admin, &Permission::ALL);
        expect(Role::Support, &[ViewAccounts, HoldClosures, WorkTickets]);
        expect(Role::Finance, &[ViewAccounts, AdjustWallets, ApproveRefunds]);
        expect(Role::User, &[]);
    }

    #[test]
    fn only_admin_manages_staff_plans_and_announcements() {
        for p in [ManageStaff, ManagePlans, PublishAnnouncements] {
            let who: Vec<Role> = [Role::Admin, Role::Support, Role::Finance, Role::User]
                .into_iter()
                .filter(|r| r.can(p))
                .collect();
            assert_eq!(who, vec![Role::Admin], "{p:?}");
        }
    }

    #[test]
    fn names_are_distinct_snake_case() {
        let names: std::collections::BTreeSet<&str> = Permission::ALL.iter().map(|p| p.as_str()).collect();
        assert_eq!(names.len(), Permission::ALL.len());
        for p in Permission::ALL {
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
    }
}
