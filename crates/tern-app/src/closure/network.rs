//! Barring a subscription at the mobile network, so an installed eSIM
//! stops working. Real networks plug in here; Tern ships an HTTP client for
//! the network side of its built-in SM-DP+ emulator.

use async_trait::async_trait;
use tern_domain::ids::Iccid;

use crate::App;
use crate::error::{AppError, AppResult};

/// The mobile network's provisioning side.
#[async_trait]
pub trait Network: Send + Sync {
    /// Bars the subscription on `iccid`; barring twice is not an error.
    async fn bar(&self, iccid: &Iccid) -> AppResult<()>;
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
    /// SM-DP+ (the emulator, built in or `tern smdp-sim`, serves both),
    /// reached with the ES2+ client's HTTP client and so with its TLS
    /// material, as `tern smdp-sim` may require a client certificate.
    pub fn of(app: &App) -> Self {
        match &app.settings.smdp.network_url {
            Some(url) => Self::new(url),
            None => Self {
                base_url: app.es2().base_url().to_owned(),
                client: app.es2().http().clone(),
            },
        }
    }
}

#[async_trait]
impl Network for HttpNetwork {
    async fn bar(&self, iccid: &Iccid) -> AppResult<()> {
        let res = self
            .client
            .post(format!("{}/network/bar", self.base_url))
            .timeout(std::time::Duration::from_secs(10))
            .json(&serde_json::json!({ "iccid": iccid.as_str() }))
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
