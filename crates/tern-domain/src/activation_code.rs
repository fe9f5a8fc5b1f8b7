//! The eSIM activation code a phone scans or a user types to download a profile.

use std::fmt;
use std::str::FromStr;

/// Why a string or a set of fields is not an activation code. Each maps to a
/// stable API error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActivationCodeError {
    /// Not of the shape `LPA:1$<address>$<matching id>[$<oid>[$1]]`.
    #[error("an activation code looks like LPA:1$<SM-DP+ address>$<matching id>")]
    Invalid,
    /// The AC_Format field is not `1`, the only format SGP.22 defines.
    #[error("only activation code format 1 is supported")]
    UnsupportedFormat,
    /// The SM-DP+ address is empty or not a plain host name.
    #[error("the SM-DP+ address must be a host name such as smdp.example.com")]
    InvalidSmdpAddress,
    /// The matching id is empty or has characters outside `A-Z`, `0-9`, `-`.
    #[error("the matching id may only contain letters, digits and hyphens")]
    InvalidMatchingId,
    /// The SM-DP+ OID is not a dotted-decimal object identifier.
    #[error("the SM-DP+ OID must be a dotted-decimal object identifier")]
    InvalidSmdpOid,
    /// The fifth field is present but is not `1`.
    #[error("the confirmation-code-required flag can only be 1")]
    InvalidConfirmationFlag,
    /// A field is longer than 255 characters.
    #[error("an activation code field has at most 255 characters")]
    FieldTooLong,
}

impl ActivationCodeError {
    /// The stable snake_case code clients and logs match on.
    pub fn code(&self) -> &'static str {
        match self {
            ActivationCodeError::Invalid => "activation_code_invalid",
            ActivationCodeError::UnsupportedFormat => "activation_code_unsupported_format",
            ActivationCodeError::InvalidSmdpAddress => "activation_code_invalid_smdp_address",
            ActivationCodeError::InvalidMatchingId => "activation_code_invalid_matching_id",
            ActivationCodeError::InvalidSmdpOid => "activation_code_invalid_smdp_oid",
            ActivationCodeError::InvalidConfirmationFlag => "activation_code_invalid_confirmation_flag",
            ActivationCodeError::FieldTooLong => "activation_code_field_too_long",
        }
    }
}

/// An activation code as defined by GSMA SGP.22 §4.1, in its `LPA:` string
/// form: `LPA:1$<SM-DP+ address>$<matching id>[$<SM-DP+ OID>[$1]]`.
///
/// It is what the QR code, the manual-entry fields and the iOS install link
/// carry. SGP.22 lets the matching id (AC_Token) be empty for some flows;
/// Tern always issues one, so an empty matching id is refused. When the
/// confirmation flag is set without an OID, the OID field is written empty
/// (`…$$1`), as SGP.22 requires.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ActivationCode {
    smdp_address: String,
    matching_id: String,
    smdp_oid: Option<String>,
    confirmation_code_required: bool,
}

/// The longest field accepted.
const MAX_FIELD: usize = 255;
/// The prefix of the string (QR code) form.
const PREFIX: &str = "LPA:";

impl ActivationCode {
    /// An activation code for `matching_id` at the SM-DP+ `smdp`, with no OID
    /// and no confirmation code; the usual shape for an order.
    pub fn new(smdp: &str, matching_id: &str) -> Result<Self, ActivationCodeError> {
        if smdp.len() > MAX_FIELD || matching_id.len() > MAX_FIELD {
            return Err(ActivationCodeError::FieldTooLong);
        }
        if !is_plausible_host(smdp) {
            return Err(ActivationCodeError::InvalidSmdpAddress);
        }
        let id_ok = !matching_id.is_empty() && matching_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !id_ok {
            return Err(ActivationCodeError::InvalidMatchingId);
        }
        Ok(Self {
            smdp_address: smdp.to_owned(),
            matching_id: matching_id.to_owned(),
            smdp_oid: None,
            confirmation_code_required: false,
        })
    }

    /// The same code naming the SM-DP+ by its OID too, for LPAs that check
    /// the server certificate against it.
    pub fn with_smdp_oid(mut self, oid: &str) -> Result<Self, ActivationCodeError> {
        if oid.len() > MAX_FIELD {
            return Err(ActivationCodeError::FieldTooLong);
        }
        let arcs_ok = oid.contains('.')
            && oid
                .split('.')
                .all(|arc| !arc.is_empty() && arc.bytes().all(|b| b.is_ascii_digit()));
        if !arcs_ok {
            return Err(ActivationCodeError::InvalidSmdpOid);
        }
        self.smdp_oid = Some(oid.to_owned());
        Ok(self)
    }

