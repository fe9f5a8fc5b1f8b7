//! How to reach an SM-DP+: URL, identity, timeouts, TLS, retries.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::errors::Es2Error;

/// Everything [`crate::Es2Client`] needs; the application builds it from its
/// settings.
#[derive(Debug, Clone)]
pub struct Es2Config {
    /// Where the SM-DP+ serves ES2+, e.g. `https://smdp.example.com`; the
    /// function paths `/gsma/rsp2/es2plus/…` are appended (a base URL that
    /// already ends in `/gsma/rsp2/es2plus` has it taken off first).
    pub base_url: String,
    /// The operator's identity at the SM-DP+ (`functionRequesterIdentifier`).
    pub function_requester_identifier: String,
    /// The profile type downloadOrder asks for by default.
    pub profile_type: String,
    /// The SM-DP+ address for activation codes when confirmOrder does not
    /// return one; `None` takes the host of `base_url`.
    pub smdp_address: Option<String>,
    /// The longest one attempt may take, connection included.
    pub timeout: Duration,
    /// Private CA and client certificate for mutual TLS.
    pub tls: TlsConfig,
    /// How often idempotent calls are repeated when no answer comes.
    pub retry: RetryPolicy,
}

impl Es2Config {
    /// A configuration with a 30 s timeout, the system's TLS roots and the
    /// default retry policy.
    pub fn new(
        base_url: impl Into<String>,
        function_requester_identifier: impl Into<String>,
        profile_type: impl Into<String>,
    ) -> Self {
        Self {
            base_url: base_url.into(),
            function_requester_identifier: function_requester_identifier.into(),
            profile_type: profile_type.into(),
            smdp_address: None,
            timeout: Duration::from_secs(30),
            tls: TlsConfig::default(),
            retry: RetryPolicy::default(),
        }
    }
}

/// TLS material for an SM-DP+ that requires mutual TLS, as SGP.22 ES2+ does
/// in production. All paths point to PEM files.
#[derive(Debug, Clone, Default)]
pub struct TlsConfig {
    /// The operator's client certificate (chain), presented to the SM-DP+.
    pub client_cert_pem: Option<PathBuf>,
    /// The private key of `client_cert_pem`.
    pub client_key_pem: Option<PathBuf>,
    /// CA certificates to trust for the SM-DP+ instead of the built-in
    /// roots (e.g. the GSMA CI or the vendor's private CA).
    pub ca_bundle_pem: Option<PathBuf>,
}

/// How many times, and how far apart, a call that may be repeated is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 means no retry.
    pub max_attempts: u32,
    /// The pause before the second attempt; it doubles after each attempt.
    pub first_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            first_backoff: Duration::from_millis(200),
        }
    }
}

impl RetryPolicy {
    /// The pause after failed attempt number `attempt` (1-based).
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1_u32 << attempt.saturating_sub(1).min(10);
        self.first_backoff.saturating_mul(factor)
    }
}

/// The HTTP client for `config`, with its TLS material loaded.
pub(crate) fn http_client(config: &Es2Config) -> Result<reqwest::Client, Es2Error> {
    tls_http_client(&config.tls, config.timeout)
}

/// An HTTP client that trusts `tls.ca_bundle_pem` (else the built-in
/// roots) and presents `tls.client_cert_pem` when the server asks; used for
/// ES2+ calls and, by the emulator, for notifications.
pub fn tls_http_client(tls: &TlsConfig, timeout: Duration) -> Result<reqwest::Client, Es2Error> {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)));
    if let Some(path) = &tls.ca_bundle_pem {
        let pem = read(path)?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| Es2Error::Config(format!("CA bundle {}: {e}", path.display())))?;
        if certs.is_empty() {
            return Err(Es2Error::Config(format!(
                "CA bundle {} holds no certificate",
                path.display()
            )));
        }
        builder = builder.tls_built_in_root_certs(false);
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    match (&tls.client_cert_pem, &tls.client_key_pem) {
        (Some(cert), Some(key)) => {
            let mut pem = read(cert)?;
            pem.push(b'\n');
            pem.extend(read(key)?);
            let identity = reqwest::Identity::from_pem(&pem).map_err(|e| {
                Es2Error::Config(format!(
                    "client certificate {} / key {}: {e}",
                    cert.display(),
                    key.display()
                ))
            })?;
            builder = builder.identity(identity);
        }
        (None, None) => {}
        _ => {
            return Err(Es2Error::Config(
                "mutual TLS needs both a client certificate and its key".into(),
            ));
        }
    }
    builder
        .build()
        .map_err(|e| Es2Error::Config(format!("HTTP client: {e}")))
}

/// The bytes of a PEM file, or a configuration error naming it.
fn read(path: &Path) -> Result<Vec<u8>, Es2Error> {
    std::fs::read(path).map_err(|e| Es2Error::Config(format!("{}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(1), Duration::from_millis(200));
        assert_eq!(p.backoff(2), Duration::from_millis(400));
        assert_eq!(p.backoff(3), Duration::from_millis(800));
    }
}
