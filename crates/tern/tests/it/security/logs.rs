//! `tern serve`'s own log output never holds a password, token, code,
//! voucher, card number or personal detail: the real binary runs at debug
//! level with its output captured, a traveller goes through every flow
//! that handles a secret, and the captured text is searched for each one.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{browser, csrf_of};
use crate::crash::{drop_postgres, free_port, temp_postgres};
use crate::harness::{Db, read_mail_dir};
use crate::on_both;

const EMAIL: &str = "lorelei.logcheck@example.com";
const PHONE: &str = "+447700900789";
const NAME: &str = "Lorelei Logcheck";
const P1: &str = "first secret horse battery";
const P2: &str = "second secret horse battery";
const CARD: &str = "4242 4242 4242 4242";

struct Server {
    url: String,
    dir: std::path::PathBuf,
    client: reqwest::Client,
    env: Vec<(String, String)>,
}

impl Server {
    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        let mut req = self.client.post(format!("{}{path}", self.url)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap();
        let s = res.status();
        (s, res.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let mut req = self.client.get(format!("{}{path}", self.url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap();
        let s = res.status();
        (s, res.json().await.unwrap_or(Value::Null))
    }

    /// Waits for a mail whose body has a link to `path` and returns the
    /// link's last path part or `token` parameter; `skip` mails already seen.
    async fn wait_link(&self, path: &str, skip: &[String]) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            for m in read_mail_dir(&self.dir.join("outbox").join("mail"), EMAIL) {
                let token = m.link_token(path).or_else(|| {
                    let marker = format!("/{path}/");
                    let i = m.body.find(&marker)? + marker.len();
                    let rest = &m.body[i..];
                    Some(rest[..rest.find(char::is_whitespace).unwrap_or(rest.len())].to_owned())
                });
                if let Some(t) = token.filter(|t| !skip.contains(t)) {
                    return t;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no mail with a {path} link");
    }

    async fn wait_sms_code(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            for e in std::fs::read_dir(self.dir.join("outbox").join("sms"))
                .into_iter()
                .flatten()
                .flatten()
            {
                let v: Value =
                    serde_json::from_slice(&std::fs::read(e.path()).unwrap_or_default()).unwrap_or(Value::Null);
                if v["to"] == PHONE {
                    return crate::closure::code_in(v["body"].as_str().unwrap_or_default());
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no SMS");
    }
}

/// The code an authenticator shows `offset` seconds from now.
fn app_code(secret: &str, offset: u64) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned()).to_bytes().unwrap();
    let t = totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes, None, String::new());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    t.generate(now + offset)
}

/// Where `needle` (a short number such as a six-digit code) stands alone in
/// `text`: not inside a longer word or number, nor after a `.` (the
/// microseconds of a timestamp).
fn standalone(text: &str, needle: &str) -> bool {
    text.match_indices(needle).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + needle.len()..].chars().next();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '.') && !after.is_some_and(|c| c.is_alphanumeric())
    })
}

