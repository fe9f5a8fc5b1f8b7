//! The whole traveller story with `tern serve` and `tern smdp-sim` as two
//! processes that speak ES2+ over mutual TLS only (issue 17, "done when"):
//! order → download → install → usage → closure.
//!
//! Two authorities, as in production: the SM-DP+'s (its server and
//! callback-client certificates) and the operator's (Tern's ES2+ client
//! certificate and its callback listener). Each side trusts only the
//! other's CA. The callback secret is not configured on the SM-DP+ at all:
//! notifications are authenticated by its certificate alone.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::crash::{drop_postgres, free_port, temp_postgres};
use crate::harness::{Db, PW, first_voucher, read_mail_dir};
use crate::on_both;
use crate::pki::{Leaf, Pki};

const EMAIL: &str = "mtls.traveller@example.com";

/// Kills the child when dropped, so a failed assertion leaves no process.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The settings both `tern` commands share, as environment variables.
fn tern_command(dir: &Path, db_url: Option<&str>, env: &[(String, String)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tern"));
    cmd.env("TERN_DATA_DIR", dir.join("data"))
        .env("TERN_CONFIG", dir.join("none.toml"))
        .env("TERN_METRICS_LISTEN", "")
        .env("TERN_JOBS__POLL_INTERVAL", "50ms")
        .env("TERN_CLOSURE__COOLING_OFF", "0s")
        .env("RUST_LOG", "warn")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    if let Some(url) = db_url {
        cmd.env("TERN_DATABASE_URL", url);
    }
    cmd
}

fn path(p: &Path) -> String {
    p.display().to_string()
}

/// Polls `check` every 100 ms for up to 30 s.
async fn eventually<F, Fut>(what: &str, mut check: F) -> Value
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<Value>>,
{
    for _ in 0..300 {
        if let Some(v) = check().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

struct Api {
    http: reqwest::Client,
    url: String,
}

impl Api {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        // 0: no answer (the process is not listening yet).
        let Ok(res) = req.send().await else {
            return (0, Value::Null);
        };
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, token, None).await
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, token, Some(body)).await
    }
}

