//! Email delivery through lettre: `.eml` files in a folder by default, or
//! an SMTP relay from a URL.

use std::path::PathBuf;

use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::NotifyError;

/// Where mail goes.
#[derive(Debug, Clone)]
pub enum EmailTransport {
    /// Each message as an `.eml` file in this folder (the default, for
    /// development and for operators trying Tern out).
    File(PathBuf),
    /// An SMTP relay: `smtp://host:port` (plain, or STARTTLS when the
    /// server offers it with `?tls=opportunistic`), `smtp://…?tls=required`
    /// for mandatory STARTTLS, `smtps://host:465` for TLS from the start;
    /// credentials as `smtp://user:pass@host`.
    Smtp(String),
}

/// Sends messages from one sender address.
#[derive(Clone)]
pub struct Mailer {
    from: Mailbox,
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    File(AsyncFileTransport<Tokio1Executor>, PathBuf),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl Mailer {
    pub fn new(transport: &EmailTransport, from: &str) -> Result<Self, NotifyError> {
        let from: Mailbox = from.parse().map_err(|_| NotifyError::Address(from.to_owned()))?;
        let inner = match transport {
            EmailTransport::File(dir) => {
                std::fs::create_dir_all(dir)?;
                Inner::File(AsyncFileTransport::new(dir), dir.clone())
            }
            EmailTransport::Smtp(url) => Inner::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| NotifyError::Mail(format!("bad SMTP URL: {e}")))?
                    .timeout(Some(std::time::Duration::from_secs(20)))
                    .build(),
            ),
        };
        Ok(Self { from, inner })
    }

    /// Sends one plain-text message. `message_id` is the outbox id, so a
    /// message re-sent after a crash carries the same Message-ID and mail
    /// clients can fold duplicates.
    pub async fn send(&self, message_id: &str, to: &str, subject: &str, text: &str) -> Result<(), NotifyError> {
        let to: Mailbox = to.parse().map_err(|_| NotifyError::Address(to.to_owned()))?;
        let domain = self.from.email.domain().to_owned();
        let msg = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(format!("<{message_id}@{domain}>")))
            .header(ContentType::TEXT_PLAIN)
            .body(text.to_owned())
            .map_err(|e| NotifyError::Mail(e.to_string()))?;
        match &self.inner {
            Inner::File(t, dir) => {
                let id = t.send(msg).await.map_err(|e| NotifyError::Mail(e.to_string()))?;
                tracing::info!(outbox_id = message_id, file = %dir.join(format!("{id}.eml")).display(), "email written to outbox folder");
            }
            Inner::Smtp(t) => {
                t.send(msg).await.map_err(|e| NotifyError::Mail(e.to_string()))?;
                tracing::info!(outbox_id = message_id, "email handed to SMTP relay");
            }
        }
        Ok(())
    }
}
