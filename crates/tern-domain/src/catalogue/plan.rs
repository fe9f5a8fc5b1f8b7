//! A plan and its parts, each checked when it is made.

use std::fmt;
use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

use super::{CountryCode, PlanError};
use crate::{Locale, Money};

/// How many days a plan may stay valid: at least a day, at most a year.
pub const VALIDITY_DAYS: RangeInclusive<u16> = 1..=365;

const NAME_MAX_CHARS: usize = 100;

/// A plan's catalogue code such as `JP-5GB-15D`: what orders, URLs
/// (`/api/v1/plans/{code}`) and imports refer to a plan by.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct PlanCode(String);

impl PlanCode {
    /// Parses a code: 3 to 40 characters of `A`–`Z`, `0`–`9` and `-`,
    /// starting and ending with a letter or digit. Surrounding blanks are
    /// ignored; lower case is refused so a code has one spelling.
    pub fn parse(text: &str) -> Result<Self, PlanError> {
        let t = text.trim();
        let alnum = |b: &u8| b.is_ascii_uppercase() || b.is_ascii_digit();
        let b = t.as_bytes();
        let ok = (3..=40).contains(&b.len())
            && b.iter().all(|c| alnum(c) || *c == b'-')
            && b.first().is_some_and(alnum)
            && b.last().is_some_and(alnum);
        if ok {
            Ok(Self(t.to_owned()))
        } else {
            Err(PlanError::CodeInvalid)
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PlanCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for PlanCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        PlanCode::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A plan's display name in every language Tern speaks, so no page or email
/// ever has to fall back to another language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanName {
    en: String,
    #[serde(rename = "zh-CN")]
    zh_cn: String,
}

impl PlanName {
    /// Checks both names (trimmed, non-empty, at most 100 characters, no
    /// control characters) and reports every one that is wrong.
    pub fn new(en: &str, zh_cn: &str) -> Result<Self, Vec<PlanError>> {
        let en = check_name(Locale::En, en);
        let zh_cn = check_name(Locale::ZhCn, zh_cn);
        match (en, zh_cn) {
            (Ok(en), Ok(zh_cn)) => Ok(Self { en, zh_cn }),
            (en, zh_cn) => Err([en.err(), zh_cn.err()].into_iter().flatten().collect()),
        }
    }

    /// The name in `locale`.
    pub fn get(&self, locale: Locale) -> &str {
        match locale {
            Locale::En => &self.en,
            Locale::ZhCn => &self.zh_cn,
        }
    }
}

fn check_name(locale: Locale, text: &str) -> Result<String, PlanError> {
    let t = text.trim();
    if t.is_empty() {
        Err(PlanError::NameMissing(locale))
    } else if t.chars().count() > NAME_MAX_CHARS || t.chars().any(char::is_control) {
        Err(PlanError::NameInvalid(locale))
    } else {
        Ok(t.to_owned())
    }
}

impl<'de> Deserialize<'de> for PlanName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            en: String,
            #[serde(rename = "zh-CN")]
            zh_cn: String,
        }
        let raw = Raw::deserialize(d)?;
        PlanName::new(&raw.en, &raw.zh_cn).map_err(|e| serde::de::Error::custom(join(&e)))
    }
}

/// The countries a plan works in: never empty, sorted and without repeats,
/// so two plans with the same countries compare equal and lookups can
/// binary-search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Coverage(Vec<CountryCode>);

impl Coverage {
    /// Sorts and de-duplicates `countries`; refuses an empty list.
    pub fn new(countries: impl IntoIterator<Item = CountryCode>) -> Result<Self, PlanError> {
        let mut list: Vec<CountryCode> = countries.into_iter().collect();
        list.sort_unstable();
        list.dedup();
        if list.is_empty() {
            Err(PlanError::CoverageEmpty)
        } else {
            Ok(Self(list))
        }
    }

    /// The countries, sorted.
    pub fn as_slice(&self) -> &[CountryCode] {
        &self.0
    }

    /// Whether `country` is covered.
    pub fn contains(&self, country: CountryCode) -> bool {
        self.0.binary_search(&country).is_ok()
    }
}

impl<'de> Deserialize<'de> for Coverage {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let list = Vec::<CountryCode>::deserialize(d)?;
        Coverage::new(list).map_err(serde::de::Error::custom)
    }
}

