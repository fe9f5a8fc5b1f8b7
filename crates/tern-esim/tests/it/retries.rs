//! What the client repeats and what it does not, how it reads odd answers,
//! and how it loads its TLS material.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use tern_domain::ids::Iccid;
use tern_esim::client::{CancelOrder, ConfirmOrder, DownloadOrder, Es2Config, RetryPolicy, TlsConfig};
use tern_esim::wire::FinalProfileStatus;
use tern_esim::{EmulatorConfig, Es2Client, Es2Error, SmdpEmulator, TransportKind};
use tokio::net::TcpListener;

/// A fake SM-DP+ that answers every function with `status` and `body`
/// after `delay`, counting requests.
async fn fake(status: u16, body: &'static str, delay: Duration) -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = Router::new().route(
        "/gsma/rsp2/es2plus/{function}",
        post(move || {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(delay).await;
                (
                    StatusCode::from_u16(status).unwrap(),
                    [("content-type", "application/json")],
                    body,
                )
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, hits)
}

fn client(url: &str, timeout: Duration) -> Es2Client {
    let mut config = Es2Config::new(url, "tern-test", "tern-standard");
    config.timeout = timeout;
    config.retry = RetryPolicy {
        max_attempts: 3,
        first_backoff: Duration::from_millis(10),
    };
    Es2Client::new(config).unwrap()
}

fn some_iccid() -> Iccid {
    Iccid::from_prefix_and_serial("8988247000", 1, 20).unwrap()
}

fn cancel() -> CancelOrder {
    CancelOrder {
        iccid: some_iccid(),
        eid: None,
        matching_id: Some("M".into()),
        final_status: FinalProfileStatus::Available,
    }
}

#[tokio::test]
async fn timeouts_repeat_only_the_idempotent_functions() {
    let (url, hits) = fake(200, "{}", Duration::from_secs(5)).await;
    let c = client(&url, Duration::from_millis(150));
    let taken = |hits: &AtomicUsize| hits.swap(0, Ordering::SeqCst);

    let e = c.download_order(&DownloadOrder::default()).await.unwrap_err();
    assert!(
        matches!(
            e,
            Es2Error::Transport {
                kind: TransportKind::Timeout,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.is_retryable() && !e.is_not_delivered());
    assert_eq!(taken(&hits), 1, "downloadOrder is not repeated");

    c.confirm_order(&ConfirmOrder::new(some_iccid(), true))
        .await
        .unwrap_err();
    assert_eq!(taken(&hits), 1, "confirmOrder is not repeated");

    c.release_profile(&some_iccid()).await.unwrap_err();
    assert_eq!(taken(&hits), 3, "releaseProfile is repeated");

    c.cancel_order(&cancel()).await.unwrap_err();
    assert_eq!(taken(&hits), 3, "cancelOrder is repeated");
}

#[tokio::test]
async fn server_errors_without_an_es2_body_are_http_errors() {
    let (url, hits) = fake(503, "<html>busy</html>", Duration::ZERO).await;
    let c = client(&url, Duration::from_secs(2));

    let e = c.release_profile(&some_iccid()).await.unwrap_err();
    assert!(matches!(e, Es2Error::Http { status: 503, .. }), "{e:?}");
    assert_eq!(hits.swap(0, Ordering::SeqCst), 3);

    c.download_order(&DownloadOrder::default()).await.unwrap_err();
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn odd_answers_are_protocol_errors_or_their_status() {
    type Check = fn(&Es2Error) -> bool;
    let cases: [(&'static str, Check); 4] = [
        ("hello", |e| matches!(e, Es2Error::Protocol { .. })),
        (
            r#"{"header":{"functionExecutionStatus":{"status":"Executed-Success"}}}"#,
            |e| matches!(e, Es2Error::Protocol { .. }),
        ),
        (r#"{"header":{"functionExecutionStatus":{"status":"Expired"}}}"#, |e| {
            matches!(e, Es2Error::Expired { .. })
        }),
        (
            r#"{"header":{"functionExecutionStatus":{"status":"Executed-Success"}},"iccid":"8988247000000000X015"}"#,
            |e| matches!(e, Es2Error::Protocol { detail, .. } if detail.contains("iccid")),
        ),
    ];
    for (body, expected) in cases {
        let (url, _) = fake(200, body, Duration::ZERO).await;
        let e = client(&url, Duration::from_secs(2))
            .download_order(&DownloadOrder::default())
            .await
            .unwrap_err();
        assert!(expected(&e), "{body}: {e:?}");
    }

    let warning = r#"{"header":{"functionExecutionStatus":{"status":"Executed-WithWarning",
        "statusCodeData":{"subjectCode":"8.2.1","reasonCode":"3.3"}}},"iccid":"8988247000000000001F"}"#;
    let (url, _) = fake(200, warning, Duration::ZERO).await;
    let iccid = client(&url, Duration::from_secs(2))
        .download_order(&DownloadOrder::default())
        .await
        .unwrap();
    assert_eq!(iccid.as_str(), "8988247000000000001");

    // SGP.22 asks only for digits: an ICCID without a valid Luhn digit (or
    // the 89 prefix) is the SM-DP+'s to choose, and is kept as sent.
    for (body, kept) in [
        (
            r#"{"header":{"functionExecutionStatus":{"status":"Executed-Success"}},"iccid":"89882470000000000015"}"#,
            "89882470000000000015",
        ),
        (
            r#"{"header":{"functionExecutionStatus":{"status":"Executed-Success"}},"iccid":"1234567890123456789F"}"#,
            "1234567890123456789",
        ),
    ] {
        let (url, _) = fake(200, body, Duration::ZERO).await;
        let iccid = client(&url, Duration::from_secs(2))
            .download_order(&DownloadOrder::default())
            .await
            .unwrap();
        assert_eq!(iccid.as_str(), kept);
        assert_eq!(iccid.to_es2_wire().len(), 20);
    }
}

#[tokio::test]
async fn an_unreachable_smdp_is_retried_even_for_download_order() {
    // Reserve a port, free it, and bring the emulator up there shortly
    // after the first attempt has been refused.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut config = Es2Config::new(format!("http://127.0.0.1:{port}"), "tern-test", "tern-standard");
    config.retry = RetryPolicy {
        max_attempts: 6,
        first_backoff: Duration::from_millis(150),
    };
    let c = Es2Client::new(config).unwrap();
    let emulator = SmdpEmulator::new(EmulatorConfig {
        profile_count: 1,
        ..EmulatorConfig::default()
    })
    .unwrap();
    let server_side = emulator.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(60)).await;
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        tern_esim::emulator::serve(listener, server_side, std::future::pending()).await
    });

    let iccid = c.download_order(&DownloadOrder::default()).await.unwrap();
    assert_eq!(emulator.available_count(), 0, "exactly one profile reserved");
    assert!(emulator.profile_state(&iccid).is_some());
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error_that_was_not_delivered() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = client(&format!("http://127.0.0.1:{port}"), Duration::from_secs(2));
    let e = c.release_profile(&some_iccid()).await.unwrap_err();
    assert!(e.is_not_delivered(), "{e:?}");
    assert_eq!(e.code(), "es2_transport");
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn with_tls(tls: TlsConfig) -> Result<Es2Client, Es2Error> {
    let mut config = Es2Config::new("https://smdp.example.com", "tern-test", "t");
    config.tls = tls;
    Es2Client::new(config)
}

