//! Usage ingestion throughput: records per second through
//! `POST /api/v1/network/usage`, against a raw batched INSERT of the same
//! rows (every column bound) into a table with the same columns and index
//! in the same database, in the same run.

use std::time::Instant;

use anyhow::Context;
use serde_json::json;
use sqlx::Executor;

use crate::server::Server;

/// Batches of the largest size the API takes.
const BATCHES: usize = 5;
const BATCH: usize = 10_000;
/// Rows per INSERT statement in the baseline (the API's own chunk size).
const ROWS_PER_INSERT: usize = 500;

/// What the ingestion benchmark found.
pub struct Ingestion {
    pub records: usize,
    pub api_per_sec: f64,
    pub raw_per_sec: f64,
}

fn network_key(server: &Server) -> anyhow::Result<String> {
    let out = server
        .cli()
        .args(["admin", "api-key", "create", "--role", "network", "--name", "bench"])
        .output()
        .context("tern admin api-key create")?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .find(|w| w.starts_with("tern_key_"))
        .map(str::to_owned)
        .with_context(|| format!("no key printed: {text}"))
}

/// Runs both measurements for `iccid` on the server's database.
pub async fn measure(server: &Server, iccid: &str, database_url: Option<&str>) -> anyhow::Result<Ingestion> {
    let key = network_key(server)?;
    let now = chrono::Utc::now();
    let at =
        |i: usize| (now - chrono::Duration::milliseconds(i as i64)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    // The request bodies are made before the clock starts: the figure is
    // the server's, not the load generator's.
    let bodies: Vec<Vec<u8>> = (0..BATCHES)
        .map(|b| {
            let records: Vec<_> = (0..BATCH)
                .map(|i| {
                    let n = b * BATCH + i;
                    json!({ "event_id": format!("bench-{n}"), "iccid": iccid, "kind": "data", "quantity": 1000,
                            "country": "JP", "occurred_at": at(n) })
                })
                .collect();
            serde_json::to_vec(&json!({ "records": records }))
        })
        .collect::<Result<_, _>>()?;
    let client = reqwest::Client::new();
    let started = Instant::now();
    for body in bodies {
        let res = client
            .post(format!("{}/api/v1/network/usage", server.url))
            .bearer_auth(&key)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await?;
        anyhow::ensure!(
            res.status().is_success(),
            "usage batch answered {}: {}",
            res.status(),
            res.text().await?
        );
    }
    let api_secs = started.elapsed().as_secs_f64();

    let url = match database_url {
        Some(u) => u.to_owned(),
        None => tern_store::Db::sqlite_url_in(server.data_dir()),
    };
    let db = tern_store::Db::connect(&url, 2).await?;
    // The same columns and the same index as `usage_events`: the baseline
    // is what this database does with these rows, and nothing more.
    db.pool()
        .execute(
            "CREATE TABLE bench_raw_usage (event_id TEXT PRIMARY KEY, iccid TEXT NOT NULL, kind TEXT NOT NULL, \
             quantity BIGINT NOT NULL, country TEXT NOT NULL, occurred_at BIGINT NOT NULL, package_id TEXT, \
             overage BIGINT NOT NULL DEFAULT 0, received_at BIGINT NOT NULL)",
        )
        .await?;
    db.pool()
        .execute("CREATE INDEX bench_raw_usage_iccid ON bench_raw_usage(iccid, occurred_at)")
        .await?;
    let started = Instant::now();
    let now_ms = now.timestamp_millis();
    for b in 0..BATCHES {
        let mut tx = db.begin().await?;
        for chunk_start in (0..BATCH).step_by(ROWS_PER_INSERT) {
            let mut sql = String::from(
                "INSERT INTO bench_raw_usage (event_id, iccid, kind, quantity, country, occurred_at, package_id, \
                 overage, received_at) VALUES ",
            );
            for i in 0..ROWS_PER_INSERT {
                if i > 0 {
                    sql.push(',');
                }
                if database_url.is_none() {
                    // SQLite: anonymous parameters, bound in order, as the
                    // API's own statements use there (numbered ones cost
                    // SQLite a scan of the names per bound value).
                    sql.push_str("(?, ?, ?, ?, ?, ?, ?, ?, ?)");
                } else {
                    let p = i * 9;
                    let params: Vec<String> = (1..=9).map(|k| format!("${}", p + k)).collect();
                    sql.push_str(&format!("({})", params.join(", ")));
                }
            }
            // Every value bound, as the API binds them.
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for i in 0..ROWS_PER_INSERT {
                let n = b * BATCH + chunk_start + i;
                q = q
                    .bind(format!("bench-{n}"))
                    .bind(iccid.to_owned())
                    .bind("data")
                    .bind(1000_i64)
                    .bind("JP")
                    .bind(now_ms - n as i64)
                    .bind(None::<String>)
                    .bind(0_i64)
                    .bind(now_ms);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
    }
    let raw_secs = started.elapsed().as_secs_f64();
    db.pool().execute("DROP TABLE bench_raw_usage").await?;
    db.close().await;
    let records = BATCHES * BATCH;
    Ok(Ingestion {
        records,
        api_per_sec: records as f64 / api_secs,
        raw_per_sec: records as f64 / raw_secs,
    })
}
