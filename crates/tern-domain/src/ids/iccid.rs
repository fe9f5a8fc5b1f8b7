//! ICCIDs: the number that names a SIM or an eSIM profile (ITU-T E.118).

use std::fmt;
use std::str::FromStr;

use super::digits::{all_digits, luhn_check_digit, luhn_valid};

/// Why a string is not an ICCID. Each maps to a stable API error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IccidError {
    /// Fewer than 18 or more than 20 digits.
    #[error("an ICCID has 18 to 20 digits")]
    InvalidLength,
    /// Something other than digits (and the ES2+ trailing `F`).
    #[error("an ICCID is made of digits only")]
    NotNumeric,
    /// Does not start with the telecom industry identifier `89`.
    #[error("an ICCID starts with 89")]
    BadPrefix,
    /// The last digit is not the Luhn check digit of the others.
    #[error("the ICCID check digit does not match; a digit is probably mistyped")]
    BadCheckDigit,
    /// The serial does not fit between the prefix and the check digit.
    #[error("the serial number does not fit in an ICCID of that length")]
    SerialOutOfRange,
}

impl IccidError {
    /// The stable snake_case code clients and logs match on.
    pub fn code(&self) -> &'static str {
        match self {
            IccidError::InvalidLength => "iccid_invalid_length",
            IccidError::NotNumeric => "iccid_not_numeric",
            IccidError::BadPrefix => "iccid_bad_prefix",
            IccidError::BadCheckDigit => "iccid_bad_check_digit",
            IccidError::SerialOutOfRange => "iccid_serial_out_of_range",
        }
    }
}

/// An ICCID: 18 to 20 digits starting with `89`, the last a Luhn check digit.
///
/// It is the key of an eSIM in the API and in ES2+ messages. Stored and shown
/// as plain digits; [`Iccid::to_es2_wire`] gives the F-padded form some
/// SM-DP+ implementations send for 19-digit values.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Iccid(String);

/// The number of characters of the F-padded wire form.
const WIRE_LEN: usize = 20;

impl Iccid {
    /// Checks and normalises an ICCID typed by a person or sent by a partner.
    ///
    /// Surrounding whitespace is ignored, and so is the single trailing `F`
    /// (either case) that pads a 19-digit ICCID to 20 characters on the wire.
    pub fn parse(raw: &str) -> Result<Self, IccidError> {
        let trimmed = raw.trim();
        let digits = unpad(trimmed);
        if !digits.is_empty() && !all_digits(digits) {
            return Err(IccidError::NotNumeric);
        }
        if !(18..=20).contains(&digits.len()) {
            return Err(IccidError::InvalidLength);
        }
        if !digits.starts_with("89") {
            return Err(IccidError::BadPrefix);
        }
        if !luhn_valid(digits.as_bytes()) {
            return Err(IccidError::BadCheckDigit);
        }
        Ok(Self(digits.to_owned()))
    }

    /// An ICCID as an SM-DP+ sent it in an ES2+ answer or notification.
    ///
    /// SGP.22 only asks for the ICCID's digits (E.118 allows 18 to 20,
    /// sent padded with `F` to 20 characters), so this accepts any such
    /// digits and does not check the `89` prefix or the Luhn digit: some
    /// issuers leave the check digit off, and refusing a profile the
    /// SM-DP+ has already reserved would strand it. The trailing `F`
    /// padding is dropped; [`Iccid::to_es2_wire`] puts it back. Strict
    /// checks stay in [`Iccid::parse`], for ICCIDs a person types.
    pub fn from_smdp(raw: &str) -> Result<Self, IccidError> {
        let digits = unpad(raw);
        if !digits.is_empty() && !all_digits(digits) {
            return Err(IccidError::NotNumeric);
        }
        if !(18..=20).contains(&digits.len()) {
            return Err(IccidError::InvalidLength);
        }
        Ok(Self(digits.to_owned()))
    }

    /// An ICCID Tern already holds (read back from its own tables, or a
    /// path naming an eSIM): the SM-DP+'s rules, since that is where every
    /// stored ICCID came from.
    pub fn known(raw: &str) -> Result<Self, IccidError> {
        Self::from_smdp(raw.trim())
    }

