//! Connecting, migrating and starting transactions.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{AnyConnection, AnyPool, Connection, Executor};

use crate::Result;
use crate::readers::{IDLE_BEFORE_PING, Reader, Readers};

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A transaction; commit it or it rolls back when dropped.
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// Commits a transaction from [`Db::begin`].
pub async fn commit(tx: Tx) -> Result<()> {
    Ok(tx.commit().await?)
}

/// The connection pool and what it talks to.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    readers: Arc<Readers<AnyConnection>>,
    /// On PostgreSQL, native connections for the hottest read (see
    /// [`Db::pg_reader`]).
    pg_readers: Option<Arc<Readers<PgConnection>>>,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Db {
    /// Opens a pool for `url` (`sqlite://…` or `postgres://…`). An SQLite
    /// file is created when missing and runs in WAL mode with foreign keys
    /// on and a busy timeout, so concurrent writers wait instead of failing.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        let url = if backend == Backend::Sqlite && !url.contains("mode=") {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}mode=rwc")
        } else {
            url.to_owned()
        };
        let opts: AnyConnectOptions = url.parse()?;
        let readers = Readers::new(opts.clone(), max_connections, ACQUIRE_TIMEOUT);
        let pg_readers = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(Readers::new(
                url.parse::<PgConnectOptions>()?,
                max_connections,
                ACQUIRE_TIMEOUT,
            )),
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            // sqlx pings every connection it hands out by default: a whole
            // extra round trip per acquire, which on the hot read paths cost
            // as much as the query itself. A connection that was in use
            // moments ago is known to be alive; only one that sat idle for
            // a while is checked (a broken one is then replaced).
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= IDLE_BEFORE_PING {
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            })
            .after_connect(move |conn, _meta| Box::pin(set_up(conn, backend)))
            .connect_with(opts)
            .await?;
        Ok(Self {
            pool,
            backend,
            readers,
            pg_readers,
        })
    }

    /// The SQLite URL of a database file inside `dir`.
    pub fn sqlite_url_in(dir: &Path) -> String {
        format!("sqlite://{}", dir.join("tern.db").display())
    }

    /// Applies every embedded migration not yet applied.
    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so a transaction that reads and then writes can
    /// never fail half-way because another writer got in between.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// A pooled connection for reads and single statements.
    pub async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>> {
        Ok(self.pool.acquire().await?)
    }

    /// A connection for the hot read paths (authentication, the eSIM
    /// detail): one query and done. Give it back with [`Reader::release`];
    /// one dropped without (an error, a cancelled request) is closed.
    /// At most `max_connections` are open, besides the pool's (see
    /// [`crate::readers`] for why they are kept apart).
    pub async fn reader(&self) -> Result<Reader> {
        let backend = self.backend;
        self.readers
            .get(|mut conn| async move {
                set_up(&mut conn, backend).await?;
                Ok(conn)
            })
            .await
    }

    /// On PostgreSQL, a native connection (not through sqlx's `Any`
    /// driver) for the hottest read, `GET /api/v1/esims/{iccid}`: it binds
    /// arrays and reads rows without copying every value into an `Any`
    /// value first. None on SQLite.
    pub async fn pg_reader(&self) -> Result<Option<Reader<PgConnection>>> {
        let Some(readers) = &self.pg_readers else {
            return Ok(None);
        };
        Ok(Some(readers.get(|conn| async { Ok(conn) }).await?))
    }

    /// Answers whether the database takes queries now (for `/readyz`).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.readers.close().await;
        if let Some(pg) = &self.pg_readers {
            pg.close().await;
        }
        self.pool.close().await;
    }
}

/// How long a caller waits for a connection before giving up.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// Settings every new connection gets: on SQLite WAL mode, foreign keys,
/// a busy timeout (concurrent writers wait instead of failing).
async fn set_up(conn: &mut AnyConnection, backend: Backend) -> std::result::Result<(), sqlx::Error> {
    if backend == Backend::Sqlite {
        conn.execute("PRAGMA busy_timeout = 10000").await?;
        conn.execute("PRAGMA journal_mode = WAL").await?;
        conn.execute("PRAGMA foreign_keys = ON").await?;
        conn.execute("PRAGMA synchronous = NORMAL").await?;
        // Deleted rows are overwritten, not left in free pages:
        // closure erases people and sweeps the file for them.
        conn.execute("PRAGMA secure_delete = ON").await?;
    }
    Ok(())
}
