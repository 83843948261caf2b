//! Deterministic batching for the loaders of one request.
//!
//! A time-window batcher (async-graphql's DataLoader sends a batch a fixed delay
//! after its first key) splits a level of a large result over several batches
//! whenever resolving the level outlasts the window — 200 hosts on a busy 2-core
//! machine do — and the number of SQL statements grows with the number of rows.
//!
//! Here batches go out in waves instead. A loader's pending keys are held by the
//! request's [`Gate`] until the request is idle: not being polled, no wake-up
//! pending, no batch in flight. Then the gate takes the keys of every held loader
//! at that instant and sends each as one batch. Every resolver of a level has queued
//! its keys by then, so each loader sends one statement per wave, whatever the size
//! of the result (up to [`MAX_KEYS`] keys a statement).

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll, Wake, Waker};

use futures_util::future::BoxFuture;
use tokio::sync::oneshot;

use super::loaders::LoadError;

/// Keys per statement, well under the bind-parameter limits (SQLite 32 766).
pub const MAX_KEYS: usize = 1000;

/// Loads many keys in one go.
pub trait BatchLoad: Send + Sync + 'static {
    type Key: Send + Sync + Hash + Eq + Clone + 'static;
    type Value: Send + Sync + Clone + 'static;

    fn load(
        &self,
        keys: &[Self::Key],
    ) -> impl Future<Output = Result<HashMap<Self::Key, Self::Value>, LoadError>> + Send;
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A loader with keys waiting: taking them starts its batch.
trait Held: Send {
    fn start(self: Box<Self>) -> BoxFuture<'static, ()>;
}

#[derive(Default)]
pub struct Gate(Mutex<State>);

#[derive(Default)]
struct State {
    polling: bool,
    wake_pending: bool,
    inflight: usize,
    held: Vec<Box<dyn Held>>,
}

impl Gate {
    fn hold(self: &Arc<Self>, batch: Box<dyn Held>) {
        let mut s = lock(&self.0);
        s.held.push(batch);
        // A loader used outside the request's own polling (no poll to end) must not wait forever.
        self.release(&mut s);
    }

    /// Sends every held batch if the request is idle.
    fn release(self: &Arc<Self>, s: &mut State) {
        if s.polling || s.wake_pending || s.inflight > 0 {
            return;
        }
        for held in std::mem::take(&mut s.held) {
            let batch = held.start();
            s.inflight += 1;
            let gate: Weak<Gate> = Arc::downgrade(self);
            tokio::spawn(async move {
                batch.await;
                if let Some(gate) = gate.upgrade() {
                    let mut s = lock(&gate.0);
                    s.inflight -= 1;
                    gate.release(&mut s);
                }
            });
        }
    }
}

type Reply<L> = oneshot::Sender<Result<Arc<HashMap<<L as BatchLoad>::Key, <L as BatchLoad>::Value>>, LoadError>>;

struct Pending<L: BatchLoad> {
    keys: Vec<L::Key>,
    waiters: Vec<Reply<L>>,
}

/// A loader of one request, batched through its gate.
pub struct Batched<L: BatchLoad> {
    loader: Arc<L>,
    gate: Arc<Gate>,
    pending: Arc<Mutex<Option<Pending<L>>>>,
}

struct HeldBatch<L: BatchLoad> {
    loader: Arc<L>,
    pending: Arc<Mutex<Option<Pending<L>>>>,
}

impl<L: BatchLoad> Held for HeldBatch<L> {
    fn start(self: Box<Self>) -> BoxFuture<'static, ()> {
        let Pending { mut keys, waiters } = lock(&self.pending).take().expect("a held loader has keys");
        let loader = self.loader;
        Box::pin(async move {
            let mut seen = std::collections::HashSet::new();
            keys.retain(|k| seen.insert(k.clone()));
            let mut all = HashMap::new();
            let mut result = Ok(());
            for chunk in keys.chunks(MAX_KEYS) {
                match loader.load(chunk).await {
                    Ok(found) => all.extend(found),
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                }
            }
            let answer = result.map(|()| Arc::new(all));
            for w in waiters {
                let _ = w.send(answer.clone());
            }
        })
    }
}

impl<L: BatchLoad> Batched<L> {
    pub fn new(loader: L, gate: &Arc<Gate>) -> Self {
        Self {
            loader: Arc::new(loader),
            gate: Arc::clone(gate),
            pending: Arc::new(Mutex::new(None)),
        }
    }

