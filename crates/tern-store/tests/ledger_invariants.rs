//! Property test of the ledger against a real database: random sequences
//! of transfers between a system account and three wallets, replays of
//! earlier transfers and unbalanced attempts, each in its own database
//! transaction as the services post them. After every sequence the books
//! balance, no wallet is below zero, every balance equals a plain model of
//! the same sequence, and a replay never moves money twice.
//!
//! Runs on SQLite, and on PostgreSQL too when `TERN_TEST_DATABASE_URL` is
//! set (a database made for the test and dropped after).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use sqlx::Connection;
use tern_domain::ledger::{LedgerAccountKind, TransactionKind};
use tern_store::Db;
use tern_store::ledger::{self, Entry, NewTransaction, Posted};

/// Account 0 is a system account (it may go negative); 1 to 3 are wallets.
const ACCOUNTS: usize = 4;

#[derive(Debug, Clone)]
enum Op {
    /// Move `amount` from one account to another.
    Transfer { from: usize, to: usize, amount: i64 },
    /// Post an earlier transfer again, under the same reference.
    Replay { n: usize },
    /// Entries that do not sum to zero.
    Unbalanced { account: usize, amount: i64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..ACCOUNTS, 0..ACCOUNTS, 1..5_000_i64)
            .prop_filter("two accounts", |(a, b, _)| a != b)
            .prop_map(|(from, to, amount)| Op::Transfer { from, to, amount }),
        2 => (0..64_usize).prop_map(|n| Op::Replay { n }),
        1 => (0..ACCOUNTS, 1..5_000_i64).prop_map(|(account, amount)| Op::Unbalanced { account, amount }),
    ]
}

/// One sequence's accounts, told apart from other sequences' by `run`.
struct Books<'a> {
    db: &'a Db,
    run: String,
    now: i64,
}

impl Books<'_> {
    fn id(&self, account: usize) -> String {
        format!("{}:{account}", self.run)
    }

    /// Posts in a transaction of its own, committed only when done.
    async fn post(&self, kind: TransactionKind, reference: &str, entries: &[Entry]) -> Posted {
        let mut tx = self.db.begin().await.unwrap();
        let id = tern_domain::TransactionId::from(format!("{}:{kind}:{reference}", self.run));
        let reference = format!("{}:{reference}", self.run);
        let posted = ledger::post(
            &mut tx,
            &NewTransaction {
                id: &id,
                kind,
                reference: &reference,
                memo: None,
                currency: "USD",
                entries,
                now: self.now,
            },
        )
        .await
        .unwrap();
        if posted == Posted::Done {
            tx.commit().await.unwrap();
        }
        // Anything else: dropping the transaction rolls it back.
        posted
    }
}

