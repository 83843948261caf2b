//! Deterministic batching for the DataLoaders of one request.
//!
//! async-graphql's DataLoader sends a batch a fixed delay after its first key. When
//! resolving a level of a large result takes longer than that delay (200 hosts on a
//! busy 2-core machine does), the level's keys split over several batches and the
//! number of SQL statements grows with the number of rows: N+1 by the back door.
//!
//! A [`Gate`] makes batches go out in waves instead: a batch is held until its
//! request is idle — not being polled, no wake-up pending, no batch of it in flight —
//! and then every held batch goes at once. By then every resolver of the level has
//! queued its keys, so each loader sends one statement per wave whatever the size of
//! the result.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll, Wake, Waker};

use futures_util::future::BoxFuture;
use tokio::sync::oneshot;

#[derive(Default)]
pub struct Gate(Mutex<State>);

#[derive(Default)]
struct State {
    polling: bool,
    wake_pending: bool,
    inflight: usize,
    held: Vec<oneshot::Sender<()>>,
}

impl Gate {
    fn state(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The spawner for this request's DataLoaders: each batch waits for its wave.
    pub fn spawner(self: &Arc<Self>) -> impl Fn(BoxFuture<'static, ()>) + Send + Sync + 'static {
        let gate = Arc::clone(self);
        move |batch| {
            let (tx, rx) = oneshot::channel();
            gate.state().held.push(tx);
            // A weak reference: when the request is gone, held batches are dropped.
            let gate: Weak<Gate> = Arc::downgrade(&gate);
            tokio::spawn(async move {
                if rx.await.is_ok() {
                    batch.await;
                    if let Some(gate) = gate.upgrade() {
                        let mut s = gate.state();
                        s.inflight -= 1;
                        release(&mut s);
                    }
                }
            });
        }
    }
}

/// Sends every held batch when the request is idle.
fn release(s: &mut State) {
    if s.polling || s.wake_pending || s.inflight > 0 {
        return;
    }
    for tx in std::mem::take(&mut s.held) {
        if tx.send(()).is_ok() {
            s.inflight += 1;
        }
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
        self.gate.state().wake_pending = true;
        self.inner.wake_by_ref();
    }
}

/// A request's execution, watched by its gate.
pub struct Tracked<F> {
    gate: Arc<Gate>,
    inner: Pin<Box<F>>,
}

impl<F: Future> Tracked<F> {
    pub fn new(gate: Arc<Gate>, inner: F) -> Self {
        Self {
            gate,
            inner: Box::pin(inner),
        }
    }
}

impl<F: Future> Future for Tracked<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        {
            let mut s = self.gate.state();
            s.polling = true;
            s.wake_pending = false;
        }
        let waker = Waker::from(Arc::new(WakeFlag {
            gate: Arc::clone(&self.gate),
            inner: cx.waker().clone(),
        }));
        let out = self.inner.as_mut().poll(&mut Context::from_waker(&waker));
        let mut s = self.gate.state();
        s.polling = false;
        if out.is_pending() {
            release(&mut s);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn batches_wait_until_the_request_is_idle() {
        let gate = Arc::new(Gate::default());
        let spawn = gate.spawner();
        let ran = Arc::new(AtomicUsize::new(0));
        let r = ran.clone();
        let work = async move {
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            let counter = r.clone();
            spawn(Box::pin(async move {
                counter.fetch_add(1, Ordering::SeqCst);
                let _ = tx.send(());
            }));
            // Busy work while "resolving": the batch must not run meanwhile.
            std::thread::sleep(Duration::from_millis(20));
            let before = r.load(Ordering::SeqCst);
            rx.await.unwrap();
            before
        };
        let before = Tracked::new(gate, work).await;
        assert_eq!(before, 0, "the batch ran while the request was still being polled");
        assert_eq!(ran.load(Ordering::SeqCst), 1);
    }
}
