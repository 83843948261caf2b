//! Signing in with a username and password: uniform failures (no user enumeration,
//! also not by timing), rate limits counted from the audit log (so that replicas
//! sharing a database share them), and every outcome on record.

use std::sync::LazyLock;

use chrono::{Duration, Utc};
use entities::{audit_event, user};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbBackend, EntityTrait, Statement, TransactionTrait,
};
use serde_json::json;

use super::{passwords, tokens};
use crate::domain::audit::{self, Event};
use crate::domain::error::{DomainError, DomainResult};
use crate::domain::ids::Kind;
use crate::domain::users;

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

/// Verified against when the user does not exist, so that an unknown name costs the
/// same time as a wrong password.
static DECOY: LazyLock<String> = LazyLock::new(|| passwords::hash("decoy password, never matches"));

pub async fn login<C>(db: &C, username: &str, password: &str, address: Option<&str>) -> DomainResult<Outcome>
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
    let Some(attempt) = claim_attempt(db, &key, address).await? else {
        return Ok(Outcome::RateLimited);
    };
    let stored = found.as_ref().and_then(|u| u.password_hash.clone());
    let matches = {
        let password = password.to_string();
        let against = stored.clone().unwrap_or_else(|| DECOY.clone());
        // Argon2 takes tens of milliseconds of CPU: not on the async workers.
        tokio::task::spawn_blocking(move || passwords::verify(&password, &against))
            .await
            .unwrap_or(false)
            && stored.is_some()
    };
    let Some(user) = found.filter(|u| matches && u.active) else {
        return Ok(Outcome::Refused);
    };
    let tx = db.begin().await?;
    // Not a failure after all.
    audit_event::Entity::delete_by_id(attempt).exec(&tx).await?;
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
    match tx.get_database_backend() {
        // SQLite has one writer at a time: taking the write lock serialises attempts.
        DbBackend::Sqlite => crate::db::write_lock(&tx).await?,
        // Transaction-scoped advisory locks, always taken in the same order.
        _ => {
            let mut locks = vec![lock_key("login user", key)];
            if let Some(a) = address {
                locks.push(lock_key("login address", a));
            }
            locks.sort_unstable();
            for k in locks {
                tx.execute(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT pg_advisory_xact_lock($1)",
                    [k.into()],
                ))
                .await?;
            }
        }
    }
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

/// A 64-bit advisory lock key for `what` of `value`.
fn lock_key(what: &str, value: &str) -> i64 {
    let digest = tokens::hash(&format!("{what}\0{value}"));
    i64::from_str_radix(&digest[..15], 16).unwrap_or_default()
}
