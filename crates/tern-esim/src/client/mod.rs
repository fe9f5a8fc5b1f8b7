//! The ES2+ client: how Tern, as the operator, orders profiles from an
//! SM-DP+ (SGP.22 v2.x §5.3, JSON binding over HTTPS).
//!
//! Retries: a call is repeated only when that cannot do harm. A request
//! that never reached the SM-DP+ (connection refused) is always repeated.
//! A request that may have arrived (timeout, reset, 5xx) is repeated only
//! for releaseProfile and cancelOrder, whose repeat has no further effect. downloadOrder and confirmOrder are not: a repeated
//! downloadOrder would reserve a second profile and strand the first, and
//! the answer to confirmOrder is the only place an SM-DP+-chosen matching
//! id appears, so a repeat cannot recover it. Callers see a
//! [`Es2Error::Transport`] and decide (e.g. [`Es2Client::provision_new`]
//! cancels the order it could not finish).

mod config;
mod transport;
mod types;

pub use config::{Es2Config, RetryPolicy, TlsConfig, tls_http_client};
pub use types::{CancelOrder, ConfirmOrder, ConfirmedOrder, DownloadOrder, Provisioned};

use secrecy::ExposeSecret;
use tern_domain::activation_code::ActivationCode;
use tern_domain::ids::{Eid, Iccid};

use crate::errors::Es2Error;
use crate::wire::{
    CancelOrderRequest, ConfirmOrderRequest, ConfirmOrderResponse, DownloadOrderRequest, DownloadOrderResponse,
    ES2PLUS_PATH, Es2Function, FinalProfileStatus, HeaderOnlyResponse, ReleaseProfileRequest,
};

/// Talks ES2+ to one SM-DP+. Cheap to clone; share one per SM-DP+.
#[derive(Debug, Clone)]
pub struct Es2Client {
    http: reqwest::Client,
    base_url: String,
    requester: String,
    profile_type: String,
    smdp_address: String,
    retry: RetryPolicy,
}

