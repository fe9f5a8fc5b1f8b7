//! Tern's integration suite: one test binary. Each test starts the real
//! server on port 0 with its own database — SQLite in a temporary folder,
//! and PostgreSQL too when `TERN_TEST_DATABASE_URL` is set — and drives it
//! over HTTP like a client would.

// Test code: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod given;
mod harness;

pub(crate) use tern_store::on_both;

mod accounts;
mod announcements;
mod audit;
mod bad_input;
mod callbacks;
mod closure;
mod closure_crash;
mod console;
mod crash;
mod exports;
mod isolation;
mod jobs;
mod login;
mod mtls_story;
mod openapi;
mod orders;
mod passwords;
mod payments;
mod phone;
mod pki;
mod portal;
mod provisioning;
mod sms;
mod smtp;
mod terms;
mod tickets;
mod usage;
mod wallet;
// Security suite and two-factor (security branch).
mod security;
mod totp;
