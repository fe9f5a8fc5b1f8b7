//! Outages of what Tern depends on, each while Tern keeps running:
//! PostgreSQL stopped and started under a load of reads and orders; the
//! SMTP server down while people sign up; the SM-DP+ down while people
//! order.

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use reqwest::StatusCode;

use crate::checks::{self, Tally};
use crate::pg::Postgres;
use crate::stack::{self, Stack};
use crate::world::{self, Rng, Traveller};

/// How answers looked during one phase of the PostgreSQL outage.
#[derive(Default, Debug, Clone)]
struct Phase {
    by_status: BTreeMap<u16, usize>,
    transport_errors: usize,
    /// 503s whose body is Tern's JSON error with code `unavailable`.
    clean_503: usize,
    slowest: Duration,
}

impl Phase {
    fn total(&self) -> usize {
        self.by_status.values().sum::<usize>() + self.transport_errors
    }

    fn show(&self) -> String {
        let s: Vec<String> = self.by_status.iter().map(|(k, v)| format!("{k}×{v}")).collect();
        format!(
            "{} requests: {} | transport errors {} | slowest {:.0?}",
            self.total(),
            s.join(" "),
            self.transport_errors,
            self.slowest
        )
    }
}

fn record(p: &mut Phase, took: Duration, answer: reqwest::Result<world::Answer>) {
    p.slowest = p.slowest.max(took);
    match answer {
        Ok(a) => {
            *p.by_status.entry(a.status.as_u16()).or_default() += 1;
            if a.status == StatusCode::SERVICE_UNAVAILABLE && a.body["error"]["code"] == "unavailable" {
                p.clean_503 += 1;
            }
        }
        Err(_) => p.transport_errors += 1,
    }
}

fn common_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("TERN_CLOSURE__COOLING_OFF", "0s"),
        ("TERN_JOBS__POLL_INTERVAL", "100ms"),
        ("TERN_JOBS__LEASE", "5s"),
    ]
}

