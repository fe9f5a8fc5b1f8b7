//! Account closures per second, end to end, in-process: 1 000 travellers,
//! each with a name, a verified phone, a wallet balance, two eSIMs and 100
//! usage records, ask to close (cooling-off 0); the worker runs every step
//! through to the sweep. Mail and SMS go to file outboxes outside the data
//! folder (no SMTP). The baseline, measured in the same run on the same
//! stack, is sign-up: the same number of accounts created and sent their
//! verification email — closing should be no harder than signing up.

use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::json;
use tern_app::auth::Principal;
use tern_app::{App, Clock, Settings};
use tern_domain::{Locale, Money, Role};

const PW: &str = "correct horse battery staple";
/// Requests (each verifies an Argon2 password) in flight at once.
const PARALLEL: usize = 8;

pub struct ClosureBench {
    pub accounts: usize,
    pub signups_per_sec: f64,
    pub closures_per_sec: f64,
    /// Time from the first request until the last request completed.
    pub total: Duration,
    pub usage_records: usize,
    /// Largest number of requests one sweep pass covered.
    pub largest_sweep_batch: i64,
}

fn settings(dir: &std::path::Path, relay: &std::path::Path, database_url: Option<&str>) -> Settings {
    let mut s = Settings {
        data_dir: dir.to_path_buf(),
        database_url: database_url.map(str::to_owned),
        listen: "127.0.0.1:0".into(),
        metrics_listen: String::new(),
        public_url: Some("http://tern.bench".into()),
        db_max_connections: 16,
        ..Settings::default()
    };
    s.closure.cooling_off = Duration::ZERO;
    s.jobs.housekeeping_every = Duration::ZERO;
    s.jobs.poll_interval = Duration::from_millis(20);
    s.jobs.retry_base = Duration::from_millis(200);
    s.mail.file_dir = Some(relay.join("mail"));
    s.sms.file_dir = Some(relay.join("sms"));
    s
}

fn principal(id: &str) -> Principal {
    Principal {
        account_id: id.into(),
        session_id: Default::default(),
        role: Role::User,
        locale: Locale::En,
        reauth_at: None,
        status: tern_domain::AccountStatus::Active,
        terms_version: None,
    }
}

/// This process's resident memory now, in MiB.
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|p| p.parse::<f64>().ok()))
        .map_or(0.0, |pages| pages * 4096.0 / 1_048_576.0)
}