/// The broad area a regional plan is sold under, for grouping in the shop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLabel {
    /// East, South-East and South Asia.
    Asia,
    /// The EU, the EEA, the UK, Switzerland and neighbours.
    Europe,
    /// North, Central and South America.
    Americas,
    /// Africa.
    Africa,
    /// The Gulf and the Levant.
    MiddleEast,
    /// Australia, New Zealand and the Pacific.
    Oceania,
}

impl RegionLabel {
    /// Parses `asia`, `middle_east` (also `Middle East`, `middle-east`) and
    /// so on, in any case.
    pub fn parse(text: &str) -> Result<Self, PlanError> {
        match normalise(text).as_str() {
            "asia" => Ok(RegionLabel::Asia),
            "europe" => Ok(RegionLabel::Europe),
            "americas" => Ok(RegionLabel::Americas),
            "africa" => Ok(RegionLabel::Africa),
            "middle_east" => Ok(RegionLabel::MiddleEast),
            "oceania" => Ok(RegionLabel::Oceania),
            _ => Err(PlanError::RegionLabelInvalid),
        }
    }
}

/// Whether a plan is for one country, a group of neighbours, or the world:
/// travellers browse by it, and it must agree with the coverage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Region {
    /// Exactly one country.
    Local,
    /// Two or more countries in one area.
    Regional {
        /// The area the shop lists the plan under.
        label: RegionLabel,
    },
    /// Two or more countries across areas.
    Global,
}

impl Region {
    /// `local`, `regional` or `global`.
    pub fn kind(&self) -> &'static str {
        match self {
            Region::Local => "local",
            Region::Regional { .. } => "regional",
            Region::Global => "global",
        }
    }

    /// Checks that `coverage` fits this region: one country for a local
    /// plan, two or more otherwise.
    pub fn check_coverage(&self, coverage: &Coverage) -> Result<(), PlanError> {
        let n = coverage.as_slice().len();
        let fits = match self {
            Region::Local => n == 1,
            Region::Regional { .. } | Region::Global => n >= 2,
        };
        if fits {
            Ok(())
        } else {
            Err(PlanError::RegionMismatch {
                region: self.kind(),
                countries: n,
            })
        }
    }
}

/// How much data a plan gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DataAllowance {
    /// A fixed allowance; data stops when it is used up.
    Limited {
        /// The allowance in MB (1 GB = 1024 MB).
        mb: u32,
    },
    /// No cap, but speed is reduced after the fair-use threshold.
    Unlimited {
        /// MB at full speed before the speed is reduced.
        fair_use_mb: u32,
    },
}

impl DataAllowance {
    /// Refuses a zero allowance or threshold.
    pub fn check(&self) -> Result<(), PlanError> {
        match *self {
            DataAllowance::Limited { mb: 0 } => Err(PlanError::DataInvalid { unlimited: false }),
            DataAllowance::Unlimited { fair_use_mb: 0 } => Err(PlanError::DataInvalid { unlimited: true }),
            _ => Ok(()),
        }
    }
}

/// When a plan's validity starts counting, which decides whether a
/// traveller can buy well before the trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// At purchase.
    OnPurchase,
    /// When the eSIM profile is installed on the device.
    OnInstall,
    /// When the device first attaches to a covered network.
    OnFirstUse,
}

impl Activation {
    /// Parses `on_purchase`, `on_install`, `on_first_use` in any case
    /// (also with `-` or spaces).
    pub fn parse(text: &str) -> Result<Self, PlanError> {
        match normalise(text).as_str() {
            "on_purchase" => Ok(Activation::OnPurchase),
            "on_install" => Ok(Activation::OnInstall),
            "on_first_use" => Ok(Activation::OnFirstUse),
            _ => Err(PlanError::ActivationInvalid),
        }
    }
}

fn normalise(text: &str) -> String {
    text.trim().to_ascii_lowercase().replace(['-', ' '], "_")
}

