//! The rules a new password must meet.

/// Why a new password was refused. Each maps to a stable API error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password must have at least {min} characters")]
    TooShort { min: usize },
    #[error("the password must have at most {max} characters")]
    TooLong { max: usize },
    #[error("the password is too easy to guess")]
    TooWeak,
}

impl PasswordError {
    pub fn code(&self) -> &'static str {
        match self {
            PasswordError::TooShort { .. } => "password_too_short",
            PasswordError::TooLong { .. } => "password_too_long",
            PasswordError::TooWeak => "password_too_weak",
        }
    }
}

/// A password that met the policy when it was chosen; only ever hashed.
///
/// The policy follows NIST SP 800-63B: a length floor, a generous ceiling,
/// no composition rules, and a refusal of passwords a guesser would try
/// early (zxcvbn score below 3, taking the account's own email and name
/// into account).
#[derive(Clone)]
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

pub const MIN_CHARS: usize = 8;
pub const MAX_CHARS: usize = 128;

impl NewPassword {
    /// Checks `raw` against the policy; `user_inputs` are words the user is
    /// known by (email, name), which make a password weaker when reused.
    pub fn parse(raw: &str, user_inputs: &[&str]) -> Result<Self, PasswordError> {
        let n = raw.chars().count();
        if n < MIN_CHARS {
            return Err(PasswordError::TooShort { min: MIN_CHARS });
        }
        if n > MAX_CHARS {
            return Err(PasswordError::TooLong { max: MAX_CHARS });
        }
        let estimate = zxcvbn::zxcvbn(raw, user_inputs);
        if (estimate.score() as u8) < 3 {
            return Err(PasswordError::TooWeak);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_short_weak_and_personal() {
        assert_eq!(NewPassword::parse("abc", &[]).unwrap_err().code(), "password_too_short");
        assert_eq!(
            NewPassword::parse("password1", &[]).unwrap_err().code(),
            "password_too_weak"
        );
        assert_eq!(
            NewPassword::parse("qwertyuiop", &[]).unwrap_err().code(),
            "password_too_weak"
        );
        assert_eq!(
            NewPassword::parse("annlee1990", &["annlee1990@example.com", "annlee1990"]).unwrap_err(),
            PasswordError::TooWeak
        );
        let long = "x".repeat(200);
        assert_eq!(NewPassword::parse(&long, &[]).unwrap_err().code(), "password_too_long");
    }

    #[test]
    fn accepts_a_passphrase() {
        assert!(NewPassword::parse("correct horse battery staple", &[]).is_ok());
        assert!(NewPassword::parse("Tern-travels-2026!", &[]).is_ok());
    }

    #[test]
    fn debug_hides_the_secret() {
        let p = NewPassword::parse("correct horse battery staple", &[]).unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }
}
