//! HandleDownloadProgressInfo as a real SM-DP+ sends it (issue 17, items 1
//! to 3): at the spec's path, authenticated by mutual TLS or, behind a
//! proxy, by the bearer secret; from the configured SM-DP+ identity only;
//! answered 204, or 200 with a `Failed` header, with `X-Admin-Protocol`
//! on every answer.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::given::{bought_esim, funded_traveller};
use crate::harness::{Db, TestApp};
use crate::on_both;
use crate::pki::Pki;

const SPEC_PATH: &str = "/gsma/rsp2/es2plus/handleDownloadProgressInfo";
const LEGACY_PATH: &str = "/es2plus/handleDownloadProgressInfo";
/// The built-in emulator's `functionRequesterIdentifier`.
const EMULATOR: &str = "smdp.tern.test";

fn notification(requester: &str, iccid: &str, point: u8) -> Value {
    let eid = tern_domain::ids::Eid::with_check_digits("890490320000000000000000000001").unwrap();
    json!({
        "header": { "functionRequesterIdentifier": requester, "functionCallIdentifier": uuid::Uuid::new_v4().to_string() },
        "eid": eid.as_str(),
        "iccid": iccid,
        "profileType": "tern-standard",
        "timestamp": "2026-12-07T08:00:00Z",
        "notificationPointId": point,
        "notificationPointStatus": { "status": "Executed-Success" }
    })
}

/// Posts raw bytes; returns the status, the `X-Admin-Protocol` header and
/// the body text.
async fn post(
    client: &reqwest::Client,
    url: &str,
    bearer: Option<&str>,
    protocol: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, Option<String>, String) {
    let mut req = client.post(url).header("content-type", "application/json").body(body);
    if let Some(b) = bearer {
        req = req.bearer_auth(b);
    }
    if let Some(p) = protocol {
        req = req.header("X-Admin-Protocol", p);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let header = res
        .headers()
        .get("x-admin-protocol")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, header, res.text().await.unwrap())
}

/// `subjectCode`/`reasonCode` of a `Failed` answer.
fn failure(body: &str) -> (String, String) {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"));
    let status = &v["header"]["functionExecutionStatus"];
    assert_eq!(status["status"], "Failed", "{v}");
    let data = &status["statusCodeData"];
    (
        data["subjectCode"].as_str().unwrap().to_owned(),
        data["reasonCode"].as_str().unwrap().to_owned(),
    )
}

async fn state(app: &TestApp, token: &str, iccid: &str) -> String {
    let (_, e) = app.get(&format!("/api/v1/esims/{iccid}"), Some(token)).await;
    e["state"].as_str().unwrap().to_owned()
}

const V: Option<&str> = Some("gsma/rsp/v2.5.0");

/// What is wrong, the `X-Admin-Protocol` sent, the body, and the
/// subject/reason code expected back.
type Case = (
    &'static str,
    Option<&'static str>,
    Vec<u8>,
    (&'static str, &'static str),
);

on_both!(the_spec_path_takes_notifications_with_204, |db: Db| async move {
    let app = TestApp::start(db).await;
    let token = funded_traveller(&app, "cal@example.com", 5000).await;
    let iccid = bought_esim(&app, &token, "JP-1GB-7D").await;
    let secret = app.app().callback_secret().to_owned();
    let http = reqwest::Client::new();

    // Point 3 at the spec's path: taken, 204, no body, the header.
    let body = serde_json::to_vec(&notification(EMULATOR, &iccid, 3)).unwrap();
    let (s, h, text) = post(&http, &format!("{}{SPEC_PATH}", app.url), Some(&secret), V, body).await;
    assert_eq!((s, h.as_deref(), text.as_str()), (StatusCode::NO_CONTENT, V, ""));
    assert_eq!(state(&app, &token, &iccid).await, "downloaded");

    // Point 4 at the old path, with a later v2 version: still taken.
    let body = serde_json::to_vec(&notification(EMULATOR, &iccid, 4)).unwrap();
    let (s, h, _) = post(
        &http,
        &format!("{}{LEGACY_PATH}", app.url),
        Some(&secret),
        Some("gsma/rsp/v2.6.1"),
        body,
    )
    .await;
    assert_eq!((s, h.as_deref()), (StatusCode::NO_CONTENT, V));
    assert_eq!(state(&app, &token, &iccid).await, "installed");

    // A repeat is harmless.
    let body = serde_json::to_vec(&notification(EMULATOR, &iccid, 3)).unwrap();
    let (s, _, _) = post(&http, &format!("{}{SPEC_PATH}", app.url), Some(&secret), V, body).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(state(&app, &token, &iccid).await, "installed");
    app.stop().await;
});

