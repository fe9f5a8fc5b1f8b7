//! Email addresses, normalised so that one person has one spelling.

use std::fmt;

/// Why an email address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("the email address is not valid")]
    Invalid,
    #[error("the email address is longer than 254 characters")]
    TooLong,
}

/// A syntactically valid email address, trimmed and lower-cased.
///
/// Lower-casing the local part is not what RFC 5321 promises, but every
/// large mail provider treats it case-insensitively and users type it both
/// ways; one account per mailbox matters more here.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Parses and normalises an address typed by a person.
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let normalised = raw.trim().to_lowercase();
        if normalised.len() > 254 {
            return Err(EmailError::TooLong);
        }
        let parsed: email_address::EmailAddress = normalised.parse().map_err(|_| EmailError::Invalid)?;
        // Display names ("Ann <ann@x>") and domains without a dot are not
        // addresses anyone signs up with.
        if parsed.email() != normalised || !parsed.domain().contains('.') {
            return Err(EmailError::Invalid);
        }
        if parsed.domain().starts_with('[') {
            return Err(EmailError::Invalid);
        }
        Ok(Self(normalised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after `@`.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_space() {
        let e = Email::parse("  Ann.Lee@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "ann.lee@example.com");
        assert_eq!(e.domain(), "example.com");
    }

    #[test]
    fn refuses_garbage() {
        for bad in [
            "",
            "ann",
            "ann@",
            "@x.com",
            "ann@localhost",
            "Ann <a@b.com>",
            "a b@c.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} accepted");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse(&long), Err(EmailError::TooLong));
    }
}
