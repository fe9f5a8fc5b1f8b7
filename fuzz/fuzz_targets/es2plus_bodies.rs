//! ES2+ JSON bodies, both directions: whatever the SM-DP+ or an operator
//! sends, each wire type either refuses it or reads it, writes it and reads
//! the same value back; nothing panics. ICCIDs the SM-DP+ reports must parse
//! as checked ICCIDs or be refused.
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
    let _ = round_trip::<GetProfileStatusRequest>(data);
    let _ = round_trip::<HeaderOnlyResponse>(data);
    let _ = round_trip::<ConfirmOrderResponse>(data);
    let _ = round_trip::<GetProfileStatusResponse>(data);
    if let Some(r) = round_trip::<DownloadOrderResponse>(data) {
        let _ = serde_json::to_value(&r).map(|v| v["iccid"].as_str().map(Iccid::parse));
    }
    if let Some(r) = round_trip::<HandleDownloadProgressInfoRequest>(data) {
        if let Ok(iccid) = Iccid::parse(r.iccid.trim_end_matches(['F', 'f'])) {
            assert!(Iccid::parse(iccid.as_str()).is_ok());
        }
    }
});
