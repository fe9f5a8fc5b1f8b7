//! The typed arguments and results of [`crate::Es2Client`]'s calls, so
//! callers never handle the raw wire strings.

use secrecy::SecretString;
use tern_domain::activation_code::ActivationCode;
use tern_domain::ids::{Eid, Iccid};

use crate::wire::FinalProfileStatus;

/// What downloadOrder asks for; the default lets the SM-DP+ pick any
/// profile of the configured type for any eUICC.
#[derive(Debug, Clone, Default)]
pub struct DownloadOrder {
    /// Link the order to this eUICC.
    pub eid: Option<Eid>,
    /// Ask for this very profile.
    pub iccid: Option<Iccid>,
    /// Override the configured profile type.
    pub profile_type: Option<String>,
}

/// What confirmOrder sends.
#[derive(Debug, Clone)]
pub struct ConfirmOrder {
    /// The profile reserved by downloadOrder.
    pub iccid: Iccid,
    /// Link the order to (or check it against) this eUICC.
    pub eid: Option<Eid>,
    /// Tern's own matching id; usually left to the SM-DP+.
    pub matching_id: Option<String>,
    /// A code the user must type on the phone before the download.
    pub confirmation_code: Option<SecretString>,
    /// An SM-DS to register the download event with.
    pub smds_address: Option<String>,
    /// Release for download at once (`releaseFlag`).
    pub release: bool,
}

impl ConfirmOrder {
    /// A confirmation of `iccid` with nothing optional set.
    pub fn new(iccid: Iccid, release: bool) -> Self {
        Self {
            iccid,
            eid: None,
            matching_id: None,
            confirmation_code: None,
            smds_address: None,
            release,
        }
    }
}

/// What confirmOrder answers: what the phone needs to find the order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmedOrder {
    /// The EID the order is linked to, if any.
    pub eid: Option<Eid>,
    /// The matching id.
    pub matching_id: String,
    /// The SM-DP+ host name.
    pub smdp_address: String,
    /// `LPA:1$<smdp_address>$<matching_id>`.
    pub activation_code: ActivationCode,
}

/// What cancelOrder sends.
#[derive(Debug, Clone)]
pub struct CancelOrder {
    /// The order's profile.
    pub iccid: Iccid,
    /// The order's EID, checked by the SM-DP+ when given.
    pub eid: Option<Eid>,
    /// The order's matching id; give it whenever known, so a repeated
    /// cancel cannot hit a later order for the same profile.
    pub matching_id: Option<String>,
    /// What the profile becomes.
    pub final_status: FinalProfileStatus,
}

/// A new eSIM ready to hand to a customer: the result of
/// [`crate::Es2Client::provision_new`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provisioned {
    /// The profile.
    pub iccid: Iccid,
    /// The matching id.
    pub matching_id: String,
    /// The SM-DP+ host name.
    pub smdp_address: String,
    /// What the phone scans.
    pub activation_code: ActivationCode,
}
