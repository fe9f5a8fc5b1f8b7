//! The ES2+ client and the SM-DP+ emulator talking over real HTTP on
//! loopback: one test binary, one module per story.

// Test code: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod conformance;
mod device;
mod helpers;
mod provisioning;
mod refusals;
mod retries;
mod robustness;
mod tls;
