//! The suite's vocabulary: the people and things a test starts from, each
//! made the way a user or an operator would make them (over HTTP, or with
//! the CLI's service call), so a test reads as its story:
//!
//! ```ignore
//! let ann = given::funded_traveller(&app, "ann@example.com", 2000).await;
//! let iccid = given::installed_esim(&app, &ann, "EU-5GB-30D").await;
//! let support = given::staff(&app, "sam@example.com", Role::Support).await;
//! ```

use std::sync::LazyLock;
use std::time::Duration;

use regex::Regex;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tern_domain::Role;

use crate::harness::{PW, TestApp};
use crate::wallet::vouchers;

/// A staff member, signed in.
pub struct Staff {
    pub account_id: tern_domain::AccountId,
    pub token: String,
}

/// A staff member of `role` with the suite's password, signed in.
pub async fn staff(app: &TestApp, email: &str, role: Role) -> Staff {
    let (account_id, _) = tern_app::accounts::create_staff(app.app(), email, role, PW)
        .await
        .unwrap();
    Staff {
        account_id,
        token: app.login(email, PW).await,
    }
}

/// A signed-up, verified traveller who redeemed a cash voucher of
/// `minor` cents (none when 0); their session token.
pub async fn funded_traveller(app: &TestApp, email: &str, minor: i64) -> String {
    let token = app.user(email, PW).await;
    if minor > 0 {
        redeem(app, &token, minor, false).await;
    }
    token
}

/// Redeems a new voucher of `minor` cents (promotional with `promo`).
pub async fn redeem(app: &TestApp, token: &str, minor: i64, promo: bool) {
    let code = vouchers(app, minor, 1, promo).await.remove(0);
    let (s, b) = app
        .post("/api/v1/wallet/redeem", Some(token), json!({ "code": code }))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

/// Buys `plan` (a new eSIM, or a top-up of `top_up`) and runs the
/// provisioning job; the eSIM's ICCID.
pub async fn bought(app: &TestApp, token: &str, plan: &str, top_up: Option<&str>) -> String {
    let mut body = json!({ "plan_code": plan });
    if let Some(i) = top_up {
        body["iccid"] = json!(i);
    }
    let (s, o) = app.post("/api/v1/orders", Some(token), body).await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    app.drain_jobs().await;
    let (_, o) = app
        .get(&format!("/api/v1/orders/{}", o["id"].as_str().unwrap()), Some(token))
        .await;
    assert_eq!(o["state"], "completed", "{o}");
    o["iccid"].as_str().unwrap().to_owned()
}

/// Buys a new eSIM with `plan`; its ICCID.
pub async fn bought_esim(app: &TestApp, token: &str, plan: &str) -> String {
    bought(app, token, plan, None).await
}

/// The phone scans the code; the emulator calls Tern back over HTTP, and
/// this waits until the eSIM shows as installed.
pub async fn installed(app: &TestApp, token: &str, iccid: &str) {
    let (s, b) = app
        .post(
            &format!("/api/v1/esims/{iccid}/simulate-install"),
            Some(token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    for _ in 0..200 {
        if app.get(&format!("/api/v1/esims/{iccid}"), Some(token)).await.1["state"] == "installed" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("eSIM {iccid} never became installed");
}

/// A new eSIM with `plan`, bought and installed by `token`'s traveller.
pub async fn installed_esim(app: &TestApp, token: &str, plan: &str) -> String {
    let iccid = bought_esim(app, token, plan).await;
    installed(app, token, &iccid).await;
    iccid
}

/// The stable code of an error answer (`{"error":{"code":…}}`).
pub fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

/// `value` with every field named in `dynamic` (at any depth) replaced by
/// `"[name]"`, so a snapshot keeps the shape and the stable values and
/// drops ids, times and tokens.
pub fn redacted(value: &Value, dynamic: &[&str]) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if dynamic.contains(&k.as_str()) && !v.is_null() {
                        json!(format!("[{k}]"))
                    } else {
                        redacted(v, dynamic)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| redacted(v, dynamic)).collect()),
        other => other.clone(),
    }
}

/// `text` with every link shown as `[link]` (they carry tokens) and
/// every `YYYY-MM-DD` date, with the time of day after it, as `[date]`
/// (both differ from run to run).
pub fn redacted_text(text: &str) -> String {
    static LINK: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#"https?://[^\s"<>)]+"#).unwrap());
    static DATE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?Z?)?").unwrap());
    let text = LINK.replace_all(text, "[link]");
    DATE.replace_all(&text, "[date]").into_owned()
}

/// The audit log's entries for `action`, oldest first, with their details
/// as JSON: what an operator reading the log would see.
pub async fn audited(app: &TestApp, action: &str) -> Vec<(tern_domain::audit::StoredEntry, Value)> {
    let mut conn = app.app().db.conn().await.unwrap();
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = tern_store::audit::page(&mut conn, after, 500).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.seq;
        for e in page {
            if e.action == action {
                let details = serde_json::from_str(&e.details).unwrap();
                out.push((e, details));
            }
        }
    }
    out
}

/// The balance of one of Tern's own ledger accounts in USD, in cents.
pub async fn system_balance(app: &TestApp, account: tern_domain::ledger::SystemAccount) -> i64 {
    let mut conn = app.app().db.conn().await.unwrap();
    let id = account.ledger_id("USD");
    tern_store::ledger::balance(&mut conn, &id).await.unwrap()
}