    /// The same code telling the phone to ask the user for a confirmation
    /// code before downloading.
    pub fn with_confirmation_code_required(mut self, required: bool) -> Self {
        self.confirmation_code_required = required;
        self
    }

    /// Parses the `LPA:` string form read from a QR code or pasted by a user.
    /// The prefix is matched without regard to case; whitespace around the
    /// whole string is ignored.
    pub fn parse(raw: &str) -> Result<Self, ActivationCodeError> {
        let s = raw.trim();
        let rest = match s.get(..PREFIX.len()) {
            Some(p) if p.eq_ignore_ascii_case(PREFIX) => &s[PREFIX.len()..],
            _ => return Err(ActivationCodeError::Invalid),
        };
        let fields: Vec<&str> = rest.split('$').collect();
        let (format, smdp, matching_id) = match fields.as_slice() {
            [f, a, m, ..] if fields.len() <= 5 => (*f, *a, *m),
            _ => return Err(ActivationCodeError::Invalid),
        };
        if format != "1" {
            return Err(ActivationCodeError::UnsupportedFormat);
        }
        let mut code = Self::new(smdp, matching_id)?;
        match (fields.get(3), fields.get(4)) {
            (None, _) => {}
            // An empty OID is only allowed as the placeholder before the flag.
            (Some(&""), Some(_)) => {}
            (Some(oid), _) => code = code.with_smdp_oid(oid)?,
        }
        if let Some(flag) = fields.get(4) {
            if *flag != "1" {
                return Err(ActivationCodeError::InvalidConfirmationFlag);
            }
            code.confirmation_code_required = true;
        }
        Ok(code)
    }

    /// The SM-DP+ host name the phone connects to.
    pub fn smdp_address(&self) -> &str {
        &self.smdp_address
    }

    /// The matching id (AC_Token) that names the order at the SM-DP+, as given.
    pub fn matching_id(&self) -> &str {
        &self.matching_id
    }

    /// The SM-DP+ OID, when the code carries one.
    pub fn smdp_oid(&self) -> Option<&str> {
        self.smdp_oid.as_deref()
    }

    /// Whether the phone must ask for a confirmation code.
    pub fn confirmation_code_required(&self) -> bool {
        self.confirmation_code_required
    }
}

/// True for a plain host name: dot-separated labels of letters, digits and
/// hyphens (1 to 63 characters, no hyphen at either end), 253 at most.
/// Schemes, ports, paths and `$` are all refused by this.
fn is_plausible_host(s: &str) -> bool {
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    !s.is_empty() && s.len() <= 253 && s.split('.').all(label_ok)
}

impl fmt::Display for ActivationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}1${}${}", self.smdp_address, self.matching_id)?;
        if self.confirmation_code_required {
            write!(f, "${}$1", self.smdp_oid.as_deref().unwrap_or(""))
        } else if let Some(oid) = &self.smdp_oid {
            write!(f, "${oid}")
        } else {
            Ok(())
        }
    }
}

impl FromStr for ActivationCode {
    type Err = ActivationCodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl serde::Serialize for ActivationCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for ActivationCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ActivationCode::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_the_usual_shape() {
        let ac = ActivationCode::new("smdp.example.com", "04386-AGYFT-A74Y8-3F815").unwrap();
        assert_eq!(ac.to_string(), "LPA:1$smdp.example.com$04386-AGYFT-A74Y8-3F815");
        assert_eq!(ac.smdp_oid(), None);
        assert!(!ac.confirmation_code_required());
    }

    #[test]
    fn parses_every_optional_shape() {
        let ac = ActivationCode::parse(" lpa:1$SMDP.EXAMPLE.COM$04386-agyft-A74Y8-3F815 ").unwrap();
        assert_eq!(ac.smdp_address(), "SMDP.EXAMPLE.COM");
        assert_eq!(ac.matching_id(), "04386-agyft-A74Y8-3F815");

        let oid = ActivationCode::parse("LPA:1$smdp.example.com$ABC$1.3.6.1.4.1.31746").unwrap();
        assert_eq!(oid.smdp_oid(), Some("1.3.6.1.4.1.31746"));
        assert!(!oid.confirmation_code_required());

        let both = ActivationCode::parse("LPA:1$smdp.example.com$ABC$1.3.6.1.4.1.31746$1").unwrap();
        assert_eq!(both.smdp_oid(), Some("1.3.6.1.4.1.31746"));
        assert!(both.confirmation_code_required());

        let flag_only = ActivationCode::parse("LPA:1$smdp.example.com$ABC$$1").unwrap();
        assert_eq!(flag_only.smdp_oid(), None);
        assert!(flag_only.confirmation_code_required());
        assert_eq!(flag_only.to_string(), "LPA:1$smdp.example.com$ABC$$1");
    }