    /// Builds the ICCID `prefix` + zero-padded `serial` + check digit, `len`
    /// digits in all, so the SM-DP+ emulator can mint an inventory.
    pub fn from_prefix_and_serial(prefix: &str, serial: u64, len: usize) -> Result<Self, IccidError> {
        if !(18..=20).contains(&len) || prefix.len() >= len {
            return Err(IccidError::InvalidLength);
        }
        if !all_digits(prefix) {
            return Err(IccidError::NotNumeric);
        }
        if !prefix.starts_with("89") {
            return Err(IccidError::BadPrefix);
        }
        let width = len - 1 - prefix.len();
        let serial = format!("{serial:0width$}");
        if width == 0 || serial.len() > width {
            return Err(IccidError::SerialOutOfRange);
        }
        let mut digits = String::with_capacity(len);
        digits.push_str(prefix);
        digits.push_str(&serial);
        let check = luhn_check_digit(digits.as_bytes());
        digits.push(char::from(check));
        Ok(Self(digits))
    }

    /// The plain digits, as stored and shown.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The ES2+ wire form: padded with `F` to 20 characters (SGP.22 sends
    /// the ICCID as 20 characters), unchanged when it has 20 digits.
    pub fn to_es2_wire(&self) -> String {
        let mut wire = String::with_capacity(WIRE_LEN);
        wire.push_str(&self.0);
        while wire.len() < WIRE_LEN {
            wire.push('F');
        }
        wire
    }
}

/// The digits of a 20-character wire form padded with `F` (either case);
/// anything else unchanged.
fn unpad(raw: &str) -> &str {
    if raw.len() == WIRE_LEN {
        raw.trim_end_matches(['F', 'f'])
    } else {
        raw
    }
}

