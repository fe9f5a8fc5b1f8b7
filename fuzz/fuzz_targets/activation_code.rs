//! Activation codes: what parses formats back to the same code.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tern_domain::activation_code::ActivationCode;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data)
        && let Ok(code) = ActivationCode::parse(s)
    {
        assert_eq!(ActivationCode::parse(&code.to_string()).ok().as_ref(), Some(&code));
    }
});
