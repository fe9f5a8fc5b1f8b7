//! ES2+ over mutual TLS (SGP.22 §6.1): the emulator served with a client
//! certificate check, the client with and without the operator's
//! certificate, and notifications authenticated by the SM-DP+'s certificate
//! alone. Certificates come from a CA made per test (ECDSA P-256).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair};
use serde_json::json;
use tern_esim::client::{RetryPolicy, TlsConfig};
use tern_esim::emulator::{self, CallbackConfig};
use tern_esim::tls::{ServerTls, server_config};
use tern_esim::{EmulatorConfig, Es2Client, Es2Config, Es2Error, SmdpEmulator};
use tokio::net::TcpListener;

use crate::helpers::eid;

/// One CA in `dir`, and `leaf` writes a certificate for 127.0.0.1 it signed.
struct Ca {
    dir: PathBuf,
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Ca {
    fn new(dir: &Path, name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        std::fs::write(dir.join(format!("{name}.pem")), issuer.pem()).unwrap();
        Self {
            dir: dir.to_owned(),
            issuer,
        }
    }

    fn ca(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.pem"))
    }

    /// (certificate, key) files for `cn`.
    fn leaf(&self, cn: &str) -> (PathBuf, PathBuf) {
        let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let (c, k) = (self.dir.join(format!("{cn}.crt")), self.dir.join(format!("{cn}.key")));
        std::fs::write(&c, cert.pem()).unwrap();
        std::fs::write(&k, key.serialize_pem()).unwrap();
        (c, k)
    }
}

/// The emulator over TLS, requiring client certificates from `client_ca`.
async fn serve(emulator: SmdpEmulator, cert: (PathBuf, PathBuf), client_ca: PathBuf) -> String {
    let tls = server_config(&ServerTls {
        cert: cert.0,
        key: cert.1,
        client_ca: Some(client_ca),
    })
    .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    tokio::spawn(emulator::serve_tls(listener, emulator, tls, std::future::pending()));
    url
}

fn client(url: &str, tls: TlsConfig) -> Es2Client {
    let mut config = Es2Config::new(url, "tern-test", "tern-standard");
    config.tls = tls;
    config.timeout = Duration::from_secs(5);
    config.retry = RetryPolicy {
        max_attempts: 1,
        first_backoff: Duration::from_millis(10),
    };
    Es2Client::new(config).unwrap()
}

#[tokio::test]
async fn the_smdp_talks_only_to_an_operator_with_a_certificate_from_its_ca() {
    let dir = tempfile::tempdir().unwrap();
    let smdp_ca = Ca::new(dir.path(), "smdp-ca");
    let operator_ca = Ca::new(dir.path(), "operator-ca");
    let stranger_ca = Ca::new(dir.path(), "stranger-ca");
    let emulator = SmdpEmulator::new(EmulatorConfig {
        profile_count: 3,
        ..EmulatorConfig::default()
    })
    .unwrap();
    let url = serve(emulator.clone(), smdp_ca.leaf("smdp"), operator_ca.ca("operator-ca")).await;

    let (cert, key) = operator_ca.leaf("tern");
    let good = client(
        &url,
        TlsConfig {
            client_cert_pem: Some(cert),
            client_key_pem: Some(key),
            ca_bundle_pem: Some(smdp_ca.ca("smdp-ca")),
        },
    );
    let p = good.provision_new().await.unwrap();
    assert!(p.activation_code.to_string().starts_with("LPA:1$smdp.tern.test$"));

    // No certificate, or one from a CA the SM-DP+ does not trust: no
    // handshake, so no call (and nothing reserved).
    let (cert, key) = stranger_ca.leaf("impostor");
    for tls in [
        TlsConfig {
            ca_bundle_pem: Some(smdp_ca.ca("smdp-ca")),
            ..TlsConfig::default()
        },
        TlsConfig {
            client_cert_pem: Some(cert),
            client_key_pem: Some(key),
            ca_bundle_pem: Some(smdp_ca.ca("smdp-ca")),
        },
    ] {
        let err = client(&url, tls).provision_new().await.unwrap_err();
        assert!(matches!(err, Es2Error::Transport { .. }), "{err:?}");
    }
    assert_eq!(emulator.available_count(), 2);
}

#[tokio::test]
async fn notifications_carry_the_smdps_certificate_and_count_only_a_204() {
    let dir = tempfile::tempdir().unwrap();
    let smdp_ca = Ca::new(dir.path(), "smdp-ca");
    let operator_ca = Ca::new(dir.path(), "operator-ca");

    // The operator's callback listener: requires the SM-DP+'s certificate,
    // records what arrives, answers 204 (or 200 Failed when told to).
    let seen: Arc<Mutex<Vec<HeaderMap>>> = Arc::default();
    let refuse = Arc::new(Mutex::new(false));
    let app = {
        let seen = seen.clone();
        let refuse = refuse.clone();
        Router::new().route(
            "/gsma/rsp2/es2plus/handleDownloadProgressInfo",
            post(move |headers: HeaderMap| {
                let seen = seen.clone();
                let refuse = *refuse.lock().unwrap();
                async move {
                    seen.lock().unwrap().push(headers);
                    if refuse {
                        let failed = json!({"header": {"functionExecutionStatus": {"status": "Failed",
                            "statusCodeData": {"subjectCode": "8.2.1", "reasonCode": "3.9"}}}});
                        (StatusCode::OK, axum::Json(failed)).into_response()
                    } else {
                        StatusCode::NO_CONTENT.into_response()
                    }
                }
            }),
        )
    };
    let (cert, key) = operator_ca.leaf("tern-callbacks");
    let tls = server_config(&ServerTls {
        cert,
        key,
        client_ca: Some(smdp_ca.ca("smdp-ca")),
    })
    .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let operator = format!("https://{}", listener.local_addr().unwrap());
    tokio::spawn(tern_esim::tls::serve(listener, tls, app, std::future::pending()));

    let (cert, key) = smdp_ca.leaf("smdp");
    let running = crate::helpers::start(EmulatorConfig {
        profile_count: 3,
        callback: Some(CallbackConfig {
            base_url: operator,
            bearer_secret: None,
            tls: TlsConfig {
                client_cert_pem: Some(cert),
                client_key_pem: Some(key),
                ca_bundle_pem: Some(operator_ca.ca("operator-ca")),
            },
        }),
        ..EmulatorConfig::default()
    })
    .await;
    let install = |code: String, n: u32| {
        let url = format!("{}/device/install", running.url());
        async move {
            let r = reqwest::Client::new()
                .post(url)
                .json(&json!({"activationCode": code, "eid": eid(n).as_str()}))
                .send()
                .await
                .unwrap();
            r.json::<tern_esim::emulator::DeviceInstallResponse>().await.unwrap()
        }
    };

    let p = running.client().provision_new().await.unwrap();
    let done = install(p.activation_code.to_string(), 1).await;
    assert!(done.notifications.iter().all(|n| n.delivered), "{done:?}");
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 2);
        assert!(
            seen.iter().all(|h| !h.contains_key("authorization")),
            "no bearer needed"
        );
    }

    *refuse.lock().unwrap() = true;
    let p = running.client().provision_new().await.unwrap();
    let done = install(p.activation_code.to_string(), 2).await;
    assert!(done.notifications.iter().all(|n| !n.delivered), "{done:?}");
}
