//! The shipped sample catalogue must import cleanly and show off every
//! kind of plan.

use std::collections::HashSet;

use super::import::{parse_csv, parse_json};
use super::{DataAllowance, Region};
use crate::Locale;

const SAMPLE_JSON: &[u8] = include_bytes!("../../../../examples/catalogue.json");
const SAMPLE_CSV: &[u8] = include_bytes!("../../../../examples/catalogue.csv");

#[test]
fn the_sample_catalogue_imports_and_covers_every_kind_of_plan() {
    let plans = parse_json(SAMPLE_JSON).unwrap_or_else(|e| panic!("{e}"));
    let active: Vec<_> = plans.iter().filter(|p| p.is_active()).collect();
    assert!(active.len() >= 25, "{} active plans", active.len());
    assert!(plans.iter().any(|p| !p.is_active()));

    let local_countries: HashSet<_> = active
        .iter()
        .filter(|p| p.region() == Region::Local)
        .flat_map(|p| p.coverage().as_slice().iter().copied())
        .collect();
    assert!(local_countries.len() >= 15, "{local_countries:?}");

    assert!(active.iter().any(|p| p.region() == Region::Local));
    assert!(active.iter().any(|p| matches!(p.region(), Region::Regional { .. })));
    let global: Vec<_> = active.iter().filter(|p| p.region() == Region::Global).collect();
    assert!(global.len() >= 2 && global.iter().all(|p| p.coverage().as_slice().len() >= 60));
    assert!(
        active
            .iter()
            .any(|p| matches!(p.data(), DataAllowance::Unlimited { .. }))
    );
    assert!(active.iter().any(|p| p.voice_minutes() > 0 && p.sms() > 0));
    assert!(plans.iter().all(|p| p.price().currency.as_str() == "USD"));
    assert!(plans.iter().all(|p| {
        let zh = p.name().get(Locale::ZhCn);
        zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    }));
}

#[test]
fn the_sample_csv_matches_the_json() {
    let json = parse_json(SAMPLE_JSON).unwrap_or_else(|e| panic!("{e}"));
    let csv = parse_csv(SAMPLE_CSV).unwrap_or_else(|e| panic!("{e}"));
    assert!(csv.len() >= 5);
    for plan in &csv {
        let twin = json.iter().find(|p| p.code() == plan.code());
        assert_eq!(twin, Some(plan), "{}", plan.code());
    }
}
