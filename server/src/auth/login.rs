//! Signing in with a username and password: uniform failures (no user enumeration,
//! also not by timing), rate limits counted from the audit log (so that replicas
//! sharing a database share them), and every outcome on record.

use std::sync::LazyLock;

use chrono::{Duration, Utc};
use entities::user;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, TransactionTrait};
use serde_json::json;

use super::passwords;
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
    let (by_name, by_address) = audit::recent_login_failures(db, &name, address, WINDOW).await?;
    if by_name >= MAX_PER_USERNAME || by_address >= MAX_PER_ADDRESS {
        return Ok(Outcome::RateLimited);
    }
    let found = match users::by_name(db, &name).await {
        Ok(user) => Some(user),
        Err(DomainError::NotFound(_)) => None,
        Err(e) => return Err(e),
    };
    let stored = found.as_ref().and_then(|u| u.password_hash.clone());
    let matches = passwords::verify(password, stored.as_deref().unwrap_or(&DECOY)) && stored.is_some();
    let user = found.filter(|u| matches && u.active);
    let Some(user) = user else {
        // The attempted name is kept so that failures can be counted per username.
        let mut event = Event::new(None, audit::LOGIN_FAILED, address.map(str::to_string));
        event.object = Some(("User".into(), name.clone()));
        audit::record(db, event.detail(json!({ "username": name }))).await?;
        return Ok(Outcome::Refused);
    };
    let tx = db.begin().await?;
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
