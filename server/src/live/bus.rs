//! The alert bus of one replica: reads the alert log by cursor when woken and fans
//! the new changes out to its subscribers through bounded buffers.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use entities::{alert, alert_change};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};
use tokio::sync::{mpsc, Notify};

use super::access::{self, Credential, Denied, Identity};
use crate::domain::alert_log::{self, Change};
use crate::domain::alerts::AlertFilter;
use crate::domain::error::{DomainError, DomainResult};
use crate::domain::tenancy::Scope;

/// Events a subscriber may have waiting by default; one more and it is let go (see
/// [`End::Overflow`]). Larger than a page of the log, so that a burst (an import) does
/// not overflow a subscriber that keeps up.
pub const BUFFER: usize = 4096;
/// Changes the log keeps by default: about 80 minutes of 200 alerts a second, weeks of
/// a usual SOC's flow; each is a row of three numbers.
pub const KEEP: u64 = 1_000_000;
/// Changes read from the log per statement.
const PAGE: u64 = 1000;
/// How long a failed prune waits before the next try.
const RETRY_PRUNE: Duration = Duration::from_secs(60);
/// How often the log's high-water mark is checked without a wake-up.
const CHECK_EVERY: Duration = Duration::from_secs(1);
/// Reads of the log are at least [`coalesce`] apart: changes committed meanwhile are
/// read and sent together (fewer statements, and fewer, fuller writes to each
/// subscriber), at the cost of at most that much latency.
const COALESCE_MIN: Duration = Duration::from_millis(2);
const COALESCE_MAX: Duration = Duration::from_millis(25);
/// Subscribers per millisecond added to the pause between reads.
const SUBSCRIBERS_PER_MS: usize = 20;

/// The pause between reads for `subscribers`: a read's fan-out costs a write to each
/// subscriber (a system call, and on loopback the receiver's side of TCP too), so the
/// more subscribers, the more changes each read should gather: from 460 subscribers
/// on 25 ms, for a handful 2 ms (so a busy log is read up to 500 times a second by
/// each replica with few subscribers).
fn coalesce(subscribers: usize) -> Duration {
    (COALESCE_MIN + Duration::from_millis((subscribers / SUBSCRIBERS_PER_MS) as u64)).min(COALESCE_MAX)
}
/// The PostgreSQL channel replicas wake each other on.
const CHANNEL: &str = "pivot_alerts";

/// One change of the log, with its alert as it was read (none once deleted).
#[derive(Debug)]
pub struct Event {
    pub seq: i64,
    pub change: Change,
    pub alert_id: i64,
    pub alert: Option<alert::Model>,
    /// For a change of the alert's cases: the customer of the case.
    pub customer_id: Option<i64>,
}

/// A page of the log as events.
fn events(page: Vec<(alert_change::Model, Option<alert::Model>)>) -> impl Iterator<Item = Arc<Event>> {
    page.into_iter().filter_map(|(c, alert)| {
        Some(Arc::new(Event {
            seq: c.seq,
            change: Change::from_code(c.change)?,
            alert_id: c.alert_id,
            alert,
            customer_id: c.customer_id,
        }))
    })
}

/// Which changes a subscription follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feed {
    /// New alerts.
    Created,
    /// Alerts updated, linked to or unlinked from cases, deleted.
    Updated,
}

impl Feed {
    /// Whether `e` belongs to this feed and meets `filter`. A deleted alert is gone, so
    /// its deletion reaches every subscriber of updates: it names only the alert's id.
    /// A change of an alert's cases reaches only those who may see the case's customer:
    /// a subscriber limited to other customers is not told that an alert went into a
    /// case it cannot see.
    fn wants(self, filter: &AlertFilter, scope: &Scope, e: &Event) -> bool {
        let told = e.change != Change::CasesChanged
            || scope
                .customers()
                .is_none_or(|mine| e.customer_id.is_some_and(|c| mine.contains(&c)));
        told && match (self, &e.alert) {
            (Feed::Created, Some(a)) => e.change == Change::Created && filter.matches(a),
            (Feed::Created, None) => false,
            (Feed::Updated, Some(a)) => e.change != Change::Created && filter.matches(a),
            (Feed::Updated, None) => e.change != Change::Created,
        }
    }
}

/// Why a subscription ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum End {
    /// Its buffer was full: `missed` events were dropped, and it was let go.
    Overflow {
        missed: u64,
    },
    Denied(Denied),
    /// Its replay's position is older than the log keeps: what followed is gone.
    Pruned,
    /// The log could not be read.
    Failed(String),
    /// The server is shutting down.
    Closed,
}

