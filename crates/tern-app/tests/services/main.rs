//! Service-level tests: tern-app's functions called directly, on a fresh
//! database each (SQLite in a temporary folder, and PostgreSQL too when
//! `TERN_TEST_DATABASE_URL` is set), with no HTTP server in between. They
//! pin the rules a service owns (which inputs it refuses and with which
//! code, what state a new record starts in, what a traveller is told)
//! and run in seconds; the HTTP suite in `crates/tern/tests` covers the
//! wire.

// Test code: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod world;

pub(crate) use tern_store::on_both;

mod access;
mod money;
mod records;
