//! SMS through the HTTP provider: a signed JSON POST to a real HTTP server.

use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use axum::routing::post;
use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Db, PW, TestApp};
use crate::on_both;

type Received = Arc<Mutex<Vec<(String, String)>>>;

async fn provider() -> (String, Received) {
    let received: Received = Arc::default();
    let store = received.clone();
    let app = axum::Router::new().route(
        "/send",
        post(move |headers: HeaderMap, body: String| {
            let store = store.clone();
            async move {
                let sig = headers
                    .get("x-tern-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                store.lock().unwrap().push((sig, body));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/send", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

on_both!(phone_codes_go_to_the_http_sms_provider_signed, |db: Db| async move {
    let (url, received) = provider().await;
    let app = TestApp::start_with(db, |s| {
        s.sms.http_url = Some(url);
        s.sms.http_secret = Some("provider-shared-secret".to_owned().into());
    })
    .await;
    let token = app.user("zoe@example.com", PW).await;
    app.call(
        Method::PATCH,
        "/api/v1/me",
        Some(&token),
        Some(json!({ "phone": "+447700900789" })),
    )
    .await;
    app.post("/api/v1/me/phone/verification", Some(&token), json!({})).await;
    app.drain_jobs().await;
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    let (sig, body) = &got[0];
    let v: Value = serde_json::from_str(body).unwrap();
    assert_eq!(v["to"], "+447700900789");
    assert!(v["body"].as_str().unwrap().contains("verification code"));
    // The provider can check who sent it: HMAC-SHA256 of "<t>.<body>".
    let t: i64 = sig.split(',').next().unwrap().trim_start_matches("t=").parse().unwrap();
    assert_eq!(sig, &tern_notify::sms::signature("provider-shared-secret", t, body));
    assert!(app.sms_to("+447700900789").is_empty(), "nothing in the file outbox");
    app.stop().await;
});