on_both!(server_logs_hold_no_secrets, |db: Db| async move {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let pg = if db == Db::Postgres {
        Some(temp_postgres().await)
    } else {
        None
    };
    let port = free_port();
    let mut env: Vec<(String, String)> = vec![
        ("TERN_DATA_DIR".into(), dir.display().to_string()),
        ("TERN_LISTEN".into(), format!("127.0.0.1:{port}")),
        ("TERN_METRICS_LISTEN".into(), String::new()),
        ("TERN_JOBS__POLL_INTERVAL".into(), "50ms".into()),
        ("TERN_CLOSURE__COOLING_OFF".into(), "0s".into()),
        ("TERN_CONFIG".into(), dir.join("none.toml").display().to_string()),
        // Everything an operator could turn on.
        ("RUST_LOG".into(), "debug".into()),
    ];
    if let Some((url, _, _)) = &pg {
        env.push(("TERN_DATABASE_URL".into(), url.clone()));
    }
    let log_path = dir.join("tern-serve.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tern"))
        .arg("serve")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap();
    let srv = Server {
        url: format!("http://127.0.0.1:{port}"),
        dir: dir.clone(),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        env,
    };
    let mut up = false;
    for _ in 0..300 {
        if srv
            .client
            .get(format!("{}/healthz", srv.url))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "tern serve started");
    let mut secrets: Vec<(&str, String)> = vec![
        ("password", P1.into()),
        ("password", P2.into()),
        ("card number", CARD.into()),
        ("card number", CARD.replace(' ', "")),
        ("email", EMAIL.into()),
        ("phone", PHONE.into()),
        ("name", NAME.into()),
    ];
    let mut short: Vec<(&str, String)> = Vec::new();

    // Sign-up and the verification link.
    let (s, _) = srv
        .post(
            "/api/v1/accounts",
            None,
            json!({ "email": EMAIL, "password": P1, "phone": PHONE, "name": NAME }),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let verify = srv.wait_link("verify-email", &[]).await;
    secrets.push(("verification token", verify.clone()));
    let (s, _) = srv
        .post("/api/v1/accounts/verify-email", None, json!({ "token": verify }))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, b) = srv
        .post("/api/v1/sessions", None, json!({ "email": EMAIL, "password": P1 }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let t1 = b["token"].as_str().unwrap().to_owned();
    secrets.push(("session token", t1.clone()));

    // Phone code.
    let (s, _) = srv.post("/api/v1/me/phone/verification", Some(&t1), json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let code = srv.wait_sms_code().await;
    short.push(("phone code", code.clone()));
    let (s, _) = srv
        .post(
            "/api/v1/me/phone/verification/confirm",
            Some(&t1),
            json!({ "code": code }),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    // A voucher issued by the CLI, redeemed.
    let out = dir.join("codes.csv");
    let issued = Command::new(env!("CARGO_BIN_EXE_tern"))
        .args([
            "vouchers",
            "issue",
            "--value",
            "20.00",
            "--currency",
            "USD",
            "--count",
            "1",
            "--out",
        ])
        .arg(&out)
        .envs(srv.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(issued.status.success(), "{}", String::from_utf8_lossy(&issued.stderr));
    let voucher = crate::harness::first_voucher(&out);
    secrets.push(("voucher code", voucher.clone()));
    secrets.push(("voucher code", voucher.replace('-', "")));
    let (s, b) = srv
        .post("/api/v1/wallet/redeem", Some(&t1), json!({ "code": voucher }))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");

    // A card top-up through the sandbox checkout page.
    let (s, t) = srv
        .post("/api/v1/wallet/top-ups", Some(&t1), json!({ "amount_minor": 2500 }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let web = browser();
    let html = web
        .get(format!("{}/login", srv.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&html);
    let res = web
        .post(format!("{}/login", srv.url))
        .form(&[("csrf", csrf.as_str()), ("email", EMAIL), ("password", P1)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let checkout = t["checkout_url"]
        .as_str()
        .unwrap()
        .rsplit("/sandbox/")
        .next()
        .unwrap()
        .to_owned();
    let res = web
        .post(format!("{}/sandbox/{checkout}", srv.url))
        .form(&[("csrf", csrf.as_str()), ("card_number", CARD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "paid");
    let deadline = Instant::now() + Duration::from_secs(20);
    while srv.get("/api/v1/wallet", Some(&t1)).await.1["cash"]["amount_minor"] != 4500 {
        assert!(Instant::now() < deadline, "the top-up was credited");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Two-factor: enrol, sign in with a code and with recovery codes.
    let (s, _) = srv
        .post("/api/v1/sessions/current/reauth", Some(&t1), json!({ "password": P1 }))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, e) = srv.post("/api/v1/me/totp", Some(&t1), json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    let secret = e["secret"].as_str().unwrap().to_owned();
    secrets.push(("TOTP secret", secret.clone()));
    let first = app_code(&secret, 0);
    short.push(("TOTP code", first.clone()));
    let (s, c) = srv
        .post("/api/v1/me/totp/confirm", Some(&t1), json!({ "code": first }))
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    let recovery: Vec<String> = c["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    for r in &recovery {
        secrets.push(("recovery code", r.clone()));
        secrets.push(("recovery code", r.replace('-', "")));
    }
    let login = |second: Value, password: &'static str| {
        let srv = &srv;
        async move {
            let (s, b) = srv
                .post(
                    "/api/v1/sessions",
                    None,
                    json!({ "email": EMAIL, "password": password }),
                )
                .await;
            assert_eq!(s, StatusCode::UNAUTHORIZED);
            let challenge = b["error"]["challenge"].as_str().unwrap().to_owned();
            let mut body = second;
            body["challenge"] = json!(challenge);
            let (s, b) = srv.post("/api/v1/sessions", None, body).await;
            assert_eq!(s, StatusCode::CREATED, "{b}");
            (challenge, b["token"].as_str().unwrap().to_owned())
        }
    };
    // The next step's code (one step of drift is allowed), so the code
    // that turned it on is not needed twice.
    let next = app_code(&secret, 30);
    short.push(("TOTP code", next.clone()));
    let (ch, t2) = login(json!({ "totp_code": next }), P1).await;
    secrets.push(("login challenge", ch));
    secrets.push(("session token", t2));

    // Password reset.
    let (s, _) = srv
        .post("/api/v1/password-resets", None, json!({ "email": EMAIL }))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let reset = srv.wait_link("reset-password", &[]).await;
    secrets.push(("reset token", reset.clone()));
    let (s, _) = srv
        .post(
            "/api/v1/password-resets/confirm",
            None,
            json!({ "token": reset, "new_password": P2 }),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (ch, t3) = login(json!({ "recovery_code": recovery[0] }), P2).await;
    secrets.push(("login challenge", ch));
    secrets.push(("session token", t3.clone()));

    // An export, downloaded through both links.
    let (s, _) = srv.post("/api/v1/me/exports", Some(&t3), json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let export = srv.wait_link("exports", &[]).await;
    secrets.push(("export token", export.clone()));
    let res = srv
        .client
        .get(format!("{}/exports/{export}", srv.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = srv
        .client
        .get(format!("{}/api/v1/exports/download/{export}", srv.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // Closure with a recovery code; its public status page.
    let (s, v) = srv
        .post(
            "/api/v1/me/closure",
            Some(&t3),
            json!({ "password": P2, "confirmation": "CLOSE MY ACCOUNT", "recovery_code": recovery[1] }),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let status = v["status_url"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    secrets.push(("closure status token", status.clone()));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, st) = srv.get(&format!("/api/v1/closure-status/{status}"), None).await;
        if st["state"] == "completed" {
            break;
        }
        assert!(Instant::now() < deadline, "closure completed: {st}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let res = srv
        .client
        .get(format!("{}/closure-status/{status}", srv.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    let text = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        text.contains("worker started") && text.contains("processing request"),
        "the log has the server's debug output: {} bytes",
        text.len()
    );
    let lower = text.to_lowercase();
    let mut found = Vec::new();
    for (kind, s) in &secrets {
        if lower.contains(&s.to_lowercase()) {
            found.push(format!("{kind} {s:?}"));
        }
    }
    for (kind, s) in &short {
        if standalone(&text, s) {
            found.push(format!("{kind} {s:?}"));
        }
    }
    println!(
        "security: logs: {} lines ({} KB) of `tern serve` at debug level searched for {} secrets and personal details: {} found",
        text.lines().count(),
        text.len() / 1024,
        secrets.len() + short.len(),
        found.len()
    );
    assert!(found.is_empty(), "the log holds: {found:?}");
    if let Some((_, name, base)) = pg {
        drop_postgres(&name, &base).await;
    }
});

#[test]
fn standalone_numbers() {
    assert!(standalone("code=123456 ok", "123456"));
    assert!(standalone("\"123456\"", "123456"));
    assert!(!standalone("21:55:12.123456Z", "123456"));
    assert!(!standalone("a0123456f", "123456"));
    assert!(!standalone("91234567", "123456"));
}