on_both!(refusals_are_es2_failed_answers, |db: Db| async move {
    let app = TestApp::start(db).await;
    let token = funded_traveller(&app, "ref@example.com", 5000).await;
    let iccid = bought_esim(&app, &token, "JP-1GB-7D").await;
    let secret = app.app().callback_secret().to_owned();
    let http = reqwest::Client::new();
    let url = format!("{}{SPEC_PATH}", app.url);
    let good = notification(EMULATOR, &iccid, 4);

    // No bearer on the main listener: 401, with the header.
    let bytes = serde_json::to_vec(&good).unwrap();
    let (s, h, _) = post(&http, &url, None, V, bytes.clone()).await;
    assert_eq!((s, h.as_deref()), (StatusCode::UNAUTHORIZED, V));
    let (s, _, _) = post(&http, &url, Some("wrong"), V, bytes.clone()).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    let mut unknown_iccid = good.clone();
    unknown_iccid["iccid"] = json!("8988247000999999999");
    let mut other_smdp = good.clone();
    other_smdp["header"]["functionRequesterIdentifier"] = json!("smdp.somebody-else.example");
    let mut no_point = good.clone();
    no_point.as_object_mut().unwrap().remove("notificationPointId");
    let mut bad_iccid = good.clone();
    bad_iccid["iccid"] = json!("89-not-digits");
    let mut bad_time = good.clone();
    bad_time["timestamp"] = json!("yesterday");
    let cases: Vec<Case> = vec![
        ("no X-Admin-Protocol", None, bytes.clone(), ("1.3.2", "3.1")),
        ("protocol v3", Some("gsma/rsp/v3.0.0"), bytes.clone(), ("1.3.2", "3.1")),
        ("not JSON", V, b"{not json".to_vec(), ("1.3.1", "2.1")),
        (
            "another SM-DP+",
            V,
            serde_json::to_vec(&other_smdp).unwrap(),
            ("1.1", "1.1"),
        ),
        (
            "no point id",
            V,
            serde_json::to_vec(&no_point).unwrap(),
            ("1.3.1", "2.2"),
        ),
        (
            "malformed ICCID",
            V,
            serde_json::to_vec(&bad_iccid).unwrap(),
            ("8.2.1", "2.1"),
        ),
        (
            "bad timestamp",
            V,
            serde_json::to_vec(&bad_time).unwrap(),
            ("1.3.1", "2.1"),
        ),
        (
            "unknown ICCID",
            V,
            serde_json::to_vec(&unknown_iccid).unwrap(),
            ("8.2.1", "3.9"),
        ),
    ];
    for (what, protocol, body, (subject, reason)) in cases {
        let (s, h, text) = post(&http, &url, Some(&secret), protocol, body).await;
        assert_eq!(s, StatusCode::OK, "{what}: {text}");
        assert_eq!(h.as_deref(), V, "{what}");
        let (got_s, got_r) = failure(&text);
        assert_eq!((got_s.as_str(), got_r.as_str()), (subject, reason), "{what}: {text}");
    }
    // None of them changed the eSIM.
    assert_eq!(state(&app, &token, &iccid).await, "released");
    app.stop().await;
});

on_both!(a_configured_identity_is_the_one_accepted, |db: Db| async move {
    let app = TestApp::start_with(db, |s| s.smdp.identity = Some("1.3.6.1.4.1.99999.1".into())).await;
    let token = funded_traveller(&app, "oid@example.com", 5000).await;
    let iccid = bought_esim(&app, &token, "JP-1GB-7D").await;
    let secret = app.app().callback_secret().to_owned();
    let http = reqwest::Client::new();
    let url = format!("{}{SPEC_PATH}", app.url);
    let body = serde_json::to_vec(&notification(EMULATOR, &iccid, 4)).unwrap();
    let (s, _, text) = post(&http, &url, Some(&secret), V, body).await;
    assert_eq!((s, failure(&text)), (StatusCode::OK, ("1.1".into(), "1.1".into())));
    let body = serde_json::to_vec(&notification("1.3.6.1.4.1.99999.1", &iccid, 4)).unwrap();
    let (s, _, _) = post(&http, &url, Some(&secret), V, body).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(state(&app, &token, &iccid).await, "installed");
    app.stop().await;
});

on_both!(
    the_tls_listener_requires_a_client_certificate_from_the_ca,
    |db: Db| async move {
        let dir = tempfile::tempdir().unwrap();
        let pki = Pki::new(dir.path(), "operator");
        let stranger = Pki::new(dir.path(), "stranger");
        let server = pki.leaf("tern");
        let smdp = pki.leaf("smdp");
        let impostor = stranger.leaf("smdp");
        let ca = pki.ca();
        let app = TestApp::start_with(db, move |s| {
            s.smdp.callback_tls = Some(tern_app::config::CallbackTlsSettings {
                listen: "127.0.0.1:0".into(),
                cert: server.cert,
                key: server.key,
                client_ca: ca,
            });
        })
        .await;
        let token = funded_traveller(&app, "tls@example.com", 5000).await;
        let iccid = bought_esim(&app, &token, "JP-1GB-7D").await;
        let addr = app.running.as_ref().unwrap().callback_tls_addr.unwrap();
        let url = format!("https://127.0.0.1:{}{SPEC_PATH}", addr.port());
        let body = serde_json::to_vec(&notification(EMULATOR, &iccid, 4)).unwrap();

        // No client certificate, or one from another CA: the handshake fails.
        for client in [pki.client(None), pki.client(Some(&impostor))] {
            let err = client
                .post(&url)
                .header("X-Admin-Protocol", "gsma/rsp/v2.5.0")
                .body(body.clone())
                .send()
                .await;
            assert!(err.is_err(), "{err:?}");
        }
        assert_eq!(state(&app, &token, &iccid).await, "released");

        // The SM-DP+'s certificate is enough: no bearer secret on this listener.
        let (s, h, text) = post(&pki.client(Some(&smdp)), &url, None, V, body).await;
        assert_eq!((s, h.as_deref(), text.as_str()), (StatusCode::NO_CONTENT, V, ""));
        assert_eq!(state(&app, &token, &iccid).await, "installed");

        // The listener serves ES2+ callbacks and nothing else.
        let res = pki
            .client(Some(&smdp))
            .get(format!("https://127.0.0.1:{}/api/v1/me", addr.port()))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        app.stop().await;
    }
);
