//! Voucher codes: what parses prints and parses back to the same code.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tern_domain::voucher::VoucherCode;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data)
        && let Ok(code) = VoucherCode::parse(s)
    {
        assert_eq!(VoucherCode::parse(&code.grouped()).ok().as_ref(), Some(&code));
    }
});