/// A stream position: opaque to clients, the log's `seq` inside.
pub fn encode_cursor(seq: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("c{seq}"))
}

pub fn decode_cursor(field: &str, cursor: &str) -> DomainResult<i64> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|s| s.strip_prefix('c').and_then(|n| n.parse::<i64>().ok()))
        .filter(|n| *n >= 0)
        .ok_or_else(|| DomainError::bad(field, format!("{cursor:?} is not a cursor of the alert stream")))
}

#[derive(Clone)]
pub struct Bus(Arc<Inner>);

struct Inner {
    db: DatabaseConnection,
    buffer: usize,
    /// Commits of this process.
    local: Notify,
    state: Mutex<State>,
    next_id: AtomicU64,
    /// Wake-ups that found new changes (for metrics and benchmarks).
    reads: AtomicU64,
    /// Changes the log keeps: older ones are pruned once a tenth more have come.
    keep: i64,
    /// Up to where this bus pruned the log last, and whether it is pruning now.
    pruned: AtomicI64,
    pruning: AtomicBool,
}

struct State {
    /// The last `seq` fanned out.
    last: i64,
    subscribers: HashMap<u64, Subscriber>,
}

struct Subscriber {
    /// Changes up to this `seq` committed before it subscribed: not sent live.
    from: i64,
    feed: Feed,
    filter: AlertFilter,
    scope: Scope,
    who: Identity,
    sender: mpsc::Sender<Arc<Event>>,
    end: Arc<Mutex<Option<End>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Subscriber {
    /// Sends what it wants of `events`; false once it is to be let go.
    fn deliver(&mut self, events: &[Arc<Event>], denied: &HashMap<Credential, Denied>) -> bool {
        if let Some(why) = denied.get(&self.who.credential) {
            *lock(&self.end) = Some(End::Denied(why.clone()));
            return false;
        }
        let mut missed = 0;
        let wanted = events
            .iter()
            .filter(|e| e.seq > self.from && self.feed.wants(&self.filter, &self.scope, e));
        for e in wanted {
            if missed > 0 {
                missed += 1;
                continue;
            }
            match self.sender.try_send(Arc::clone(e)) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => missed += 1,
                Err(mpsc::error::TrySendError::Closed(_)) => return false,
            }
        }
        if missed > 0 {
            *lock(&self.end) = Some(End::Overflow { missed });
            return false;
        }
        true
    }
}

impl Bus {
    /// The bus of this process, reading from the log's current end; its loop runs
    /// until the process ends.
    pub async fn start(db: DatabaseConnection, buffer: usize, keep: u64) -> DomainResult<Self> {
        let last = alert_log::high_water(&db).await?;
        let bus = Self(Arc::new(Inner {
            db,
            buffer: buffer.max(1),
            local: Notify::new(),
            state: Mutex::new(State {
                last,
                subscribers: HashMap::new(),
            }),
            next_id: AtomicU64::new(1),
            reads: AtomicU64::new(0),
            keep: i64::try_from(keep.max(1)).unwrap_or(i64::MAX),
            pruned: AtomicI64::new(0),
            pruning: AtomicBool::new(false),
        }));
        bus.prune(last);
        let listener = match bus.0.db.get_database_backend() {
            DbBackend::Postgres => Some(listen(&bus.0.db).await?),
            _ => None,
        };
        tokio::spawn(bus.clone().run(listener));
        Ok(bus)
    }

    /// Tells the bus that this process committed a transaction that may have changed
    /// alerts. Cheap, and never waits: wake-ups while it reads are merged.
    pub fn committed(&self) {
        self.0.local.notify_one();
    }

    pub fn subscribers(&self) -> usize {
        lock(&self.0.state).subscribers.len()
    }

    /// Wake-ups that found new changes so far.
    pub fn reads(&self) -> u64 {
        self.0.reads.load(Ordering::Relaxed)
    }

