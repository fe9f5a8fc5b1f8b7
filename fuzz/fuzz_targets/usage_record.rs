//! Usage records from the network: any JSON object is either refused with
//! field problems or becomes a record that keeps the rules (a positive
//! quantity, a bounded event id, a checked ICCID and country); nothing
//! panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tern_domain::usage::{MAX_EVENT_ID_LEN, RawQuantity, RawRecord, parse_record};

const NOW_MS: i64 = 1_780_000_000_000;

fuzz_target!(|data: &[u8]| {
    let Ok(Value::Object(o)) = serde_json::from_slice::<Value>(data) else { return };
    let text = |k: &str| o.get(k).and_then(Value::as_str);
    let raw = RawRecord {
        event_id: text("event_id"),
        iccid: text("iccid"),
        kind: text("kind"),
        quantity: o.get("quantity").map(|q| match q.as_i64() {
            Some(i) => RawQuantity::Integer(i),
            None => RawQuantity::NotInteger,
        }),
        country: text("country"),
        occurred_at: text("occurred_at"),
    };
    match parse_record(&raw, NOW_MS) {
        Ok(r) => {
            assert!(r.quantity > 0);
            assert!(!r.event_id.is_empty() && r.event_id.len() <= MAX_EVENT_ID_LEN);
            assert_eq!(r.country.as_str().len(), 2);
            assert!(tern_domain::ids::Iccid::parse(r.iccid.as_str()).is_ok());
        }
        Err(problems) => assert!(!problems.is_empty()),
    }
});
