//! The connections behind [`Db::reader`] and [`Db::pg_reader`]: kept apart
//! from sqlx's pool because the pool pings every connection given back to
//! it (a second round trip per request, on SQLite a second hand-over to the
//! connection's thread). A reader is only given back after what ran on it
//! finished, so it is known to be in order.
//!
//! [`Db::reader`]: crate::Db::reader
//! [`Db::pg_reader`]: crate::Db::pg_reader

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::{ConnectOptions, Connection};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::Result;

/// A reader (or pooled connection) idle at least this long is pinged before it is handed out again.
pub(crate) const IDLE_BEFORE_PING: Duration = Duration::from_secs(30);

/// Open readers of one kind, idle or in use.
pub(crate) struct Readers<C: Connection> {
    /// Most recently used last, with when each was given back.
    idle: Mutex<Vec<(C, Instant)>>,
    /// One per open reader, idle or in use.
    permits: Arc<Semaphore>,
    opts: C::Options,
    /// How long [`Readers::get`] may take in all.
    timeout: Duration,
}

impl<C: Connection> std::fmt::Debug for Readers<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Readers")
            .field("available", &self.permits.available_permits())
            .finish_non_exhaustive()
    }
}

impl<C: Connection + 'static> Readers<C> {
    pub(crate) fn new(opts: C::Options, max: u32, timeout: Duration) -> Arc<Self> {
        Arc::new(Self {
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(max as usize)),
            opts,
            timeout,
        })
    }

    /// A reader: an idle one (pinged first when it sat idle a while), or a
    /// new connection, prepared by `set_up`. Like sqlx's pool, waiting for
    /// a free reader, checking an idle one and opening a new one all count
    /// against the same time limit.
    pub(crate) async fn get<F, Fut>(self: &Arc<Self>, set_up: F) -> Result<Reader<C>>
    where
        F: FnOnce(C) -> Fut,
        Fut: Future<Output = std::result::Result<C, sqlx::Error>>,
    {
        tokio::time::timeout(self.timeout, self.open(set_up))
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
    }

    async fn open<F, Fut>(self: &Arc<Self>, set_up: F) -> Result<Reader<C>>
    where
        F: FnOnce(C) -> Fut,
        Fut: Future<Output = std::result::Result<C, sqlx::Error>>,
    {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| sqlx::Error::PoolClosed)?;
        let reader = |conn| Reader {
            conn: Some(conn),
            readers: self.clone(),
            _permit: permit,
        };
        loop {
            let idle = self.idle.lock().map_err(|_| sqlx::Error::PoolClosed)?.pop();
            let Some((mut conn, since)) = idle else { break };
            if since.elapsed() < IDLE_BEFORE_PING || conn.ping().await.is_ok() {
                return Ok(reader(conn));
            }
            // Broken while idle (e.g. the database restarted): drop it.
        }
        let conn = set_up(self.opts.connect().await?).await?;
        Ok(reader(conn))
    }

    /// Refuses new readers and closes the idle ones.
    pub(crate) async fn close(&self) {
        self.permits.close();
        let idle = match self.idle.lock() {
            Ok(mut idle) => std::mem::take(&mut *idle),
            Err(_) => Vec::new(),
        };
        for (conn, _) in idle {
            let _ = conn.close().await;
        }
    }
}

/// A connection from [`Db::reader`] or [`Db::pg_reader`]; dereferences to
/// the connection.
///
/// [`Db::reader`]: crate::Db::reader
/// [`Db::pg_reader`]: crate::Db::pg_reader
pub struct Reader<C: Connection + 'static = sqlx::AnyConnection> {
    conn: Option<C>,
    readers: Arc<Readers<C>>,
    _permit: OwnedSemaphorePermit,
}

impl<C: Connection + 'static> Reader<C> {
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

impl<C: Connection + 'static> Drop for Reader<C> {
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

impl<C: Connection + 'static> std::ops::Deref for Reader<C> {
    type Target = C;
    fn deref(&self) -> &C {
        // Only `release` (which consumes the reader) and `drop` take it.
        self.conn.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl<C: Connection + 'static> std::ops::DerefMut for Reader<C> {
    fn deref_mut(&mut self) -> &mut C {
        self.conn.as_mut().unwrap_or_else(|| unreachable!())
    }
}
