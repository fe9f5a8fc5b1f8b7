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

words!(AccountStatus {
    Active = "active",
    Frozen = "frozen",
    Disabled = "disabled",
    Closed = "closed",
});

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

/// The id of an account: random when the account is made, and after
/// erasure the pseudonym the records kept for the law point to. It reads
/// as text (`Deref<Target = str>`) so queries take it as they are, but a
/// field or argument typed `AccountId` cannot be handed an order's or a
/// ticket's id by mistake.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct AccountId(String);

impl AccountId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<String> for AccountId {
    fn from(id: String) -> Self {
        Self(id)
    }
}

impl From<&str> for AccountId {
    fn from(id: &str) -> Self {
        Self(id.to_owned())
    }
}

impl std::ops::Deref for AccountId {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for AccountId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for AccountId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for AccountId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for AccountId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