impl fmt::Display for Iccid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Iccid {
    type Err = IccidError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl serde::Serialize for Iccid {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Iccid {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Iccid::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Reads an ICCID Tern already holds by [`Iccid::known`]'s rules, for
/// stored payloads that carry one the SM-DP+ issued (whose check digit
/// may be missing): `#[serde(deserialize_with = "known_iccid")]`.
pub fn known_iccid<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Iccid, D::Error> {
    let s = <String as serde::Deserialize>::deserialize(d)?;
    Iccid::known(&s).map_err(serde::de::Error::custom)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // Check digits below were worked out independently of this code.
    const ICCID_19: &str = "8944500102198304826";
    const ICCID_18: &str = "898600123456789016";
    const ICCID_20: &str = "89012601234567890121";

    #[test]
    fn accepts_valid_lengths() {
        for ok in [ICCID_18, ICCID_19, ICCID_20] {
            assert_eq!(Iccid::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn accepts_whitespace_and_wire_padding() {
        let id = Iccid::parse("  8944500102198304826F\n").unwrap();
        assert_eq!(id.as_str(), ICCID_19);
        assert_eq!(Iccid::parse("8944500102198304826f").unwrap(), id);
        assert_eq!(id.to_es2_wire(), "8944500102198304826F");
        let twenty = Iccid::parse(ICCID_20).unwrap();
        assert_eq!(twenty.to_es2_wire(), ICCID_20);
        let eighteen = Iccid::parse(ICCID_18).unwrap();
        assert_eq!(eighteen.to_es2_wire(), "898600123456789016FF");
        assert_eq!(Iccid::parse("898600123456789016FF").unwrap(), eighteen);
    }

    #[test]
    fn takes_what_an_smdp_sends_without_the_typing_checks() {
        // No 89 prefix, no check digit: still a profile the SM-DP+ holds.
        let odd = Iccid::from_smdp("1234567890123456789F").unwrap();
        assert_eq!(odd.as_str(), "1234567890123456789");
        assert_eq!(odd.to_es2_wire(), "1234567890123456789F");
        assert_eq!(
            Iccid::from_smdp("898600123456789015").unwrap().as_str(),
            "898600123456789015"
        );
        assert_eq!(
            Iccid::from_smdp("898600123456789015FF").unwrap().as_str(),
            "898600123456789015"
        );
        assert_eq!(Iccid::from_smdp(ICCID_20).unwrap().as_str(), ICCID_20);
        // Still digits, 18 to 20 of them.
        let code = |raw: &str| Iccid::from_smdp(raw).unwrap_err().code();
        assert_eq!(code("89445001021983048"), "iccid_invalid_length");
        assert_eq!(code("894450010219830482600"), "iccid_invalid_length");
        assert_eq!(code("89445001021983O4826"), "iccid_not_numeric");
        assert_eq!(code(" 8944500102198304826"), "iccid_not_numeric");
        assert_eq!(
            Iccid::known(" 8944500102198304825 ").unwrap().as_str(),
            "8944500102198304825"
        );
    }

    #[test]
    fn refuses_with_specific_codes() {
        let cases = [
            ("", "iccid_invalid_length"),
            ("89445001021983048", "iccid_invalid_length"),
            ("894450010219830482600", "iccid_invalid_length"),
            ("8944500102198304826FF", "iccid_not_numeric"),
            // An F only pads a 19-digit value to 20 characters.
            ("898600123456789016F", "iccid_not_numeric"),
            ("89445001021983O4826", "iccid_not_numeric"),
            ("8944 500102198304826", "iccid_not_numeric"),
            ("9944500102198304826", "iccid_bad_prefix"),
            ("8944500102198304825", "iccid_bad_check_digit"),
        ];
        for (bad, code) in cases {
            assert_eq!(Iccid::parse(bad).unwrap_err().code(), code, "{bad:?}");
        }
    }

    #[test]
    fn builds_from_prefix_and_serial() {
        // 89882 + 0000000000042 + Luhn digit 8, worked out by hand.
        let id = Iccid::from_prefix_and_serial("89882", 42, 19).unwrap();
        assert_eq!(id.as_str(), "8988200000000000428");
        let err = |p: &str, s: u64, l: usize| Iccid::from_prefix_and_serial(p, s, l).unwrap_err();
        assert_eq!(err("89882", 10_u64.pow(13), 19), IccidError::SerialOutOfRange);
        assert_eq!(err("898820000000000000", 0, 19), IccidError::SerialOutOfRange);
        assert_eq!(err("89882", 1, 17), IccidError::InvalidLength);
        assert_eq!(err("99882", 1, 19), IccidError::BadPrefix);
        assert_eq!(err("89x82", 1, 19), IccidError::NotNumeric);
    }

    #[test]
    fn serde_uses_the_plain_string() {
        #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
        struct Row {
            iccid: Iccid,
        }
        let row = Row {
            iccid: Iccid::parse(ICCID_19).unwrap(),
        };
        assert_eq!(toml::to_string(&row).unwrap().trim(), format!("iccid = \"{ICCID_19}\""));
        let wire: Row = toml::from_str("iccid = \"8944500102198304826F\"").unwrap();
        assert_eq!(wire, row);
        assert!(toml::from_str::<Row>("iccid = \"8944500102198304825\"").is_err());
    }

    /// A valid ICCID of 18 to 20 digits: `89`, random digits, Luhn digit.
    fn valid_iccid() -> impl Strategy<Value = String> {
        (15_usize..=17)
            .prop_flat_map(|n| proptest::collection::vec(0_u8..10, n))
            .prop_map(|body| {
                let mut s = String::from("89");
                s.extend(body.iter().map(|d| char::from(b'0' + d)));
                let check = luhn_check_digit(s.as_bytes());
                s.push(char::from(check));
                s
            })
    }

    proptest! {
        #[test]
        fn valid_values_round_trip(s in valid_iccid()) {
            let id = Iccid::parse(&s).unwrap();
            prop_assert_eq!(id.as_str(), s.as_str());
            prop_assert_eq!(Iccid::parse(&id.to_string()).unwrap(), id.clone());
            prop_assert_eq!(Iccid::parse(&id.to_es2_wire()).unwrap(), id);
        }

        #[test]
        fn any_single_digit_change_is_caught(
            s in valid_iccid(),
            pos in any::<proptest::sample::Index>(),
            delta in 1_u8..10,
        ) {
            let mut bytes = s.into_bytes();
            let i = pos.index(bytes.len());
            bytes[i] = b'0' + (bytes[i] - b'0' + delta) % 10;
            prop_assert!(!luhn_valid(&bytes));
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(Iccid::parse(&changed).is_err());
        }

        #[test]
        fn a_non_digit_inside_is_refused(
            s in valid_iccid(),
            pos in any::<proptest::sample::Index>(),
            c in any::<char>().prop_filter("not a digit", |c| !c.is_ascii_digit()),
        ) {
            // Insert strictly inside so trimming and the F padding rule cannot
            // explain it away.
            let i = 1 + pos.index(s.len() - 1);
            let mut bad = s.clone();
            bad.insert(i, c);
            prop_assert!(Iccid::parse(&bad).is_err());
        }

        #[test]
        fn random_non_numeric_strings_are_refused(s in any::<String>()) {
            let t = s.trim();
            let t = if t.len() == WIRE_LEN { t.strip_suffix(['F', 'f']).unwrap_or(t) } else { t };
            prop_assume!(!t.bytes().all(|b| b.is_ascii_digit()));
            prop_assert!(Iccid::parse(&s).is_err());
        }

        #[test]
        fn generated_inventory_is_valid(serial in 0_u64..10_000_000_000_000, len in 19_usize..=20) {
            let id = Iccid::from_prefix_and_serial("89882", serial, len).unwrap();
            prop_assert_eq!(id.as_str().len(), len);
            prop_assert_eq!(Iccid::parse(id.as_str()).unwrap(), id);
        }
    }
}
