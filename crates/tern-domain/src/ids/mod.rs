//! Identifiers of SIMs and subscribers: ICCID, EID and IMSI.
//!
//! Each is a checked newtype: parsing validates the format and the check
//! digits, so a wrong digit typed by an operator or sent by a partner is
//! caught at the edge instead of reaching the SM-DP+ or the network.

mod digits;

pub use digits::luhn_valid;
mod eid;
mod iccid;
mod imsi;

pub use eid::{Eid, EidError};
pub use iccid::{Iccid, IccidError};
pub use imsi::{Imsi, ImsiError};
