//! A built-in SM-DP+ that speaks the same ES2+ JSON over HTTP as a real one,
//! so development, demos and tests run the whole eSIM flow on one machine.
//!
//! It keeps an in-memory inventory of profiles minted at start, runs the
//! SGP.22 profile state machine ([`crate::state`]), refuses with the status
//! codes of [`crate::codes`], and has a pretend phone (`POST
//! /device/install`) that installs a profile from its activation code and
//! sends the operator HandleDownloadProgressInfo notifications 3 and 4.
//! Outside ES2+ it offers an inventory read (`GET /emulator/profiles`) and
//! fault injection for tests (`POST /emulator/faults`).
//!
//! It is **not** an SM-DP+: no bound profile packages, no ES9+/ES8+
//! cryptography, no SM-DS registration, no persistence. Production
//! deployments point Tern's [`crate::Es2Client`] at a GSMA-certified SM-DP+
//! over mutual TLS.
//!
//! Routes: `POST /gsma/rsp2/es2plus/{downloadOrder, confirmOrder,
//! cancelOrder, releaseProfile}`, `POST /device/install`, `POST
//! /network/bar`, `GET /network/subscribers/{iccid}`, `GET
//! /emulator/profiles[/{iccid}]`, `POST /emulator/faults`, `GET /healthz`.

mod callback;
mod device;
mod es2;
mod faults;
mod inventory;
mod network;
mod profiles;

pub use callback::CallbackConfig;
pub use device::{DeviceInstallRequest, DeviceInstallResponse, NotificationOutcome};
pub use faults::{Fault, FaultRequest};
pub use network::{BarRequest, Subscriber};

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::routing::{get, post};
use tern_domain::ids::{Iccid, IccidError};

use crate::state::ProfileState;
use crate::wire::{ES2PLUS_PATH, ProfileStatusEntry};
use callback::Notifier;
use faults::Faults;
use inventory::Inventory;

/// The most profiles an emulator mints, to keep its memory bounded.
pub const MAX_PROFILES: u64 = 1_000_000;

/// How the emulator presents itself and what it has in stock.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// The SM-DP+ host name that goes into activation codes.
    pub smdp_address: String,
    /// The one profile type in stock.
    pub profile_type: String,
    /// The digits every ICCID starts with (issuer identifier), e.g. `8988247000`.
    pub iccid_prefix: String,
    /// Digits per ICCID, 18 to 20; shorter ones go F-padded on the wire.
    pub iccid_len: usize,
    /// End each ICCID with its Luhn check digit (and require the `89`
    /// prefix). False mints prefix + serial with no check digit, as some
    /// issuers' SM-DP+ send, which SGP.22 allows.
    pub iccid_check_digit: bool,
    /// The serial number of the first profile.
    pub first_serial: u64,
    /// How many profiles to mint.
    pub profile_count: u64,
    /// Where to send HandleDownloadProgressInfo; None sends nothing.
    pub callback: Option<CallbackConfig>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            smdp_address: "smdp.tern.test".into(),
            profile_type: "tern-standard".into(),
            iccid_prefix: "8988247000".into(),
            iccid_len: 20,
            iccid_check_digit: true,
            first_serial: 1,
            profile_count: 1000,
            callback: None,
        }
    }
}

/// Why an emulator could not be built from its configuration.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The prefix, length or serial range does not make valid ICCIDs.
    #[error("cannot mint ICCIDs from prefix {prefix:?}: {source}")]
    Iccid {
        /// The configured prefix.
        prefix: String,
        /// Why.
        #[source]
        source: IccidError,
    },
    /// More than [`MAX_PROFILES`] profiles.
    #[error("at most {MAX_PROFILES} profiles")]
    TooManyProfiles,
    /// The SM-DP+ address is not a host name.
    #[error("the SM-DP+ address {0:?} is not a host name")]
    SmdpAddress(String),
    /// The HTTP client for notifications could not be built (e.g. its
    /// certificate files are unreadable).
    #[error("notification HTTP client: {0}")]
    Http(#[from] crate::errors::Es2Error),
}

/// The emulator's state, shared by all requests. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SmdpEmulator {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: EmulatorConfig,
    inventory: Mutex<Inventory>,
    notifier: Notifier,
    /// ICCIDs the network has barred.
    barred: Mutex<HashSet<String>>,
    /// Faults tests queued for the next calls.
    faults: Mutex<Faults>,
}