#[test]
fn mutual_tls_material_is_loaded_at_start() {
    // A self-signed test certificate and key (tests/fixtures), also used as
    // the CA bundle.
    let ok = with_tls(TlsConfig {
        client_cert_pem: Some(fixture("client.cert.pem")),
        client_key_pem: Some(fixture("client.key.pem")),
        ca_bundle_pem: Some(fixture("client.cert.pem")),
    });
    assert!(ok.is_ok(), "{ok:?}");

    let failures = [
        TlsConfig {
            client_cert_pem: Some(fixture("client.cert.pem")),
            ..TlsConfig::default()
        },
        TlsConfig {
            client_cert_pem: Some(fixture("missing.pem")),
            client_key_pem: Some(fixture("client.key.pem")),
            ca_bundle_pem: None,
        },
        TlsConfig {
            // A key is not a CA certificate.
            ca_bundle_pem: Some(fixture("client.key.pem")),
            ..TlsConfig::default()
        },
        TlsConfig {
            // Two certificates and no key.
            client_cert_pem: Some(fixture("client.cert.pem")),
            client_key_pem: Some(fixture("client.cert.pem")),
            ca_bundle_pem: None,
        },
    ];
    for tls in failures {
        let e = with_tls(tls.clone()).unwrap_err();
        assert!(matches!(e, Es2Error::Config(_)), "{tls:?}: {e:?}");
    }

    for (url, requester) in [("not a url", "op"), ("ftp://x", "op"), ("http://x", " ")] {
        let e = Es2Client::new(Es2Config::new(url, requester, "t")).unwrap_err();
        assert_eq!(e.code(), "es2_config");
    }
}
