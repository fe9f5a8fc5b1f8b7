//! For test suites (the `testing` feature): which database a test runs
//! on, a PostgreSQL database of its own, and `on_both!`, which runs a test
//! body on SQLite and on PostgreSQL.

use sqlx::Connection;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server URL tests create databases on, if configured
/// (`TERN_TEST_DATABASE_URL`).
pub fn postgres_url() -> Option<String> {
    std::env::var("TERN_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())
}

/// A fresh database on the server [`postgres_url`] names; [`drop`] it
/// when the test is done.
///
/// [`drop`]: TempDatabase::drop
#[derive(Debug)]
pub struct TempDatabase {
    /// Where to connect to it.
    pub url: String,
    name: String,
}

impl TempDatabase {
    /// Creates it; panics (failing the test) when the server cannot.
    #[allow(clippy::expect_used)]
    pub async fn create() -> Self {
        let base = postgres_url().expect("TERN_TEST_DATABASE_URL is set");
        let name = format!("tern_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&base)
            .await
            .expect("connect to TERN_TEST_DATABASE_URL");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create the test database");
        let (prefix, _) = base.rsplit_once('/').unwrap_or((&base, ""));
        Self {
            url: format!("{prefix}/{name}"),
            name,
        }
    }

    /// Drops it, closing whatever still holds connections to it.
    pub async fn drop(self) {
        let Some(base) = postgres_url() else { return };
        if let Ok(mut c) = sqlx::PgConnection::connect(&base).await {
            let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
            let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut c).await;
        }
    }
}

/// Runs a test body (a closure taking a [`Db`] and returning a future) on
/// SQLite and, when [`postgres_url`] is set, on PostgreSQL; with
/// `TERN_TEST_REQUIRE_POSTGRES` set (CI) a missing URL fails the test.
#[macro_export]
macro_rules! on_both {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let f = $body;
                f($crate::testing::Db::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::testing::postgres_url().is_none() {
                    assert!(
                        std::env::var("TERN_TEST_REQUIRE_POSTGRES").is_err(),
                        "TERN_TEST_REQUIRE_POSTGRES is set but TERN_TEST_DATABASE_URL is not"
                    );
                    eprintln!("skipped: set TERN_TEST_DATABASE_URL to run on PostgreSQL");
                    return;
                }
                let f = $body;
                f($crate::testing::Db::Postgres).await;
            }
        }
    };
}
