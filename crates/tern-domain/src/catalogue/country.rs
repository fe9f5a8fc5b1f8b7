//! Countries a plan can cover, as ISO 3166-1 alpha-2 codes.

use std::fmt;

use super::PlanError;

/// Every officially assigned ISO 3166-1 alpha-2 code, sorted, so a typo
/// such as `UK` or `EN` in a catalogue file is caught instead of silently
/// selling a plan for a country that does not exist. User-assigned codes
/// (such as `XK`) are not included.
pub const ASSIGNED_COUNTRIES: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ", "BA", "BB", "BD",
    "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS", "BT", "BV", "BW", "BY", "BZ", "CA",
    "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN", "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE",
    "DJ", "DK", "DM", "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA",
    "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK",
    "HM", "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM", "JO", "JP",
    "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK", "LR", "LS", "LT",
    "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS",
    "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ",
    "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS",
    "RU", "RW", "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS", "ST",
    "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR", "TT", "TV", "TW",
    "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI", "VN", "VU", "WF", "WS", "YE", "YT", "ZA",
    "ZM", "ZW",
];

/// An assigned ISO 3166-1 alpha-2 code, held upper-case, so coverage lists
/// and the `?country=` filter compare codes exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// Parses a code in any case (`jp`, `JP`), refusing codes that are not
    /// assigned.
    pub fn parse(text: &str) -> Result<Self, PlanError> {
        let t = text.trim();
        let unknown = || PlanError::CountryUnknown(t.chars().take(16).collect());
        let &[a, b] = t.as_bytes() else {
            return Err(unknown());
        };
        let code = [a.to_ascii_uppercase(), b.to_ascii_uppercase()];
        ASSIGNED_COUNTRIES
            .binary_search_by(|c| c.as_bytes().cmp(&code[..]))
            .map(|_| Self(code))
            .map_err(|_| unknown())
    }

    /// The two upper-case letters.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("ZZ")
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for CountryCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for CountryCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        CountryCode::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_unique_and_well_formed() {
        assert!(ASSIGNED_COUNTRIES.windows(2).all(|w| w[0] < w[1]));
        assert!(
            ASSIGNED_COUNTRIES
                .iter()
                .all(|c| { c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()) })
        );
    }

    #[test]
    fn parses_assigned_codes_in_any_case() {
        assert_eq!(CountryCode::parse(" jp ").unwrap().as_str(), "JP");
        assert_eq!(CountryCode::parse("Gb").unwrap().as_str(), "GB");
        for bad in ["UK", "EU", "XK", "J", "JPN", "", "日本", "1A"] {
            assert_eq!(
                CountryCode::parse(bad),
                Err(PlanError::CountryUnknown(bad.to_owned())),
                "{bad}"
            );
        }
    }
}
