//! Coalescing concurrent hot reads into one query.
//!
//! Every database query costs a round trip (on SQLite, a hand-over to the
//! connection's thread and back), and on a small machine that costs more
//! than the query itself. When many requests ask for the same kind of
//! thing at once, a [`Batcher`] answers the ones waiting together: a caller
//! that finds fewer than two drain tasks running starts one, which lets the
//! requests being parsed at that moment queue up (one `yield_now`), takes
//! every waiting key (up to [`MAX_BATCH`]), runs one lookup for all of them
//! and hands each caller its answer, and repeats while callers keep coming.
//! A lone request is looked up alone, straight away; nothing waits for a
//! batch to fill or for a timer.
//!
//! Nothing is cached: each caller's lookup starts after the caller asked,
//! so it sees everything committed before (a sign-out, a frozen account).

use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use tokio::sync::oneshot;

#[cfg(doc)]
use crate::App;
use crate::error::{AppError, AppResult};

/// Most keys looked up together.
pub const MAX_BATCH: usize = 32;
/// Most lookups running at once (each on its own connection).
const MAX_RUNNING: usize = 2;

/// Looks several keys up at once with a context (the [`App`]); answers in
/// the keys' order.
pub type Lookup<C, K, V> = fn(C, Vec<K>) -> BoxFuture<'static, AppResult<Vec<V>>>;

type Waiter<K, V> = (K, oneshot::Sender<AppResult<V>>);

/// Answers concurrent calls of one lookup together; see the module
/// documentation.
pub struct Batcher<C, K, V> {
    lookup: Lookup<C, K, V>,
    state: Mutex<State<K, V>>,
}

struct State<K, V> {
    waiting: Vec<Waiter<K, V>>,
    running: usize,
}

impl<C: Clone + Send + 'static, K: Send + 'static, V: Send + 'static> Batcher<C, K, V> {
    pub fn new(lookup: Lookup<C, K, V>) -> Arc<Self> {
        Arc::new(Self {
            lookup,
            state: Mutex::new(State {
                waiting: Vec::new(),
                running: 0,
            }),
        })
    }

    /// Looks `key` up, together with whatever else is waiting.
    pub async fn get(self: &Arc<Self>, cx: &C, key: K) -> AppResult<V> {
        let (tx, rx) = oneshot::channel();
        let start = {
            let mut state = self.lock()?;
            state.waiting.push((key, tx));
            let start = state.running < MAX_RUNNING;
            if start {
                state.running += 1;
            }
            start
        };
        if start {
            let (this, cx) = (self.clone(), cx.clone());
            tokio::spawn(async move { this.drain(cx).await });
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
    async fn drain(&self, cx: C) {
        let mut running = Running {
            batcher: self,
            ended: false,
        };
        loop {
            // Let the requests that are being parsed right now queue up
            // first (costs nothing when there are none).
            tokio::task::yield_now().await;
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
            match (self.lookup)(cx.clone(), keys).await {
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
struct Running<'a, C, K, V> {
    batcher: &'a Batcher<C, K, V>,
    ended: bool,
}

impl<C, K, V> Drop for Running<'_, C, K, V> {
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Counts lookups; doubles keys, and fails on a batch holding 13.
    fn double(calls: Arc<AtomicUsize>, keys: Vec<u32>) -> BoxFuture<'static, AppResult<Vec<u32>>> {
        Box::pin(async move {
            calls.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
            if keys.contains(&13) {
                return Err(AppError::Unavailable("unlucky".into()));
            }
            Ok(keys.into_iter().map(|k| k * 2).collect())
        })
    }

    #[tokio::test]
    async fn a_lone_call_is_looked_up_alone() {
        let calls = Arc::new(AtomicUsize::new(0));
        let b = Batcher::new(double);
        assert_eq!(b.get(&calls, 21).await.ok(), Some(42));
        assert_eq!(b.get(&calls, 4).await.ok(), Some(8));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_calls_share_lookups_and_each_gets_its_own_answer() {
        let calls = Arc::new(AtomicUsize::new(0));
        let b = Batcher::new(double);
        let answers = futures::future::join_all((0..500).map(|k| {
            let (b, calls) = (b.clone(), calls.clone());
            async move { (k, b.get(&calls, k).await) }
        }))
        .await;
        for (k, a) in answers {
            match a {
                Ok(v) => assert_eq!(v, k * 2),
                Err(e) => assert!(matches!(e, AppError::Unavailable(_)), "{k}: {e}"),
            }
        }
        assert!(calls.load(Ordering::SeqCst) < 500, "some calls shared a lookup");
        // The batch holding 13 failed as a whole; later calls work again.
        assert_eq!(b.get(&calls, 5).await.ok(), Some(10));
        assert!(matches!(b.get(&calls, 13).await, Err(AppError::Unavailable(_))));
    }
}