async fn run_jobs(app: &App) -> anyhow::Result<()> {
    tern_app::jobs::run_pending(app)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

/// Seeds `n` travellers with money, two eSIMs and usage; returns their ids.
async fn seed(app: &App, n: usize) -> anyhow::Result<Vec<String>> {
    let hash = tern_app::passwords::hash(PW.to_owned())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let cur = tern_app::wallet::currency(app).map_err(|e| anyhow::anyhow!("{e}"))?;
    let batch = tern_app::wallet::issue_vouchers(app, Money::new(5000, cur), n, false, None, |_| {})
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut ids = Vec::with_capacity(n);
    for (i, code) in batch.codes.iter().enumerate() {
        let id = tern_app::tokens::new_id();
        let mut conn = app.db.conn().await?;
        tern_store::accounts::insert(
            &mut conn,
            &tern_store::accounts::NewAccount {
                id: &id,
                email: &format!("bench.closer.{i}@example.com"),
                phone: Some(&format!("+4477009{i:05}")),
                name: Some(&format!("Bench Traveller Number {i}")),
                password_hash: &hash,
                locale: "en",
                role: Role::User,
                verified_at: Some(app.now_ms()),
                now: app.now_ms(),
            },
        )
        .await?;
        tern_store::accounts::set_phone_verified(&mut conn, &id, &format!("+4477009{i:05}"), app.now_ms()).await?;
        drop(conn);
        let who = principal(&id);
        tern_app::wallet::redeem(app, &who, &code.to_string())
            .await
            .map_err(|e| anyhow::anyhow!("redeem: {e}"))?;
        for plan in ["JP-1GB-7D", "TH-3GB-8D"] {
            let input: tern_app::orders::OrderInput = serde_json::from_value(json!({ "plan_code": plan }))?;
            tern_app::orders::place(app, &who, input, None)
                .await
                .map_err(|e| anyhow::anyhow!("order: {e}"))?;
        }
        ids.push(id);
        if i % 100 == 99 {
            run_jobs(app).await?;
        }
    }
    run_jobs(app).await?;
    // 100 usage records per traveller, on their first eSIM.
    let mut conn = app.db.conn().await?;
    let iccids: Vec<(String, String)> = sqlx::query_as("SELECT account_id, MIN(iccid) FROM esims GROUP BY account_id")
        .fetch_all(&mut *conn)
        .await?;
    drop(conn);
    let now = chrono::Utc::now();
    for chunk in iccids.chunks(100) {
        let records: Vec<_> = chunk
            .iter()
            .flat_map(|(_, iccid)| {
                (0..100).map(move |k| {
                    json!({ "event_id": format!("{iccid}-{k}"), "iccid": iccid, "kind": "data", "quantity": 100_000,
                            "country": "JP", "occurred_at": (now - chrono::Duration::minutes(k)).to_rfc3339() })
                })
            })
            .collect();
        let batch: tern_app::usage::UsageBatch = serde_json::from_value(json!({ "records": records }))?;
        let checked = tern_app::usage::validate(app, &batch).map_err(|e| anyhow::anyhow!("usage: {e:?}"))?;
        tern_app::usage::ingest(app, checked)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    run_jobs(app).await?;
    Ok(ids)
}

/// Sign-ups through the service plus delivery of each verification mail.
async fn signups(app: &App, n: usize) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..n {
        if set.len() >= PARALLEL {
            set.join_next().await.context("join")???;
        }
        let app = app.clone();
        set.spawn(async move {
            let input: tern_app::accounts::SignupInput =
                serde_json::from_value(json!({ "email": format!("bench.signup.{i}@example.com"), "password": PW }))?;
            tern_app::accounts::signup(&app, input, Locale::En)
                .await
                .map_err(|e| anyhow::anyhow!("signup: {e}"))
        });
    }
    while let Some(r) = set.join_next().await {
        r??;
    }
    run_jobs(app).await?;
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

pub async fn measure(database_url: Option<&str>, n: usize) -> anyhow::Result<ClosureBench> {
    let dir = tempfile::tempdir()?;
    let relay = tempfile::tempdir()?;
    let app = App::build(settings(dir.path(), relay.path(), database_url), Clock::default())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    tern_app::catalogue::seed_if_empty(&app, include_bytes!("../../examples/catalogue.json"))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let seeded = Instant::now();
    let ids = seed(&app, n).await?;
    println!(
        "  seeded {n} travellers with eSIMs and usage in {:.1?} (RSS {:.0} MiB)",
        seeded.elapsed(),
        rss_mib()
    );
    let signups_per_sec = signups(&app, n).await?;
    println!("  baseline: {signups_per_sec:.1} sign-ups/s (RSS {:.0} MiB)", rss_mib());

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(tern_app::jobs::Worker::new(app.clone()).run(stop_rx));
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for id in ids {
        if set.len() >= PARALLEL {
            set.join_next().await.context("join")???;
        }
        let app = app.clone();
        set.spawn(async move {
            let input: tern_app::closure::ClosureInput =
                serde_json::from_value(json!({ "password": PW, "confirmation": "CLOSE MY ACCOUNT" }))?;
            tern_app::closure::request(&app, &principal(&id), input, None)
                .await
                .map(|_| ())
                .map_err(|e| anyhow::anyhow!("closure: {e}"))
        });
    }
    while let Some(r) = set.join_next().await {
        r??;
    }
    let deadline = Instant::now() + Duration::from_secs(3600);
    loop {
        let mut conn = app.db.conn().await?;
        let done: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM closure_requests WHERE state = 'completed'")
            .fetch_one(&mut *conn)
            .await?;
        let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM closure_requests WHERE state = 'on_hold'")
            .fetch_one(&mut *conn)
            .await?;
        if held > 0 {
            anyhow::bail!("{held} closure(s) went on hold");
        }
        if done as usize == n {
            break;
        }
        if Instant::now() > deadline {
            anyhow::bail!("only {done} of {n} closures completed within an hour");
        }
        drop(conn);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let total = started.elapsed();
    println!("  closures done (RSS {:.0} MiB)", rss_mib());
    let _ = stop_tx.send(true);
    let _ = worker.await;
    let mut conn = app.db.conn().await?;
    let results: Vec<String> = sqlx::query_scalar("SELECT result FROM closure_steps WHERE step = 'sweep'")
        .fetch_all(&mut *conn)
        .await?;
    let parsed: Vec<serde_json::Value> = results
        .iter()
        .filter_map(|r| serde_json::from_str::<serde_json::Value>(r).ok())
        .collect();
    let largest_sweep_batch = parsed
        .iter()
        .filter_map(|v| v["swept_together"].as_i64())
        .max()
        .unwrap_or(0);
    let compacted = parsed.iter().filter(|v| v["compacted"] == true).count();
    println!(
        "  sweep results recorded: {}; of them after rewriting the SQLite file: {compacted}",
        parsed.len()
    );
    drop(conn);
    app.db.close().await;
    Ok(ClosureBench {
        accounts: n,
        signups_per_sec,
        closures_per_sec: n as f64 / total.as_secs_f64(),
        total,
        usage_records: n * 100,
        largest_sweep_batch,
    })
}

/// The report section.
pub fn render(sqlite: &Result<ClosureBench, String>, postgres: &Result<ClosureBench, String>) -> String {
    let mut out = String::from(
        "## Account closure, end to end\n\n\
         In-process (`tern-bench --closures N`): N travellers, each with a name, a verified phone, a cash \
         balance, two eSIMs and 100 usage records, request closure with cooling-off 0; the worker runs every \
         step (freeze, ES2+ cancel or network bar against the built-in emulator, refund, notice, erasure, \
         sweep of every table and file). Mail and SMS go to file outboxes outside the data folder. The \
         accounts have no support tickets (erasing those is covered by the integration tests). The baseline is sign-up on the same stack in \
         the same run (account created and its verification email delivered).\n\n\
         | database | accounts | usage records | sign-ups/s (baseline) | closures/s | closure ÷ sign-up | all done in | largest sweep pass |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for (name, r) in [("SQLite", sqlite), ("PostgreSQL", postgres)] {
        match r {
            Ok(b) => out.push_str(&format!(
                "| {name} | {} | {} | {:.1} | {:.1} | {:.0} % | {:.1?} | {} requests |\n",
                b.accounts,
                b.usage_records,
                b.signups_per_sec,
                b.closures_per_sec,
                100.0 * b.closures_per_sec / b.signups_per_sec,
                b.total,
                b.largest_sweep_batch
            )),
            Err(e) => out.push_str(&format!("| {name} | not measured: {e} | | | | | | |\n")),
        }
    }
    out
}

/// The closure benchmark's part of the report.
const SECTION: &str = "closure-bench";

/// Runs the closure benchmark on SQLite and (unless `admin_url` is None)
/// on a fresh PostgreSQL database, and writes its section of the report.
pub async fn run_and_write(n: usize, admin_url: Option<&str>, out: &std::path::Path) -> anyhow::Result<()> {
    println!("closures on SQLite ({n} accounts):");
    let sqlite = measure(None, n).await.map_err(|e| format!("{e:#}"));
    if let Ok(b) = &sqlite {
        println!("  {:.1} closures/s ({:.1?} for all)", b.closures_per_sec, b.total);
    }
    let postgres = match admin_url {
        Some(url) => {
            println!("closures on PostgreSQL ({n} accounts):");
            let db = crate::postgres::TempDatabase::create(url)?;
            let r = measure(Some(&db.url), n).await.map_err(|e| format!("{e:#}"));
            if let Ok(b) = &r {
                println!("  {:.1} closures/s ({:.1?} for all)", b.closures_per_sec, b.total);
            }
            r
        }
        None => Err("skipped (--no-postgres)".into()),
    };
    crate::report::write_section(out, SECTION, &render(&sqlite, &postgres))?;
    if let (Err(e), _) | (_, Err(e)) = (&sqlite, &postgres)
        && !e.starts_with("skipped")
    {
        anyhow::bail!("closure benchmark failed: {e}");
    }
    Ok(())
}
