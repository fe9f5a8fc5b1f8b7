//! `kill -9` of the `tern worker` process at N random moments (seeded)
//! while closures and orders are processing, restarting it each time; the
//! API node (`tern serve --no-worker`) keeps taking requests. Afterwards
//! every closure is completed and settled once, every order is provisioned
//! or failed with its reversal, no job is left, the ledger balances and the
//! audit chain verifies.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::checks::{self, Tally};
use crate::stack::{self, Stack};
use crate::world::{self, Rng, Traveller};

pub struct Params {
    pub kills: usize,
    pub seed: u64,
    /// New closures and orders asked for before each kill.
    pub per_kill: usize,
    pub limit: Duration,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

pub async fn run(tern: &std::path::Path, database_url: &str, p: &Params, tally: &mut Tally) -> anyhow::Result<()> {
    let started = Instant::now();
    let stack = Stack::new(
        tern,
        database_url,
        &[
            ("TERN_CLOSURE__COOLING_OFF", "0s"),
            ("TERN_JOBS__POLL_INTERVAL", "50ms"),
            ("TERN_JOBS__LEASE", "2s"),
            ("TERN_JOBS__RETRY_BASE", "100ms"),
            // A job may be killed mid-run many times; the retries must
            // outlast the kills (each claim counts as an attempt).
            ("TERN_JOBS__MAX_ATTEMPTS", "1000"),
        ],
    )?;
    let client = world::client(Duration::from_secs(60))?;
    let mut sim = stack.start_smdp(100_000)?;
    stack::wait_port(stack.smdp_port, &mut sim, Duration::from_secs(30)).await?;
    let url = stack.public_url();
    let mut api = stack.start_api("api", stack.public_port, false)?;
    stack::wait_ready(&client, &url, &mut api, Duration::from_secs(120)).await?;

    let app = tern_app::App::build(stack.settings(), tern_app::Clock::default())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let n = p.kills * p.per_kill;
    let closers = world::seed(&app, "closer", n, 2000).await?;
    let buyers = world::seed(&app, "buyer", n, 2000).await?;
    println!(
        "seeded {n} closers and {n} buyers (20.00 each); seed {} (repeat with --seed {})",
        p.seed, p.seed
    );

    let mut rng = Rng::new(p.seed);
    let (mut busy_kills, mut asked_closures, mut asked_orders, mut mid_job) = (0, 0, 0, 0);
    let mut refused = vec![];
    let mut moments = vec![];
    for k in 0..p.kills {
        // New work through the API node, then a worker that dies.
        let batch: Vec<(bool, Traveller)> = (k * p.per_kill..(k + 1) * p.per_kill)
            .flat_map(|i| [(true, closers[i].clone()), (false, buyers[i].clone())])
            .collect();
        let answers = world::in_parallel(batch, 4, |_, (closing, t)| {
            let (client, url) = (client.clone(), url.clone());
            async move {
                let token = world::sign_in(&client, &url, &t.email).await?;
                let a = if closing {
                    world::close(&client, &url, &token).await?
                } else {
                    world::order(&client, &url, &token, "JP-1GB-7D", &format!("crash-{}", t.id)).await?
                };
                let ok = if closing {
                    a.status == StatusCode::ACCEPTED
                } else {
                    a.status == StatusCode::CREATED
                };
                anyhow::ensure!(ok, "{} {}", a.status, a.body);
                Ok::<_, anyhow::Error>(closing)
            }
        })
        .await;
        for a in answers {
            match a {
                Ok(true) => asked_closures += 1,
                Ok(false) => asked_orders += 1,
                Err(e) => refused.push(format!("{e:#}")),
            }
        }
        let spawned_ms = now_ms();
        let mut worker = stack.start_worker("worker")?;
        let wait = Duration::from_millis(60 + rng.below(1000));
        tokio::time::sleep(wait).await;
        let (jobs, orders, closures) = checks::pending(&app.db).await?;
        // Jobs this worker claimed (lease 2 s from its claim) and holds now.
        let mut conn = app.db.conn().await?;
        let running: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE state = 'running' AND locked_until > $1")
                .bind(spawned_ms + 2000)
                .fetch_one(&mut *conn)
                .await?;
        drop(conn);
        worker.kill9();
        if running > 0 {
            mid_job += 1;
        }
        moments.push(wait.as_millis() as u64);
        if jobs > 0 {
            busy_kills += 1;
        }
        println!(
            "kill {:>3} after {:>5.0?}: {running} jobs running in it, {jobs:>3} open, {orders:>3} orders provisioning, {closures:>3} closures open",
            k + 1,
            wait
        );
        if started.elapsed() > p.limit {
            println!("time limit reached after {} kills", k + 1);
            break;
        }
    }
    let kills = moments.len();
    let _worker = stack.start_worker("worker")?;
    let t = Instant::now();
    let settled = checks::settle(
        &app.db,
        p.limit.saturating_sub(started.elapsed()).max(Duration::from_secs(60)),
    )
    .await;
    println!("after the last restart the worker finished in {:.1?}", t.elapsed());

    tally.figure("kill -9 of tern worker", kills);
    tally.figure("kills while jobs were open", busy_kills);
    tally.figure("kills with a job running in the killed worker", mid_job);
    tally.figure(
        "kill moments after start (ms, min/max)",
        format!(
            "{} / {}",
            moments.iter().min().unwrap_or(&0),
            moments.iter().max().unwrap_or(&0)
        ),
    );
    tally.figure("closures / orders asked", format!("{asked_closures} / {asked_orders}"));
    tally.check(
        "every request accepted while workers died",
        refused.is_empty(),
        format!("{} refused {:?}", refused.len(), &refused[..refused.len().min(2)]),
    );
    tally.check(
        "all work finished after the last restart",
        settled.is_ok(),
        format!("{settled:?}"),
    );
    // How many kills met work is coverage, not an invariant (a fast worker
    // may finish a round's work before its kill): shown, not checked.
    if busy_kills * 2 < kills {
        println!("note: only {busy_kills} of {kills} kills met open work; raise --per-kill for more");
    }
    let (jobs, orders, closures) = checks::pending(&app.db).await?;
    let mut conn = app.db.conn().await?;
    let order_rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orders")
        .fetch_one(&mut *conn)
        .await?;
    drop(conn);
    tally.check(
        "no duplicate order",
        order_rows == asked_orders,
        format!("{order_rows} orders for {asked_orders} asked"),
    );
    tally.figure("lost jobs (open or unfinished at the end)", jobs + orders + closures);

    let asked = kills * p.per_kill;
    let closer_ids: Vec<String> = closers[..asked].iter().map(|c| c.id.clone()).collect();
    let mut everyone: Vec<Traveller> = closers[..asked].to_vec();
    everyone.extend(buyers[..asked].iter().cloned());
    checks::invariants(&app.db, tally, &everyone, &closer_ids).await?;
    tally.figure("wall time", format!("{:.1?}", started.elapsed()));
    app.db.close().await;
    drop(api);
    drop(sim);
    Ok(())
}