async fn check(db: &Db, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let books = Books {
        db,
        run: uuid::Uuid::new_v4().to_string(),
        now: 1_780_000_000_000,
    };
    {
        let mut conn = db.conn().await.unwrap();
        for a in 0..ACCOUNTS {
            let kind = if a == 0 {
                LedgerAccountKind::System
            } else {
                LedgerAccountKind::Cash
            };
            ledger::ensure_account(&mut conn, &books.id(a), None, kind, "USD", books.now)
                .await
                .unwrap();
        }
    }
    let mut model = [0_i64; ACCOUNTS];
    // Transfers asked for so far: (reference, from, to, amount).
    let mut made: Vec<(String, usize, usize, i64)> = Vec::new();
    let entries = |books: &Books<'_>, from: usize, to: usize, amount: i64| {
        vec![
            Entry {
                ledger_account_id: books.id(from),
                amount_minor: -amount,
            },
            Entry {
                ledger_account_id: books.id(to),
                amount_minor: amount,
            },
        ]
    };
    for (i, op) in ops.into_iter().enumerate() {
        match op {
            Op::Transfer { from, to, amount } => {
                let reference = format!("t{i}");
                let posted = books
                    .post(
                        TransactionKind::Adjustment,
                        &reference,
                        &entries(&books, from, to, amount),
                    )
                    .await;
                if from == 0 || model[from] >= amount {
                    prop_assert_eq!(&posted, &Posted::Done);
                    model[from] -= amount;
                    model[to] += amount;
                } else {
                    prop_assert!(matches!(posted, Posted::Insufficient { .. }), "{posted:?}");
                }
                made.push((reference, from, to, amount));
            }
            Op::Replay { n } => {
                let Some((reference, from, to, amount)) = made.get(n % made.len().max(1)).cloned() else {
                    continue;
                };
                let posted = books
                    .post(
                        TransactionKind::Adjustment,
                        &reference,
                        &entries(&books, from, to, amount),
                    )
                    .await;
                // A transfer that went through is never posted twice; one
                // that was refused was rolled back whole, so it may go
                // through now if the wallet can pay.
                match posted {
                    Posted::AlreadyPosted => {}
                    Posted::Done => {
                        prop_assert!(from == 0 || model[from] >= amount, "a replay overdrew wallet {from}");
                        model[from] -= amount;
                        model[to] += amount;
                    }
                    Posted::Insufficient { .. } => prop_assert!(from != 0 && model[from] < amount),
                    Posted::Unbalanced => prop_assert!(false, "a balanced replay was called unbalanced"),
                }
            }
            Op::Unbalanced { account, amount } => {
                let one = [Entry {
                    ledger_account_id: books.id(account),
                    amount_minor: amount,
                }];
                let posted = books.post(TransactionKind::Adjustment, &format!("u{i}"), &one).await;
                prop_assert_eq!(posted, Posted::Unbalanced);
            }
        }
    }
    let mut conn = db.conn().await.unwrap();
    for (a, expected) in model.iter().enumerate() {
        let stored = ledger::balance(&mut conn, &books.id(a)).await.unwrap();
        prop_assert_eq!(stored, *expected, "balance of account {}", a);
        if a > 0 {
            prop_assert!(stored >= 0, "wallet {} below zero", a);
        }
    }
    prop_assert_eq!(model.iter().sum::<i64>(), 0, "money was made or lost");
    let (unbalanced, drifted) = ledger::integrity(&mut conn).await.unwrap();
    prop_assert!(unbalanced.is_empty(), "unbalanced transactions: {unbalanced:?}");
    prop_assert!(
        drifted.is_empty(),
        "balances that differ from their entries: {drifted:?}"
    );
    Ok(())
}

fn run_on(db: &Db, rt: &tokio::runtime::Runtime) {
    let config = ProptestConfig {
        cases: 48,
        ..ProptestConfig::default()
    };
    proptest!(config, |(ops in proptest::collection::vec(op(), 1..60))| {
        rt.block_on(check(db, ops))?;
    });
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn ledger_invariants_hold_on_sqlite() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let db = rt.block_on(async {
        let db = Db::connect(&Db::sqlite_url_in(dir.path()), 2).await.unwrap();
        db.migrate().await.unwrap();
        db
    });
    run_on(&db, &rt);
    rt.block_on(db.close());
}

#[test]
fn ledger_invariants_hold_on_postgres() {
    let Some(admin) = std::env::var("TERN_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) else {
        assert!(
            std::env::var("TERN_TEST_REQUIRE_POSTGRES").is_err(),
            "TERN_TEST_REQUIRE_POSTGRES is set but TERN_TEST_DATABASE_URL is not"
        );
        eprintln!("skipped: set TERN_TEST_DATABASE_URL to run on PostgreSQL");
        return;
    };
    let rt = runtime();
    let name = format!("tern_ledger_{}", uuid::Uuid::new_v4().simple());
    let base = admin.split('?').next().unwrap().rsplit_once('/').unwrap().0.to_owned();
    let url = format!("{base}/{name}");
    let db = rt.block_on(async {
        sqlx::any::install_default_drivers();
        let mut c = sqlx::AnyConnection::connect(&admin).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut c)
            .await
            .unwrap();
        let db = Db::connect(&url, 2).await.unwrap();
        db.migrate().await.unwrap();
        db
    });
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_on(&db, &rt)));
    rt.block_on(async {
        db.close().await;
        let mut c = sqlx::AnyConnection::connect(&admin).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut c)
        .await
        .unwrap();
    });
    if let Err(p) = outcome {
        std::panic::resume_unwind(p);
    }
}
