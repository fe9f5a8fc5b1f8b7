//! Connecting, migrating and starting transactions.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, ConnectOptions, Connection, Executor};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::Result;

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A transaction; commit it or it rolls back when dropped.
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// The connection pool and what it talks to.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    readers: Arc<Readers>,
}

/// A pooled connection idle at least this long is pinged before it is
/// handed out again.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(30);

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
        let readers = Arc::new(Readers {
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(max_connections as usize)),
            opts: opts.clone(),
            backend,
        });
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
        Ok(Self { pool, backend, readers })
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
    ///
    /// These connections are kept apart from the pool's because sqlx's pool
    /// pings every connection given back to it (a second round trip per
    /// request, on SQLite a second hand-over to the connection's thread);
    /// a reader is only given back after what ran on it finished, so it is
    /// known to be in order. At most `max_connections` are open, besides
    /// the pool's.
    pub async fn reader(&self) -> Result<Reader> {
        // Like the pool: waiting for a free reader, checking an idle one and
        // opening a new one all count against the same time limit.
        tokio::time::timeout(ACQUIRE_TIMEOUT, self.open_reader())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
    }

    async fn open_reader(&self) -> Result<Reader> {
        let permit = self
            .readers
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| sqlx::Error::PoolClosed)?;
        let reader = |conn| Reader {
            conn: Some(conn),
            readers: self.readers.clone(),
            _permit: permit,
        };
        loop {
            let idle = self.readers.idle.lock().map_err(|_| sqlx::Error::PoolClosed)?.pop();
            let Some((mut conn, since)) = idle else { break };
            if since.elapsed() < IDLE_BEFORE_PING || conn.ping().await.is_ok() {
                return Ok(reader(conn));
            }
            // Broken while idle (e.g. the database restarted): drop it.
        }
        let mut conn = self.readers.opts.connect().await?;
        set_up(&mut conn, self.readers.backend).await?;
        Ok(reader(conn))
    }

    /// Answers whether the database takes queries now (for `/readyz`).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.readers.permits.close();
        let idle = match self.readers.idle.lock() {
            Ok(mut idle) => std::mem::take(&mut *idle),
            Err(_) => Vec::new(),
        };
        for (conn, _) in idle {
            let _ = conn.close().await;
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

/// The connections behind [`Db::reader`].
struct Readers {
    /// Most recently used last, with when each was given back.
    idle: Mutex<Vec<(AnyConnection, Instant)>>,
    /// One per open reader, idle or in use.
    permits: Arc<Semaphore>,
    opts: AnyConnectOptions,
    backend: Backend,
}

impl std::fmt::Debug for Readers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Readers")
            .field("available", &self.permits.available_permits())
            .finish_non_exhaustive()
    }
}

/// A connection from [`Db::reader`]; dereferences to the connection.
pub struct Reader {
    conn: Option<AnyConnection>,
    readers: Arc<Readers>,
    _permit: OwnedSemaphorePermit,
}

impl Reader {
    /// Gives the connection back for the next request, once what ran on it
    /// finished (whether it found anything or not).
    pub fn release(mut self) {
        if self.readers.permits.is_closed() {
            // The database is being closed: `drop` closes this one.
            return;
        }
        if let Some(conn) = self.conn.take()
            && let Ok(mut idle) = self.readers.idle.lock()
        {
            idle.push((conn, Instant::now()));
        }
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        // Not given back: something went wrong on it, or the request was
        // cancelled half-way. Close it politely where possible.
        if let Some(conn) = self.conn.take()
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            rt.spawn(async move {
                let _ = conn.close().await;
            });
        }
    }
}

impl std::ops::Deref for Reader {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        // Only `release` (which consumes the reader) and `drop` take it.
        self.conn.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl std::ops::DerefMut for Reader {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        self.conn.as_mut().unwrap_or_else(|| unreachable!())
    }
}