    #[test]
    fn refuses_with_specific_codes() {
        let long_id = "A".repeat(256);
        let long_id_code = format!("LPA:1$smdp.example.com${long_id}");
        let cases = [
            ("1$smdp.example.com$ABC", "activation_code_invalid"),
            ("LPA:", "activation_code_invalid"),
            ("LPA:1$smdp.example.com", "activation_code_invalid"),
            ("LPA:1$smdp.example.com$ABC$1.2$1$x", "activation_code_invalid"),
            ("LPA:2$smdp.example.com$ABC", "activation_code_unsupported_format"),
            ("LPA:1$$ABC", "activation_code_invalid_smdp_address"),
            (
                "LPA:1$https://smdp.example.com$ABC",
                "activation_code_invalid_smdp_address",
            ),
            ("LPA:1$smdp.example.com:443$ABC", "activation_code_invalid_smdp_address"),
            ("LPA:1$smdp..example.com$ABC", "activation_code_invalid_smdp_address"),
            ("LPA:1$-smdp.example.com$ABC", "activation_code_invalid_smdp_address"),
            ("LPA:1$smdp.example.com$", "activation_code_invalid_matching_id"),
            ("LPA:1$smdp.example.com$AB_C", "activation_code_invalid_matching_id"),
            ("LPA:1$smdp.example.com$ABC$", "activation_code_invalid_smdp_oid"),
            ("LPA:1$smdp.example.com$ABC$1.x", "activation_code_invalid_smdp_oid"),
            (
                "LPA:1$smdp.example.com$ABC$$0",
                "activation_code_invalid_confirmation_flag",
            ),
            (long_id_code.as_str(), "activation_code_field_too_long"),
        ];
        for (bad, code) in cases {
            assert_eq!(ActivationCode::parse(bad).unwrap_err().code(), code, "{bad:?}");
        }
    }

    #[test]
    fn new_refuses_delimiters_and_empty_fields() {
        use ActivationCodeError::*;
        assert_eq!(
            ActivationCode::new("smdp$x.com", "ABC").unwrap_err(),
            InvalidSmdpAddress
        );
        assert_eq!(
            ActivationCode::new("smdp.example.com", "A$B").unwrap_err(),
            InvalidMatchingId
        );
        assert_eq!(ActivationCode::new("", "ABC").unwrap_err(), InvalidSmdpAddress);
        assert_eq!(
            ActivationCode::new("smdp.example.com", "").unwrap_err(),
            InvalidMatchingId
        );
        let ac = ActivationCode::new("smdp.example.com", "ABC").unwrap();
        assert_eq!(ac.clone().with_smdp_oid("1.3$6").unwrap_err(), InvalidSmdpOid);
        assert_eq!(ac.with_smdp_oid(&"1.".repeat(128)).unwrap_err(), FieldTooLong);
    }

    /// A random valid activation code.
    fn valid_code() -> impl Strategy<Value = ActivationCode> {
        let label = "[a-zA-Z0-9]([a-zA-Z0-9-]{0,10}[a-zA-Z0-9])?";
        let host = proptest::collection::vec(label, 1..4).prop_map(|ls| ls.join("."));
        let oid = proptest::option::of("[0-9]{1,4}(\\.[0-9]{1,5}){1,6}");
        (host, "[A-Za-z0-9-]{1,40}", oid, any::<bool>()).prop_map(|(h, m, o, flag)| {
            let ac = ActivationCode::new(&h, &m).unwrap();
            let ac = match o {
                Some(o) => ac.with_smdp_oid(&o).unwrap(),
                None => ac,
            };
            ac.with_confirmation_code_required(flag)
        })
    }

    proptest! {
        #[test]
        fn round_trips_through_the_string_form(ac in valid_code()) {
            let text = ac.to_string();
            prop_assert!(text.starts_with("LPA:1$"));
            prop_assert_eq!(ActivationCode::parse(&text).unwrap(), ac);
        }

        #[test]
        fn random_strings_without_the_prefix_are_refused(s in "[^L].*") {
            prop_assert!(ActivationCode::parse(&s).is_err() || s.trim_start().to_ascii_uppercase().starts_with("LPA:"));
        }
    }
}