/// Runs `tern <args>` to completion; returns its standard output.
fn run(mut cmd: Command, args: &[&str]) -> String {
    let out = cmd.args(args).output().expect("tern runs");
    assert!(
        out.status.success(),
        "tern {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

on_both!(
    order_install_usage_and_closure_over_mutual_tls_between_two_processes,
    |db: Db| async move {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let eid = tern_domain::ids::Eid::with_check_digits("890490320000000000000000000001").unwrap();
        let eid = eid.as_str();
        let pg = if db == Db::Postgres {
            Some(temp_postgres().await)
        } else {
            None
        };
        let db_url = pg.as_ref().map(|p| p.0.clone());

        let smdp_ca = Pki::new(root, "smdp-ca");
        let operator_ca = Pki::new(root, "operator-ca");
        let smdp_cert: Leaf = smdp_ca.leaf("smdp");
        let tern_cert: Leaf = operator_ca.leaf("tern");
        let smdp_port = free_port();
        let api_port = free_port();
        let callback_port = free_port();

        // The SM-DP+: ES2+ over TLS, the operator's certificate required;
        // callbacks to Tern's TLS listener with its own certificate.
        let sim = tern_command(root, None, &[])
            .args([
                "smdp-sim",
                "--listen",
                &format!("127.0.0.1:{smdp_port}"),
                "--profiles",
                "20",
            ])
            .args(["--tls-cert", &path(&smdp_cert.cert), "--tls-key", &path(&smdp_cert.key)])
            .args(["--client-ca", &path(&operator_ca.ca())])
            .args(["--callback-url", &format!("https://127.0.0.1:{callback_port}")])
            .args([
                "--callback-cert",
                &path(&smdp_cert.cert),
                "--callback-key",
                &path(&smdp_cert.key),
            ])
            .args(["--callback-ca", &path(&operator_ca.ca())])
            .env_remove("TERN_SMDP_CALLBACK_SECRET")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tern smdp-sim");
        let _sim = Proc(sim);
        // What the operator presents to the SM-DP+ (and the phone here,
        // which reaches the emulator's device endpoint on the same port).
        let to_smdp = smdp_ca.client(Some(&tern_cert));
        let smdp_url = format!("https://127.0.0.1:{smdp_port}");
        eventually("tern smdp-sim", || async {
            let r = to_smdp.get(format!("{smdp_url}/healthz")).send().await.ok()?;
            r.status().is_success().then_some(Value::Null)
        })
        .await;
        // Without the operator's certificate the SM-DP+ does not talk.
        let anonymous = smdp_ca.client(None);
        assert!(anonymous.get(format!("{smdp_url}/healthz")).send().await.is_err());

        // Tern: ES2+ client over mutual TLS, callbacks on its TLS listener.
        let env: Vec<(String, String)> = [
            ("TERN_LISTEN", format!("127.0.0.1:{api_port}")),
            ("TERN_PUBLIC_URL", format!("http://127.0.0.1:{api_port}")),
            ("TERN_SMDP__URL", format!("{smdp_url}/gsma/rsp2/es2plus")),
            ("TERN_SMDP__CA_BUNDLE", path(&smdp_ca.ca())),
            ("TERN_SMDP__CLIENT_CERT", path(&tern_cert.cert)),
            ("TERN_SMDP__CLIENT_KEY", path(&tern_cert.key)),
            ("TERN_SMDP__IDENTITY", "smdp.tern.test".into()),
            ("TERN_SMDP__CALLBACK_TLS__LISTEN", format!("127.0.0.1:{callback_port}")),
            ("TERN_SMDP__CALLBACK_TLS__CERT", path(&tern_cert.cert)),
            ("TERN_SMDP__CALLBACK_TLS__KEY", path(&tern_cert.key)),
            ("TERN_SMDP__CALLBACK_TLS__CLIENT_CA", path(&smdp_ca.ca())),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let vouchers = root.join("vouchers.csv");
        run(
            tern_command(root, db_url.as_deref(), &env),
            &[
                "vouchers",
                "issue",
                "--value",
                "40.00",
                "--currency",
                "USD",
                "--count",
                "1",
                "--out",
                &path(&vouchers),
            ],
        );
        let voucher = first_voucher(&vouchers);
        let out = run(
            tern_command(root, db_url.as_deref(), &env),
            &["admin", "api-key", "create", "--role", "network", "--name", "net"],
        );
        let network_key = out.rsplit(' ').next().unwrap().trim().to_owned();
        let serve = tern_command(root, db_url.as_deref(), &env)
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tern serve");
        let _serve = Proc(serve);
        let api = Api {
            http: reqwest::Client::new(),
            url: format!("http://127.0.0.1:{api_port}"),
        };
        eventually("tern serve", || async {
            let (s, _) = api.get("/readyz", None).await;
            (s == 200).then_some(Value::Null)
        })
        .await;

        // Sign up, verify by the emailed link, sign in, redeem the voucher.
        let (s, _) = api
            .post("/api/v1/accounts", None, json!({ "email": EMAIL, "password": PW }))
            .await;
        assert_eq!(s, 202);
        let mail_dir = root.join("data").join("outbox").join("mail");
        let link = eventually("the verification mail", || async {
            let token = read_mail_dir(&mail_dir, EMAIL)
                .last()
                .and_then(|m| m.link_token("verify-email"))?;
            Some(Value::String(token))
        })
        .await;
        let (s, _) = api
            .post("/api/v1/accounts/verify-email", None, json!({ "token": link }))
            .await;
        assert_eq!(s, 204);
        let (s, session) = api
            .post("/api/v1/sessions", None, json!({ "email": EMAIL, "password": PW }))
            .await;
        assert_eq!(s, 201, "{session}");
        let token = session["token"].as_str().unwrap().to_owned();
        let (s, w) = api
            .post("/api/v1/wallet/redeem", Some(&token), json!({ "code": voucher }))
            .await;
        assert_eq!(s, 200, "{w}");

        // Order: downloadOrder and confirmOrder over mutual TLS.
        let (s, o) = api
            .post("/api/v1/orders", Some(&token), json!({ "plan_code": "JP-1GB-7D" }))
            .await;
        assert_eq!(s, 201, "{o}");
        let order_path = format!("/api/v1/orders/{}", o["id"].as_str().unwrap());
        let o = eventually("the order to complete", || async {
            let (_, o) = api.get(&order_path, Some(&token)).await;
            (o["state"] == "completed").then_some(o)
        })
        .await;
        let iccid = o["iccid"].as_str().unwrap().to_owned();
        let (_, esim) = api.get(&format!("/api/v1/esims/{iccid}"), Some(&token)).await;
        assert_eq!(esim["state"], "released", "{esim}");
        let code = esim["activation_code"].as_str().unwrap().to_owned();
        assert!(code.starts_with("LPA:1$smdp.tern.test$"), "{code}");
        let (_, profile) = async {
            let r = to_smdp
                .get(format!("{smdp_url}/emulator/profiles/{iccid}"))
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
        .await;
        assert_eq!(profile["state"], "Released", "{profile}");

        // Download and install: the phone scans the code; the SM-DP+ tells
        // Tern over its TLS listener (points 3 and 4).
        let r = to_smdp
            .post(format!("{smdp_url}/device/install"))
            .json(&json!({ "activationCode": code, "eid": eid }))
            .send()
            .await
            .unwrap();
        let installed: Value = r.json().await.unwrap();
        assert_eq!(installed["state"], "Installed", "{installed}");
        assert!(
            installed["notifications"]
                .as_array()
                .unwrap()
                .iter()
                .all(|n| n["delivered"] == true),
            "{installed}"
        );
        let esim = eventually("the eSIM to show installed", || async {
            let (_, e) = api.get(&format!("/api/v1/esims/{iccid}"), Some(&token)).await;
            (e["state"] == "installed").then_some(e)
        })
        .await;
        assert_eq!(esim["eid"], eid, "{esim}");

        // Usage from the network.
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let (s, report) = api
            .post(
                "/api/v1/network/usage",
                Some(&network_key),
                json!({ "records": [{ "event_id": "u1", "iccid": iccid, "kind": "data",
                    "quantity": 250_000_000, "country": "JP", "occurred_at": now }] }),
            )
            .await;
        assert_eq!(s, 200, "{report}");
        let (s, usage) = api.get(&format!("/api/v1/esims/{iccid}/usage"), Some(&token)).await;
        assert_eq!(s, 200, "{usage}");
        assert!(usage.to_string().contains("250000000"), "{usage}");

        // Closure: the profile is barred at the network (over the same
        // mutual TLS) and the account closed.
        let (s, v) = api
            .post(
                "/api/v1/me/closure",
                Some(&token),
                json!({ "password": PW, "confirmation": "CLOSE MY ACCOUNT", "reason_code": "no_longer_needed" }),
            )
            .await;
        assert_eq!(s, 202, "{v}");
        let status = format!(
            "/api/v1/closure-status/{}",
            v["status_url"].as_str().unwrap().rsplit('/').next().unwrap()
        );
        let st = eventually("the closure to complete", || async {
            let (_, st) = api.get(&status, None).await;
            (st["state"] == "completed").then_some(st)
        })
        .await;
        assert_eq!(st["receipt"]["services"]["barred"], 1, "{st}");
        let barred: Value = to_smdp
            .get(format!("{smdp_url}/network/subscribers/{iccid}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(barred["barred"], true, "{barred}");
        let (s, _) = api
            .post("/api/v1/sessions", None, json!({ "email": EMAIL, "password": PW }))
            .await;
        assert_eq!(s, 401, "a closed account cannot sign in");

        drop(_serve);
        drop(_sim);
        if let Some((_, name, base)) = pg {
            drop_postgres(&name, &base).await;
        }
    }
);
