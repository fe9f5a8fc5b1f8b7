//! ES2+ JSON bodies, both directions: whatever the SM-DP+ or an operator
//! sends, each wire type either refuses it or reads it, writes it and reads
//! the same value back; nothing panics. ICCIDs the SM-DP+ reports either
//! read as SGP.22 allows (18 to 20 digits, F-padded) or are refused, and a
//! read one writes back to the same wire form. The operator's check of a
//! notification (`tern_esim::notification::check`) refuses or accepts any
//! bytes without panicking.
#![no_main]
use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tern_domain::ids::Iccid;
use tern_esim::wire::*;

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(data: &[u8]) -> Option<T> {
    let parsed: T = serde_json::from_slice(data).ok()?;
    let written = serde_json::to_vec(&parsed).expect("a parsed body serialises");
    let again: T = serde_json::from_slice(&written).expect("what was written reads back");
    assert_eq!(parsed, again, "round trip changed the body");
    Some(parsed)
}

fuzz_target!(|data: &[u8]| {
    let _ = round_trip::<DownloadOrderRequest>(data);
    let _ = round_trip::<ConfirmOrderRequest>(data);
    let _ = round_trip::<CancelOrderRequest>(data);
    let _ = round_trip::<ReleaseProfileRequest>(data);
    let _ = round_trip::<HeaderOnlyResponse>(data);
    let _ = round_trip::<ConfirmOrderResponse>(data);
    let _ = round_trip::<ProfileStatusEntry>(data);
    let _ = tern_esim::notification::check(Some(ADMIN_PROTOCOL), data, "smdp.tern.test");
    if let Some(DownloadOrderResponse { iccid: Some(raw), .. }) = round_trip::<DownloadOrderResponse>(data) {
        if let Ok(iccid) = Iccid::from_smdp(&raw) {
            assert_eq!(Iccid::from_smdp(&iccid.to_es2_wire()).ok(), Some(iccid));
        }
    }
    if let Some(r) = round_trip::<HandleDownloadProgressInfoRequest>(data) {
        if let Ok(iccid) = Iccid::from_smdp(&r.iccid) {
            assert_eq!(Iccid::from_smdp(&iccid.to_es2_wire()).ok(), Some(iccid));
        }
    }
});
