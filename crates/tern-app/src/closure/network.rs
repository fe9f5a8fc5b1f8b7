//! Barring a subscription at the mobile network, so an installed eSIM
//! stops working. Real networks plug in here; Tern ships an HTTP client for
//! the network side of its built-in SM-DP+ emulator.

use async_trait::async_trait;

use crate::App;
use crate::error::{AppError, AppResult};

/// The mobile network's provisioning side.
#[async_trait]
pub trait Network: Send + Sync {
    /// Bars the subscription on `iccid`; barring twice is not an error.
    async fn bar(&self, iccid: &str) -> AppResult<()>;
}

/// The emulator's `POST /network/bar`.
pub struct HttpNetwork {
    base_url: String,
    client: reqwest::Client,
}

impl HttpNetwork {
    pub fn new(base_url: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            client: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
        }
    }

    /// The network of this deployment: `smdp.network_url`, else the
    /// SM-DP+ URL (the emulator serves both; then with the SM-DP+'s TLS
    /// material, as `tern smdp-sim` may require a client certificate),
    /// else the built-in emulator.
    pub fn of(app: &App) -> AppResult<Self> {
        let smdp = &app.settings.smdp;
        if let Some(url) = &smdp.network_url {
            return Ok(Self::new(url));
        }
        if let Some(url) = &smdp.url {
            let tls = tern_esim::client::TlsConfig {
                client_cert_pem: smdp.client_cert.clone(),
                client_key_pem: smdp.client_key.clone(),
                ca_bundle_pem: smdp.ca_bundle.clone(),
            };
            let client = tern_esim::client::tls_http_client(&tls, std::time::Duration::from_secs(10))
                .map_err(|e| AppError::Internal(format!("network client: {e}")))?;
            return Ok(Self {
                base_url: url
                    .trim_end_matches('/')
                    .trim_end_matches(tern_esim::wire::ES2PLUS_PATH)
                    .to_owned(),
                client,
            });
        }
        let url = app
            .emulator_url
            .clone()
            .ok_or_else(|| AppError::Internal("no network to bar subscriptions at (set smdp.network_url)".into()))?;
        Ok(Self::new(&url))
    }
}

#[async_trait]
impl Network for HttpNetwork {
    async fn bar(&self, iccid: &str) -> AppResult<()> {
        let res = self
            .client
            .post(format!("{}/network/bar", self.base_url))
            .json(&serde_json::json!({ "iccid": iccid }))
            .send()
            .await
            .map_err(|e| AppError::Unavailable(format!("network: {e}")))?;
        if res.status().is_success() {
            Ok(())
        } else {
            Err(AppError::Unavailable(format!(
                "network refused to bar: HTTP {}",
                res.status()
            )))
        }
    }
}
