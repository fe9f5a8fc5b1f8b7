//! Tern's storage: one SQL schema on SQLite (the embedded default) and on
//! PostgreSQL (for several processes sharing the work).
//!
//! Queries are plain runtime SQL through sqlx's `Any` driver with `$n`
//! placeholders, which both databases accept, so building never needs a
//! live database and one function serves both. Where the dialects differ
//! (row locking, advisory locks) the function branches on [`Backend`]; so
//! do statements with hundreds of parameters, which use SQLite's anonymous
//! `?` there (see `sql.rs`).
//!
//! Every repository function takes a `&mut AnyConnection`, so a caller can
//! run several of them in one transaction (for example a sign-up, its
//! verification email in the outbox and its audit entry).

pub mod accounts;
pub mod announcements;
pub mod api_keys;
pub mod audit;
pub mod closures;
pub mod console;
mod db;
pub mod decode;
pub mod erasure;
mod error;
pub mod esims;
pub mod exports;
pub mod idempotency;
pub mod jobs;
pub mod ledger;
pub mod orders;
pub mod outbox;
pub mod plans;
pub mod rate_limits;
mod readers;
pub mod refunds;
pub mod sessions;
mod sql;
pub mod terms;
pub mod tickets;
pub mod tokens;
pub mod top_ups;
// Two-factor (security branch).
#[cfg(feature = "testing")]
pub mod testing;
pub mod totp;
pub mod usage;
pub mod vouchers;
pub mod wallet_adjustments;

pub use db::{Backend, Db, Tx, commit};
pub use error::StoreError;
pub use readers::Reader;
pub use sqlx::AnyConnection as Conn;

/// Result of a storage call.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
