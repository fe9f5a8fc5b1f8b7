//! Who an account is: a traveller or a member of the operator's staff.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A traveller.
    User,
    /// Operator staff who can do everything, including managing staff.
    Admin,
    /// Operator staff who answer tickets and may hold closures.
    Support,
    /// Operator staff who adjust wallets and approve refunds.
    Finance,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
            Role::Support => "support",
            Role::Finance => "finance",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "user" => Some(Role::User),
            "admin" => Some(Role::Admin),
            "support" => Some(Role::Support),
            "finance" => Some(Role::Finance),
            _ => None,
        }
    }

    pub fn is_staff(self) -> bool {
        self != Role::User
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an integrator's API key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyRole {
    /// The mobile network: posts usage records.
    Network,
}

words!(KeyRole {
    Network = "network",
});
