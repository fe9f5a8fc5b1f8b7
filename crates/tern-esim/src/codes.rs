//! SGP.22 status codes: the `subjectCode` / `reasonCode` pairs an SM-DP+
//! puts in `statusCodeData` when a function fails.
//!
//! Both sides of this crate use this one table: the emulator to refuse, the
//! client to recognise a refusal ([`crate::Es2Error::is_iccid_unknown`] and
//! friends). The pairs follow the ES2+ error tables of SGP.22 v2.x §5.3 and,
//! for the device side, the ES9+ ones (§5.6), with the subject codes of §8.x
//! (`8.1.1` EID, `8.2.1` Profile ICCID, `8.2.5` Profile Type, `8.2.6`
//! Matching ID, `8.2.7` Confirmation Code, `8.8.1` SM-DP+ Address) and the
//! reason codes (`1.2` not allowed, `2.1` invalid, `2.2` mandatory element
//! missing, `3.3` already in use, `3.5` invalid transition, `3.7`
//! unavailable, `3.8` refused, `3.9` unknown, `3.10` invalid association).
//!
//! | constant | subject | reason | when |
//! |---|---|---|---|
//! | [`BODY_INVALID`] | 1.3.1 | 2.1 | body is not JSON or a field has the wrong type |
//! | [`ELEMENT_MISSING`] | 1.3.1 | 2.2 | header, `functionRequesterIdentifier`, `functionCallIdentifier`, or `releaseFlag` missing |
//! | [`CONDITIONAL_ELEMENT_MISSING`] | 1.3.1 | 2.3 | downloadOrder with neither `iccid` nor `profileType` |
//! | [`PROTOCOL_VERSION_UNSUPPORTED`] | 1.3.2 | 3.1 | `X-Admin-Protocol` missing or not `gsma/rsp/v2.x.y` |
//! | [`FUNCTION_UNSUPPORTED`] | 1.6 | 3.1 | unknown function name in the path |
//! | [`REQUESTER_UNKNOWN`] | 1.1 | 1.1 | operator side: a notification's `functionRequesterIdentifier` is not the configured SM-DP+ |
//! | [`EXECUTION_ERROR`] | 1.2 | 4.2 | the SM-DP+ could not run the function (only when a test injects it) |
//! | [`ICCID_NOT_ALLOWED`] | 8.2.1 | 1.2 | the order belongs to another function requester |
//! | [`ICCID_INVALID`] | 8.2.1 | 2.1 | ICCID malformed (not 18 to 20 digits, F-padded) |
//! | [`ICCID_MISSING`] | 8.2.1 | 2.2 | `iccid`, or cancelOrder's `finalProfileStatusIndicator`, missing |
//! | [`ICCID_NOT_AVAILABLE`] | 8.2.1 | 3.3 | downloadOrder names a profile that is not `Available` |
//! | [`INVALID_TRANSITION`] | 8.2.1 | 3.5 | the profile's state forbids the function (confirm twice, release unconfirmed, cancel after download) |
//! | [`ICCID_UNKNOWN`] | 8.2.1 | 3.9 | no such profile in the inventory |
//! | [`EID_INVALID`] | 8.1.1 | 2.1 | EID malformed (length, digits, mod 97) |
//! | [`EID_REQUIRED`] | 8.1.1 | 2.2 | confirmOrder with an SM-DS address or an empty matching id but no EID |
//! | [`EID_REFUSED`] | 8.1.1 | 3.8 | device: the phone's EID is not the one the order is linked to |
//! | [`EID_DIFFERENT`] | 8.1.1 | 3.10 | confirmOrder names an EID other than the linked one; cancelOrder names an EID the order is not linked to (also when linked to none) |
//! | [`NO_PROFILE_AVAILABLE`] | 8.2.5 | 3.7 | inventory exhausted for the profile type |
//! | [`PROFILE_TYPE_MISMATCH`] | 8.2.5 | 3.8 | the named ICCID is of another profile type |
//! | [`PROFILE_TYPE_UNKNOWN`] | 8.2.5 | 3.9 | profile type unknown to the SM-DP+ |
//! | [`MATCHING_ID_INVALID`] | 8.2.6 | 2.1 | operator-chosen matching id has characters outside `A-Z a-z 0-9 -` |
//! | [`MATCHING_ID_IN_USE`] | 8.2.6 | 3.3 | operator-chosen matching id used by another order, now or before it was cancelled |
//! | [`MATCHING_ID_REFUSED`] | 8.2.6 | 3.8 | device: matching id unknown or already consumed |
//! | [`MATCHING_ID_DIFFERENT`] | 8.2.6 | 3.10 | cancelOrder names a matching id other than the order's |
//! | [`CONFIRMATION_CODE_MISSING`] | 8.2.7 | 2.2 | device: the order has a confirmation code, none given |
//! | [`CONFIRMATION_CODE_REFUSED`] | 8.2.7 | 3.8 | device: wrong confirmation code |
//! | [`PROFILE_NOT_RELEASED`] | 8.2 | 1.2 | device: the order is confirmed but not released yet |
//! | [`SMDP_ADDRESS_REFUSED`] | 8.8.1 | 3.8 | device: the activation code names another SM-DP+ |
//! | [`DOWNLOAD_FAILED`] | 8.2.10 | 4.2 | device: simulated profile installation failure (notification status) |
//!
//! Two choices differ from a first reading of the brief, on purpose:
//! inventory exhaustion is `8.2.5`/`3.7` ("no more Profile available for the
//! requested Profile Type"), because `4.8` means *insufficient memory* on the
//! eUICC; and a profile in the wrong state is `8.2.1`/`3.5` ("invalid
//! transition"), keeping `8.2.1`/`1.2` for a caller that does not own the
//! order, which is what "not allowed (authorisation)" says.

