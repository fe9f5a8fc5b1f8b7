//! Identifiers of SIMs and subscribers (ICCID, EID and IMSI) and the ids
//! Tern gives its own records.
//!
//! Each is a checked newtype: parsing validates the format and the check
//! digits, so a wrong digit typed by an operator or sent by a partner is
//! caught at the edge instead of reaching the SM-DP+ or the network.

mod digits;

pub use digits::luhn_valid;
mod eid;
mod iccid;
mod imsi;
mod opaque;

pub use eid::{Eid, EidError};
pub use iccid::{Iccid, IccidError, known_iccid};
pub use imsi::{Imsi, ImsiError};
pub use opaque::{
    AccountId, AdjustmentId, AnnouncementId, ApiKeyId, ClosureId, ExportId, OrderId, OutboxId, PackageId, RefundId,
    SessionId, TicketId, TicketMessageId, TopUpId, TransactionId,
};
