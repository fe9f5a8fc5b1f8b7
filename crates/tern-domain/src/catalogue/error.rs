//! What can be wrong with a plan or a catalogue file, with stable codes.

use std::fmt;

use crate::Locale;

/// A stable, machine-readable reason a plan or catalogue row was refused.
/// The API and the CLI show these codes; the HTTP layer translates them, so
/// their spelling never changes once released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// The file is not JSON / CSV of the expected shape at all.
    MalformedFile,
    /// A row is not an object (JSON) or has the wrong number of cells (CSV).
    InvalidRow,
    /// A field or column Tern does not know (often a typo).
    UnknownField,
    /// A required field is absent or blank.
    FieldMissing,
    /// A value of the wrong kind, e.g. text where a number belongs.
    InvalidType,
    /// A count (voice minutes, SMS) is negative or too large.
    NumberOutOfRange,
    /// The plan code breaks the code format.
    PlanCodeInvalid,
    /// The same plan code appears twice in one file.
    DuplicateCode,
    /// A required name (English or Chinese) is absent or blank.
    NameMissing,
    /// A name is too long or holds control characters.
    NameInvalid,
    /// The plan covers no country.
    CoverageEmpty,
    /// A country code is not an assigned ISO 3166-1 alpha-2 code.
    CountryUnknown,
    /// The region is not `local`, `regional` or `global`.
    RegionInvalid,
    /// A regional plan lacks its region label.
    RegionLabelMissing,
    /// The region label is not one Tern knows.
    RegionLabelInvalid,
    /// The region does not fit the number of countries, or a label was
    /// given for a plan that is not regional.
    RegionMismatch,
    /// Neither a data allowance nor `unlimited` was given.
    DataMissing,
    /// Both a data allowance and `unlimited` were given.
    DataConflict,
    /// A data amount is zero, negative or too large.
    DataInvalid,
    /// An unlimited plan lacks its fair-use threshold.
    FairUseMissing,
    /// Validity is not 1 to 365 days.
    ValidityOutOfRange,
    /// The price is not a positive decimal in the currency's minor units.
    PriceInvalid,
    /// The currency is not a three-letter ISO 4217 code.
    CurrencyInvalid,
    /// The activation policy is not one Tern knows.
    ActivationInvalid,
}

impl ErrorCode {
    /// Every code, for documentation and tests.
    pub const ALL: [ErrorCode; 24] = [
        ErrorCode::MalformedFile,
        ErrorCode::InvalidRow,
        ErrorCode::UnknownField,
        ErrorCode::FieldMissing,
        ErrorCode::InvalidType,
        ErrorCode::NumberOutOfRange,
        ErrorCode::PlanCodeInvalid,
        ErrorCode::DuplicateCode,
        ErrorCode::NameMissing,
        ErrorCode::NameInvalid,
        ErrorCode::CoverageEmpty,
        ErrorCode::CountryUnknown,
        ErrorCode::RegionInvalid,
        ErrorCode::RegionLabelMissing,
        ErrorCode::RegionLabelInvalid,
        ErrorCode::RegionMismatch,
        ErrorCode::DataMissing,
        ErrorCode::DataConflict,
        ErrorCode::DataInvalid,
        ErrorCode::FairUseMissing,
        ErrorCode::ValidityOutOfRange,
        ErrorCode::PriceInvalid,
        ErrorCode::CurrencyInvalid,
        ErrorCode::ActivationInvalid,
    ];

