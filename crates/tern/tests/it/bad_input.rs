//! Bad input gets a clear 4xx with a stable code: never a 500, never a panic.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::given::error_code;
use crate::harness::{Db, TestApp};
use crate::on_both;

async fn raw(app: &TestApp, path: &str, content_type: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let res = app
        .client
        .post(format!("{}{}", app.url, path))
        .header("content-type", content_type)
        // The server may answer an oversized body before reading it all and
        // then close the connection; do not reuse it for the next request.
        .header("connection", "close")
        .body(body)
        .send()
        .await
        .unwrap();
    let s = res.status();
    (s, res.json().await.unwrap_or(Value::Null))
}

on_both!(bad_input_gets_stable_codes, |db: Db| async move {
    let app = TestApp::start(db).await;
    let json_ct = "application/json";

    let (s, b) = raw(&app, "/api/v1/accounts", json_ct, b"{\"email\": ".to_vec()).await;
    assert_eq!((s, error_code(&b)), (StatusCode::BAD_REQUEST, "malformed_json"));

    let (s, b) = raw(&app, "/api/v1/accounts", json_ct, b"{\"email\": \"a@b.com\"}".to_vec()).await;
    assert_eq!((s, error_code(&b)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"));
    assert!(
        b["error"]["details"][0]["message"]
            .as_str()
            .unwrap()
            .contains("password"),
        "{b}"
    );

    let (s, b) = raw(&app, "/api/v1/accounts", json_ct, b"[1,2,3]".to_vec()).await;
    assert_eq!((s, error_code(&b)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"));

    let (s, b) = raw(&app, "/api/v1/accounts", "text/plain", b"hello".to_vec()).await;
    assert_eq!(
        (s, error_code(&b)),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
    );

    let big = format!(
        "{{\"email\":\"a@b.com\",\"password\":\"{}\"}}",
        "x".repeat(2 * 1024 * 1024)
    );
    let (s, b) = raw(&app, "/api/v1/accounts", json_ct, big.into_bytes()).await;
    assert_eq!((s, error_code(&b)), (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"));

    let (s, b) = app
        .post(
            "/api/v1/accounts",
            None,
            json!({ "email": "not-an-email", "password": "correct horse battery staple" }),
        )
        .await;
    assert_eq!(
        (s, error_code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
    );
    assert_eq!(
        b["error"]["details"][0],
        json!({ "field": "email", "code": "email_invalid", "message": "Enter a valid email address, like name@example.com." })
    );

    let (s, b) = app
        .post(
            "/api/v1/accounts",
            None,
            json!({ "email": "ok@example.com", "password": "password123" }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b["error"]["details"][0]["code"], "password_too_weak");

    let (s, b) = app
        .post(
            "/api/v1/accounts",
            None,
            json!({ "email": "ok@example.com", "password": "short" }),
        )
        .await;
    assert_eq!(b["error"]["details"][0]["code"], "password_too_short", "{s}");

    // Every problem at once.
    let (_, b) = app
        .post(
            "/api/v1/accounts",
            None,
            json!({ "email": "bad", "password": "short", "phone": "0123", "locale": "fr" }),
        )
        .await;
    let fields: Vec<&str> = b["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "phone", "locale", "password"]);

    // Nothing was stored by any of these.
    let mut conn = app.app().db.conn().await.unwrap();
    assert_eq!(tern_store::accounts::count(&mut conn).await.unwrap(), 0);
    drop(conn);

    let (s, b) = app.get("/api/v1/nothing-here", None).await;
    assert_eq!((s, error_code(&b)), (StatusCode::NOT_FOUND, "not_found"));

    for auth in [
        "Bearer",
        "Bearer ",
        "Basic abc",
        &format!("Bearer {}", "x".repeat(5000)),
    ] {
        let res = app
            .client
            .get(format!("{}/api/v1/me", app.url))
            .header("authorization", auth)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{auth:.20}");
    }
    let (s, _) = app
        .post(
            "/api/v1/accounts/verify-email",
            None,
            json!({ "token": "🙂".repeat(100) }),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = app
        .post(
            "/api/v1/password-resets/confirm",
            None,
            json!({ "token": "", "new_password": "" }),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    app.stop().await;
});

on_both!(security_headers_are_set, |db: Db| async move {
    let app = TestApp::start(db).await;
    for path in ["/healthz", "/login", "/api/v1/me"] {
        let res = app.client.get(format!("{}{}", app.url, path)).send().await.unwrap();
        let h = res.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY");
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'")
        );
        assert!(h.contains_key("x-request-id"));
        assert!(!h.contains_key("strict-transport-security"), "no HSTS without TLS");
    }
    app.stop().await;
});

/// Sends `body` to `path` asking for `lang`; the status and the JSON body.
async fn in_language(
    app: &TestApp,
    lang: &str,
    path: &str,
    token: Option<&str>,
    key: Option<&str>,
    body: Option<Value>,
) -> Value {
    let mut req = match body {
        Some(b) => app.client.post(format!("{}{path}", app.url)).json(&b),
        None => app.client.get(format!("{}{path}", app.url)),
    }
    .header("accept-language", lang);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    json!({ "status": status, "body": res.json::<Value>().await.unwrap_or(Value::Null) })
}

on_both!(error_bodies_are_the_same_in_every_run, |db: Db| async move {
    let app = TestApp::start(db).await;
    let token = crate::given::funded_traveller(&app, "erin@example.com", 500).await;
    let first = in_language(
        &app,
        "en",
        "/api/v1/orders",
        Some(&token),
        Some("k1"),
        Some(json!({ "plan_code": "JP-1GB-7D" })),
    )
    .await;
    assert_eq!(first["status"], 201, "{first}");
    let mut bodies = serde_json::Map::new();
    for lang in ["en", "zh-CN"] {
        let cases = [
            (
                "validation",
                "/api/v1/accounts",
                None,
                None,
                Some(json!({ "email": "not-an-email", "password": "short" })),
            ),
            ("unauthenticated", "/api/v1/me", None, None, None),
            (
                "not_found",
                "/api/v1/orders/no-such-order",
                Some(token.as_str()),
                None,
                None,
            ),
            (
                "insufficient_funds",
                "/api/v1/orders",
                Some(token.as_str()),
                None,
                Some(json!({ "plan_code": "JP-5GB-15D" })),
            ),
            (
                "key_reused",
                "/api/v1/orders",
                Some(token.as_str()),
                Some("k1"),
                Some(json!({ "plan_code": "JP-2GB-7D" })),
            ),
            (
                "bad_key",
                "/api/v1/orders",
                Some(token.as_str()),
                Some("a key"),
                Some(json!({ "plan_code": "JP-1GB-7D" })),
            ),
        ];
        for (name, path, token, key, body) in cases {
            let answer = in_language(&app, lang, path, token, key, body).await;
            bodies.insert(format!("{lang} {name}"), answer);
        }
    }
    insta::assert_json_snapshot!("error_bodies", bodies);
    app.stop().await;
});