    pub async fn load_many(
        &self,
        keys: impl IntoIterator<Item = L::Key>,
    ) -> Result<HashMap<L::Key, L::Value>, LoadError> {
        let keys: Vec<L::Key> = keys.into_iter().collect();
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let (tx, rx) = oneshot::channel();
        let first = {
            let mut p = lock(&self.pending);
            match p.as_mut() {
                Some(p) => {
                    p.keys.extend(keys.iter().cloned());
                    p.waiters.push(tx);
                    false
                }
                None => {
                    *p = Some(Pending {
                        keys: keys.clone(),
                        waiters: vec![tx],
                    });
                    true
                }
            }
        };
        // Outside the lock above: the gate takes it while holding its own.
        if first {
            self.gate.hold(Box::new(HeldBatch {
                loader: Arc::clone(&self.loader),
                pending: Arc::clone(&self.pending),
            }));
        }
        let all = rx
            .await
            .map_err(|_| Arc::new(sea_orm::DbErr::Custom("the request ended".into())))??;
        Ok(keys
            .into_iter()
            .filter_map(|k| all.get(&k).cloned().map(|v| (k, v)))
            .collect())
    }

    pub async fn load_one(&self, key: L::Key) -> Result<Option<L::Value>, LoadError> {
        Ok(self.load_many([key.clone()]).await?.remove(&key))
    }
}

/// Marks the request as woken before passing the wake-up on.
struct WakeFlag {
    gate: Arc<Gate>,
    inner: Waker,
}

impl Wake for WakeFlag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        lock(&self.gate.0).wake_pending = true;
        self.inner.wake_by_ref();
    }
}

/// A request's execution, watched by its gate. Run it outside tokio's cooperative
/// budget (`tokio::task::unconstrained`): a budget-forced yield defers its wake-up
/// until after the poll, which would look to the gate like an idle request.
pub struct Tracked<F> {
    gate: Arc<Gate>,
    inner: Pin<Box<F>>,
}

impl<F> Tracked<F> {
    pub fn new(gate: Arc<Gate>, inner: F) -> Self {
        Self {
            gate,
            inner: Box::pin(inner),
        }
    }

    /// Polls the inner future or stream with the gate told whether it is being polled.
    fn watched<T>(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        poll: impl FnOnce(Pin<&mut F>, &mut Context<'_>) -> Poll<T>,
    ) -> Poll<T> {
        let this = self.get_mut();
        {
            let mut s = lock(&this.gate.0);
            s.polling = true;
            s.wake_pending = false;
        }
        let waker = Waker::from(Arc::new(WakeFlag {
            gate: Arc::clone(&this.gate),
            inner: cx.waker().clone(),
        }));
        let out = poll(this.inner.as_mut(), &mut Context::from_waker(&waker));
        let gate = Arc::clone(&this.gate);
        let mut s = lock(&gate.0);
        s.polling = false;
        if out.is_pending() {
            gate.release(&mut s);
        }
        out
    }
}

impl<F: Future> Future for Tracked<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.watched(cx, |f, cx| f.poll(cx))
    }
}

/// A subscription: each event is resolved like a request, in waves.
impl<S: futures_util::Stream> futures_util::Stream for Tracked<S> {
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        self.watched(cx, |s, cx| s.poll_next(cx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// Counts its calls and echoes its keys.
    struct Echo(Arc<AtomicUsize>);

    impl BatchLoad for Echo {
        type Key = u32;
        type Value = u32;
        async fn load(&self, keys: &[u32]) -> Result<HashMap<u32, u32>, LoadError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(keys.iter().map(|k| (*k, k * 10)).collect())
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn slow_levels_still_make_one_batch() {
        let calls = Arc::new(AtomicUsize::new(0));
        let gate = Arc::new(Gate::default());
        let loader = Arc::new(Batched::new(Echo(calls.clone()), &gate));
        let work = async move {
            let futures = (0..200u32).map(|k| {
                let loader = loader.clone();
                async move {
                    // Resolving each item takes a while before it asks for its key.
                    std::thread::sleep(Duration::from_micros(50));
                    loader.load_one(k).await.unwrap()
                }
            });
            futures_util::future::join_all(futures).await
        };
        let values = Tracked::new(gate, tokio::task::unconstrained(work)).await;
        assert_eq!(values[199], Some(1990));
        assert_eq!(calls.load(Ordering::SeqCst), 1, "one batch for the whole level");
    }
}
