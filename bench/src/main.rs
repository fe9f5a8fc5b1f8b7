//! `tern-bench`: measures Tern on this machine and writes the figures to
//! `docs/PERFORMANCE.md`. Every figure is compared with a baseline measured
//! in the same run, so the ratios hold on a different machine.
//!
//! Run it with `scripts/bench` (builds the release binary first).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;

#[derive(Parser)]
struct Args {
    /// The release `tern` binary to measure.
    #[arg(long, default_value = "target/release/tern")]
    tern: PathBuf,
    /// Where to write the report.
    #[arg(long, default_value = "docs/PERFORMANCE.md")]
    out: PathBuf,
    /// Password hashes to time.
    #[arg(long, default_value_t = 20)]
    hashes: u32,
}

struct Server {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Starts `tern serve` on a fresh SQLite data folder; returns it and the
/// time from spawn to a 200 from `/readyz`.
async fn start(tern: &PathBuf) -> anyhow::Result<(Server, Duration)> {
    let dir = tempfile::tempdir()?;
    let port = free_port()?;
    let started = Instant::now();
    let child = Command::new(tern)
        .arg("serve")
        .env("TERN_DATA_DIR", dir.path())
        .env("TERN_LISTEN", format!("127.0.0.1:{port}"))
        .env("TERN_METRICS_LISTEN", "")
        .env("TERN_CONFIG", dir.path().join("none.toml"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot run {}", tern.display()))?;
    let url = format!("http://127.0.0.1:{port}");
    let server = Server { child, url, _dir: dir };
    let client = reqwest::Client::new();
    for _ in 0..1000 {
        if let Ok(r) = client.get(format!("{}/readyz", server.url)).send().await
            && r.status().is_success()
        {
            return Ok((server, started.elapsed()));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    bail!("tern did not become ready")
}

/// Resident memory of a process in MiB, from /proc.
fn rss_mib(pid: u32) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .context("no VmRSS")?;
    Ok(kib / 1024.0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);

    // 1. The cost of one password hash (Argon2id, 19 MiB, t=2, p=1), which
    //    bounds logins per second: cores ÷ hash time.
    let _ = tern_app::passwords::hash("warm-up".into()).await;
    let t = Instant::now();
    for i in 0..args.hashes {
        tern_app::passwords::hash(format!("password number {i}"))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let hash_ms = t.elapsed().as_secs_f64() * 1000.0 / f64::from(args.hashes);
    let login_bound = cores as f64 * 1000.0 / hash_ms;
    println!("password hash: {hash_ms:.1} ms → at most {login_bound:.0} logins/s on {cores} cores");

    // 2. Start-up and idle memory of `tern serve` on SQLite.
    let (server, ready) = start(&args.tern).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle = rss_mib(server.child.id())?;
    println!(
        "start-up to ready: {:.0} ms; idle RSS: {idle:.1} MiB",
        ready.as_secs_f64() * 1000.0
    );

    // 3. Memory after some light traffic (the portal and the API), which
    //    warms the templates and the connection pool.
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
    let warm = rss_mib(server.child.id())?;
    println!("RSS after 500 requests: {warm:.1} MiB");
    drop(server);

    let machine = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("model name\t: ").map(str::to_owned))
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let report = format!(
        "# Performance\n\n\
         Measured by `scripts/bench` (the harness is `bench/src/main.rs`), which\n\
         rewrites this file. Figures depend on the machine; ratios against the\n\
         baselines measured in the same run are what to compare.\n\n\
         Last run: {date}, {cores} cores, {machine}.\n\n\
         ## Password hashing\n\n\
         Argon2id at OWASP's minimum (19 MiB, t=2, p=1), timed over {n} hashes.\n\n\
         | figure | value |\n|---|---|\n\
         | one hash | {hash_ms:.1} ms |\n\
         | bound on logins per second (cores ÷ hash time) | {login_bound:.0}/s |\n\n\
         ## Memory and start-up (`tern serve`, SQLite, release build)\n\n\
         | figure | value | goal |\n|---|---|---|\n\
         | start-up to `/readyz` 200 on a fresh database (migrations included) | {ready_ms:.0} ms | |\n\
         | resident memory, idle | {idle:.1} MiB | ≤ 30 MiB |\n\
         | resident memory after 500 portal and API requests | {warm:.1} MiB | |\n\n\
         Not measured yet: login throughput against the hash bound, read-path\n\
         latency against a static endpoint, usage ingestion against a raw\n\
         INSERT, closures per second (they come with the features they measure).\n",
        date = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        n = args.hashes,
        ready_ms = ready.as_secs_f64() * 1000.0,
    );
    std::fs::write(&args.out, report)?;
    println!("wrote {}", args.out.display());
    if idle > 30.0 {
        println!("idle memory {idle:.1} MiB is above the 30 MiB goal");
    }
    Ok(())
}
