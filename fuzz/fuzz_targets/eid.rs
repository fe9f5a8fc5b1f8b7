//! EIDs: valid ones round-trip, everything else is refused without a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tern_domain::ids::Eid;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data)
        && let Ok(eid) = Eid::parse(s)
    {
        assert_eq!(Eid::parse(eid.as_str()).ok().as_ref(), Some(&eid));
    }
});
