//! The ES2+ client: how Tern, as the operator, orders profiles from an
//! SM-DP+ (SGP.22 v2.x §5.3, JSON binding over HTTPS).
//!
//! Retries: a call is repeated only when that cannot do harm. A request
//! that never reached the SM-DP+ (connection refused) is always repeated.
//! A request that may have arrived (timeout, reset, 5xx) is repeated only
//! for releaseProfile, cancelOrder and getProfileStatus, whose repeat has
//! no further effect. downloadOrder and confirmOrder are not: a repeated
//! downloadOrder would reserve a second profile and strand the first, and
//! the answer to confirmOrder is the only place an SM-DP+-chosen matching
//! id appears, so a repeat cannot recover it. Callers see a
//! [`Es2Error::Transport`] and decide (e.g. [`Es2Client::provision_new`]
//! cancels the order it could not finish).

mod config;
mod transport;
mod types;

pub use config::{Es2Config, RetryPolicy, TlsConfig};
pub use types::{CancelOrder, ConfirmOrder, ConfirmedOrder, DownloadOrder, ProfileStatus, Provisioned};

use secrecy::ExposeSecret;
use tern_domain::activation_code::ActivationCode;
use tern_domain::ids::{Eid, Iccid};

use crate::errors::Es2Error;
use crate::wire::{
    CancelOrderRequest, ConfirmOrderRequest, ConfirmOrderResponse, DownloadOrderRequest, DownloadOrderResponse,
    Es2Function, FinalProfileStatus, GetProfileStatusRequest, GetProfileStatusResponse, HeaderOnlyResponse,
    ReleaseProfileRequest,
};

/// Talks ES2+ to one SM-DP+. Cheap to clone; share one per SM-DP+.
#[derive(Debug, Clone)]
pub struct Es2Client {
    http: reqwest::Client,
    base_url: String,
    requester: String,
    profile_type: String,
    retry: RetryPolicy,
}

impl Es2Client {
    /// A client for `config`, with its TLS material loaded now so a bad
    /// path fails at start-up rather than at the first order.
    pub fn new(config: Es2Config) -> Result<Self, Es2Error> {
        let url = reqwest::Url::parse(&config.base_url)
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
        Ok(Self {
            http: config::http_client(&config)?,
            base_url: config.base_url.trim_end_matches('/').to_owned(),
            requester: config.function_requester_identifier,
            profile_type: config.profile_type,
            retry: config.retry,
        })
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
            .ok_or_else(|| protocol(function, "no smdpAddress"))?;
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

    /// getProfileStatus: reads the state of `iccids` (an extension many
    /// SM-DP+ offer, and the emulator does), in the same order.
    pub async fn get_profile_status(&self, iccids: &[Iccid]) -> Result<Vec<ProfileStatus>, Es2Error> {
        let function = Es2Function::GetProfileStatus;
        let response: GetProfileStatusResponse = self
            .call(function, |header| GetProfileStatusRequest {
                header: Some(header),
                iccid_list: Some(iccids.iter().map(Iccid::to_es2_wire).collect()),
            })
            .await?;
        let list = response
            .profile_status_list
            .ok_or_else(|| protocol(function, "no profileStatusList"))?;
        list.into_iter()
            .map(|entry| {
                Ok(ProfileStatus {
                    iccid: parse_iccid(function, &entry.iccid)?,
                    state: entry.state,
                    eid: match entry.eid {
                        Some(raw) => Some(Eid::parse(&raw).map_err(|e| protocol(function, e))?),
                        None => None,
                    },
                    matching_id: entry.matching_id,
                    profile_type: entry.profile_type,
                    last_modified: entry.last_modified,
                })
            })
            .collect()
    }

    /// A new eSIM for a customer: downloadOrder for the configured profile
    /// type (the SM-DP+ picks the ICCID), then confirmOrder with
    /// `releaseFlag` so the phone can download at once.
    ///
    /// When confirmOrder fails, even by timing out after it took effect, the
    /// order is cancelled back to `Available`: nobody has seen its matching
    /// id, so the profile can safely go to the next customer.
    pub async fn provision_new(&self) -> Result<Provisioned, Es2Error> {
        let iccid = self.download_order(&DownloadOrder::default()).await?;
        match self.confirm_order(&ConfirmOrder::new(iccid.clone(), true)).await {
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
                    matching_id: None,
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

/// An ICCID from an answer; 19-digit ones arrive F-padded.
fn parse_iccid(function: Es2Function, raw: &str) -> Result<Iccid, Es2Error> {
    Iccid::parse(raw).map_err(|e| protocol(function, format!("iccid: {e}")))
}
