//! Checking one catalogue row, whichever format it came from.

use crate::catalogue::{
    Activation, CountryCode, Coverage, DataAllowance, ErrorCode, Plan, PlanCode, PlanError, PlanName, PlanSpec, Region,
    RegionLabel,
};
use crate::{Currency, Locale, Money};

/// The value in a field is of the wrong kind (text for a number, …).
pub(super) struct WrongType;

/// One row's fields, as JSON or CSV presents them. Each getter returns
/// `Ok(None)` for an absent or blank field.
pub(super) trait Row {
    fn text(&self, field: &'static str) -> Result<Option<String>, WrongType>;
    fn integer(&self, field: &'static str) -> Result<Option<i128>, WrongType>;
    fn boolean(&self, field: &'static str) -> Result<Option<bool>, WrongType>;
    fn list(&self, field: &'static str) -> Result<Option<Vec<String>>, WrongType>;
}

/// A problem in one field of a row.
pub(super) struct Problem {
    pub field: &'static str,
    pub code: ErrorCode,
    pub message: String,
}

/// The outcome for one row: its code when that much could be read (for
/// duplicate detection), and the plan or every problem.
pub(super) struct Checked {
    pub code: Option<PlanCode>,
    pub plan: Result<Plan, Vec<Problem>>,
}

#[derive(Default)]
struct Problems(Vec<Problem>);

/// `Err` means the problem was already recorded.
type Got<T> = Result<Option<T>, ()>;

impl Problems {
    fn push(&mut self, field: &'static str, code: ErrorCode, message: impl Into<String>) {
        self.0.push(Problem {
            field,
            code,
            message: message.into(),
        });
    }

    fn plan_error(&mut self, e: PlanError) {
        self.push(e.field(), e.code(), e.to_string());
    }

    fn ok<T>(&mut self, r: Result<T, PlanError>) -> Option<T> {
        r.map_err(|e| self.plan_error(e)).ok()
    }

    fn got<T>(&mut self, field: &'static str, r: Result<Option<T>, WrongType>, expected: &str) -> Got<T> {
        r.map_err(|WrongType| {
            self.push(field, ErrorCode::InvalidType, format!("expected {expected}"));
        })
    }

    fn text(&mut self, row: &impl Row, field: &'static str) -> Got<String> {
        self.got(field, row.text(field), "text")
    }

    fn integer(&mut self, row: &impl Row, field: &'static str) -> Got<i128> {
        self.got(field, row.integer(field), "a whole number")
    }

    fn boolean(&mut self, row: &impl Row, field: &'static str) -> Got<bool> {
        self.got(field, row.boolean(field), "true or false")
    }

    fn required<T>(&mut self, field: &'static str, got: Got<T>) -> Option<T> {
        match got {
            Ok(Some(v)) => Some(v),
            Ok(None) => {
                self.push(field, ErrorCode::FieldMissing, format!("{field} is required"));
                None
            }
            Err(()) => None,
        }
    }

    /// A count such as voice minutes: absent means 0.
    fn count(&mut self, row: &impl Row, field: &'static str) -> Option<u32> {
        let n = self.integer(row, field).ok()?.unwrap_or(0);
        u32::try_from(n)
            .map_err(|_| {
                self.push(
                    field,
                    ErrorCode::NumberOutOfRange,
                    format!("{field} must be 0 to {}", u32::MAX),
                );
            })
            .ok()
    }

    /// A data allowance or fair-use threshold in MB, above zero.
    fn allowance(&mut self, n: i128, unlimited: bool) -> Option<DataAllowance> {
        let r = u32::try_from(n)
            .map(|mb| {
                if unlimited {
                    DataAllowance::Unlimited { fair_use_mb: mb }
                } else {
                    DataAllowance::Limited { mb }
                }
            })
            .map_err(|_| PlanError::DataInvalid { unlimited })
            .and_then(|d| d.check().map(|()| d));
        self.ok(r)
    }
}

pub(super) fn check(row: &impl Row) -> Checked {
    let mut p = Problems::default();
    let code = {
        let got = p.text(row, "code");
        p.required("code", got).and_then(|t| p.ok(PlanCode::parse(&t)))
    };
    let name = name(&mut p, row);
    let coverage = coverage(&mut p, row);
    let region = region(&mut p, row);
    if let (Some(region), Some(coverage)) = (region, &coverage) {
        p.ok(region.check_coverage(coverage));
    }
    let data = data(&mut p, row);
    let voice_minutes = p.count(row, "voice_minutes");
    let sms = p.count(row, "sms");
    let validity_days = {
        let got = p.integer(row, "validity_days");
        p.required("validity_days", got).and_then(|n| {
            let days = u16::try_from(n).map_err(|_| PlanError::ValidityOutOfRange);
            p.ok(days.and_then(Plan::check_validity_days))
        })
    };
    let price = price(&mut p, row);
    let activation = {
        let got = p.text(row, "activation");
        p.required("activation", got).and_then(|t| p.ok(Activation::parse(&t)))
    };
    let active = p.boolean(row, "active").ok().map(|a| a.unwrap_or(true));

    let spec = (|| {
        Some(PlanSpec {
            code: code.clone()?,
            name: name?,
            coverage: coverage?,
            region: region?,
            data: data?,
            voice_minutes: voice_minutes?,
            sms: sms?,
            validity_days: validity_days?,
            price: price?,
            activation: activation?,
            active: active?,
        })
    })();
    let plan = match spec {
        Some(spec) if p.0.is_empty() => Plan::new(spec).map_err(|errors| {
            errors.into_iter().for_each(|e| p.plan_error(e));
            p.0
        }),
        _ => Err(p.0),
    };
    Checked { code, plan }
}

fn name(p: &mut Problems, row: &impl Row) -> Option<PlanName> {
    let en = p.text(row, "name_en");
    let zh = p.text(row, "name_zh");
    let text = |g: &Got<String>| g.as_ref().ok().cloned().flatten().unwrap_or_default();
    match PlanName::new(&text(&en), &text(&zh)) {
        Ok(name) => Some(name),
        Err(errors) => {
            // A field already refused for its type is not also "missing".
            let reported = |l: Locale| match l {
                Locale::En => en.is_err(),
                Locale::ZhCn => zh.is_err(),
            };
            for e in errors {
                if !matches!(e, PlanError::NameMissing(l) if reported(l)) {
                    p.plan_error(e);
                }
            }
            None
        }
    }
}

fn coverage(p: &mut Problems, row: &impl Row) -> Option<Coverage> {
    let items = p
        .got("countries", row.list("countries"), "a list of country codes")
        .ok()?
        .unwrap_or_default();
    let mut countries = Vec::with_capacity(items.len());
    let mut unknown = false;
    for item in &items {
        match CountryCode::parse(item) {
            Ok(c) => countries.push(c),
            Err(e) => {
                unknown = true;
                p.plan_error(e);
            }
        }
    }
    if unknown {
        return None;
    }
    p.ok(Coverage::new(countries))
}

fn region(p: &mut Problems, row: &impl Row) -> Option<Region> {
    let kind = p.text(row, "region");
    let kind = p.required("region", kind);
    let label = p.text(row, "region_label").ok()?;
    match kind?.trim().to_ascii_lowercase().as_str() {
        "local" | "global" if label.is_some() => {
            p.push(
                "region_label",
                ErrorCode::RegionMismatch,
                "only regional plans take a region label",
            );
            None
        }
        "local" => Some(Region::Local),
        "global" => Some(Region::Global),
        "regional" => match label {
            None => {
                p.push(
                    "region_label",
                    ErrorCode::RegionLabelMissing,
                    "a regional plan needs a region_label",
                );
                None
            }
            Some(l) => p.ok(RegionLabel::parse(&l)).map(|label| Region::Regional { label }),
        },
        _ => {
            p.plan_error(PlanError::RegionInvalid);
            None
        }
    }
}

fn data(p: &mut Problems, row: &impl Row) -> Option<DataAllowance> {
    let mb = p.integer(row, "data_mb");
    let unlimited = p.boolean(row, "unlimited");
    let fair_use = p.integer(row, "fair_use_mb");
    let (mb, unlimited, fair_use) = (mb.ok()?, unlimited.ok()?, fair_use.ok()?);
    if unlimited == Some(true) {
        if mb.is_some() {
            p.push(
                "data_mb",
                ErrorCode::DataConflict,
                "an unlimited plan has fair_use_mb, not data_mb",
            );
            return None;
        }
        let Some(fair_use) = fair_use else {
            p.push(
                "fair_use_mb",
                ErrorCode::FairUseMissing,
                "an unlimited plan needs fair_use_mb, after which speed is reduced",
            );
            return None;
        };
        return p.allowance(fair_use, true);
    }
    if fair_use.is_some() {
        p.push(
            "fair_use_mb",
            ErrorCode::DataConflict,
            "fair_use_mb applies only to plans with unlimited: true",
        );
        return None;
    }
    let Some(mb) = mb else {
        p.push(
            "data_mb",
            ErrorCode::DataMissing,
            "give data_mb, or unlimited: true with fair_use_mb",
        );
        return None;
    };
    p.allowance(mb, false)
}

fn price(p: &mut Problems, row: &impl Row) -> Option<Money> {
    let amount = p.got("price", row.text("price"), "a decimal string such as \"9.50\"");
    let amount = p.required("price", amount);
    let currency = p.text(row, "currency");
    let currency = p.required("currency", currency).and_then(|c| {
        let r = Currency::parse(&c).map_err(|_| PlanError::CurrencyInvalid);
        p.ok(r)
    });
    // Without a currency the number of decimals cannot be judged.
    let (amount, currency) = (amount?, currency?);
    let money = Money::parse_decimal(&amount, currency).map_err(|_| PlanError::PriceInvalid);
    p.ok(money.and_then(Plan::check_price))
}
