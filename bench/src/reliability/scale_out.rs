//! Two `tern serve --no-worker` and two `tern worker` on one PostgreSQL
//! database: sign-ups, orders (each key sent to both nodes), usage batches
//! (each sent to both nodes) and closures (each asked on both nodes) spread
//! over the nodes; then every effect must have happened exactly once.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::Context;
use reqwest::StatusCode;
use serde_json::json;

use crate::checks::{self, Tally};
use crate::stack::{self, Stack};
use crate::world::{self, Traveller};

pub struct Params {
    pub closures: usize,
    pub buyers: usize,
    pub signups: usize,
    pub parallel: usize,
    pub limit: Duration,
}

pub const PLANS: [(&str, i64); 2] = [("JP-1GB-7D", 450), ("TH-3GB-8D", 500)];

pub async fn run(tern: &std::path::Path, database_url: &str, p: &Params, tally: &mut Tally) -> anyhow::Result<()> {
    let started = Instant::now();
    let stack = Stack::new(
        tern,
        database_url,
        &[
            ("TERN_CLOSURE__COOLING_OFF", "0s"),
            ("TERN_JOBS__POLL_INTERVAL", "100ms"),
            ("TERN_JOBS__RETRY_BASE", "500ms"),
            ("TERN_JOBS__MAX_ATTEMPTS", "20"),
            ("TERN_DB_MAX_CONNECTIONS", "10"),
        ],
    )?;
    let client = world::client(Duration::from_secs(60))?;
    let mut sim = stack.start_smdp(100_000)?;
    stack::wait_port(stack.smdp_port, &mut sim, Duration::from_secs(30)).await?;
    // All four at once: they migrate and seed the catalogue concurrently.
    let ports = [stack.public_port, stack::free_port()?];
    let mut apis = vec![
        stack.start_api("api-1", ports[0], false)?,
        stack.start_api("api-2", ports[1], false)?,
    ];
    let _workers = [stack.start_worker("worker-1")?, stack.start_worker("worker-2")?];
    for (api, port) in apis.iter_mut().zip(ports) {
        stack::wait_ready(
            &client,
            &format!("http://127.0.0.1:{port}"),
            api,
            Duration::from_secs(120),
        )
        .await?;
    }
    let urls: Vec<String> = ports.iter().map(|p| format!("http://127.0.0.1:{p}")).collect();
    println!(
        "started smdp-sim, 2 × tern serve --no-worker ({}), 2 × tern worker on one database",
        urls.join(", ")
    );

    let app = tern_app::App::build(stack.settings(), tern_app::Clock::default())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let buyers = world::seed(&app, "buyer", p.buyers, 5000).await?;
    let closers = world::seed(&app, "closer", p.closures, 2000).await?;
    let key = world::network_key(&app).await?;
    println!(
        "seeded {} buyers (50.00 each) and {} closers (20.00 each)",
        buyers.len(),
        closers.len()
    );

    // Sign-ups, alternating nodes.
    let emails: Vec<String> = (0..p.signups).map(|i| format!("newcomer{i}@example.com")).collect();
    let t = Instant::now();
    let answers = world::in_parallel(emails.clone(), p.parallel, |i, email| {
        let (client, url) = (client.clone(), urls[i % 2].clone());
        async move { world::sign_up(&client, &url, &email).await.map(|a| a.status) }
    })
    .await;
    let accepted = answers.iter().filter(|s| matches!(s, Ok(StatusCode::ACCEPTED))).count();
    println!(
        "tried {} sign-ups over both nodes: {accepted} accepted in {:.1?}",
        emails.len(),
        t.elapsed()
    );
    tally.check(
        "sign-ups accepted",
        accepted == emails.len(),
        format!("{accepted} of {}", emails.len()),
    );

    // Orders: two per buyer; each key sent to one node, then again to the other.
    let t = Instant::now();
    let results = world::in_parallel(buyers.clone(), p.parallel, |i, b: Traveller| {
        let (client, urls) = (client.clone(), urls.clone());
        async move {
            let token = world::sign_in(&client, &urls[i % 2], &b.email).await?;
            let mut ids = vec![];
            let mut replays_same = 0;
            for (k, (plan, _)) in PLANS.iter().enumerate() {
                let key = format!("order-{i}-{k}");
                let first = world::order(&client, &urls[(i + k) % 2], &token, plan, &key).await?;
                let again = world::order(&client, &urls[(i + k + 1) % 2], &token, plan, &key).await?;
                anyhow::ensure!(first.status.is_success(), "order: {} {}", first.status, first.body);
                if again.body["id"] == first.body["id"] && again.status == first.status {
                    replays_same += 1;
                }
                ids.push(first.body["id"].as_str().unwrap_or_default().to_owned());
            }
            Ok::<_, anyhow::Error>((ids, replays_same))
        }
    })
    .await;
    let placed: usize = results.iter().flatten().map(|(ids, _)| ids.len()).sum();
    let same: usize = results.iter().flatten().map(|(_, s)| s).sum();
    let errors: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().err().map(|e| format!("{e:#}")))
        .collect();
    println!(
        "tried {} orders, each key on both nodes: {placed} placed, {same} replays answered with the same order, in {:.1?}",
        buyers.len() * PLANS.len(),
        t.elapsed()
    );
    tally.check(
        "orders placed; the same key on the other node replays the same order",
        placed == buyers.len() * PLANS.len() && same == placed && errors.is_empty(),
        format!(
            "{placed} placed, {same} same replays, errors {:?}",
            &errors[..errors.len().min(2)]
        ),
    );
    let settled = checks::settle(&app.db, p.limit.saturating_sub(started.elapsed())).await;
    tally.check(
        "orders provisioned by the workers",
        settled.is_ok(),
        format!("{settled:?}"),
    );

    // Usage: 10 records per eSIM, batches of 200, each batch to both nodes.
    let mut conn = app.db.conn().await?;
    let iccids: Vec<String> = sqlx::query_scalar("SELECT iccid FROM esims ORDER BY iccid")
        .fetch_all(&mut *conn)
        .await?;
    drop(conn);
    let now = chrono::Utc::now();
    let records: Vec<serde_json::Value> = iccids
        .iter()
        .flat_map(|iccid| {
            (0..10).map(move |k| {
                json!({ "event_id": format!("rel-{iccid}-{k}"), "iccid": iccid, "kind": "data",
                        "quantity": 1_000_000, "country": "JP",
                        "occurred_at": (now - chrono::Duration::minutes(k)).to_rfc3339() })
            })
        })
        .collect();
    let batches: Vec<Vec<serde_json::Value>> = records.chunks(200).map(<[_]>::to_vec).collect();
    let t = Instant::now();
    let answers = world::in_parallel(batches.clone(), p.parallel, |i, batch| {
        let (client, urls, key) = (client.clone(), urls.clone(), key.clone());
        async move {
            let a = world::usage(&client, &urls[i % 2], &key, &batch).await?;
            let b = world::usage(&client, &urls[(i + 1) % 2], &key, &batch).await?;
            Ok::<_, anyhow::Error>((a, b))
        }
    })
    .await;
    let mut accepted = 0;
    let mut duplicates = 0;
    let mut bad = vec![];
    for a in &answers {
        match a {
            Ok((x, y)) if x.status.is_success() && y.status.is_success() => {
                accepted += x.body["accepted"].as_u64().unwrap_or(0) + y.body["accepted"].as_u64().unwrap_or(0);
                duplicates += x.body["duplicates"].as_u64().unwrap_or(0) + y.body["duplicates"].as_u64().unwrap_or(0);
            }
            Ok((x, y)) => bad.push(format!("{} {} / {} {}", x.status, x.body, y.status, y.body)),
            Err(e) => bad.push(format!("{e:#}")),
        }
    }
    let mut conn = app.db.conn().await?;
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM usage_events WHERE event_id LIKE 'rel-%'")
        .fetch_one(&mut *conn)
        .await?;
    drop(conn);
    println!(
        "tried {} usage batches ({} records), each on both nodes: {accepted} accepted, {duplicates} duplicates, in {:.1?}",
        batches.len(),
        records.len(),
        t.elapsed()
    );
    tally.figure(
        "usage records sent twice / stored",
        format!("{} / {stored}", records.len()),
    );
    tally.check(
        "each usage record counted once",
        bad.is_empty()
            && accepted as usize == records.len()
            && duplicates as usize == records.len()
            && stored as usize == records.len(),
        format!(
            "{accepted} accepted, {duplicates} duplicates, {stored} stored of {} ({:?})",
            records.len(),
            &bad[..bad.len().min(2)]
        ),
    );

    // Closures: every closer, and the first quarter of the buyers (who hold
    // eSIMs with usage); each asked on one node and then on the other.
    let mut closing: Vec<Traveller> = closers.clone();
    closing.extend(buyers.iter().take(buyers.len() / 4).cloned());
    let t = Instant::now();
    let results = world::in_parallel(closing.clone(), p.parallel, |i, c: Traveller| {
        let (client, urls) = (client.clone(), urls.clone());
        async move {
            let token = world::sign_in(&client, &urls[i % 2], &c.email).await?;
            let first = world::close(&client, &urls[i % 2], &token).await?;
            anyhow::ensure!(
                first.status == StatusCode::ACCEPTED,
                "closure: {} {}",
                first.status,
                first.body
            );
            // The second ask (the session may already be gone once the
            // freeze step ran: then 401 is the right answer).
            let again = world::close(&client, &urls[(i + 1) % 2], &token).await?;
            let same = again.status == StatusCode::UNAUTHORIZED
                || (again.status.is_success() && again.body["id"] == first.body["id"]);
            anyhow::ensure!(
                same,
                "second closure ask: {} {} (first {})",
                again.status,
                again.body,
                first.body
            );
            Ok::<_, anyhow::Error>(())
        }
    })
    .await;
    let errors: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().err().map(|e| format!("{e:#}")))
        .collect();
    println!(
        "tried {} closures ({} with eSIMs), each asked on both nodes: {} accepted in {:.1?}",
        closing.len(),
        buyers.len() / 4,
        closing.len() - errors.len(),
        t.elapsed()
    );
    tally.check(
        "closures accepted; the second ask returns the open request",
        errors.is_empty(),
        format!("{} errors {:?}", errors.len(), &errors[..errors.len().min(2)]),
    );
    let t = Instant::now();
    let settled = checks::settle(&app.db, p.limit.saturating_sub(started.elapsed())).await;
    println!(
        "workers finished the closures {:.1?} after the last request",
        t.elapsed()
    );
    tally.check(
        "all work finished within the time limit",
        settled.is_ok(),
        format!("{settled:?}"),
    );

    // Every sign-up: exactly one verification mail.
    let mails = mails_by_recipient(&stack.mail_dir)?;
    let wrong: Vec<String> = emails
        .iter()
        .filter(|e| mails.get(e.as_str()).copied().unwrap_or(0) != 1)
        .map(|e| format!("{e}: {}", mails.get(e.as_str()).copied().unwrap_or(0)))
        .collect();
    tally.check(
        "each sign-up got exactly one email",
        wrong.is_empty(),
        format!(
            "{} of {} wrong {:?}",
            wrong.len(),
            emails.len(),
            &wrong[..wrong.len().min(3)]
        ),
    );

    let mut everyone = buyers.clone();
    everyone.extend(closers);
    let closer_ids: Vec<String> = closing.iter().map(|c| c.id.clone()).collect();
    checks::invariants(&app.db, tally, &everyone, &closer_ids).await?;
    tally.figure("sign-ups", p.signups);
    tally.figure("closures asked", closing.len());
    tally.figure("wall time", format!("{:.1?}", started.elapsed()));
    for api in &apis {
        let errors = api.log_count("ERROR");
        tally.check(
            &format!("{} logged no error", api.name),
            errors == 0,
            format!("{errors} ERROR lines"),
        );
    }
    app.db.close().await;
    drop(apis);
    drop(sim);
    Ok(())
}

/// Messages in the shared mail folder, per `To` address.
pub fn mails_by_recipient(dir: &std::path::Path) -> anyhow::Result<HashMap<String, usize>> {
    use mailparse::MailHeaderMap;
    let mut out = HashMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)
            .with_context(|| d.display().to_string())?
            .flatten()
        {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_some_and(|e| e == "json") {
                continue;
            }
            let Ok(raw) = std::fs::read(&path) else { continue };
            let Ok(mail) = mailparse::parse_mail(&raw) else {
                continue;
            };
            if let Some(to) = mail.headers.get_first_value("To") {
                let addr = to
                    .rsplit('<')
                    .next()
                    .unwrap_or(&to)
                    .trim_end_matches('>')
                    .trim()
                    .to_owned();
                *out.entry(addr).or_insert(0) += 1;
            }
        }
    }
    Ok(out)
}