/// PostgreSQL stopped (fast shutdown) for `down`, then started, while four
/// clients read plans and wallets and place orders. Tern is not restarted.
pub async fn postgres(tern: &std::path::Path, pg: &Postgres, down: Duration, tally: &mut Tally) -> anyhow::Result<()> {
    println!(
        "\n== outage: PostgreSQL ({}) down for {down:?} under load",
        pg.describe()
    );
    let mut env = common_env();
    env.extend([("TERN_JOBS__RETRY_BASE", "500ms"), ("TERN_JOBS__MAX_ATTEMPTS", "30")]);
    let stack = Stack::new(tern, pg.url(), &env)?;
    let timeout = Duration::from_secs(30);
    let client = world::client(timeout)?;
    let mut sim = stack.start_smdp(100_000)?;
    stack::wait_port(stack.smdp_port, &mut sim, Duration::from_secs(30)).await?;
    let url = stack.public_url();
    let mut api = stack.start_api("api", stack.public_port, true)?;
    stack::wait_ready(&client, &url, &mut api, Duration::from_secs(120)).await?;
    let app = tern_app::App::build(stack.settings(), tern_app::Clock::default())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let buyers = world::seed(&app, "pgbuyer", 40, 5000).await?;
    let mut tokens = vec![];
    for b in &buyers {
        tokens.push(world::sign_in(&client, &url, &b.email).await?);
    }
    // The tool's own pool must not hold dead connections through the test.
    app.db.close().await;

    let phase = Arc::new(Mutex::new(0usize));
    let phases: Arc<Mutex<[Phase; 3]>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let ordered = Arc::new(AtomicUsize::new(0));
    let mut load = vec![];
    for w in 0..4u64 {
        let (client, url, tokens) = (client.clone(), url.clone(), tokens.clone());
        let (phase, phases, stop, ordered) = (phase.clone(), phases.clone(), stop.clone(), ordered.clone());
        load.push(tokio::spawn(async move {
            let mut rng = Rng::new(w + 7);
            let mut n = 0u64;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                let t = rng.below(tokens.len() as u64) as usize;
                let token = &tokens[t];
                let started = Instant::now();
                let answer = match rng.below(4) {
                    0 => {
                        world::call(
                            &client,
                            reqwest::Method::GET,
                            &format!("{url}/api/v1/plans?country=JP"),
                            None,
                            None,
                            &[],
                        )
                        .await
                    }
                    1 | 2 => {
                        world::call(
                            &client,
                            reqwest::Method::GET,
                            &format!("{url}/api/v1/wallet"),
                            Some(token),
                            None,
                            &[],
                        )
                        .await
                    }
                    // At most 5 orders per traveller (50.00 covers 11).
                    _ if ordered.load(Ordering::SeqCst) < tokens.len() * 5 => {
                        ordered.fetch_add(1, Ordering::SeqCst);
                        world::order(&client, &url, token, "JP-1GB-7D", &format!("pg-{w}-{n}")).await
                    }
                    _ => {
                        world::call(
                            &client,
                            reqwest::Method::GET,
                            &format!("{url}/api/v1/orders"),
                            Some(token),
                            None,
                            &[],
                        )
                        .await
                    }
                };
                let took = started.elapsed();
                let i = *phase.lock().unwrap_or_else(|e| e.into_inner());
                record(&mut phases.lock().unwrap_or_else(|e| e.into_inner())[i], took, answer);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    let set_phase = |i: usize| *phase.lock().unwrap_or_else(|e| e.into_inner()) = i;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let pid = api.pid();
    set_phase(1);
    let t = Instant::now();
    pg.stop()?;
    println!("stopped PostgreSQL in {:.1?}", t.elapsed());
    tokio::time::sleep(down / 2).await;
    let ready_down = world::call(&client, reqwest::Method::GET, &format!("{url}/readyz"), None, None, &[]).await;
    let ready_down = ready_down.map(|a| a.status.as_u16()).unwrap_or(0);
    tokio::time::sleep(down - down / 2).await;
    pg.start_again()?;
    let back = Instant::now();
    pg.wait_ready(Duration::from_secs(60))?;
    println!(
        "started PostgreSQL again; it accepted connections after {:.1?}",
        back.elapsed()
    );
    let mut recovered = None;
    while back.elapsed() < Duration::from_secs(60) {
        if let Ok(a) = world::call(&client, reqwest::Method::GET, &format!("{url}/readyz"), None, None, &[]).await
            && a.status == StatusCode::OK
        {
            recovered = Some(back.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Give the pool a moment, then count the phase after recovery.
    set_phase(2);
    tokio::time::sleep(Duration::from_secs(5)).await;
    stop.store(true, Ordering::SeqCst);
    for l in load {
        let _ = l.await;
    }
    let [before, during, after] = phases.lock().unwrap_or_else(|e| e.into_inner()).clone();
    println!("before the outage: {}", before.show());
    println!("while down:        {} | clean 503s {}", during.show(), during.clean_503);
    println!("after recovery:    {}", after.show());

    let fresh = {
        let mut ok = 0;
        for (i, token) in tokens.iter().take(5).enumerate() {
            if world::order(&client, &url, token, "JP-1GB-7D", &format!("pg-after-{i}"))
                .await
                .is_ok_and(|a| a.status == StatusCode::CREATED)
            {
                ok += 1;
            }
        }
        ok
    };
    let app = tern_app::App::build(stack.settings(), tern_app::Clock::default())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let settled = checks::settle(&app.db, Duration::from_secs(180)).await;

    let errors_500: usize = during
        .by_status
        .range(500..)
        .filter(|(k, _)| **k != 503)
        .map(|(_, v)| v)
        .sum();
    let failed_down: usize = during
        .by_status
        .iter()
        .filter(|(k, _)| **k >= 400)
        .map(|(_, v)| v)
        .sum();
    tally.figure("PostgreSQL down for", format!("{down:?}"));
    tally.figure(
        "requests before / while down / after",
        format!("{} / {} / {}", before.total(), during.total(), after.total()),
    );
    tally.figure("answers while down", format!("{:?}", during.by_status));
    tally.check(
        "while down: failures are 503 with Tern's JSON error, never 500",
        errors_500 == 0 && during.clean_503 == failed_down && during.clean_503 > 0 && during.transport_errors == 0,
        format!(
            "{} clean 503 of {failed_down} failures, {errors_500} other 5xx, {} transport errors",
            during.clean_503, during.transport_errors
        ),
    );
    tally.check(
        "while down: no request hangs",
        during.slowest < timeout,
        format!("slowest {:.1?} (client timeout {timeout:?})", during.slowest),
    );
    tally.check(
        "readyz says 503 while down",
        ready_down == 503,
        format!("readyz answered {ready_down}"),
    );
    tally.check(
        "recovers by itself (same process)",
        recovered.is_some() && api.exited().is_none() && api.pid() == pid,
        format!("readyz 200 {recovered:?} after PostgreSQL started"),
    );
    let after_failures: usize = after.by_status.iter().filter(|(k, _)| **k >= 500).map(|(_, v)| v).sum();
    tally.check(
        "after recovery: no 5xx",
        after_failures == 0 && after.transport_errors == 0 && after.total() > 0,
        after.show(),
    );
    tally.check(
        "after recovery: orders succeed",
        fresh == 5,
        format!("{fresh} of 5 new orders placed"),
    );
    tally.check(
        "orders settle after the outage",
        settled.is_ok(),
        format!("{settled:?}"),
    );
    checks::invariants(&app.db, tally, &buyers, &[]).await?;
    app.db.close().await;
    drop(api);
    drop(sim);
    Ok(())
}

/// aiosmtpd with a Maildir, on a fixed port so it can come back there.
struct Smtp {
    child: Option<Child>,
    port: u16,
    maildir: std::path::PathBuf,
}

impl Smtp {
    fn start(port: u16, maildir: &std::path::Path) -> anyhow::Result<Self> {
        let mut s = Self {
            child: None,
            port,
            maildir: maildir.to_owned(),
        };
        s.up()?;
        Ok(s)
    }

    fn up(&mut self) -> anyhow::Result<()> {
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{}", self.port)])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&self.maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot run python3 -m aiosmtpd (pip install aiosmtpd)")?;
        self.child = Some(child);
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        anyhow::bail!("aiosmtpd did not start")
    }

    fn down(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        self.down();
    }
}

async fn unsent(db: &tern_store::Db) -> anyhow::Result<(i64, i64)> {
    let mut conn = db.conn().await?;
    let unsent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL")
        .fetch_one(&mut *conn)
        .await?;
    let retried: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE attempts > 1")
        .fetch_one(&mut *conn)
        .await?;
    Ok((unsent, retried))
}

/// The SMTP server down for `down` while 20 people sign up.
pub async fn smtp(tern: &std::path::Path, database_url: &str, down: Duration, tally: &mut Tally) -> anyhow::Result<()> {
    println!("\n== outage: SMTP server down for {down:?} during sign-ups");
    let port = stack::free_port()?;
    let boxdir = tempfile::tempdir()?;
    let maildir = boxdir.path().join("box");
    let mut smtp = Smtp::start(port, &maildir)?;
    let smtp_url = format!("smtp://127.0.0.1:{port}");
    let mut env = common_env();
    env.extend([
        ("TERN_JOBS__RETRY_BASE", "1s"),
        ("TERN_JOBS__MAX_ATTEMPTS", "30"),
        ("TERN_MAIL__SMTP_URL", smtp_url.as_str()),
    ]);
    let stack = Stack::new(tern, database_url, &env)?;
    let client = world::client(Duration::from_secs(30))?;
    let mut sim = stack.start_smdp(1000)?;
    stack::wait_port(stack.smdp_port, &mut sim, Duration::from_secs(30)).await?;
    let url = stack.public_url();
    let mut api = stack.start_api("api", stack.public_port, true)?;
    stack::wait_ready(&client, &url, &mut api, Duration::from_secs(120)).await?;
    let app = tern_app::App::build(stack.settings(), tern_app::Clock::default())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;

    let mut emails = vec![];
    for i in 0..5 {
        let e = format!("before{i}@example.com");
        world::sign_up(&client, &url, &e).await?;
        emails.push(e);
    }
    let t = Instant::now();
    while unsent(&app.db).await?.0 > 0 && t.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    smtp.down();
    println!("5 sign-ups delivered with SMTP up; stopped the SMTP server");
    let mut accepted = 0;
    for i in 0..20 {
        let e = format!("during{i}@example.com");
        if world::sign_up(&client, &url, &e).await?.status == StatusCode::ACCEPTED {
            accepted += 1;
        }
        emails.push(e);
    }
    println!("tried 20 sign-ups with SMTP down: {accepted} accepted");
    tokio::time::sleep(down).await;
    let (queued, retried) = unsent(&app.db).await?;
    let new_dir = maildir.join("new");
    let early = scale_mails(&new_dir)?;
    println!("after {down:?} down: {queued} messages queued, {retried} jobs retried");
    smtp.up()?;
    let back = Instant::now();
    while unsent(&app.db).await?.0 > 0 && back.elapsed() < Duration::from_secs(300) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let delivered_after = back.elapsed();
    let settled = checks::settle(&app.db, Duration::from_secs(60)).await;
    println!("SMTP back: queue empty after {delivered_after:.1?}");
    let mails = scale_mails(&new_dir)?;
    let wrong: Vec<String> = emails
        .iter()
        .filter(|e| mails.get(e.as_str()).copied().unwrap_or(0) != 1)
        .map(|e| format!("{e}: {}", mails.get(e.as_str()).copied().unwrap_or(0)))
        .collect();
    tally.figure("SMTP down for", format!("{down:?}"));
    tally.figure(
        "sign-ups while down / queued / retried jobs",
        format!("20 / {queued} / {retried}"),
    );
    tally.figure("queue empty after SMTP returned", format!("{delivered_after:.1?}"));
    tally.check(
        "sign-ups accepted while SMTP is down",
        accepted == 20,
        format!("{accepted} of 20"),
    );
    tally.check(
        "mail queued while down, retried, nothing delivered",
        queued == 20 && retried > 0 && early.keys().all(|k| k.starts_with("before")),
        format!("{queued} queued, {retried} retried"),
    );
    tally.check(
        "every mail delivered exactly once after SMTP returned",
        wrong.is_empty(),
        format!(
            "{} of {} wrong {:?}",
            wrong.len(),
            emails.len(),
            &wrong[..wrong.len().min(3)]
        ),
    );
    tally.check("queue drained", settled.is_ok(), format!("{settled:?}"));
    checks::invariants(&app.db, tally, &[], &[]).await?;
    app.db.close().await;
    drop(api);
    drop(sim);
    Ok(())
}

fn scale_mails(dir: &std::path::Path) -> anyhow::Result<std::collections::HashMap<String, usize>> {
    if !dir.exists() {
        return Ok(Default::default());
    }
    crate::scale_out::mails_by_recipient(dir)
}

/// The SM-DP+ emulator down for `down` while 20 orders come in.
pub async fn smdp(
    tern: &std::path::Path,
    database_url: &str,
    down: Duration,
    attempts: u32,
    tally: &mut Tally,
) -> anyhow::Result<()> {
    println!("\n== outage: SM-DP+ down for {down:?} during orders (provisioning gets {attempts} attempts)");
    let attempts_s = attempts.to_string();
    let mut env = common_env();
    env.extend([
        ("TERN_JOBS__RETRY_BASE", "1s"),
        ("TERN_JOBS__MAX_ATTEMPTS", attempts_s.as_str()),
        ("TERN_SMDP__TIMEOUT", "5s"),
    ]);
    let stack = Stack::new(tern, database_url, &env)?;
    let client = world::client(Duration::from_secs(30))?;
    let mut sim = stack.start_smdp(1000)?;
    stack::wait_port(stack.smdp_port, &mut sim, Duration::from_secs(30)).await?;
    let url = stack.public_url();
    let mut api = stack.start_api("api", stack.public_port, true)?;
    stack::wait_ready(&client, &url, &mut api, Duration::from_secs(120)).await?;
    let app = tern_app::App::build(stack.settings(), tern_app::Clock::default())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let buyers: Vec<Traveller> = world::seed(&app, "smdpbuyer", 25, 2000).await?;
    let mut tokens = vec![];
    for b in &buyers {
        tokens.push(world::sign_in(&client, &url, &b.email).await?);
    }
    for (i, token) in tokens.iter().take(5).enumerate() {
        world::order(&client, &url, token, "JP-1GB-7D", &format!("up-{i}")).await?;
    }
    let up = checks::settle(&app.db, Duration::from_secs(60)).await;
    println!("5 orders provisioned with the SM-DP+ up ({up:?}); stopped the SM-DP+");
    drop(sim);
    let mut accepted = 0;
    for (i, token) in tokens.iter().enumerate().skip(5) {
        if world::order(&client, &url, token, "JP-1GB-7D", &format!("down-{i}"))
            .await?
            .status
            == StatusCode::CREATED
        {
            accepted += 1;
        }
    }
    println!("tried 20 orders with the SM-DP+ down: {accepted} accepted (money taken, provisioning waits)");
    tokio::time::sleep(down).await;
    let (_, waiting, _) = checks::pending(&app.db).await?;
    let mut conn = app.db.conn().await?;
    let failed_down: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orders WHERE state = 'failed'")
        .fetch_one(&mut *conn)
        .await?;
    drop(conn);
    println!("after {down:?} down: {waiting} orders waiting, {failed_down} failed");
    let mut sim = stack.start_smdp(1000)?;
    stack::wait_port(stack.smdp_port, &mut sim, Duration::from_secs(30)).await?;
    let back = Instant::now();
    let settled = checks::settle(&app.db, Duration::from_secs(300)).await;
    println!("SM-DP+ back: every order final after {:.1?}", back.elapsed());
    let mut conn = app.db.conn().await?;
    let completed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orders WHERE state = 'completed'")
        .fetch_one(&mut *conn)
        .await?;
    let failed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orders WHERE state = 'failed'")
        .fetch_one(&mut *conn)
        .await?;
    drop(conn);
    tally.figure("SM-DP+ down for", format!("{down:?}"));
    tally.figure(
        "orders while down: waited / failed during outage",
        format!("{waiting} / {failed_down}"),
    );
    tally.figure(
        "orders at the end: completed / failed (money returned)",
        format!("{completed} / {failed}"),
    );
    tally.figure(
        "every order final after SM-DP+ returned",
        format!("{:.1?}", back.elapsed()),
    );
    tally.check(
        "orders accepted while the SM-DP+ is down",
        accepted == 20,
        format!("{accepted} of 20"),
    );
    tally.check(
        "while down: orders wait (or fail with the money back), none complete",
        waiting + failed_down == 20,
        format!("{waiting} waiting, {failed_down} failed"),
    );
    tally.check(
        "every order final after it returned",
        settled.is_ok(),
        format!("{settled:?}"),
    );
    checks::invariants(&app.db, tally, &buyers, &[]).await?;
    app.db.close().await;
    drop(api);
    drop(sim);
    Ok(())
}
