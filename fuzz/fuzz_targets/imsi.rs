//! IMSIs: valid ones round-trip, everything else is refused without a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tern_domain::ids::Imsi;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data)
        && let Ok(imsi) = Imsi::parse(s)
    {
        assert_eq!(Imsi::parse(imsi.as_str()).ok().as_ref(), Some(&imsi));
    }
});
