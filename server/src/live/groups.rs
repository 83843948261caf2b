//! Groups of identical subscriptions: each event is resolved once per group and its
//! serialised payload shared by every member.
//!
//! Resolving a subscriber's selection is most of what a delivery costs (async-graphql's
//! resolvers, extensions and serialisation). Subscriptions with the same document,
//! variables and rights resolve every event to the same JSON, so a group runs one
//! long-lived execution of that document whose resolver reads the events the members
//! ask for ([`Grouped`]), one at a time, and keeps the last [`KEPT`] payloads. A member
//! asks for an event once it took it from its own bus buffer, so overflow, access
//! checks and resume stay per member ([`super::subscription`]); a member that lags
//! further than [`KEPT`] events behind its peers has its events resolved again.
//!
//! The key holds everything resolution depends on: the document, the operation, the
//! variables (less a resume position that nothing else reads) and the rights of the
//! user (id, role, extra grants, how it signed in, customer scope). Rights that are read
//! from the database as a field resolves (IPDR contexts) are the same user's.
//!
//! The execution carries the request data of the member that started the group: a
//! nested field refused to these rights is audited once per group (not per member),
//! with that member's address.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use async_graphql::Response;
use futures_util::future::{BoxFuture, FutureExt, Shared};
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use tokio::sync::{mpsc, oneshot};

use super::bus::Event;

/// Payloads a group of several members keeps for those behind their peers.
const KEPT: usize = 128;

/// A resolved event: the GraphQL response as JSON (`{"data": …}`), shared by the
/// members; `None` once the group's execution failed.
type Payload = Shared<BoxFuture<'static, Option<Arc<str>>>>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What identifies a group (see the module's documentation).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Key(String);

impl Key {
    pub fn new(rights: &str, query: &str, operation: Option<&str>, variables: &str) -> Self {
        Self(format!(
            "{rights}\u{0}{}\u{0}{variables}\u{0}{query}",
            operation.unwrap_or("")
        ))
    }
}

/// The groups of one process, by key; a group lives while it has members.
#[derive(Clone, Default)]
pub struct Groups(Arc<Mutex<HashMap<Key, Weak<Group>>>>);

impl Groups {
    /// The group of `key`, started by `start` (the group's execution, reading the
    /// events it is given) if there is none.
    /// Each event must resolve within `budget` (the request budget of queries), or the
    /// group ends with `TIMEOUT`: a subscription's selection is bounded like a query.
    pub fn join(
        &self,
        key: Key,
        budget: std::time::Duration,
        start: impl FnOnce(Grouped) -> BoxStream<'static, Response>,
    ) -> Arc<Group> {
        // Dropped after the lock is released: a failed group's Drop takes the lock.
        let failed: Option<Arc<Group>>;
        let mut groups = lock(&self.0);
        match groups.get(&key).and_then(Weak::upgrade) {
            Some(group) if !group.jobs.is_closed() => return group,
            // A group whose execution failed is replaced (its members end; new ones start over).
            other => failed = other,
        }
        let (feed, events) = mpsc::unbounded_channel();
        let grouped = Grouped(Mutex::new(Some(events)).into());
        let responses = start(grouped.clone());
        let (jobs, queue) = mpsc::unbounded_channel();
        let group = Arc::new(Group {
            key: key.clone(),
            groups: Arc::downgrade(&self.0),
            jobs,
            kept: Mutex::new(BTreeMap::new()),
        });
        tokio::spawn(drive(queue, feed, grouped, responses, budget));
        groups.insert(key, Arc::downgrade(&group));
        drop(groups);
        drop(failed);
        group
    }

    /// Groups with members now.
    pub fn len(&self) -> usize {
        lock(&self.0).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The events a group's execution resolves, as request data for the subscription
/// resolvers: taken once, by the one root field.
#[derive(Clone)]
pub struct Grouped(Arc<Mutex<Option<mpsc::UnboundedReceiver<Arc<Event>>>>>);

impl Grouped {
    pub fn take(&self) -> Option<BoxStream<'static, Arc<Event>>> {
        let events = lock(&self.0).take()?;
        Some(tokio_stream::wrappers::UnboundedReceiverStream::new(events).boxed())
    }

    /// Whether the execution's resolver took the events (else it failed before).
    fn taken(&self) -> bool {
        lock(&self.0).is_none()
    }
}

struct Job {
    event: Arc<Event>,
    done: oneshot::Sender<Arc<str>>,
}

pub struct Group {
    key: Key,
    groups: Weak<Mutex<HashMap<Key, Weak<Group>>>>,
    jobs: mpsc::UnboundedSender<Job>,
    /// Payloads of the highest log positions asked for.
    kept: Mutex<BTreeMap<i64, Payload>>,
}

impl Drop for Group {
    fn drop(&mut self) {
        if let Some(groups) = self.groups.upgrade() {
            let mut groups = lock(&groups);
            // A new group of the same key may have taken the place already.
            if groups.get(&self.key).is_some_and(|g| g.strong_count() == 0) {
                groups.remove(&self.key);
            }
        }
    }
}

impl Group {
    /// `event` resolved for this group's selection and rights: once, whichever member
    /// asks first. `None` if the group's execution ended (the member should end too).
    pub async fn payload(self: &Arc<Self>, event: &Arc<Event>) -> Option<Arc<str>> {
        // Each member holds the group once: a lone member keeps nothing for others.
        let alone = Arc::strong_count(self) == 1;
        let payload = {
            let mut kept = lock(&self.kept);
            match kept.get(&event.seq) {
                Some(p) => p.clone(),
                None => {
                    let (done, receiver) = oneshot::channel();
                    let p = receiver.map(Result::ok).boxed().shared();
                    let _ = self.jobs.send(Job {
                        event: Arc::clone(event),
                        done,
                    });
                    if !alone {
                        kept.insert(event.seq, p.clone());
                        while kept.len() > KEPT {
                            kept.pop_first();
                        }
                    }
                    p
                }
            }
        };
        payload.await
    }
}

/// A group's execution: each event it is given yields exactly one response (the
/// resolvers map every event to one item), serialised once.
/// A response that is no event (the execution failed before its resolver took the
/// events) ends the group rather than reach a member as one.
async fn drive(
    mut jobs: mpsc::UnboundedReceiver<Job>,
    feed: mpsc::UnboundedSender<Arc<Event>>,
    grouped: Grouped,
    mut responses: BoxStream<'static, Response>,
    budget: std::time::Duration,
) {
    while let Some(job) = jobs.recv().await {
        if feed.send(job.event).is_err() {
            return;
        }
        let Ok(response) = tokio::time::timeout(budget, responses.next()).await else {
            // Its members get the error for this event, then end with the group.
            let refused =
                super::subscription::refusal(crate::graphql::errors::TOO_LONG, crate::graphql::errors::TIMEOUT);
            let _ = job.done.send(super::subscription::serialised(&refused));
            return;
        };
        let response = response.filter(|_| grouped.taken());
        let Some(response) = response else {
            tracing::error!("a subscription group's execution ended");
            return;
        };
        let _ = job.done.send(super::subscription::serialised(&response));
    }
}