impl Es2Client {
    /// A client for `config`, with its TLS material loaded now so a bad
    /// path fails at start-up rather than at the first order.
    pub fn new(config: Es2Config) -> Result<Self, Es2Error> {
        // The function paths are appended here; a base URL that already
        // ends in them (a common copy from an SM-DP+'s documentation) is
        // taken as meaning the server.
        let base_url = config.base_url.trim_end_matches('/');
        let base_url = base_url.strip_suffix(ES2PLUS_PATH).unwrap_or(base_url).to_owned();
        let url = reqwest::Url::parse(&base_url)
            .map_err(|e| Es2Error::Config(format!("base URL {:?}: {e}", config.base_url)))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Es2Error::Config(format!(
                "base URL {:?} is not http(s)",
                config.base_url
            )));
        }
        if config.function_requester_identifier.trim().is_empty() {
            return Err(Es2Error::Config("functionRequesterIdentifier is empty".into()));
        }
        let smdp_address = match config.smdp_address.as_deref().map(str::trim) {
            Some(a) if !a.is_empty() => a.to_owned(),
            _ => url.host_str().unwrap_or_default().to_owned(),
        };
        ActivationCode::new(&smdp_address, "X")
            .map_err(|e| Es2Error::Config(format!("SM-DP+ address {smdp_address:?}: {e}")))?;
        Ok(Self {
            http: config::http_client(&config)?,
            base_url,
            requester: config.function_requester_identifier,
            profile_type: config.profile_type,
            smdp_address,
            retry: config.retry,
        })
    }

    /// The SM-DP+'s base URL, without the function prefix.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The HTTP client, with the SM-DP+'s TLS material loaded: for the
    /// emulator's other endpoints (the network side of `tern smdp-sim`),
    /// which sit behind the same TLS.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The SM-DP+ address activation codes name when confirmOrder leaves
    /// `smdpAddress` out (it is optional in SGP.22 §5.3.2).
    pub fn smdp_address(&self) -> &str {
        &self.smdp_address
    }

    /// ES2+.DownloadOrder: reserves a profile and returns its ICCID.
    pub async fn download_order(&self, order: &DownloadOrder) -> Result<Iccid, Es2Error> {
        let function = Es2Function::DownloadOrder;
        let profile_type = order.profile_type.clone().unwrap_or_else(|| self.profile_type.clone());
        let response: DownloadOrderResponse = self
            .call(function, |header| DownloadOrderRequest {
                header: Some(header),
                eid: order.eid.as_ref().map(|e| e.as_str().to_owned()),
                iccid: order.iccid.as_ref().map(Iccid::to_es2_wire),
                profile_type: Some(profile_type),
            })
            .await?;
        let iccid = response.iccid.ok_or_else(|| protocol(function, "no iccid"))?;
        parse_iccid(function, &iccid)
    }

    /// ES2+.ConfirmOrder: fixes the matching id (and releases the order when
    /// asked) and returns what goes into the activation code.
    pub async fn confirm_order(&self, order: &ConfirmOrder) -> Result<ConfirmedOrder, Es2Error> {
        let function = Es2Function::ConfirmOrder;
        let response: ConfirmOrderResponse = self
            .call(function, |header| ConfirmOrderRequest {
                header: Some(header),
                iccid: Some(order.iccid.to_es2_wire()),
                eid: order.eid.as_ref().map(|e| e.as_str().to_owned()),
                matching_id: order.matching_id.clone(),
                confirmation_code: order.confirmation_code.as_ref().map(|c| c.expose_secret().to_owned()),
                smds_address: order.smds_address.clone(),
                release_flag: Some(order.release),
            })
            .await?;
        let matching_id = response
            .matching_id
            .ok_or_else(|| protocol(function, "no matchingId"))?;
        let smdp_address = response
            .smdp_address
            .filter(|a| !a.trim().is_empty())
            .unwrap_or_else(|| self.smdp_address.clone());
        let eid = match response.eid {
            Some(raw) => Some(Eid::parse(&raw).map_err(|e| protocol(function, e))?),
            None => None,
        };
        let activation_code = ActivationCode::new(&smdp_address, &matching_id).map_err(|e| protocol(function, e))?;
        Ok(ConfirmedOrder {
            eid,
            matching_id,
            smdp_address,
            activation_code,
        })
    }

    /// ES2+.CancelOrder: undoes an order no phone has downloaded yet.
    pub async fn cancel_order(&self, cancel: &CancelOrder) -> Result<(), Es2Error> {
        let _: HeaderOnlyResponse = self
            .call(Es2Function::CancelOrder, |header| CancelOrderRequest {
                header: Some(header),
                iccid: Some(cancel.iccid.to_es2_wire()),
                eid: cancel.eid.as_ref().map(|e| e.as_str().to_owned()),
                matching_id: cancel.matching_id.clone(),
                final_profile_status_indicator: Some(cancel.final_status),
            })
            .await?;
        Ok(())
    }

    /// ES2+.ReleaseProfile: makes a confirmed order downloadable.
    pub async fn release_profile(&self, iccid: &Iccid) -> Result<(), Es2Error> {
        let _: HeaderOnlyResponse = self
            .call(Es2Function::ReleaseProfile, |header| ReleaseProfileRequest {
                header: Some(header),
                iccid: Some(iccid.to_es2_wire()),
            })
            .await?;
        Ok(())
    }

    /// A new eSIM for a customer: downloadOrder for the configured profile
    /// type (the SM-DP+ picks the ICCID), then confirmOrder with
    /// `releaseFlag` so the phone can download at once.
    ///
    /// The matching id is chosen here (SGP.22 lets the operator give one)
    /// so that a cancel after a confirmOrder whose answer was lost can name
    /// it. When confirmOrder fails, even by timing out after it took effect,
    /// the order is cancelled back to `Available`: nobody has seen its
    /// matching id, so the profile can safely go to the next customer.
    pub async fn provision_new(&self) -> Result<Provisioned, Es2Error> {
        let iccid = self.download_order(&DownloadOrder::default()).await?;
        let mut confirm = ConfirmOrder::new(iccid.clone(), true);
        let matching_id = new_matching_id();
        confirm.matching_id = Some(matching_id.clone());
        match self.confirm_order(&confirm).await {
            Ok(confirmed) => Ok(Provisioned {
                iccid,
                matching_id: confirmed.matching_id,
                smdp_address: confirmed.smdp_address,
                activation_code: confirmed.activation_code,
            }),
            Err(error) => {
                let cancel = CancelOrder {
                    iccid,
                    eid: None,
                    matching_id: Some(matching_id),
                    final_status: FinalProfileStatus::Available,
                };
                if let Err(cancel_error) = self.cancel_order(&cancel).await {
                    tracing::warn!(code = cancel_error.code(), %cancel_error,
                        "could not cancel an order left unconfirmed; it stays reserved at the SM-DP+");
                }
                Err(error)
            }
        }
    }
}

/// A protocol error for `function`.
fn protocol(function: Es2Function, detail: impl std::fmt::Display) -> Es2Error {
    Es2Error::Protocol {
        function,
        detail: detail.to_string(),
    }
}

/// An ICCID from an answer, taken as the SM-DP+ sent it (18 to 20
/// digits, F-padded; no Luhn or prefix check: see [`Iccid::from_smdp`]).
fn parse_iccid(function: Es2Function, raw: &str) -> Result<Iccid, Es2Error> {
    Iccid::from_smdp(raw).map_err(|e| protocol(function, format!("iccid: {e}")))
}

/// A fresh matching id for confirmOrder: 32 upper-case hex digits in four
/// hyphenated groups, inside the activation code's alphabet (SGP.22
/// §4.1: `0-9`, `A-Z`, `-`) and unguessable.
pub fn new_matching_id() -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string().to_ascii_uppercase();
    format!("{}-{}-{}-{}", &hex[0..8], &hex[8..16], &hex[16..24], &hex[24..32])
}
