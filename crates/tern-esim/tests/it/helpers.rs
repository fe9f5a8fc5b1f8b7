//! Servers on port 0 and clients pointed at them.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use serde_json::Value;
use tern_esim::client::RetryPolicy;
use tern_esim::emulator::{self, CallbackConfig};
use tern_esim::{EmulatorConfig, Es2Client, Es2Config, SmdpEmulator};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// The requester id the tests' operator uses.
pub const OPERATOR: &str = "tern-test";

/// A running emulator; stops when dropped.
pub struct Running {
    pub addr: SocketAddr,
    pub emulator: SmdpEmulator,
    _stop: oneshot::Sender<()>,
}

impl Running {
    /// The base URL of the emulator.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A client for this emulator as the test operator.
    pub fn client(&self) -> Es2Client {
        self.client_as(OPERATOR)
    }

    /// A client for this emulator as `requester`.
    pub fn client_as(&self, requester: &str) -> Es2Client {
        let mut config = Es2Config::new(self.url(), requester, "tern-standard");
        config.timeout = Duration::from_secs(5);
        config.retry = RetryPolicy {
            max_attempts: 3,
            first_backoff: Duration::from_millis(10),
        };
        Es2Client::new(config).unwrap()
    }

    /// One profile, read over HTTP from the emulator's inventory (not an
    /// ES2+ function; the operator's client has no such call).
    pub async fn profile(&self, iccid: &tern_domain::ids::Iccid) -> tern_esim::wire::ProfileStatusEntry {
        reqwest::get(format!("{}/emulator/profiles/{}", self.url(), iccid.to_es2_wire()))
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// A raw ES2+ POST, as a misbehaving client would send it.
    pub async fn post_raw(&self, function: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
        let response = reqwest::Client::new()
            .post(format!("{}/gsma/rsp2/es2plus/{function}", self.url()))
            .header("X-Admin-Protocol", "gsma/rsp/v2.5.0")
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, json)
    }
}

/// Starts an emulator with `config` on 127.0.0.1:0.
pub async fn start(config: EmulatorConfig) -> Running {
    let emulator = SmdpEmulator::new(config).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(emulator::serve(listener, emulator.clone(), async move {
        let _ = stopped.await;
    }));
    Running {
        addr,
        emulator,
        _stop: stop,
    }
}

/// An emulator with `count` profiles of `len` digits.
pub async fn start_with(count: u64, len: usize) -> Running {
    start(EmulatorConfig {
        profile_count: count,
        iccid_len: len,
        ..EmulatorConfig::default()
    })
    .await
}

/// One request the capture server received.
#[derive(Debug, Clone)]
pub struct Captured {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Value,
}

/// A tiny operator server that records every POST and answers 204.
pub struct Capture {
    pub url: String,
    pub requests: Arc<Mutex<Vec<Captured>>>,
}

/// Starts a capture server on 127.0.0.1:0.
pub async fn start_capture() -> Capture {
    let requests: Arc<Mutex<Vec<Captured>>> = Arc::default();
    let app = Router::new()
        .route(
            "/{*path}",
            post(
                |State(store): State<Arc<Mutex<Vec<Captured>>>>,
                 uri: axum::http::Uri,
                 headers: HeaderMap,
                 Json(body): Json<Value>| async move {
                    store.lock().unwrap().push(Captured {
                        path: uri.path().to_owned(),
                        headers,
                        body,
                    });
                    // As SGP.22 §6.5.2.5 has the operator answer.
                    axum::http::StatusCode::NO_CONTENT
                },
            ),
        )
        .with_state(requests.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Capture { url, requests }
}

/// An emulator that notifies `capture` with `secret`.
pub async fn start_notifying(capture: &Capture, secret: &str) -> Running {
    start(EmulatorConfig {
        profile_count: 10,
        callback: Some(CallbackConfig {
            base_url: capture.url.clone(),
            bearer_secret: Some(secret.to_owned().into()),
            tls: Default::default(),
        }),
        ..EmulatorConfig::default()
    })
    .await
}

/// A valid EID whose first 30 digits end with `n`.
pub fn eid(n: u32) -> tern_domain::ids::Eid {
    tern_domain::ids::Eid::with_check_digits(&format!("8904903200000000000000{n:08}")).unwrap()
}