use std::fmt;

/// One SGP.22 `subjectCode` / `reasonCode` pair, so both sides of this crate
/// name a failure the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusCode {
    /// What the failure is about, e.g. `8.2.1` (Profile ICCID).
    pub subject: &'static str,
    /// Why it failed, e.g. `3.9` (Unknown).
    pub reason: &'static str,
}

impl StatusCode {
    /// A pair; only this module defines them, so they stay in one table.
    const fn new(subject: &'static str, reason: &'static str) -> Self {
        Self { subject, reason }
    }

    /// True when `subject` / `reason` as read off the wire are this pair.
    pub fn matches(&self, subject: &str, reason: &str) -> bool {
        self.subject == subject && self.reason == reason
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.subject, self.reason)
    }
}

/// The body is not JSON, or a field has the wrong type.
pub const BODY_INVALID: StatusCode = StatusCode::new("1.3.1", "2.1");
/// A mandatory header or body element is missing.
pub const ELEMENT_MISSING: StatusCode = StatusCode::new("1.3.1", "2.2");
/// Of elements one of which is needed, none was given.
pub const CONDITIONAL_ELEMENT_MISSING: StatusCode = StatusCode::new("1.3.1", "2.3");
/// The `X-Admin-Protocol` header is missing or names another version.
pub const PROTOCOL_VERSION_UNSUPPORTED: StatusCode = StatusCode::new("1.3.2", "3.1");
/// The function requester is not known to the provider (identification or
/// authentication failed).
pub const REQUESTER_UNKNOWN: StatusCode = StatusCode::new("1.1", "1.1");
/// The function provider (the SM-DP+) failed to run the function.
pub const EXECUTION_ERROR: StatusCode = StatusCode::new("1.2", "4.2");
/// The path names a function the SM-DP+ does not offer.
pub const FUNCTION_UNSUPPORTED: StatusCode = StatusCode::new("1.6", "3.1");
/// The order belongs to another function requester.
pub const ICCID_NOT_ALLOWED: StatusCode = StatusCode::new("8.2.1", "1.2");
/// The ICCID is malformed.
pub const ICCID_INVALID: StatusCode = StatusCode::new("8.2.1", "2.1");
/// The ICCID (or, for cancelOrder, the final status) is missing.
pub const ICCID_MISSING: StatusCode = StatusCode::new("8.2.1", "2.2");
/// downloadOrder named a profile that is not available.
pub const ICCID_NOT_AVAILABLE: StatusCode = StatusCode::new("8.2.1", "3.3");
/// The profile's state does not allow the function.
pub const INVALID_TRANSITION: StatusCode = StatusCode::new("8.2.1", "3.5");
/// No profile has this ICCID.
pub const ICCID_UNKNOWN: StatusCode = StatusCode::new("8.2.1", "3.9");
/// The EID is malformed.
pub const EID_INVALID: StatusCode = StatusCode::new("8.1.1", "2.1");
/// The order needs an EID and none was given.
pub const EID_REQUIRED: StatusCode = StatusCode::new("8.1.1", "2.2");
/// The phone's EID is not the one the order is linked to.
pub const EID_REFUSED: StatusCode = StatusCode::new("8.1.1", "3.8");
/// The request names an EID other than the one linked to the order.
pub const EID_DIFFERENT: StatusCode = StatusCode::new("8.1.1", "3.10");
/// No profile of the requested type is left.
pub const NO_PROFILE_AVAILABLE: StatusCode = StatusCode::new("8.2.5", "3.7");
/// The named ICCID is of another profile type.
pub const PROFILE_TYPE_MISMATCH: StatusCode = StatusCode::new("8.2.5", "3.8");
/// The SM-DP+ does not know the profile type.
pub const PROFILE_TYPE_UNKNOWN: StatusCode = StatusCode::new("8.2.5", "3.9");
/// The operator-chosen matching id has characters that are not allowed.
pub const MATCHING_ID_INVALID: StatusCode = StatusCode::new("8.2.6", "2.1");
/// The operator-chosen matching id is already used by another order.
pub const MATCHING_ID_IN_USE: StatusCode = StatusCode::new("8.2.6", "3.3");
/// The phone presented an unknown or already consumed matching id.
pub const MATCHING_ID_REFUSED: StatusCode = StatusCode::new("8.2.6", "3.8");
/// The request names a matching id other than the order's.
pub const MATCHING_ID_DIFFERENT: StatusCode = StatusCode::new("8.2.6", "3.10");
/// The order needs a confirmation code and the phone gave none.
pub const CONFIRMATION_CODE_MISSING: StatusCode = StatusCode::new("8.2.7", "2.2");
/// The phone gave the wrong confirmation code.
pub const CONFIRMATION_CODE_REFUSED: StatusCode = StatusCode::new("8.2.7", "3.8");
/// The order is confirmed but not yet released for download.
pub const PROFILE_NOT_RELEASED: StatusCode = StatusCode::new("8.2", "1.2");
/// The activation code names another SM-DP+.
pub const SMDP_ADDRESS_REFUSED: StatusCode = StatusCode::new("8.8.1", "3.8");
/// Installing the profile on the eUICC failed.
pub const DOWNLOAD_FAILED: StatusCode = StatusCode::new("8.2.10", "4.2");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_and_displays() {
        assert!(ICCID_UNKNOWN.matches("8.2.1", "3.9"));
        assert!(!ICCID_UNKNOWN.matches("8.2.1", "3.10"));
        assert_eq!(EID_DIFFERENT.to_string(), "8.1.1/3.10");
    }
}
