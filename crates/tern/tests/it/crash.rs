//! `kill -9` of `tern serve` in the middle of a burst of sign-ups, then a
//! restart: every account that was created gets its verification email.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::json;

use crate::harness::{Db, PW, postgres_url, read_mail_dir};
use crate::on_both;

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn spawn_tern(dir: &std::path::Path, port: u16, db_url: Option<&str>) -> Child {
    spawn_tern_with(dir, port, db_url, &[])
}

/// `tern serve` on `port` with its data in `dir`, fast job polling and a
/// short lease, plus `extra` environment variables.
pub fn spawn_tern_with(dir: &std::path::Path, port: u16, db_url: Option<&str>, extra: &[(&str, &str)]) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tern"));
    cmd.envs(extra.iter().copied());
    cmd.arg("serve")
        .env("TERN_DATA_DIR", dir)
        .env("TERN_LISTEN", format!("127.0.0.1:{port}"))
        .env("TERN_METRICS_LISTEN", "")
        .env("TERN_JOBS__POLL_INTERVAL", "50ms")
        .env("TERN_JOBS__LEASE", "2s")
        .env("TERN_CONFIG", dir.join("none.toml"))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(url) = db_url {
        cmd.env("TERN_DATABASE_URL", url);
    }
    cmd.spawn().expect("start tern serve")
}

async fn wait_healthy(client: &reqwest::Client, url: &str) {
    for _ in 0..200 {
        if client
            .get(format!("{url}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("tern did not become healthy");
}

/// A fresh PostgreSQL database for a test that runs the binary:
/// (its URL, its name, the server URL to drop it through).
pub async fn temp_postgres() -> (String, String, String) {
    use sqlx::Connection;
    let base = postgres_url().unwrap();
    let name = format!("tern_test_{}", uuid::Uuid::new_v4().simple());
    let mut c = sqlx::PgConnection::connect(&base).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut c)
        .await
        .unwrap();
    let (prefix, _) = base.rsplit_once('/').unwrap();
    (format!("{prefix}/{name}"), name, base)
}

/// Drops a database made by [`temp_postgres`].
pub async fn drop_postgres(name: &str, base: &str) {
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(base).await.unwrap();
    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut c)
    .await;
}

on_both!(kill_9_during_signups_loses_no_verification_email, |db: Db| async move {
    let dir = tempfile::tempdir().unwrap();
    let mut pg = None;
    if db == Db::Postgres {
        use sqlx::Connection;
        let base = postgres_url().unwrap();
        let name = format!("tern_test_{}", uuid::Uuid::new_v4().simple());
        let mut c = sqlx::PgConnection::connect(&base).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut c)
            .await
            .unwrap();
        let (prefix, _) = base.rsplit_once('/').unwrap();
        pg = Some((format!("{prefix}/{name}"), name, base));
    }
    let db_url = pg.as_ref().map(|p| p.0.clone());
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut child = spawn_tern(dir.path(), port, db_url.as_deref());
    wait_healthy(&client, &url).await;

    // 200 sign-ups, 16 at a time; the server is killed after the 100th answer.
    let answered = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let killer = {
        let answered = answered.clone();
        let pid = child.id();
        tokio::spawn(async move {
            while answered.load(std::sync::atomic::Ordering::SeqCst) < 100 {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        })
    };
    let started = Instant::now();
    let results: Vec<bool> = futures::stream::iter(0..200)
        .map(|i| {
            let client = client.clone();
            let url = url.clone();
            let answered = answered.clone();
            async move {
                let r = client
                    .post(format!("{url}/api/v1/accounts"))
                    .json(&json!({ "email": format!("burst{i}@example.com"), "password": PW }))
                    .send()
                    .await;
                let ok = r.is_ok_and(|r| r.status() == reqwest::StatusCode::ACCEPTED);
                answered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                ok
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    killer.await.unwrap();
    eprintln!("burst done in {:?}", started.elapsed());
    let _ = child.wait();
    let accepted = results.iter().filter(|ok| **ok).count();
    assert!(
        accepted >= 50,
        "most sign-ups before the kill were accepted ({accepted})"
    );
    assert!(accepted < 200, "the kill interrupted the burst");

    // Restart and let the worker catch up.
    let mut child = spawn_tern(dir.path(), port, db_url.as_deref());
    wait_healthy(&client, &url).await;
    let database = tern_store::Db::connect(
        &db_url
            .clone()
            .unwrap_or_else(|| tern_store::Db::sqlite_url_in(dir.path())),
        2,
    )
    .await
    .unwrap();
    let restarted = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(120);
    let emails: Vec<String> = loop {
        let mut conn = database.conn().await.unwrap();
        let open = tern_store::jobs::count_open(&mut conn).await.unwrap();
        let rows: Vec<String> = sqlx::query_scalar("SELECT email FROM accounts")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        if open == 0 || Instant::now() > deadline {
            break rows;
        }
        drop(conn);
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let _ = child.kill();
    let _ = child.wait();
    let mut conn = database.conn().await.unwrap();
    let jobs_left: Vec<(String, String, Option<String>)> = sqlx::query_as("SELECT kind, state, last_error FROM jobs")
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    let unsent: Vec<(String, i64, Option<String>)> =
        sqlx::query_as("SELECT recipient, attempts, last_error FROM outbox WHERE sent_at IS NULL")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
    drop(conn);
    database.close().await;

    assert!(
        emails.len() >= accepted,
        "every accepted sign-up is stored ({} < {accepted})",
        emails.len()
    );
    let mail_dir = dir.path().join("outbox").join("mail");
    let mut missing = vec![];
    for email in &emails {
        let mails = read_mail_dir(&mail_dir, email);
        if !mails.iter().any(|m| m.link_token("verify-email").is_some()) {
            missing.push(email.clone());
        }
    }
    assert!(
        missing.is_empty(),
        "{} of {} accounts got no verification email: {missing:?}; jobs left {jobs_left:?}; unsent {unsent:?}",
        missing.len(),
        emails.len()
    );
    eprintln!(
        "accepted {accepted}, stored {}, all with a verification email; caught up {:?} after restart",
        emails.len(),
        restarted.elapsed()
    );

    if let Some((_, name, base)) = pg {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(&base).await.unwrap();
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut c)
        .await;
    }
});
