//! The `Idempotency-Key` a client sends with a POST that moves money or
//! changes a subscription (PRODUCT.md, Interfaces): the same key with the
//! same body answers the first response again.

use std::fmt;

/// The longest key taken, in bytes. Clients usually send a UUID (36).
pub const MAX_LEN: usize = 255;

/// A key that is 1 to 255 printable ASCII characters with no spaces, as
/// HTTP header values travel safely and logs show them unambiguously.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

/// Why a key was refused; one API code (`idempotency_key_invalid`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an Idempotency-Key is 1 to 255 printable ASCII characters without spaces")]
pub struct InvalidIdempotencyKey;

impl InvalidIdempotencyKey {
    /// The stable snake_case code clients match on.
    pub fn code(&self) -> &'static str {
        "idempotency_key_invalid"
    }
}

impl IdempotencyKey {
    /// Checks a key exactly as sent (no trimming: a key is opaque).
    pub fn parse(raw: &str) -> Result<Self, InvalidIdempotencyKey> {
        if raw.is_empty() || raw.len() > MAX_LEN || !raw.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(InvalidIdempotencyKey);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_printable_ascii_up_to_255() {
        assert_eq!(
            IdempotencyKey::parse("order-1").map(|k| k.to_string()),
            Ok("order-1".to_owned())
        );
        assert!(IdempotencyKey::parse(&"k".repeat(MAX_LEN)).is_ok());
    }

    #[test]
    fn refuses_empty_long_spaced_and_non_ascii() {
        for raw in ["", " key", "a b", "ключ", "tab\there"] {
            assert_eq!(IdempotencyKey::parse(raw), Err(InvalidIdempotencyKey), "{raw:?}");
        }
        assert_eq!(
            IdempotencyKey::parse(&"k".repeat(MAX_LEN + 1)),
            Err(InvalidIdempotencyKey)
        );
        assert_eq!(InvalidIdempotencyKey.code(), "idempotency_key_invalid");
    }
}
