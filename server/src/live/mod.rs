//! Live alerts: the alert bus, and subscriptions to it.
//!
//! The table `alert_changes` is the log ([`crate::domain::alert_log`]): every
//! transaction that changes alerts appends to it, and each replica's [`Bus`] reads what
//! is new by cursor (one read per wake-up, whatever the number of subscribers) and
//! fans it out in memory. A commit in this process wakes the bus directly; on
//! PostgreSQL the bus then sends a `NOTIFY` (after the commit, outside any ingest
//! transaction) that wakes the other replicas; a periodic check of the log's high-water
//! mark covers writers that notify no one (the `pivot import` CLI on SQLite).
//!
//! Each subscription is a member of the bus with its own buffer, and each event it
//! takes is resolved once for every identical subscription ([`groups`]): the WebSocket
//! and SSE transports (`http::ws`, `http::sse`) open subscriptions through
//! [`subscription`].

pub mod access;
pub mod bus;
pub mod groups;
pub mod subscription;

pub use access::Identity;
pub use bus::{Bus, End, Event, Feed};
pub use groups::Groups;
