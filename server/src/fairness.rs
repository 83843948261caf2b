//! Shares of the server per user, so that one caller cannot starve the others: a
//! user's operations run a few at a time ([`Turns`], on every transport), and a user
//! holds a bounded number of WebSocket connections ([`Slots`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Operations one user may have running at once, on every transport together; the
/// others wait for a turn within their own time budget. Two cores and a pool of 8
/// (SQLite) or 16 (PostgreSQL) connections: a user with 4 running leaves room for others.
pub const OPERATIONS_PER_USER: usize = 4;

/// Per-user turns at running operations.
#[derive(Default)]
pub struct Turns(Mutex<HashMap<i64, Arc<Semaphore>>>);

impl Turns {
    /// Waits for a turn of `user` (none is needed without a user: only `login` runs).
    pub async fn take(&self, user: Option<i64>) -> Option<OwnedSemaphorePermit> {
        let user = user?;
        let semaphore = {
            let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
            map.entry(user)
                .or_insert_with(|| Arc::new(Semaphore::new(OPERATIONS_PER_USER)))
                .clone()
        };
        semaphore.acquire_owned().await.ok()
    }
}

/// Per-user counts of something held (WebSocket connections), each under a cap.
#[derive(Default, Clone)]
pub struct Slots(Arc<Mutex<HashMap<i64, usize>>>);

/// One slot held; given back when dropped.
pub struct Slot {
    slots: Slots,
    user: i64,
}

impl Slots {
    /// A slot of `user`, unless it already holds `max`.
    pub fn try_take(&self, user: i64, max: usize) -> Option<Slot> {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let held = map.entry(user).or_default();
        if *held >= max {
            return None;
        }
        *held += 1;
        Some(Slot {
            slots: self.clone(),
            user,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut map = self.slots.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(held) = map.get_mut(&self.user) {
            *held -= 1;
            if *held == 0 {
                map.remove(&self.user);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_capped_per_user_and_given_back() {
        let slots = Slots::default();
        let a = slots.try_take(1, 2).unwrap();
        let _b = slots.try_take(1, 2).unwrap();
        assert!(slots.try_take(1, 2).is_none());
        assert!(slots.try_take(2, 2).is_some());
        drop(a);
        assert!(slots.try_take(1, 2).is_some());
    }

    #[tokio::test]
    async fn a_user_runs_a_few_operations_at_once() {
        let turns = Turns::default();
        let mut held = Vec::new();
        for _ in 0..OPERATIONS_PER_USER {
            held.push(turns.take(Some(1)).await.unwrap());
        }
        let waiting = tokio::time::timeout(std::time::Duration::from_millis(20), turns.take(Some(1))).await;
        assert!(waiting.is_err(), "a fifth operation waits");
        assert!(turns.take(Some(2)).await.is_some(), "another user does not");
        held.pop();
        assert!(turns.take(Some(1)).await.is_some());
    }
}
