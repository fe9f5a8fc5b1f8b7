//! `kill -9` of the real `tern serve` at random moments while 200 closures
//! are processing, then a restart: every closure completes, every step is
//! recorded, and every wallet is refunded exactly once.

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use sqlx::Row;
use tern_app::auth::Principal;
use tern_app::closure::ClosureInput;
use tern_domain::{Currency, Locale, Money, Role};

use crate::crash::{drop_postgres, free_port, spawn_tern_with, temp_postgres};
use crate::harness::{Db, PW, test_settings};
use crate::on_both;

const ACCOUNTS: usize = 200;

fn spawn_tern(dir: &std::path::Path, port: u16, db_url: Option<&str>) -> Child {
    spawn_tern_with(
        dir,
        port,
        db_url,
        &[
            ("TERN_JOBS__RETRY_BASE", "100ms"),
            ("TERN_JOBS__MAX_ATTEMPTS", "30"),
            ("TERN_CLOSURE__COOLING_OFF", "0s"),
        ],
    )
}

/// A small deterministic generator for the kill moments (the seed is printed).
fn next(seed: &mut u64) -> u64 {
    *seed = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    *seed >> 33
}

async fn counts(db: &tern_store::Db) -> (i64, i64) {
    let mut conn = db.conn().await.unwrap();
    let done: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM closure_requests WHERE state = 'completed'")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    let open = tern_store::jobs::count_open(&mut conn).await.unwrap();
    (done, open)
}

on_both!(
    kill_9_while_200_closures_process_loses_nothing_and_refunds_once,
    |db: Db| async move {
        let dir = tempfile::tempdir().unwrap();
        let pg = if db == Db::Postgres {
            Some(temp_postgres().await)
        } else {
            None
        };
        let db_url = pg.as_ref().map(|p| p.0.clone());

        // Seed in-process: 200 travellers with cash in their wallets, each
        // asking for closure (the jobs wait for the server's worker).
        let mut settings = test_settings(dir.path());
        settings.database_url = db_url.clone();
        settings.closure.cooling_off = Duration::ZERO;
        let seeder = tern_app::App::build(settings, tern_app::Clock::default())
            .await
            .unwrap();
        let hash = tern_app::passwords::hash(PW.to_owned()).await.unwrap();
        let usd = Currency::parse("USD").unwrap();
        let batch = tern_app::wallet::issue_vouchers(&seeder, Money::new(1234, usd), ACCOUNTS, false, None, |_| {})
            .await
            .unwrap();
        for (i, code) in batch.codes.iter().enumerate() {
            let id = tern_app::tokens::new_id();
            let email = format!("crash{i}@example.com");
            let mut conn = seeder.db.conn().await.unwrap();
            tern_store::accounts::insert(
                &mut conn,
                &tern_store::accounts::NewAccount {
                    id: &id,
                    email: &email,
                    phone: None,
                    name: Some(&format!("Crash Traveller {i}")),
                    password_hash: &hash,
                    locale: "en",
                    role: Role::User,
                    verified_at: Some(seeder.now_ms()),
                    now: seeder.now_ms(),
                },
            )
            .await
            .unwrap();
            drop(conn);
            let who = Principal {
                account_id: id.into(),
                session_id: Default::default(),
                role: Role::User,
                locale: Locale::En,
                reauth_at: None,
                status: tern_domain::AccountStatus::Active,
                terms_version: None,
            };
            tern_app::wallet::redeem(&seeder, &who, &code.to_string())
                .await
                .unwrap();
            let input: ClosureInput =
                serde_json::from_value(serde_json::json!({ "password": PW, "confirmation": "CLOSE MY ACCOUNT" }))
                    .unwrap();
            tern_app::closure::request(&seeder, &who, input, None).await.unwrap();
        }
        let database = seeder.db.clone();

        // Serve, and kill -9 at random moments, three times.
        let mut seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        eprintln!("kill schedule seed {seed}");
        let port = free_port();
        for round in 0..3 {
            let mut child = spawn_tern(dir.path(), port, db_url.as_deref());
            let wait = Duration::from_millis(400 + next(&mut seed) % 2000);
            tokio::time::sleep(wait).await;
            let _ = Command::new("kill").args(["-9", &child.id().to_string()]).status();
            let _ = child.wait();
            let (done, open) = counts(&database).await;
            eprintln!("kill {round} after {wait:?}: {done} completed, {open} jobs open");
        }
        let mut child = spawn_tern(dir.path(), port, db_url.as_deref());
        let started = Instant::now();
        let deadline = started + Duration::from_secs(600);
        loop {
            let (done, open) = counts(&database).await;
            if (done as usize == ACCOUNTS && open == 0) || Instant::now() > deadline {
                eprintln!("after restart: {done} completed in {:?}", started.elapsed());
                break;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let _ = child.kill();
        let _ = child.wait();

        let mut conn = database.conn().await.unwrap();
        let states: Vec<(String, i64)> =
            sqlx::query("SELECT state, COUNT(*) AS n FROM closure_requests GROUP BY state")
                .fetch_all(&mut *conn)
                .await
                .unwrap()
                .iter()
                .map(|r| (r.get("state"), r.get("n")))
                .collect();
        let errors: Vec<Option<String>> =
            sqlx::query_scalar("SELECT last_error FROM closure_requests WHERE state <> 'completed' LIMIT 5")
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        assert_eq!(
            states,
            [("completed".to_owned(), ACCOUNTS as i64)],
            "errors: {errors:?}"
        );
        // Every step of every closure, once.
        let steps: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM closure_steps")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(steps, (ACCOUNTS * 8) as i64);
        // One settlement per closure, each refunding exactly the 12.34 paid in.
        let settlements: Vec<i64> = sqlx::query_scalar(
        "SELECT CAST(SUM(e.amount_minor) AS BIGINT) FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id \
         WHERE t.kind = 'closure_settlement' AND e.ledger_account_id LIKE 'system:refunds_payable:%' GROUP BY t.reference",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
        assert_eq!(settlements.len(), ACCOUNTS);
        assert!(settlements.iter().all(|s| *s == 1234), "{settlements:?}");
        let refunds: Vec<(String, i64)> =
            sqlx::query("SELECT closure_id, COUNT(*) AS n FROM refunds GROUP BY closure_id")
                .fetch_all(&mut *conn)
                .await
                .unwrap()
                .iter()
                .map(|r| (r.get("closure_id"), r.get("n")))
                .collect();
        assert_eq!(refunds.len(), ACCOUNTS);
        assert!(refunds.iter().all(|r| r.1 == 1), "one payout line each");
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE email IS NOT NULL")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(left, 0);
        let (unbalanced, drifted) = tern_store::ledger::integrity(&mut conn).await.unwrap();
        assert!(
            unbalanced.is_empty() && drifted.is_empty(),
            "{unbalanced:?} {drifted:?}"
        );
        drop(conn);
        database.close().await;

        if let Some((_, name, base)) = pg {
            drop_postgres(&name, &base).await;
        }
    }
);
