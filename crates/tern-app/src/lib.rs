//! Tern's application services: what the HTTP layer, the CLI and the
//! worker call. Each service validates input into domain types, runs one
//! transaction against the store, queues notifications and audit entries
//! in that same transaction, and returns a typed [`AppError`].

pub mod access;
pub mod accounts;
pub mod announcements;
pub mod app;
pub mod audit;
pub mod auth;
pub mod batch;
pub mod catalogue;
pub mod clock;
pub mod closure;
pub mod config;
pub mod console;
pub mod error;
pub mod error_code;
pub mod esims;
pub mod exports;
pub mod housekeeping;
pub mod idempotency;
pub mod jobs;
pub mod notify;
pub mod orders;
pub mod passwords;
pub mod payments;
pub mod rate_limit;
pub mod registry;
pub mod terms;
pub mod tickets;
// Two-factor and sealed secrets (security branch).
pub mod sealing;
pub mod tokens;
pub mod totp;
pub mod usage;
pub mod wallet;
pub mod work;

pub use app::App;
pub use clock::Clock;
pub use config::Settings;
pub use error::{AppError, FieldError};
pub use error_code::Code;
pub use work::Work;