    async fn run(self, mut listener: Option<sea_orm::sqlx::postgres::PgListener>) {
        let mut tick = tokio::time::interval(CHECK_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let local = tokio::select! {
                _ = self.0.local.notified() => true,
                _ = tick.tick() => false,
                n = async { listener.as_mut().expect("only polled with a listener").recv().await },
                    if listener.is_some() => {
                    if let Err(e) = n {
                        // sqlx reconnects on the next recv; the periodic check covers the gap.
                        tracing::warn!(error = %e, "listening for alert notifications");
                        tokio::time::sleep(CHECK_EVERY).await;
                    }
                    false
                }
            };
            let read_at = tokio::time::Instant::now();
            match self.catch_up().await {
                Ok(moved) if moved && local => self.notify_replicas().await,
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(error = %e, "reading the alert log");
                    tokio::time::sleep(CHECK_EVERY).await;
                }
            }
            let last = lock(&self.0.state).last;
            self.prune(last);
            tokio::time::sleep_until(read_at + coalesce(self.subscribers())).await;
        }
    }

    /// Prunes the log to the last `keep` changes up to `end`, in the background, once a
    /// tenth of `keep` has come since the last time (after a failure, not before
    /// [`RETRY_PRUNE`]). Every replica prunes; the deletes agree. A resume from a pruned
    /// position is told so (see [`End::Pruned`]).
    fn prune(&self, end: i64) {
        let through = end.saturating_sub(self.0.keep);
        let step = (self.0.keep / 10).max(1);
        if through - self.0.pruned.load(Ordering::Relaxed) < step || self.0.pruning.swap(true, Ordering::AcqRel) {
            return;
        }
        let bus = self.clone();
        tokio::spawn(async move {
            match alert_log::prune(&bus.0.db, through).await {
                Ok(deleted) => {
                    bus.0.pruned.store(through, Ordering::Relaxed);
                    tracing::debug!(deleted, through, "pruned the alert log");
                }
                Err(e) => {
                    tracing::warn!(error = %e, "pruning the alert log");
                    tokio::time::sleep(RETRY_PRUNE).await;
                }
            }
            bus.0.pruning.store(false, Ordering::Release);
        });
    }

    async fn notify_replicas(&self) {
        announce(&self.0.db).await;
    }

    /// Reads and fans out every change after the last one; whether there were any.
    async fn catch_up(&self) -> DomainResult<bool> {
        let mut moved = false;
        loop {
            let last = lock(&self.0.state).last;
            let page = alert_log::after(&self.0.db, last, None, PAGE).await?;
            let Some(end) = page.last().map(|(c, _)| c.seq) else {
                return Ok(moved);
            };
            moved = true;
            if alert_log::pruned_past(&self.0.db, last, page.first().map(|(c, _)| c.seq)).await? {
                self.let_go_pruned(last);
            }
            self.0.reads.fetch_add(1, Ordering::Relaxed);
            let full = page.len() as u64 == PAGE;
            let events: Vec<Arc<Event>> = events(page).collect();
            // Who may still read alerts, checked after the changes were read: anything
            // that took access away and committed before them is seen.
            let who: Vec<Identity> = lock(&self.0.state)
                .subscribers
                .values()
                .map(|s| s.who.clone())
                .collect();
            let denied = if who.is_empty() {
                HashMap::new()
            } else {
                access::denied(&self.0.db, &who).await?
            };
            let mut state = lock(&self.0.state);
            state.last = end;
            state.subscribers.retain(|_, s| s.deliver(&events, &denied));
            drop(state);
            if !full {
                return Ok(moved);
            }
        }
    }

    /// Lets go, with [`End::Pruned`], the subscribers that were to be sent changes after
    /// `last` which another replica pruned before this bus read them (it fell further
    /// behind than the log keeps).
    fn let_go_pruned(&self, last: i64) {
        tracing::warn!(last, "the alert log was pruned past what this replica had read");
        lock(&self.0.state).subscribers.retain(|_, s| {
            let lost = s.from <= last;
            if lost {
                *lock(&s.end) = Some(End::Pruned);
            }
            !lost
        });
    }

    /// Follows `feed` for `who`: live from now on, after replaying the changes since
    /// `after` (a log `seq`) from the database, without gap or repeat between the two.
    /// "Now" is the log's end in the database, not what this bus has read of it: a
    /// change committed before the call is never sent live, however late the bus is;
    /// nor is one up to `after` (a cursor may come from a replica that read further).
    /// `db` (not the bus's own few connections) reads the log's end and the replay.
    pub async fn subscribe(
        &self,
        db: &DatabaseConnection,
        feed: Feed,
        filter: AlertFilter,
        scope: Scope,
        who: Identity,
        after: Option<i64>,
    ) -> DomainResult<Subscription> {
        // A cursor past the log's end (made up, or from before the database was reset)
        // counts as the end.
        let end = alert_log::high_water(db).await?;
        let now = after.map_or(end, |after| after.min(end));
        let (sender, receiver) = mpsc::channel(self.0.buffer);
        let end = Arc::new(Mutex::new(None));
        let id = self.0.next_id.fetch_add(1, Ordering::Relaxed);
        // Registered and positioned under one lock: everything after `at` is sent live.
        let at = {
            let mut state = lock(&self.0.state);
            let at = state.last.max(now);
            state.subscribers.insert(
                id,
                Subscriber {
                    from: at,
                    feed,
                    filter: filter.clone(),
                    scope: scope.clone(),
                    who,
                    sender,
                    end: Arc::clone(&end),
                },
            );
            at
        };
        Ok(Subscription {
            bus: self.clone(),
            db: db.clone(),
            id,
            feed,
            filter,
            scope,
            replay: after.filter(|a| *a < at),
            at,
            receiver,
            end,
            buffered: VecDeque::new(),
            done: false,
        })
    }
}