    /// The snake_case code, as serialised.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedFile => "malformed_file",
            ErrorCode::InvalidRow => "invalid_row",
            ErrorCode::UnknownField => "unknown_field",
            ErrorCode::FieldMissing => "field_missing",
            ErrorCode::InvalidType => "invalid_type",
            ErrorCode::NumberOutOfRange => "number_out_of_range",
            ErrorCode::PlanCodeInvalid => "plan_code_invalid",
            ErrorCode::DuplicateCode => "duplicate_code",
            ErrorCode::NameMissing => "name_missing",
            ErrorCode::NameInvalid => "name_invalid",
            ErrorCode::CoverageEmpty => "coverage_empty",
            ErrorCode::CountryUnknown => "country_unknown",
            ErrorCode::RegionInvalid => "region_invalid",
            ErrorCode::RegionLabelMissing => "region_label_missing",
            ErrorCode::RegionLabelInvalid => "region_label_invalid",
            ErrorCode::RegionMismatch => "region_mismatch",
            ErrorCode::DataMissing => "data_missing",
            ErrorCode::DataConflict => "data_conflict",
            ErrorCode::DataInvalid => "data_invalid",
            ErrorCode::FairUseMissing => "fair_use_missing",
            ErrorCode::ValidityOutOfRange => "validity_out_of_range",
            ErrorCode::PriceInvalid => "price_invalid",
            ErrorCode::CurrencyInvalid => "currency_invalid",
            ErrorCode::ActivationInvalid => "activation_invalid",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rule of the catalogue that a plan (or one of its parts) breaks.
/// [`PlanError::field`] names the catalogue-file field it is about, so the
/// importer and the admin API can point at it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error(
        "a plan code is 3 to 40 characters of A-Z, 0-9 and '-', \
         starting and ending with a letter or digit"
    )]
    CodeInvalid,
    #[error("the {0} name is missing")]
    NameMissing(Locale),
    #[error("the {0} name must be at most 100 characters with no control characters")]
    NameInvalid(Locale),
    #[error("{0:?} is not an assigned ISO 3166-1 alpha-2 country code")]
    CountryUnknown(String),
    #[error("a plan must cover at least one country")]
    CoverageEmpty,
    #[error("the region must be local, regional or global")]
    RegionInvalid,
    #[error("the region label must be one of asia, europe, americas, africa, middle_east, oceania")]
    RegionLabelInvalid,
    #[error("{}", region_mismatch(.region, *.countries))]
    RegionMismatch {
        /// `local`, `regional` or `global`.
        region: &'static str,
        /// How many countries the plan lists.
        countries: usize,
    },
    #[error("the {} must be a whole number of MB above zero", if *.unlimited { "fair-use threshold" } else { "data allowance" })]
    DataInvalid {
        /// Whether the fair-use threshold (rather than the allowance) is wrong.
        unlimited: bool,
    },
    #[error("validity must be 1 to 365 days")]
    ValidityOutOfRange,
    #[error("the price must be a decimal above zero with at most the currency's minor digits")]
    PriceInvalid,
    #[error("the currency must be a three-letter ISO 4217 code")]
    CurrencyInvalid,
    #[error("activation must be on_purchase, on_install or on_first_use")]
    ActivationInvalid,
}

fn region_mismatch(region: &str, countries: usize) -> String {
    let rule = if region == "local" {
        "exactly one country"
    } else {
        "at least two countries"
    };
    format!("a {region} plan covers {rule}, but this one lists {countries}")
}

impl PlanError {
    /// The stable code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            PlanError::CodeInvalid => ErrorCode::PlanCodeInvalid,
            PlanError::NameMissing(_) => ErrorCode::NameMissing,
            PlanError::NameInvalid(_) => ErrorCode::NameInvalid,
            PlanError::CountryUnknown(_) => ErrorCode::CountryUnknown,
            PlanError::CoverageEmpty => ErrorCode::CoverageEmpty,
            PlanError::RegionInvalid => ErrorCode::RegionInvalid,
            PlanError::RegionLabelInvalid => ErrorCode::RegionLabelInvalid,
            PlanError::RegionMismatch { .. } => ErrorCode::RegionMismatch,
            PlanError::DataInvalid { .. } => ErrorCode::DataInvalid,
            PlanError::ValidityOutOfRange => ErrorCode::ValidityOutOfRange,
            PlanError::PriceInvalid => ErrorCode::PriceInvalid,
            PlanError::CurrencyInvalid => ErrorCode::CurrencyInvalid,
            PlanError::ActivationInvalid => ErrorCode::ActivationInvalid,
        }
    }

    /// The catalogue-file field (JSON key / CSV column) the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            PlanError::CodeInvalid => "code",
            PlanError::NameMissing(Locale::En) | PlanError::NameInvalid(Locale::En) => "name_en",
            PlanError::NameMissing(Locale::ZhCn) | PlanError::NameInvalid(Locale::ZhCn) => "name_zh",
            PlanError::CountryUnknown(_) | PlanError::CoverageEmpty => "countries",
            PlanError::RegionInvalid | PlanError::RegionMismatch { .. } => "region",
            PlanError::RegionLabelInvalid => "region_label",
            PlanError::DataInvalid { unlimited: false } => "data_mb",
            PlanError::DataInvalid { unlimited: true } => "fair_use_mb",
            PlanError::ValidityOutOfRange => "validity_days",
            PlanError::PriceInvalid => "price",
            PlanError::CurrencyInvalid => "currency",
            PlanError::ActivationInvalid => "activation",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialise_as_their_names_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert!(seen.insert(code.as_str()));
        }
    }
}
