//! The `tern` binary's wiring, as a library so tests start the very same
//! server the binary runs: HTTP (API + portal), the in-process worker, the
//! metrics listener, and graceful shutdown.

pub mod server;
pub mod telemetry;
