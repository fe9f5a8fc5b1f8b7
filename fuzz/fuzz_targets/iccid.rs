//! Any text given to the ICCID parser either parses to a value that
//! formats and parses back to itself, or is refused; it never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tern_domain::ids::Iccid;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data)
        && let Ok(iccid) = Iccid::parse(s)
    {
        assert_eq!(Iccid::parse(iccid.as_str()).ok().as_ref(), Some(&iccid));
        assert_eq!(Iccid::parse(&iccid.to_es2_wire()).ok().as_ref(), Some(&iccid));
    }
});
