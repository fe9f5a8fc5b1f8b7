//! Notifications: rendering emails and SMS in the recipient's language and
//! delivering them.
//!
//! Rendering happens when a message is put in the outbox (inside the
//! transaction that causes it); delivery happens later in a job through
//! one of the transports here. Nothing in this crate touches the database.

pub mod email;
pub mod sms;
pub mod templates;

pub use email::{EmailTransport, Mailer};
pub use sms::SmsSender;
pub use templates::{Rendered, render};

/// Why a message could not be rendered or delivered.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("template {0} is missing")]
    MissingTemplate(String),
    #[error("template error: {0}")]
    Template(#[from] minijinja::Error),
    #[error("address not accepted: {0}")]
    Address(String),
    #[error("mail delivery failed: {0}")]
    Mail(String),
    #[error("SMS delivery failed: {0}")]
    Sms(String),
    #[error("file outbox error: {0}")]
    Io(#[from] std::io::Error),
}