impl SmdpEmulator {
    /// Mints the inventory; every profile starts `Available`.
    pub fn new(config: EmulatorConfig) -> Result<Self, EmulatorError> {
        if config.profile_count > MAX_PROFILES {
            return Err(EmulatorError::TooManyProfiles);
        }
        // The address must fit in an activation code.
        tern_domain::activation_code::ActivationCode::new(&config.smdp_address, "X")
            .map_err(|_| EmulatorError::SmdpAddress(config.smdp_address.clone()))?;
        let iccids = (0..config.profile_count)
            .map(|i| {
                let serial = config.first_serial.saturating_add(i);
                if config.iccid_check_digit {
                    Iccid::from_prefix_and_serial(&config.iccid_prefix, serial, config.iccid_len)
                } else {
                    unchecked_iccid(&config.iccid_prefix, serial, config.iccid_len)
                }
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|source| EmulatorError::Iccid {
                prefix: config.iccid_prefix.clone(),
                source,
            })?;
        let notifier = Notifier::new(config.callback.clone(), &config.smdp_address)?;
        let inventory = Mutex::new(Inventory::new(iccids, &config.profile_type));
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                inventory,
                notifier,
                barred: Mutex::new(HashSet::new()),
                faults: Mutex::new(Faults::default()),
            }),
        })
    }

    /// The configuration it was built with.
    pub fn config(&self) -> &EmulatorConfig {
        &self.inner.config
    }

    /// The state of one profile, for tests and the CLI.
    pub fn profile_state(&self, iccid: &Iccid) -> Option<ProfileState> {
        self.inventory().get(iccid).map(|p| p.state)
    }

    /// How many profiles are free for an order.
    pub fn available_count(&self) -> usize {
        self.inventory().available_count()
    }

    /// Every profile not `Available` (or only those in `state`), as `GET
    /// /emulator/profiles` reports them.
    pub fn profiles(&self, state: Option<ProfileState>) -> Vec<ProfileStatusEntry> {
        self.inventory().list(state)
    }

    /// Makes the next `times` calls of `function` show `fault`.
    pub fn inject(&self, function: crate::wire::Es2Function, fault: Fault, times: u32) {
        self.faults().push(function, fault, times);
    }

    /// The queued faults, locked (never across an await).
    fn faults(&self) -> MutexGuard<'_, Faults> {
        self.inner.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The inventory, locked. Never held across an await; a panic while
    /// holding it cannot leave it half-changed (each change is a few
    /// assignments after all checks), so poisoning is ignored.
    fn inventory(&self) -> MutexGuard<'_, Inventory> {
        self.inner.inventory.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The barred subscriptions, locked (never across an await).
    fn barred(&self) -> MutexGuard<'_, HashSet<String>> {
        self.inner.barred.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The notification sender.
    fn notifier(&self) -> &Notifier {
        &self.inner.notifier
    }
}

/// The emulator's HTTP routes, to serve alone ([`serve`]) or to nest in
/// another router.
pub fn router(emulator: SmdpEmulator) -> Router {
    Router::new()
        .route(&format!("{ES2PLUS_PATH}/{{function}}"), post(es2::handle))
        .route("/device/install", post(device::install))
        .route("/network/bar", post(network::bar))
        .route("/network/subscribers/{iccid}", get(network::subscriber))
        .route("/emulator/profiles", get(profiles::list))
        .route("/emulator/profiles/{iccid}", get(profiles::one))
        .route("/emulator/faults", post(faults::queue))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(emulator)
}

/// Runs the emulator as its own server (`tern smdp-sim`) on `listener` until
/// `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    emulator: SmdpEmulator,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(emulator))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Like [`serve`], over TLS: `tern smdp-sim --tls-cert … --client-ca …`
/// requires the operator's client certificate, as a production SM-DP+ does.
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    emulator: SmdpEmulator,
    tls: Arc<rustls::ServerConfig>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    crate::tls::serve(listener, tls, router(emulator), shutdown).await
}

/// `prefix` + zero-padded `serial`, `len` digits, no check digit.
fn unchecked_iccid(prefix: &str, serial: u64, len: usize) -> Result<Iccid, IccidError> {
    let width = len.saturating_sub(prefix.len());
    let digits = format!("{prefix}{serial:0width$}");
    if width == 0 || digits.len() != len {
        return Err(IccidError::SerialOutOfRange);
    }
    Iccid::from_smdp(&digits)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn mints_the_configured_inventory() {
        let e = SmdpEmulator::new(EmulatorConfig {
            profile_count: 5,
            iccid_len: 19,
            ..EmulatorConfig::default()
        })
        .unwrap();
        assert_eq!(e.available_count(), 5);
        let first = Iccid::from_prefix_and_serial("8988247000", 1, 19).unwrap();
        assert_eq!(e.profile_state(&first), Some(ProfileState::Available));
    }

    #[test]
    fn mints_iccids_without_a_check_digit_when_asked() {
        let e = SmdpEmulator::new(EmulatorConfig {
            profile_count: 2,
            iccid_prefix: "1234".into(),
            iccid_len: 18,
            iccid_check_digit: false,
            ..EmulatorConfig::default()
        })
        .unwrap();
        let first = Iccid::from_smdp("123400000000000001").unwrap();
        assert_eq!(e.profile_state(&first), Some(ProfileState::Available));
        assert_eq!(e.available_count(), 2);
    }

    #[test]
    fn refuses_bad_configuration() {
        let bad_prefix = EmulatorConfig {
            iccid_prefix: "12".into(),
            ..EmulatorConfig::default()
        };
        assert!(matches!(
            SmdpEmulator::new(bad_prefix),
            Err(EmulatorError::Iccid { .. })
        ));
        let overflow = EmulatorConfig {
            iccid_len: 18,
            first_serial: 9_999_990,
            profile_count: 20,
            ..EmulatorConfig::default()
        };
        assert!(SmdpEmulator::new(overflow).is_err());
        let bad_host = EmulatorConfig {
            smdp_address: "https://x".into(),
            ..EmulatorConfig::default()
        };
        assert!(matches!(
            SmdpEmulator::new(bad_host),
            Err(EmulatorError::SmdpAddress(_))
        ));
    }
}
