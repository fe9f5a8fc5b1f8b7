//! The first figures: password hash cost, start-up time and memory of an
//! idle and a lightly used `tern serve` on SQLite.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::server::{Server, rss_mib};

pub struct Basics {
    pub hashes: u32,
    pub hash_ms: f64,
    pub login_bound: f64,
    pub ready: Duration,
    pub idle_mib: f64,
    pub warm_mib: f64,
}

pub async fn measure(tern: &Path, hashes: u32, cores: usize) -> anyhow::Result<Basics> {
    // The cost of one password hash (Argon2id, 19 MiB, t=2, p=1), which
    // bounds logins per second: cores ÷ hash time.
    let _ = tern_app::passwords::hash("warm-up".into()).await;
    let t = Instant::now();
    for i in 0..hashes {
        tern_app::passwords::hash(format!("password number {i}"))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let hash_ms = t.elapsed().as_secs_f64() * 1000.0 / f64::from(hashes.max(1));
    let login_bound = cores as f64 * 1000.0 / hash_ms;
    println!("password hash: {hash_ms:.1} ms → at most {login_bound:.0} logins/s on {cores} cores");

    // Start-up and idle memory of `tern serve` on SQLite.
    let (server, ready) = Server::start(tern, None).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle_mib = rss_mib(server.pid())?;
    println!(
        "start-up to ready: {:.0} ms; idle RSS: {idle_mib:.1} MiB",
        ready.as_secs_f64() * 1000.0
    );

    // Memory after some light traffic (the portal and the API), which
    // warms the templates and the connection pool.
    let client = reqwest::Client::new();
    for path in ["/", "/signup", "/login", "/healthz", "/api/openapi.json"]
        .iter()
        .cycle()
        .take(500)
    {
        client
            .get(format!("{}{path}", server.url))
            .send()
            .await?
            .bytes()
            .await?;
    }
    let warm_mib = rss_mib(server.pid())?;
    println!("RSS after 500 requests: {warm_mib:.1} MiB");
    Ok(Basics {
        hashes,
        hash_ms,
        login_bound,
        ready,
        idle_mib,
        warm_mib,
    })
}
