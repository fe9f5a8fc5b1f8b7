//! A traveller with an eSIM, set up through the real API of a running
//! server: sign up, open the emailed verification link, sign in, redeem a
//! voucher issued with `tern vouchers issue`, order a plan and wait for the
//! built-in SM-DP+ emulator to provision it.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::server::Server;

const EMAIL: &str = "bench@example.com";
const PASSWORD: &str = "correct horse battery staple";
pub const PLAN: &str = "JP-5GB-15D";

/// What the load runs need: a bearer token and the ICCID of its eSIM.
pub struct Traveller {
    pub token: String,
    pub iccid: String,
}

struct Api<'a> {
    client: reqwest::Client,
    server: &'a Server,
}

impl Api<'_> {
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> anyhow::Result<(StatusCode, Value)> {
        let mut req = self
            .client
            .request(method.clone(), format!("{}{path}", self.server.url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await.with_context(|| format!("{method} {path}"))?;
        let status = res.status();
        let bytes = res.bytes().await?;
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok((status, value))
    }

    /// Calls and insists on the `expected` status.
    async fn expect(
        &self,
        expected: StatusCode,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> anyhow::Result<Value> {
        let (status, value) = self.call(method.clone(), path, token, body, headers).await?;
        if status != expected {
            bail!(
                "{method} {path}: {status} (expected {expected}): {value}\nserver log:\n{}",
                self.server.log_tail()
            );
        }
        Ok(value)
    }
}

/// The traveller's sign-in body, for loading `POST /api/v1/sessions`.
pub fn login_body() -> String {
    json!({ "email": EMAIL, "password": PASSWORD }).to_string()
}

pub async fn traveller(server: &Server) -> anyhow::Result<Traveller> {
    let api = Api {
        client: reqwest::Client::new(),
        server,
    };
    let credentials = json!({ "email": EMAIL, "password": PASSWORD });
    api.expect(
        StatusCode::ACCEPTED,
        Method::POST,
        "/api/v1/accounts",
        None,
        Some(credentials.clone()),
        &[],
    )
    .await?;
    let verify = verification_token(&server.data_dir().join("outbox").join("mail"), EMAIL).await?;
    api.expect(
        StatusCode::NO_CONTENT,
        Method::POST,
        "/api/v1/accounts/verify-email",
        None,
        Some(json!({ "token": verify })),
        &[],
    )
    .await?;
    let session = api
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/api/v1/sessions",
            None,
            Some(credentials),
            &[],
        )
        .await?;
    let token = session["token"].as_str().context("no token in the session")?.to_owned();
    let t = Some(token.as_str());

    let code = issue_voucher(server)?;
    api.expect(
        StatusCode::OK,
        Method::POST,
        "/api/v1/wallet/redeem",
        t,
        Some(json!({ "code": code })),
        &[],
    )
    .await?;

    let (status, order) = api
        .call(
            Method::POST,
            "/api/v1/orders",
            t,
            Some(json!({ "plan_code": PLAN })),
            &[("idempotency-key", "bench-order-1")],
        )
        .await?;
    ensure!(status.is_success(), "POST /api/v1/orders: {status}: {order}");
    let order_id = order["id"].as_str().context("no order id")?.to_owned();
    wait_completed(&api, &token, &order_id).await?;

    let esims = api
        .expect(StatusCode::OK, Method::GET, "/api/v1/esims", t, None, &[])
        .await?;
    let iccid = esims
        .as_array()
        .and_then(|a| a.first())
        .and_then(|e| e["iccid"].as_str())
        .with_context(|| format!("no eSIM listed: {esims}"))?
        .to_owned();

    // The endpoints under load answer what they should.
    let esim = api
        .expect(
            StatusCode::OK,
            Method::GET,
            &format!("/api/v1/esims/{iccid}"),
            t,
            None,
            &[],
        )
        .await?;
    ensure!(
        esim["activation_code"]
            .as_str()
            .is_some_and(|c| c.starts_with("LPA:1$")),
        "eSIM without an activation code: {esim}"
    );
    let plans = api
        .expect(StatusCode::OK, Method::GET, "/api/v1/plans?country=JP", None, None, &[])
        .await?;
    ensure!(
        plans.to_string().contains(PLAN),
        "{PLAN} not among the JP plans: {plans}"
    );
    Ok(Traveller { token, iccid })
}

/// Waits for the worker to write the verification email and returns the
/// token of its link.
async fn verification_token(mail_dir: &Path, to: &str) -> anyhow::Result<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        for entry in std::fs::read_dir(mail_dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "eml") {
                continue;
            }
            let Ok(raw) = std::fs::read(&path) else { continue };
            if let Some(token) = link_token(&raw, to, "/verify-email?token=") {
                return Ok(token);
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("no verification email for {to} in {} after 30 s", mail_dir.display())
}

/// The token of the first link containing `marker` in an email to `to`.
fn link_token(raw: &[u8], to: &str, marker: &str) -> Option<String> {
    use mailparse::MailHeaderMap;
    let mail = mailparse::parse_mail(raw).ok()?;
    if !mail.headers.get_first_value("To").is_some_and(|v| v.contains(to)) {
        return None;
    }
    let mut parts = vec![&mail];
    while let Some(part) = parts.pop() {
        if !part.subparts.is_empty() {
            parts.extend(part.subparts.iter());
            continue;
        }
        let Ok(body) = part.get_body() else { continue };
        if let Some(start) = body.find(marker).map(|i| i + marker.len()) {
            let rest = &body[start..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' || c == '~'))
                .unwrap_or(rest.len());
            return Some(rest[..end].to_owned());
        }
    }
    None
}

/// One USD 20.00 voucher from `tern vouchers issue`.
fn issue_voucher(server: &Server) -> anyhow::Result<String> {
    let csv = server.data_dir().join("codes.csv");
    let out = server
        .cli()
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
        .arg(&csv)
        .output()
        .context("cannot run tern vouchers issue")?;
    ensure!(
        out.status.success(),
        "tern vouchers issue failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&csv)?;
    let code = text
        .lines()
        .nth(1)
        .and_then(|l| l.split(',').next())
        .context("no code in the voucher CSV")?;
    Ok(code.to_owned())
}

async fn wait_completed(api: &Api<'_>, token: &str, order_id: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = Value::Null;
    while Instant::now() < deadline {
        let orders = api
            .expect(StatusCode::OK, Method::GET, "/api/v1/orders", Some(token), None, &[])
            .await?;
        let order = orders
            .as_array()
            .and_then(|a| a.iter().find(|o| o["id"] == order_id))
            .cloned()
            .unwrap_or(Value::Null);
        match order["state"].as_str() {
            Some("completed") => return Ok(()),
            Some("failed" | "canceled") => bail!("the order did not complete: {order}"),
            _ => last = order,
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the order was not completed after 60 s: {last}")
}

#[cfg(test)]
mod tests {
    use super::link_token;

    #[test]
    fn finds_the_token_in_a_quoted_printable_part() {
        let raw = b"To: bench@example.com\r\nSubject: x\r\nContent-Type: multipart/alternative; boundary=\"b\"\r\n\r\n\
--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
Open http://127.0.0.1:1/verify-email?token=3DabcDEF_12-=\r\n34 to verify.\r\n--b--\r\n";
        assert_eq!(
            link_token(raw, "bench@example.com", "/verify-email?token=").as_deref(),
            Some("abcDEF_12-34")
        );
        assert_eq!(link_token(raw, "other@example.com", "/verify-email?token="), None);
    }
}