/// The parts of a plan before the cross-field rules are checked: what an
/// admin form or an import builds, and what [`Plan::new`] accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanSpec {
    /// What orders and URLs refer to the plan by.
    pub code: PlanCode,
    /// Shown in the shop, on receipts and in emails.
    pub name: PlanName,
    /// Where the plan works.
    pub coverage: Coverage,
    /// How the shop groups the plan; must agree with `coverage`.
    pub region: Region,
    /// How much data is included.
    pub data: DataAllowance,
    /// Included voice minutes; 0 for data-only plans.
    pub voice_minutes: u32,
    /// Included text messages; 0 for data-only plans.
    pub sms: u32,
    /// How long the plan lasts once activated, within [`VALIDITY_DAYS`].
    pub validity_days: u16,
    /// What the traveller pays, above zero.
    pub price: Money,
    /// When validity starts counting.
    pub activation: Activation,
    /// Whether the plan is on sale; retired plans stay for existing orders.
    pub active: bool,
}

/// A plan a traveller can buy, known to satisfy every catalogue rule.
/// Serialises for the API as its [`PlanSpec`]; deserialising re-checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Plan(PlanSpec);

impl Plan {
    /// Checks the rules that span fields (region against coverage, validity,
    /// price above zero, data above zero) and reports every one broken.
    pub fn new(spec: PlanSpec) -> Result<Self, Vec<PlanError>> {
        let errors: Vec<PlanError> = [
            spec.region.check_coverage(&spec.coverage).err(),
            spec.data.check().err(),
            Self::check_validity_days(spec.validity_days).err(),
            Self::check_price(spec.price).err(),
        ]
        .into_iter()
        .flatten()
        .collect();
        if errors.is_empty() { Ok(Self(spec)) } else { Err(errors) }
    }

    /// Refuses validity outside [`VALIDITY_DAYS`].
    pub fn check_validity_days(days: u16) -> Result<u16, PlanError> {
        if VALIDITY_DAYS.contains(&days) {
            Ok(days)
        } else {
            Err(PlanError::ValidityOutOfRange)
        }
    }

    /// Refuses a price of zero or less: Tern does not give plans away by
    /// accident of a typo.
    pub fn check_price(price: Money) -> Result<Money, PlanError> {
        if price.amount_minor > 0 {
            Ok(price)
        } else {
            Err(PlanError::PriceInvalid)
        }
    }

    /// Whether the plan works in `country`.
    pub fn covers(&self, country: CountryCode) -> bool {
        self.0.coverage.contains(country)
    }

    /// The plan's code.
    pub fn code(&self) -> &PlanCode {
        &self.0.code
    }

    /// The plan's names.
    pub fn name(&self) -> &PlanName {
        &self.0.name
    }

    /// The countries covered, sorted.
    pub fn coverage(&self) -> &Coverage {
        &self.0.coverage
    }

    /// Local, regional or global.
    pub fn region(&self) -> Region {
        self.0.region
    }

    /// The data allowance.
    pub fn data(&self) -> DataAllowance {
        self.0.data
    }

    /// Included voice minutes (0 for data-only plans).
    pub fn voice_minutes(&self) -> u32 {
        self.0.voice_minutes
    }

    /// Included text messages (0 for data-only plans).
    pub fn sms(&self) -> u32 {
        self.0.sms
    }

    /// Days of validity, within [`VALIDITY_DAYS`].
    pub fn validity_days(&self) -> u16 {
        self.0.validity_days
    }

    /// The price, above zero.
    pub fn price(&self) -> Money {
        self.0.price
    }

    /// When validity starts.
    pub fn activation(&self) -> Activation {
        self.0.activation
    }

    /// Whether the plan is on sale; retired plans stay for existing orders.
    pub fn is_active(&self) -> bool {
        self.0.active
    }

    /// All the parts, read-only.
    pub fn spec(&self) -> &PlanSpec {
        &self.0
    }

    /// The parts, to change and check again with [`Plan::new`].
    pub fn into_spec(self) -> PlanSpec {
        self.0
    }
}

impl<'de> Deserialize<'de> for Plan {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spec = PlanSpec::deserialize(d)?;
        Plan::new(spec).map_err(|e| serde::de::Error::custom(join(&e)))
    }
}

