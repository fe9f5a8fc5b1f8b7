//! Whether an account may be used.
//!
//! ```text
//!  active → frozen   (a closure began: no new spending or sign-ins)
//!         → disabled (an operator switched a staff account off)
//!  any    → closed   (erased: a tombstone whose id is the pseudonym)
//! ```

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountStatus {
    Active,
    /// Closing: the closure froze it.
    Frozen,
    /// Switched off by an operator.
    Disabled,
    /// Closed and erased.
    Closed,
}

impl AccountStatus {
    pub const ALL: [AccountStatus; 4] = [
        AccountStatus::Active,
        AccountStatus::Frozen,
        AccountStatus::Disabled,
        AccountStatus::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Active => "active",
            AccountStatus::Frozen => "frozen",
            AccountStatus::Disabled => "disabled",
            AccountStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

impl fmt::Display for AccountStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for s in AccountStatus::ALL {
            assert_eq!(AccountStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(AccountStatus::parse("closing"), None);
    }
}
