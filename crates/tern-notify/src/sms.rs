//! SMS delivery: JSON files in a folder by default, or an HTTP provider
//! that receives a signed JSON POST.

use std::path::PathBuf;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::NotifyError;

/// Where text messages go.
#[derive(Clone)]
pub enum SmsSender {
    /// One JSON file per message in this folder.
    File(PathBuf),
    /// `POST url` with `{"id","to","body"}`; the header
    /// `X-Tern-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` signs
    /// `"<t>.<body>"` with the shared secret so the provider can check the
    /// sender and refuse replays.
    Http {
        url: String,
        secret: String,
        client: reqwest::Client,
    },
}

impl std::fmt::Debug for SmsSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SmsSender::File(d) => write!(f, "SmsSender::File({})", d.display()),
            SmsSender::Http { url, .. } => write!(f, "SmsSender::Http({url}, secret: ***)"),
        }
    }
}

/// The signature header value for `body` at `unix_secs`.
pub fn signature(secret: &str, unix_secs: i64, body: &str) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(format!("{unix_secs}.{body}").as_bytes());
    format!("t={unix_secs},v1={}", hex::encode(mac.finalize().into_bytes()))
}

impl SmsSender {
    pub fn http(url: &str, secret: &str) -> Self {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(15))
            .build()
            .unwrap_or_default();
        SmsSender::Http {
            url: url.to_owned(),
            secret: secret.to_owned(),
            client,
        }
    }

    pub async fn send(&self, message_id: &str, to: &str, body: &str) -> Result<(), NotifyError> {
        let payload = serde_json::json!({ "id": message_id, "to": to, "body": body }).to_string();
        match self {
            SmsSender::File(dir) => {
                tokio::fs::create_dir_all(dir).await?;
                let path = dir.join(format!("{message_id}.json"));
                tokio::fs::write(&path, payload).await?;
                tracing::info!(outbox_id = message_id, file = %path.display(), "SMS written to outbox folder");
            }
            SmsSender::Http { url, secret, client } => {
                let now = chrono::Utc::now().timestamp();
                let res = client
                    .post(url)
                    .header("content-type", "application/json")
                    .header("x-tern-signature", signature(secret, now, &payload))
                    .body(payload)
                    .send()
                    .await
                    .map_err(|e| NotifyError::Sms(e.without_url().to_string()))?;
                if !res.status().is_success() {
                    return Err(NotifyError::Sms(format!("provider answered {}", res.status())));
                }
                tracing::info!(outbox_id = message_id, "SMS handed to provider");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_stable_and_keyed() {
        let a = signature("k1", 1_700_000_000, "{}");
        assert!(a.starts_with("t=1700000000,v1="));
        assert_eq!(a, signature("k1", 1_700_000_000, "{}"));
        assert_ne!(a, signature("k2", 1_700_000_000, "{}"));
        assert_ne!(a, signature("k1", 1_700_000_001, "{}"));
    }
}
