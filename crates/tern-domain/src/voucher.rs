//! Voucher codes: 16 random characters from Crockford's base-32 alphabet
//! (which reads look-alikes as the same character), plus one check character, shown in groups (`7KQM-X2RT-…-C`), so a typo is
//! caught before the database is asked.

use std::fmt;

/// Crockford's base 32: digits and capitals without I, L, O and U.
pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The random part's length.
pub const BODY_LEN: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VoucherCodeError {
    #[error("the voucher code has the wrong length")]
    Length,
    #[error("the voucher code has a character that is never used in codes")]
    Character,
    #[error("the voucher code has a typo (its check character does not match)")]
    Check,
}

/// A well-formed voucher code (which may or may not exist).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VoucherCode(String);

fn value_of(c: u8) -> Option<usize> {
    ALPHABET.iter().position(|&a| a == c)
}

/// The check character: a position-weighted sum modulo 32, which catches
/// every single wrong character and every swap of two neighbours.
fn check_char(body: &[u8]) -> Option<u8> {
    let mut sum = 0usize;
    for (i, &c) in body.iter().enumerate() {
        sum += value_of(c)? * (2 * i + 1);
    }
    Some(ALPHABET[sum % 32])
}

impl VoucherCode {
    /// Makes a code from 16 random bytes (each reduced modulo 32).
    pub fn from_random(bytes: [u8; BODY_LEN]) -> Self {
        let body: Vec<u8> = bytes.iter().map(|b| ALPHABET[(*b as usize) % 32]).collect();
        let check = check_char(&body).unwrap_or(b'2');
        let mut s = String::from_utf8_lossy(&body).into_owned();
        s.push(check as char);
        Self(s)
    }

    /// Parses what a person typed: case, spaces and dashes do not matter;
    /// `O` is read as `0`, and `I` and `L` as `1`.
    pub fn parse(typed: &str) -> Result<Self, VoucherCodeError> {
        let mut s = String::with_capacity(BODY_LEN + 1);
        for c in typed.chars() {
            match c {
                ' ' | '-' | '\t' => continue,
                _ => {}
            }
            let c = match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                other => other,
            };
            s.push(c);
        }
        if s.len() != BODY_LEN + 1 {
            return Err(VoucherCodeError::Length);
        }
        let bytes = s.as_bytes();
        if bytes.iter().any(|&b| value_of(b).is_none()) {
            return Err(VoucherCodeError::Character);
        }
        if check_char(&bytes[..BODY_LEN]) != Some(bytes[BODY_LEN]) {
            return Err(VoucherCodeError::Check);
        }
        Ok(Self(s))
    }

    /// The code without separators, as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The code in groups of four, as printed for people.
    pub fn grouped(&self) -> String {
        let b = self.0.as_bytes();
        let mut out = String::new();
        for (i, chunk) in b[..BODY_LEN].chunks(4).enumerate() {
            if i > 0 {
                out.push('-');
            }
            out.push_str(&String::from_utf8_lossy(chunk));
        }
        out.push('-');
        out.push(b[BODY_LEN] as char);
        out
    }
}

impl fmt::Display for VoucherCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.grouped())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn generated_codes_parse_back(bytes in proptest::array::uniform16(any::<u8>())) {
            let code = VoucherCode::from_random(bytes);
            prop_assert_eq!(VoucherCode::parse(&code.grouped()), Ok(code.clone()));
            prop_assert_eq!(VoucherCode::parse(&code.as_str().to_lowercase()), Ok(code));
        }

        #[test]
        fn any_single_typo_is_caught(bytes in proptest::array::uniform16(any::<u8>()), pos in 0usize..17, shift in 1usize..32) {
            let code = VoucherCode::from_random(bytes);
            let mut b = code.as_str().as_bytes().to_vec();
            let v = value_of(b[pos]).unwrap();
            b[pos] = ALPHABET[(v + shift) % 32];
            prop_assert!(VoucherCode::parse(std::str::from_utf8(&b).unwrap()).is_err());
        }

        #[test]
        fn garbage_never_panics(s in ".{0,40}") {
            let _ = VoucherCode::parse(&s);
        }
    }

    #[test]
    fn refuses_wrong_length() {
        assert_eq!(VoucherCode::parse("ABCD"), Err(VoucherCodeError::Length));
    }
}
