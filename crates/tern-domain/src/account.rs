//! Whether an account may be used.
//!
//! ```text
//!  active → frozen   (a closure began: no new spending or sign-ins)
//!         → disabled (an operator switched a staff account off)
//!  any    → closed   (erased: a tombstone whose id is the pseudonym)
//! ```

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

/// What a row of the sessions table is. Tern makes only `session` rows
/// (a sign-in from the portal or the API); the table was made to hold
/// personal API tokens as `api` too. Partner API keys live apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionKind {
    Session,
    Api,
}

words!(SessionKind {
    Session = "session",
    Api = "api",
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
