//! Signing in with a username and password: uniform failures (no user enumeration,
//! also not by timing), rate limits counted from the audit log (so that replicas
//! sharing a database share them), and every outcome on record.

use std::sync::LazyLock;

use chrono::{Duration, Utc};
use entities::{audit_event, user};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait, TransactionTrait};
use serde_json::json;

use crate::domain::audit::{self, Event};
use crate::domain::error::{DomainError, DomainResult};
use crate::domain::ids::Kind;
use crate::domain::users;
use crate::domain::{passwords, tokens};

/// Failed sign-ins counted over this window ...
pub const WINDOW: Duration = Duration::minutes(15);
/// ... refuse further attempts for one username beyond this many ...
pub const MAX_PER_USERNAME: u64 = 5;
/// ... and from one address beyond this many.
pub const MAX_PER_ADDRESS: u64 = 20;

pub enum Outcome {
    SignedIn(user::Model),
    /// Unknown user, wrong password or inactive user: deliberately indistinguishable.
    Refused,
    /// Too many recent failures for this username or address.
    RateLimited,
}

/// Password checks running at once in this process: one per core of the machine this
/// is sized for.
static VERIFYING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Verified against when the user does not exist, so that an unknown name costs the
/// same time as a wrong password.
static DECOY: LazyLock<String> = LazyLock::new(|| passwords::hash("decoy password, never matches"));

/// Why a password is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// A sign-in: a session begins, recorded as `LOGIN`.
    SignIn,
    /// A password sent with a request itself (HTTP Basic): the same rules, limits and
    /// recorded failures, but no session begins, so none is recorded.
    Request,
}

/// Checks `username` and `password` for `purpose`.
pub async fn login<C>(
    db: &C,
    gate: Option<&crate::db::WriteGate>,
    username: &str,
    password: &str,
    address: Option<&str>,
    purpose: Purpose,
) -> DomainResult<Outcome>
where
    C: ConnectionTrait + TransactionTrait,
{
    let name = username.trim().to_lowercase();
    let found = if users::valid_username(&name).is_ok() {
        match users::by_name(db, &name).await {
            Ok(user) => Some(user),
            Err(DomainError::NotFound(_)) => None,
            Err(e) => return Err(e),
        }
    } else {
        None
    };
    // What the attempt is recorded under: an existing user's name, or for any other
    // name a digest, so that a password typed into the username field is never kept
    // and a megabyte of username costs the log 19 bytes. The same name always gives
    // the same key, so failures still count per name.
    let key = match &found {
        Some(u) => u.username.clone(),
        None => format!("~{}", &tokens::hash(&name)[..16]),
    };
    // The attempt is counted and recorded as a failure in one transaction that holds
    // the lock of its username and address (the database's, so replicas share it):
    // concurrent attempts are counted one after another, none can slip past the limit.
    // On SQLite, both writes of a sign-in wait their turn like any write, holding no
    // connection meanwhile.
    let turn = || async {
        match gate {
            Some(g) => g.enter(false).await.map_err(|()| DomainError::Busy),
            None => Ok(None),
        }
    };
    let claimed = {
        let _turn = turn().await?;
        claim_attempt(db, &key, address).await?
    };
    let Some(attempt) = claimed else {
        return Ok(Outcome::RateLimited);
    };
    let stored = found.as_ref().and_then(|u| u.password_hash.clone());
    let matches = {
        let password = password.to_string();
        let against = stored.clone().unwrap_or_else(|| DECOY.clone());
        // Argon2 takes tens of milliseconds of CPU and 19 MiB: not on the async workers,
        // and a few at a time whoever asks (anyone may, without credentials).
        let _turn = VERIFYING.acquire().await;
        tokio::task::spawn_blocking(move || passwords::verify(&password, &against))
            .await
            .unwrap_or(false)
            && stored.is_some()
    };
    let Some(user) = found.filter(|u| matches && u.active) else {
        return Ok(Outcome::Refused);
    };
    let _turn = turn().await?;
    let tx = db.begin().await?;
    crate::db::write_lock(&tx).await?;
    // Not a failure after all.
    audit_event::Entity::delete_by_id(attempt).exec(&tx).await?;
    if purpose == Purpose::Request {
        tx.commit().await?;
        return Ok(Outcome::SignedIn(user));
    }
    let mut am: user::ActiveModel = user.clone().into();
    am.last_login_at = Set(Some(Utc::now()));
    let user = am.update(&tx).await?;
    audit::record(
        &tx,
        Event::new(Some(user.id), audit::LOGIN, address.map(str::to_string)).on(Kind::User, user.id),
    )
    .await?;
    tx.commit().await?;
    Ok(Outcome::SignedIn(user))
}

/// Counts the recent failures for `key` and `address` and, under the limits, records
/// this attempt as one (its audit event ID); `None` when over a limit.
async fn claim_attempt<C>(db: &C, key: &str, address: Option<&str>) -> DomainResult<Option<i64>>
where
    C: ConnectionTrait + TransactionTrait,
{
    let tx = db.begin().await?;
    // SQLite has one writer at a time: taking the write lock serialises attempts.
    crate::db::write_lock(&tx).await?;
    let mut names = vec![("login user", key)];
    if let Some(a) = address {
        names.push(("login address", a));
    }
    crate::db::advisory_locks(&tx, &names).await?;
    let (by_name, by_address) = audit::recent_login_failures(&tx, key, address, WINDOW).await?;
    if by_name >= MAX_PER_USERNAME || by_address >= MAX_PER_ADDRESS {
        return Ok(None);
    }
    let mut event = Event::new(None, audit::LOGIN_FAILED, address.map(str::to_string));
    event.object = Some(("User".into(), key.to_string()));
    let recorded = audit::record(&tx, event.detail(json!({ "username": key }))).await?;
    tx.commit().await?;
    Ok(Some(recorded.id))
}