fn join(errors: &[PlanError]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Currency;

    fn country(c: &str) -> CountryCode {
        CountryCode::parse(c).unwrap()
    }

    fn spec() -> PlanSpec {
        PlanSpec {
            code: PlanCode::parse("JP-5GB-15D").unwrap(),
            name: PlanName::new("Japan 5GB 15 days", "日本 5GB 15天").unwrap(),
            coverage: Coverage::new([country("JP")]).unwrap(),
            region: Region::Local,
            data: DataAllowance::Limited { mb: 5120 },
            voice_minutes: 0,
            sms: 0,
            validity_days: 15,
            price: Money::new(1150, Currency::parse("USD").unwrap()),
            activation: Activation::OnFirstUse,
            active: true,
        }
    }

    #[test]
    fn plan_codes() {
        for ok in ["JP-5GB-7D", "ABC", "GLOBAL-10GB-60D", &"A".repeat(40)] {
            assert!(PlanCode::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["JP", "jp-5gb", "-JP1", "JP1-", "JP 5GB", "JP_5GB", "", &"A".repeat(41)] {
            assert_eq!(PlanCode::parse(bad), Err(PlanError::CodeInvalid), "{bad}");
        }
    }

    #[test]
    fn names_need_both_languages() {
        assert_eq!(
            PlanName::new(" ", ""),
            Err(vec![
                PlanError::NameMissing(Locale::En),
                PlanError::NameMissing(Locale::ZhCn)
            ])
        );
        assert_eq!(
            PlanName::new("ok", &"长".repeat(101)),
            Err(vec![PlanError::NameInvalid(Locale::ZhCn)])
        );
        let name = PlanName::new(" Japan ", "日本").unwrap();
        assert_eq!(name.get(Locale::En), "Japan");
        assert_eq!(name.get(Locale::ZhCn), "日本");
    }

    #[test]
    fn coverage_is_sorted_unique_and_non_empty() {
        let c = Coverage::new([country("kr"), country("JP"), country("KR")]).unwrap();
        assert_eq!(c.as_slice(), &[country("JP"), country("KR")]);
        assert!(c.contains(country("KR")) && !c.contains(country("US")));
        assert_eq!(Coverage::new([]), Err(PlanError::CoverageEmpty));
    }

    #[test]
    fn plan_checks_cross_field_rules_all_at_once() {
        let plan = Plan::new(spec()).unwrap();
        assert!(plan.covers(country("JP")) && !plan.covers(country("KR")));
        let mut bad = spec();
        bad.region = Region::Regional {
            label: RegionLabel::Asia,
        };
        bad.validity_days = 0;
        bad.price.amount_minor = 0;
        bad.data = DataAllowance::Unlimited { fair_use_mb: 0 };
        assert_eq!(
            Plan::new(bad),
            Err(vec![
                PlanError::RegionMismatch {
                    region: "regional",
                    countries: 1
                },
                PlanError::DataInvalid { unlimited: true },
                PlanError::ValidityOutOfRange,
                PlanError::PriceInvalid,
            ])
        );
        let mut local_two = spec();
        local_two.coverage = Coverage::new([country("JP"), country("KR")]).unwrap();
        assert_eq!(Plan::new(local_two).unwrap_err()[0].code().as_str(), "region_mismatch");
    }

    #[test]
    fn serialises_for_the_api_and_round_trips() {
        let plan = Plan::new(spec()).unwrap();
        let json = serde_json::to_value(&plan).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "code": "JP-5GB-15D",
                "name": {"en": "Japan 5GB 15 days", "zh-CN": "日本 5GB 15天"},
                "coverage": ["JP"],
                "region": {"kind": "local"},
                "data": {"kind": "limited", "mb": 5120},
                "voice_minutes": 0,
                "sms": 0,
                "validity_days": 15,
                "price": {"amount_minor": 1150, "currency": "USD"},
                "activation": "on_first_use",
                "active": true
            })
        );
        let back: Plan = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, plan);
        let mut broken = json;
        broken["validity_days"] = 0.into();
        assert!(serde_json::from_value::<Plan>(broken).is_err());
        let regional = Region::Regional {
            label: RegionLabel::MiddleEast,
        };
        assert_eq!(
            serde_json::to_value(regional).unwrap(),
            serde_json::json!({"kind": "regional", "label": "middle_east"})
        );
        assert_eq!(
            serde_json::to_value(DataAllowance::Unlimited { fair_use_mb: 30720 }).unwrap(),
            serde_json::json!({"kind": "unlimited", "fair_use_mb": 30720})
        );
    }

    #[test]
    fn labels_and_activation_parse_leniently() {
        assert_eq!(RegionLabel::parse("Middle East"), Ok(RegionLabel::MiddleEast));
        assert_eq!(Activation::parse("ON-FIRST-USE"), Ok(Activation::OnFirstUse));
        assert_eq!(Activation::parse("later"), Err(PlanError::ActivationInvalid));
    }
}
