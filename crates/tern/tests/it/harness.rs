//! Starting a Tern for one test and talking to it.

use std::path::PathBuf;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tern::server::{self, Options, Running};
use tern_app::{Clock, Settings};

use tern_store::testing::TempDatabase;
pub use tern_store::testing::{Db, postgres_url};

/// A running Tern and a client for it.
pub struct TestApp {
    pub running: Option<Running>,
    pub url: String,
    pub client: reqwest::Client,
    pub data_dir: PathBuf,
    _tmp: tempfile::TempDir,
    pg_db: Option<TempDatabase>,
    pub clock: Clock,
}

/// Settings for a test: port 0, no metrics listener, fast retries.
pub fn test_settings(dir: &std::path::Path) -> Settings {
    let mut s = Settings {
        data_dir: dir.to_path_buf(),
        listen: "127.0.0.1:0".into(),
        metrics_listen: String::new(),
        public_url: Some("http://tern.test".into()),
        ..Settings::default()
    };
    s.jobs.retry_base = Duration::from_millis(20);
    s.jobs.housekeeping_every = Duration::ZERO;
    s.jobs.poll_interval = Duration::from_millis(50);
    s
}

impl TestApp {
    /// Starts Tern on `db` with `tweak` applied to the test settings.
    pub async fn start_with(db: Db, tweak: impl FnOnce(&mut Settings)) -> Self {
        let tmp = tempfile::tempdir().expect("temp dir");
        let mut settings = test_settings(tmp.path());
        let mut pg_db = None;
        if db == Db::Postgres {
            let created = TempDatabase::create().await;
            settings.database_url = Some(created.url.clone());
            pg_db = Some(created);
        }
        tweak(&mut settings);
        let clock = Clock::default();
        let running = server::start(
            settings,
            clock.clone(),
            Options {
                http: true,
                worker: false,
            },
        )
        .await
        .expect("server starts");
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Self {
            url: running.url(),
            running: Some(running),
            client,
            data_dir: tmp.path().to_path_buf(),
            _tmp: tmp,
            pg_db,
            clock,
        }
    }

    pub async fn start(db: Db) -> Self {
        Self::start_with(db, |_| {}).await
    }

    pub fn app(&self) -> &tern_app::App {
        &self.running.as_ref().expect("running").app
    }

    /// Stops the server and drops its PostgreSQL database.
    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
        if let Some(db) = self.pg_db.take() {
            db.drop().await;
        }
    }

    /// Sends a JSON request; returns the status and the JSON body (or Null).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, format!("{}{}", self.url, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request sent");
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(Method::GET, path, token, None).await
    }

    /// Runs every ready background job (mail delivery, …).
    pub async fn drain_jobs(&self) -> usize {
        tern_app::jobs::run_pending(self.app()).await.expect("jobs run")
    }

    /// Every email delivered so far to `to`, oldest first.
    pub fn mail_to(&self, to: &str) -> Vec<Mail> {
        let settings = &self.app().settings;
        let dir = settings
            .mail
            .file_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("outbox").join("mail"));
        read_mail_dir(&dir, to)
    }

    /// Every SMS delivered so far to `to`.
    pub fn sms_to(&self, to: &str) -> Vec<String> {
        let settings = &self.app().settings;
        let dir = settings
            .sms
            .file_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("outbox").join("sms"));
        let mut out = vec![];
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let v: Value =
                serde_json::from_slice(&std::fs::read(entry.path()).unwrap_or_default()).unwrap_or(Value::Null);
            if v["to"] == to {
                out.push(v["body"].as_str().unwrap_or_default().to_owned());
            }
        }
        out
    }

    /// Signs up, verifies through the emailed link, and signs in; returns a token.
    pub async fn user(&self, email: &str, password: &str) -> String {
        let (s, _) = self
            .post(
                "/api/v1/accounts",
                None,
                json!({ "email": email, "password": password }),
            )
            .await;
        assert_eq!(s, StatusCode::ACCEPTED);
        self.drain_jobs().await;
        let token = self
            .mail_to(email)
            .last()
            .and_then(|m| m.link_token("verify-email"))
            .expect("verification link");
        let (s, _) = self
            .post("/api/v1/accounts/verify-email", None, json!({ "token": token }))
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        self.login(email, password).await
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let (s, body) = self
            .post(
                "/api/v1/sessions",
                None,
                json!({ "email": email, "password": password }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "login failed: {body}");
        body["token"].as_str().expect("token").to_owned()
    }
}

/// The first code in a CSV written by `tern vouchers issue --out`.
pub fn first_voucher(csv: &std::path::Path) -> String {
    let text = std::fs::read_to_string(csv).expect("voucher CSV");
    let row = text.lines().nth(1).expect("a voucher row under the header");
    row.split(',').next().unwrap_or_default().to_owned()
}

/// One email as a person would read it.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
    pub modified: std::time::SystemTime,
}

impl Mail {
    /// The `token` query parameter of the first link to `path` in the body.
    pub fn link_token(&self, path: &str) -> Option<String> {
        let marker = format!("/{path}?token=");
        let start = self.body.find(&marker)? + marker.len();
        let rest = &self.body[start..];
        let end = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
        Some(rest[..end].to_owned())
    }
}

pub fn parse_mail(raw: &[u8]) -> Option<Mail> {
    let parsed = mailparse::parse_mail(raw).ok()?;
    use mailparse::MailHeaderMap;
    Some(Mail {
        to: parsed.headers.get_first_value("To").unwrap_or_default(),
        subject: parsed.headers.get_first_value("Subject").unwrap_or_default(),
        body: parsed.get_body().ok()?,
        modified: std::time::SystemTime::UNIX_EPOCH,
    })
}

pub fn read_mail_dir(dir: &std::path::Path, to: &str) -> Vec<Mail> {
    let mut out = vec![];
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        // The file outbox writes `.eml` files (plus envelope `.json` when
        // configured); a Maildir's files have no extension.
        if path.extension().is_some_and(|e| e == "json") || !path.is_file() {
            continue;
        }
        let Ok(raw) = std::fs::read(&path) else {
            continue;
        };
        if let Some(mut m) = parse_mail(&raw) {
            m.modified = entry
                .metadata()
                .and_then(|m| m.modified())
                .unwrap_or(std::time::SystemTime::UNIX_EPOCH);
            if m.to.contains(to) {
                out.push(m);
            }
        }
    }
    out.sort_by_key(|m| m.modified);
    out
}

/// A password strong enough for the policy.
pub const PW: &str = "correct horse battery staple";
