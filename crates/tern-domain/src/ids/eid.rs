//! EIDs: the 32-digit identifier of an eUICC, the chip that holds eSIMs.

use std::fmt;
use std::str::FromStr;

use super::digits::{all_digits, mod97};

/// Why a string is not an EID. Each maps to a stable API error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EidError {
    /// Not exactly 32 digits.
    #[error("an EID has exactly 32 digits")]
    InvalidLength,
    /// Something other than digits.
    #[error("an EID is made of digits only")]
    NotNumeric,
    /// The number modulo 97 is not 1, so a digit is wrong.
    #[error("the EID check digits do not match; a digit is probably mistyped")]
    BadCheckDigits,
}

impl EidError {
    /// The stable snake_case code clients and logs match on.
    pub fn code(&self) -> &'static str {
        match self {
            EidError::InvalidLength => "eid_invalid_length",
            EidError::NotNumeric => "eid_not_numeric",
            EidError::BadCheckDigits => "eid_bad_check_digits",
        }
    }
}

/// An EID: 32 decimal digits whose value modulo 97 is 1 (GSMA SGP.29, the
/// ISO 7064 MOD 97-10 scheme also used by IBANs).
///
/// ES2+ DownloadOrder may bind a profile to one EID; a typo there would lock
/// the profile to somebody else's phone, so the check digits matter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Eid(String);

/// Digits in an EID.
const EID_LEN: usize = 32;

impl Eid {
    /// Checks an EID; surrounding whitespace is ignored.
    pub fn parse(raw: &str) -> Result<Self, EidError> {
        let digits = raw.trim();
        if !digits.is_empty() && !all_digits(digits) {
            return Err(EidError::NotNumeric);
        }
        if digits.len() != EID_LEN {
            return Err(EidError::InvalidLength);
        }
        if mod97(digits.as_bytes()) != 1 {
            return Err(EidError::BadCheckDigits);
        }
        Ok(Self(digits.to_owned()))
    }

    /// Completes the first 30 digits with the two check digits, so tests and
    /// the SM-DP+ emulator can make valid EIDs.
    pub fn with_check_digits(first_30: &str) -> Result<Self, EidError> {
        if !first_30.is_empty() && !all_digits(first_30) {
            return Err(EidError::NotNumeric);
        }
        if first_30.len() != EID_LEN - 2 {
            return Err(EidError::InvalidLength);
        }
        // Appending two digits c multiplies by 100 and adds c; choosing
        // c = 98 - (prefix * 100 mod 97) makes the whole number 1 mod 97.
        let check = 98 - (mod97(first_30.as_bytes()) * 100) % 97;
        Ok(Self(format!("{first_30}{check:02}")))
    }

    /// The 32 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Eid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Eid {
    type Err = EidError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl serde::Serialize for Eid {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Eid {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Eid::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // The SGP.29 sample EID; its value mod 97 is 1 (checked independently).
    const SAMPLE: &str = "89049032123451234512345678901235";

    #[test]
    fn accepts_the_sample() {
        assert_eq!(Eid::parse(&format!(" {SAMPLE} ")).unwrap().as_str(), SAMPLE);
    }

    #[test]
    fn check_digits_match_the_sample() {
        assert_eq!(Eid::with_check_digits(&SAMPLE[..30]).unwrap().as_str(), SAMPLE);
        // 8904400…0 mod 97 = 52 and 52 * 100 mod 97 = 59, so 98 - 59 = 39.
        assert_eq!(
            Eid::with_check_digits("890440000000000000000000000000")
                .unwrap()
                .as_str(),
            "89044000000000000000000000000039"
        );
    }

    #[test]
    fn refuses_with_specific_codes() {
        let cases = [
            ("", "eid_invalid_length"),
            (&SAMPLE[..31], "eid_invalid_length"),
            ("890490321234512345123456789012355", "eid_invalid_length"),
            ("8904903212345123451234567890123A", "eid_not_numeric"),
            ("89049032123451234512345678901236", "eid_bad_check_digits"),
        ];
        for (bad, code) in cases {
            assert_eq!(Eid::parse(bad).unwrap_err().code(), code, "{bad:?}");
        }
        assert_eq!(Eid::with_check_digits("123").unwrap_err(), EidError::InvalidLength);
        assert_eq!(Eid::with_check_digits("x").unwrap_err(), EidError::NotNumeric);
    }

    proptest! {
        #[test]
        fn with_check_digits_always_validates(first in "[0-9]{30}") {
            let eid = Eid::with_check_digits(&first).unwrap();
            prop_assert!(eid.as_str().starts_with(&first));
            prop_assert_eq!(Eid::parse(&eid.to_string()).unwrap(), eid);
        }

        #[test]
        fn any_single_digit_change_is_caught(
            first in "[0-9]{30}",
            pos in 0_usize..32,
            delta in 1_u8..10,
        ) {
            let mut bytes = Eid::with_check_digits(&first).unwrap().0.into_bytes();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert_eq!(Eid::parse(&changed).unwrap_err(), EidError::BadCheckDigits);
        }

        #[test]
        fn random_non_numeric_strings_are_refused(s in any::<String>()) {
            prop_assume!(!s.trim().bytes().all(|b| b.is_ascii_digit()));
            prop_assert!(Eid::parse(&s).is_err());
        }
    }
}