/// Wakes the buses of every Pivot process on this database, after a commit that may
/// have changed alerts: a `NOTIFY` on PostgreSQL, sent outside any transaction (NOTIFY
/// inside one takes a global lock at its commit). On SQLite the buses' periodic check
/// finds the change.
pub async fn announce(db: &DatabaseConnection) {
    if db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    if let Err(e) = db.execute_unprepared(&format!("NOTIFY {CHANNEL}")).await {
        tracing::warn!(error = %e, "notifying replicas of new alerts");
    }
}

async fn listen(db: &DatabaseConnection) -> DomainResult<sea_orm::sqlx::postgres::PgListener> {
    let pool = db.get_postgres_connection_pool();
    let mut listener = sea_orm::sqlx::postgres::PgListener::connect_with(pool)
        .await
        .map_err(|e| DomainError::Db(sea_orm::DbErr::Custom(format!("LISTEN {CHANNEL}: {e}"))))?;
    listener
        .listen(CHANNEL)
        .await
        .map_err(|e| DomainError::Db(sea_orm::DbErr::Custom(format!("LISTEN {CHANNEL}: {e}"))))?;
    Ok(listener)
}

/// One subscriber's events: the replay first, then live ones, then why it ended.
pub struct Subscription {
    bus: Bus,
    db: DatabaseConnection,
    id: u64,
    feed: Feed,
    filter: AlertFilter,
    scope: Scope,
    /// The replay's position, until it reaches `at`.
    replay: Option<i64>,
    at: i64,
    receiver: mpsc::Receiver<Arc<Event>>,
    end: Arc<Mutex<Option<End>>>,
    buffered: VecDeque<Arc<Event>>,
    done: bool,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        lock(&self.bus.0.state).subscribers.remove(&self.id);
    }
}

impl Subscription {
    /// The replay's page after `from`, unless a prune took changes after `from` first.
    async fn replay_page(&self, from: i64) -> Result<Vec<(alert_change::Model, Option<alert::Model>)>, End> {
        let failed = |e: DomainError| End::Failed(e.to_string());
        let page = alert_log::after(&self.db, from, Some(self.at), PAGE)
            .await
            .map_err(failed)?;
        let first = page.first().map(|(c, _)| c.seq);
        if alert_log::pruned_past(&self.db, from, first).await.map_err(failed)? {
            return Err(End::Pruned);
        }
        Ok(page)
    }

    /// The next event, or why the subscription ended (then `None` for good).
    pub async fn next(&mut self) -> Option<Result<Arc<Event>, End>> {
        loop {
            if let Some(e) = self.buffered.pop_front() {
                return Some(Ok(e));
            }
            if self.done {
                return None;
            }
            if let Some(from) = self.replay {
                match self.replay_page(from).await {
                    Ok(page) => {
                        self.replay = page.last().map(|(c, _)| c.seq).filter(|s| *s < self.at);
                        let (feed, filter, scope) = (self.feed, &self.filter, &self.scope);
                        self.buffered
                            .extend(events(page).filter(|e| feed.wants(filter, scope, e)));
                    }
                    Err(end) => {
                        self.done = true;
                        return Some(Err(end));
                    }
                }
                continue;
            }
            return match self.receiver.recv().await {
                Some(e) => Some(Ok(e)),
                None => {
                    self.done = true;
                    Some(Err(lock(&self.end).take().unwrap_or(End::Closed)))
                }
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_gather_more_the_more_subscribers_there_are() {
        assert_eq!(coalesce(0), COALESCE_MIN);
        assert!(coalesce(200) > coalesce(20));
        assert_eq!(coalesce(1_000), COALESCE_MAX);
        assert_eq!(coalesce(100_000), COALESCE_MAX);
    }

    #[test]
    fn cursors_round_trip_and_refuse_others() {
        assert_eq!(decode_cursor("after", &encode_cursor(42)).unwrap(), 42);
        assert!(decode_cursor("after", "k42").is_err());
        // A connection cursor of another list is not a stream position.
        assert!(decode_cursor("after", &crate::graphql::pagination::encode_cursor(42)).is_err());
        assert!(decode_cursor("after", &URL_SAFE_NO_PAD.encode("c-1")).is_err());
    }
}
