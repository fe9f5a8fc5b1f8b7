//! Phone numbers in E.164 form.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the phone number must be in international form, e.g. +447700900123")]
pub struct PhoneError;

/// A phone number as `+` followed by 8 to 15 digits, the first not zero.
///
/// Spaces, dashes, dots and brackets people type are dropped; nothing else
/// is guessed (no national prefixes), because a wrong guess sends a code to
/// a stranger.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, PhoneError> {
        let trimmed = raw.trim();
        let rest = trimmed.strip_prefix('+').ok_or(PhoneError)?;
        let mut digits = String::with_capacity(16);
        digits.push('+');
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(PhoneError),
            }
        }
        let n = digits.len() - 1;
        if !(8..=15).contains(&n) || digits.as_bytes()[1] == b'0' {
            return Err(PhoneError);
        }
        Ok(Self(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last four digits, for showing a number without revealing it.
    pub fn masked(&self) -> String {
        let tail = &self.0[self.0.len().saturating_sub(4)..];
        format!("•••• {tail}")
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_formatted_numbers() {
        assert_eq!(Phone::parse("+44 7700 900-123").unwrap().as_str(), "+447700900123");
        assert_eq!(Phone::parse("+86 138 0013 8000").unwrap().as_str(), "+8613800138000");
    }

    #[test]
    fn refuses_national_and_garbage() {
        for bad in ["07700900123", "+0123456789", "+12", "+1234567890123456", "+44abc", ""] {
            assert!(Phone::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn masks() {
        assert_eq!(Phone::parse("+447700900123").unwrap().masked(), "•••• 0123");
    }
}
