//! The IPDR query workers of this process. Each loops: claim a query (a NEW one, or one
//! whose worker went quiet for longer than the lease), copy its matches a batch at a
//! time (`domain::ipdr`), and look for the next. A submission in this process wakes a
//! worker at once; other replicas' submissions are found by polling.
//!
//! Cancellation is seen between batches: the batch being copied when a query is
//! canceled is not written. A crash leaves the query INPROGRESS with a heartbeat that
//! stops moving; after the lease any worker claims it again and goes on after the last
//! batch written (each batch commits with its cursor).

use std::sync::Arc;
use std::time::Duration;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use chrono::Utc;
use entities::{ipdr_context, ipdr_query};
use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

use crate::domain::error::DomainResult;
use crate::domain::ipdr::{self, MAX_ATTEMPTS};

/// How the workers run.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Workers of this process (queries run side by side).
    pub workers: usize,
    /// How long a worker may go without a heartbeat before its query is claimed again.
    pub lease: Duration,
    /// Records copied per batch (and per transaction).
    pub batch: u64,
    /// How often idle workers look for queries submitted elsewhere.
    pub poll: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            workers: 2,
            lease: Duration::from_secs(30),
            batch: 1000,
            poll: Duration::from_secs(1),
        }
    }
}

/// Wakes this process's workers.
#[derive(Clone, Default)]
pub struct Queue(Arc<Notify>);

impl Queue {
    /// A query was committed: one idle worker claims it (or the next to go idle).
    pub fn submitted(&self) {
        self.0.notify_one();
    }
}

/// Starts the workers; the queue wakes them.
pub fn start(db: DatabaseConnection, settings: Settings) -> Queue {
    let queue = Queue::default();
    // Unique among replicas and restarts: a claim names the worker holding it.
    let process = format!("{}-{:08x}", std::process::id(), OsRng.next_u32());
    for n in 0..settings.workers {
        let worker = format!("{process}/{n}");
        tokio::spawn(work(db.clone(), queue.clone(), worker, settings.clone()));
    }
    queue
}

async fn work(db: DatabaseConnection, queue: Queue, worker: String, settings: Settings) {
    loop {
        let stale = Utc::now() - chrono::Duration::from_std(settings.lease).unwrap_or(chrono::Duration::seconds(30));
        match ipdr::claim(&db, &worker, stale).await {
            Ok(Some(q)) => {
                let attempts = q.attempts;
                if !run(&db, q, &worker, &settings).await {
                    // Whatever failed (the database gone for a moment) gets time to mend
                    // before this worker tries again, longer after each failed attempt.
                    tokio::time::sleep(settings.poll * 2u32.saturating_pow(attempts.clamp(0, 5) as u32)).await;
                }
                continue;
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, "claiming an IPDR query");
                tokio::time::sleep(settings.poll).await;
            }
        }
        tokio::select! {
            _ = queue.0.notified() => {}
            _ = tokio::time::sleep(settings.poll) => {}
        }
    }
}

/// Runs a claimed query to its end (or gives it up); `false` when the run failed and the
/// query went back to the queue.
async fn run(db: &DatabaseConnection, q: ipdr_query::Model, worker: &str, settings: &Settings) -> bool {
    if q.attempts > MAX_ATTEMPTS {
        let why = format!("Query failed: given up after {MAX_ATTEMPTS} attempts");
        if let Err(e) = ipdr::give_up(db, &q, worker, &why).await {
            tracing::warn!(query = q.id, error = %e, "giving up an IPDR query");
        }
        return true;
    }
    // The heartbeat beats on its own while the run goes on: a slow lookup is not a dead
    // worker.
    let beats = async {
        let mut every = tokio::time::interval(settings.lease / 3);
        every.tick().await;
        loop {
            every.tick().await;
            if let Err(e) = ipdr::heartbeat(db, q.id, worker).await {
                tracing::warn!(query = q.id, error = %e, "renewing an IPDR query's heartbeat");
            }
        }
    };
    let result = tokio::select! {
        result = copy(db, q.clone(), worker, settings) => result,
        _ = beats => unreachable!("the heartbeat beats until the run ends"),
    };
    match result {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(query = q.id, error = %e, "running an IPDR query; it will be retried");
            if let Err(e) = ipdr::release(db, &q, worker).await {
                tracing::warn!(query = q.id, error = %e, "releasing an IPDR query");
            }
            false
        }
    }
}

/// Copies the matches of `q` after its cursor, a batch at a time, until none are left
/// or the query is not this worker's any more.
async fn copy(
    db: &DatabaseConnection,
    mut q: ipdr_query::Model,
    worker: &str,
    settings: &Settings,
) -> DomainResult<()> {
    let context = crate::domain::crud::find::<ipdr_context::Entity>(db, "IPDR context", q.context_id).await?;
    loop {
        let batch = ipdr::next_batch(db, &q, &context, settings.batch).await?;
        let done = (batch.rows.len() as u64) < settings.batch;
        let cursor = batch.cursor;
        if !ipdr::write_batch(db, &q, worker, batch, done).await? || done {
            return Ok(());
        }
        if let Some((t, id)) = cursor {
            q.cursor_time = Some(t);
            q.cursor_id = Some(id);
        }
    }
}
