//! The catalogue importers take any bytes: every plan they accept is valid
//! and serialises; nothing panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tern_domain::catalogue::import;

fuzz_target!(|data: &[u8]| {
    for parsed in [import::parse_json(data), import::parse_csv(data)] {
        if let Ok(plans) = parsed {
            for p in plans {
                assert!(serde_json::to_string(p.spec()).is_ok());
            }
        }
    }
});
