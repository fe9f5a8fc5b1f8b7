//! Travellers for a run, and the HTTP calls they make.
//!
//! Accounts are seeded through the services in this process (one Argon2
//! hash shared by all, a cash voucher each, redeemed), so a run spends its
//! time on the work under test; everything under test — sign-ups, sign-ins,
//! orders, usage batches, closures — goes over HTTP to the real processes.

use std::time::Duration;

use anyhow::{Context, anyhow};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tern_app::App;
use tern_app::auth::Principal;
use tern_domain::{Locale, Money, Role};

pub const PW: &str = "correct horse battery staple";
pub const CONFIRM: &str = "CLOSE MY ACCOUNT";

#[derive(Clone, Debug)]
pub struct Traveller {
    pub id: String,
    pub email: String,
    /// Cash paid in (minor units).
    pub cash: i64,
}

/// `n` verified travellers named `{prefix}{i}@example.com`, each with
/// `cash` minor units of cash credit from a redeemed voucher.
pub async fn seed(app: &App, prefix: &str, n: usize, cash: i64) -> anyhow::Result<Vec<Traveller>> {
    if n == 0 {
        return Ok(vec![]);
    }
    let e = |e: tern_app::AppError| anyhow!("{e}: {e:?}");
    let hash = tern_app::passwords::hash(PW.to_owned()).await.map_err(e)?;
    let cur = tern_app::wallet::currency(app).map_err(e)?;
    let batch = tern_app::wallet::issue_vouchers(app, Money::new(cash, cur), n, false, None, |_| {})
        .await
        .map_err(e)?;
    let mut out = Vec::with_capacity(n);
    for (i, code) in batch.codes.iter().enumerate() {
        let id = tern_app::tokens::new_id();
        let email = format!("{prefix}{i}@example.com");
        let mut conn = app.db.conn().await?;
        tern_store::accounts::insert(
            &mut conn,
            &tern_store::accounts::NewAccount {
                id: &id,
                email: &email,
                phone: None,
                name: Some(&format!("Reliability Traveller {prefix} {i}")),
                password_hash: &hash,
                locale: "en",
                role: tern_domain::Role::User,
                verified_at: Some(app.now_ms()),
                now: app.now_ms(),
            },
        )
        .await?;
        drop(conn);
        let who = Principal {
            account_id: id.clone().into(),
            session_id: Default::default(),
            role: Role::User,
            locale: Locale::En,
            reauth_at: None,
            status: tern_domain::AccountStatus::Active,
            terms_version: None,
        };
        tern_app::wallet::redeem(app, &who, &code.to_string())
            .await
            .map_err(e)?;
        out.push(Traveller { id, email, cash });
    }
    Ok(out)
}

/// A network API key for the usage feed.
pub async fn network_key(app: &App) -> anyhow::Result<String> {
    let (_, secret) = tern_app::usage::create_api_key(app, "reliability", "network")
        .await
        .map_err(|e| anyhow!("{e}"))?;
    Ok(secret)
}

pub fn client(timeout: Duration) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder().timeout(timeout).build()?)
}

/// One HTTP answer: status and JSON body (Null when not JSON).
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

pub async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> reqwest::Result<Answer> {
    let mut req = client.request(method, url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await?;
    let status = res.status();
    let bytes = res.bytes().await?;
    Ok(Answer {
        status,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    })
}

/// Signs in and returns the session token.
pub async fn sign_in(client: &reqwest::Client, base: &str, email: &str) -> anyhow::Result<String> {
    let a = call(
        client,
        reqwest::Method::POST,
        &format!("{base}/api/v1/sessions"),
        None,
        Some(json!({ "email": email, "password": PW })),
        &[],
    )
    .await
    .context("POST /sessions")?;
    anyhow::ensure!(
        a.status == StatusCode::CREATED,
        "sign-in {email}: {} {}",
        a.status,
        a.body
    );
    a.body["token"]
        .as_str()
        .map(str::to_owned)
        .context("no token in the session")
}

/// Places an order (`Idempotency-Key: key`); returns the answer.
pub async fn order(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    plan: &str,
    key: &str,
) -> reqwest::Result<Answer> {
    call(
        client,
        reqwest::Method::POST,
        &format!("{base}/api/v1/orders"),
        Some(token),
        Some(json!({ "plan_code": plan })),
        &[("idempotency-key", key)],
    )
    .await
}

/// Asks for closure (cooling-off is 0 in these runs); returns the answer.
pub async fn close(client: &reqwest::Client, base: &str, token: &str) -> reqwest::Result<Answer> {
    call(
        client,
        reqwest::Method::POST,
        &format!("{base}/api/v1/me/closure"),
        Some(token),
        Some(json!({ "password": PW, "confirmation": CONFIRM, "reason_code": "moving" })),
        &[],
    )
    .await
}

pub async fn sign_up(client: &reqwest::Client, base: &str, email: &str) -> reqwest::Result<Answer> {
    call(
        client,
        reqwest::Method::POST,
        &format!("{base}/api/v1/accounts"),
        None,
        Some(json!({ "email": email, "password": PW })),
        &[],
    )
    .await
}

/// Posts a usage batch with the network key.
pub async fn usage(client: &reqwest::Client, base: &str, key: &str, records: &[Value]) -> reqwest::Result<Answer> {
    call(
        client,
        reqwest::Method::POST,
        &format!("{base}/api/v1/network/usage"),
        Some(key),
        Some(json!({ "records": records })),
        &[],
    )
    .await
}

/// Runs `f` over `items`, at most `parallel` at once; results in order.
pub async fn in_parallel<T, R, F, Fut>(items: Vec<T>, parallel: usize, f: F) -> Vec<R>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(usize, T) -> Fut,
    Fut: std::future::Future<Output = R> + Send + 'static,
{
    let mut set = tokio::task::JoinSet::new();
    let mut out: Vec<Option<R>> = Vec::new();
    out.resize_with(items.len(), || None);
    for (i, item) in items.into_iter().enumerate() {
        if set.len() >= parallel.max(1)
            && let Some(Ok((j, r))) = set.join_next().await
        {
            out[j] = Some(r);
        }
        let fut = f(i, item);
        set.spawn(async move { (i, fut.await) });
    }
    while let Some(joined) = set.join_next().await {
        if let Ok((j, r)) = joined {
            out[j] = Some(r);
        }
    }
    out.into_iter().flatten().collect()
}

/// A small deterministic generator (the seed is printed, so a run can be
/// repeated with `--seed`).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }
}
