//! IMSIs: the subscriber identity a profile presents to the network.

use std::fmt;
use std::str::FromStr;

use super::digits::all_digits;

/// Why a string is not an IMSI. Each maps to a stable API error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImsiError {
    /// Fewer than 6 or more than 15 digits.
    #[error("an IMSI has 6 to 15 digits")]
    InvalidLength,
    /// Something other than digits.
    #[error("an IMSI is made of digits only")]
    NotNumeric,
    /// The first three digits are not a mobile country code we accept.
    #[error("the IMSI does not start with a valid mobile country code")]
    InvalidMcc,
}

impl ImsiError {
    /// The stable snake_case code clients and logs match on.
    pub fn code(&self) -> &'static str {
        match self {
            ImsiError::InvalidLength => "imsi_invalid_length",
            ImsiError::NotNumeric => "imsi_not_numeric",
            ImsiError::InvalidMcc => "imsi_invalid_mcc",
        }
    }
}

/// An IMSI (ITU-T E.212): MCC (3 digits) + MNC (2 or 3) + MSIN, 6 to 15
/// digits in all. Usage records from the network are keyed by it.
///
/// The MNC length cannot be told from the digits alone (it depends on the
/// country), so only the MCC is split out. Accepted MCCs:
/// - a first digit from 2 to 7 (the geographic country codes);
/// - `001`, the test network, so lab and emulator profiles work;
/// - `901`, the international shared code, which many global and travel
///   eSIM issuers use.
///
/// Other codes (`0xx`, `1xx`, `8xx`, the rest of `9xx`) are refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Imsi(String);

impl Imsi {
    /// Checks an IMSI; surrounding whitespace is ignored.
    pub fn parse(raw: &str) -> Result<Self, ImsiError> {
        let digits = raw.trim();
        if !digits.is_empty() && !all_digits(digits) {
            return Err(ImsiError::NotNumeric);
        }
        if !(6..=15).contains(&digits.len()) {
            return Err(ImsiError::InvalidLength);
        }
        let mcc = &digits[..3];
        let geographic = matches!(mcc.as_bytes()[0], b'2'..=b'7');
        if !(geographic || mcc == "001" || mcc == "901") {
            return Err(ImsiError::InvalidMcc);
        }
        Ok(Self(digits.to_owned()))
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The mobile country code: the first three digits.
    pub fn mcc(&self) -> &str {
        &self.0[..3]
    }
}

impl fmt::Display for Imsi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Imsi {
    type Err = ImsiError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl serde::Serialize for Imsi {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Imsi {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Imsi::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_and_splits_the_mcc() {
        let imsi = Imsi::parse(" 460001234567890 ").unwrap();
        assert_eq!(imsi.as_str(), "460001234567890");
        assert_eq!(imsi.mcc(), "460");
        assert_eq!(Imsi::parse("001010000000001").unwrap().mcc(), "001");
        assert_eq!(Imsi::parse("901281234567890").unwrap().mcc(), "901");
        assert_eq!(Imsi::parse("234150").unwrap().as_str(), "234150");
    }

    #[test]
    fn refuses_with_specific_codes() {
        let cases = [
            ("", "imsi_invalid_length"),
            ("23415", "imsi_invalid_length"),
            ("2341512345678901", "imsi_invalid_length"),
            ("46000123456789x", "imsi_not_numeric"),
            ("460 001234567890", "imsi_not_numeric"),
            ("002011234567890", "imsi_invalid_mcc"),
            ("123451234567890", "imsi_invalid_mcc"),
            ("899011234567890", "imsi_invalid_mcc"),
            ("999991234567890", "imsi_invalid_mcc"),
        ];
        for (bad, code) in cases {
            assert_eq!(Imsi::parse(bad).unwrap_err().code(), code, "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn valid_values_round_trip(s in "([2-7][0-9]{2}|001|901)[0-9]{3,12}") {
            let imsi = Imsi::parse(&s).unwrap();
            prop_assert_eq!(imsi.as_str(), s.as_str());
            prop_assert_eq!(imsi.mcc(), &s[..3]);
            prop_assert_eq!(Imsi::parse(&imsi.to_string()).unwrap(), imsi);
        }

        #[test]
        fn random_non_numeric_strings_are_refused(s in any::<String>()) {
            prop_assume!(!s.trim().bytes().all(|b| b.is_ascii_digit()));
            prop_assert!(Imsi::parse(&s).is_err());
        }
    }
}
