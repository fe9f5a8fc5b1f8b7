//! Coalescing concurrent hot reads into one query.
//!
//! Every database query costs a round trip (on SQLite, a hand-over to the
//! connection's thread and back), and on a small machine that costs more
//! than the query itself. When many requests ask for the same kind of
//! thing at once, a [`Batcher`] answers the ones waiting together: the
//! first caller starts a drain task, which takes every waiting key (up to
//! [`MAX_BATCH`]), runs one lookup for all of them and hands each caller
//! its answer, and repeats while callers keep coming. A lone request is
//! looked up alone, straight away; nothing waits for a batch to fill.
//!
//! Nothing is cached: each caller's lookup starts after the caller asked,
//! so it sees everything committed before (a sign-out, a frozen account).

use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use tokio::sync::oneshot;

use crate::App;
use crate::error::{AppError, AppResult};

/// Most keys looked up together.
pub const MAX_BATCH: usize = 32;
/// Most lookups running at once (each on its own connection).
const MAX_RUNNING: usize = 2;

/// Looks several keys up at once; answers in the keys' order.
pub type Lookup<K, V> = fn(App, Vec<K>) -> BoxFuture<'static, AppResult<Vec<V>>>;

type Waiter<K, V> = (K, oneshot::Sender<AppResult<V>>);

/// Answers concurrent calls of one lookup together; see the module
/// documentation.
pub struct Batcher<K, V> {
    lookup: Lookup<K, V>,
    state: Mutex<State<K, V>>,
}

struct State<K, V> {
    waiting: Vec<Waiter<K, V>>,
    running: usize,
}

impl<K: Send + 'static, V: Send + 'static> Batcher<K, V> {
    pub fn new(lookup: Lookup<K, V>) -> Arc<Self> {
        Arc::new(Self {
            lookup,
            state: Mutex::new(State {
                waiting: Vec::new(),
                running: 0,
            }),
        })
    }

    /// Looks `key` up, together with whatever else is waiting.
    pub async fn get(self: &Arc<Self>, app: &App, key: K) -> AppResult<V> {
        let (tx, rx) = oneshot::channel();
        let start = {
            let mut state = self.lock()?;
            state.waiting.push((key, tx));
            let start = state.running < xp_running();
            if start {
                state.running += 1;
            }
            start
        };
        if start {
            let (this, app) = (self.clone(), app.clone());
            tokio::spawn(async move { this.drain(app).await });
        }
        rx.await
            .map_err(|_| AppError::Internal("a batched lookup was abandoned".into()))?
    }

    fn lock(&self) -> AppResult<std::sync::MutexGuard<'_, State<K, V>>> {
        self.state
            .lock()
            .map_err(|_| AppError::Internal("batch state poisoned".into()))
    }

    /// Runs lookups while callers wait.
    async fn drain(&self, app: App) {
        let mut running = Running {
            batcher: self,
            ended: false,
        };
        loop {
            for _ in 0..xp_yield() {
                tokio::task::yield_now().await;
            }
            let batch: Vec<Waiter<K, V>> = {
                let Ok(mut state) = self.lock() else { return };
                if state.waiting.is_empty() {
                    // Under the same lock as callers queue up: one that
                    // comes after this starts a drain of its own.
                    state.running -= 1;
                    running.ended = true;
                    return;
                }
                let n = state.waiting.len().min(MAX_BATCH);
                state.waiting.drain(..n).collect()
            };
            let (keys, callers): (Vec<K>, Vec<_>) = batch.into_iter().unzip();
            let n = keys.len();
            metrics::histogram!("tern_batched_lookup_keys").record(n as f64);
            match (self.lookup)(app.clone(), keys).await {
                Ok(values) if values.len() == n => {
                    for (tx, v) in callers.into_iter().zip(values) {
                        let _ = tx.send(Ok(v));
                    }
                }
                Ok(values) => {
                    let e = format!("a batched lookup of {n} keys gave {} answers", values.len());
                    for tx in callers {
                        let _ = tx.send(Err(AppError::Internal(e.clone())));
                    }
                }
                Err(e) => {
                    for tx in callers {
                        let _ = tx.send(Err(copy(&e)));
                    }
                }
            }
        }
    }
}

/// A drain task that did not end normally (it panicked) still stops
/// counting as running; if no other drain is left, the callers waiting are
/// told rather than left waiting for one.
struct Running<'a, K, V> {
    batcher: &'a Batcher<K, V>,
    ended: bool,
}

impl<K, V> Drop for Running<'_, K, V> {
    fn drop(&mut self) {
        if self.ended {
            return;
        }
        if let Ok(mut state) = self.batcher.state.lock() {
            state.running -= 1;
            if state.running == 0 {
                state.waiting.clear();
            }
        }
    }
}

/// The same error for every caller of a failed lookup (storage errors
/// only reach here).
fn copy(e: &AppError) -> AppError {
    match e {
        AppError::Unavailable(m) => AppError::Unavailable(m.clone()),
        other => AppError::Internal(other.to_string()),
    }
}

// XP: experiment knobs, to be removed.
fn xp_running() -> usize {
    static V: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *V.get_or_init(|| {
        std::env::var("XP_RUNNING")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(MAX_RUNNING)
    })
}
fn xp_yield() -> usize {
    static V: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *V.get_or_init(|| std::env::var("XP_YIELD").ok().and_then(|v| v.parse().ok()).unwrap_or(0))
}
