//! eSIM provisioning over GSMA SGP.22 ES2+ (JSON binding), both sides.
//!
//! - [`client`]: [`Es2Client`], how Tern (the operator) orders profiles from
//!   an SM-DP+: downloadOrder, confirmOrder, cancelOrder, releaseProfile
//!   (the four ES2+ functions an operator calls, SGP.22 §5.3), and
//!   [`Es2Client::provision_new`] for the usual
//!   "new eSIM, ready to scan" case.
//! - [`emulator`]: a built-in SM-DP+ speaking the same JSON over HTTP, with
//!   a pretend phone that installs profiles and calls Tern back
//!   (HandleDownloadProgressInfo). For development and tests only;
//!   production points the client at a certified SM-DP+.
//! - [`wire`] (the JSON messages), [`codes`] (SGP.22 status codes, with the
//!   table of what the emulator answers when), [`state`] (the profile state
//!   machine) and [`errors`] are shared by both, so they cannot drift apart.

#![warn(missing_docs)]

pub mod client;
pub mod codes;
pub mod emulator;
pub mod errors;
pub mod notification;
pub mod provider;
pub mod state;
pub mod tls;
pub mod wire;

pub use client::{Es2Client, Es2Config};
pub use emulator::{EmulatorConfig, SmdpEmulator};
pub use errors::{Es2Error, TransportKind};
pub use state::ProfileState;
