//! Who a subscriber is, checked again for every batch of events it is sent: a revoked
//! token, an ended session, a deactivated user or a lost alerts capability ends its
//! subscriptions before the next alert reaches it.

use std::collections::{HashMap, HashSet};

use axum::http::HeaderMap;
use entities::{session, user};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use tower_sessions::Session;

use crate::auth::principal::{self, Credentials, Presented};
use crate::auth::sessions;
use crate::domain::access::{Capability, Level, Principal, Via};
use crate::domain::error::DomainResult;
use crate::domain::tenancy::{self, Scope};
use crate::domain::{tokens, users};

/// The credentials a subscription was opened with.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Credential {
    /// An API token, by the hash Pivot stores.
    Token(String),
    /// A browser session, by its stored key.
    Session(String),
}

/// A subscriber: its credentials and the user they stand for.
#[derive(Clone, Debug)]
pub struct Identity {
    pub credential: Credential,
    pub user_id: i64,
}

/// What the credentials of a subscription request amount to.
pub enum Identified {
    Anonymous,
    Invalid,
    Valid(Box<Principal>, Identity),
}

/// The subscriber that `headers` (a bearer token) or else `session` stand for: the
/// same rules as every request (`principal::resolve`), plus which credential it was,
/// so that the bus can check it again later.
pub async fn identify(
    db: &DatabaseConnection,
    headers: &HeaderMap,
    session: Option<&Session>,
) -> DomainResult<Identified> {
    let presented = principal::authorization(headers);
    let p = match principal::resolve(
        db,
        &presented,
        principal::Origin {
            session,
            ..Default::default()
        },
    )
    .await?
    {
        Credentials::Valid(p) => p,
        Credentials::Anonymous => return Ok(Identified::Anonymous),
        Credentials::Invalid => return Ok(Identified::Invalid),
    };
    let credential = match (presented, session.and_then(Session::id)) {
        (Presented::Token(secret), _) => Credential::Token(tokens::hash(&secret)),
        (Presented::Nothing, Some(id)) => Credential::Session(sessions::key(&id)),
        _ => return Ok(Identified::Invalid),
    };
    let who = Identity {
        credential,
        user_id: p.user.id,
    };
    Ok(Identified::Valid(p, who))
}

/// Why a subscriber may no longer read alerts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Denied {
    /// Its credentials are no longer valid.
    Credentials,
    /// Its user lost read access to alerts.
    Capability,
}

/// The users that the valid credentials among `who` stand for now (active users only):
/// one statement for tokens (with their users), two for sessions.
async fn valid_users(db: &impl ConnectionTrait, who: &[Identity]) -> DomainResult<HashMap<Credential, user::Model>> {
    // Many subscriptions share credentials: each is checked once.
    let (mut tokens, mut sessions) = (HashSet::new(), HashMap::new());
    for i in who {
        match &i.credential {
            Credential::Token(h) => {
                tokens.insert(h.clone());
            }
            Credential::Session(k) => {
                sessions.insert(k.clone(), i.user_id);
            }
        }
    }
    let mut out: HashMap<Credential, user::Model> = users::token_holders(db, tokens)
        .await?
        .into_iter()
        .map(|(hash, user)| (Credential::Token(hash), user))
        .collect();
    if !sessions.is_empty() {
        let live: Vec<String> = session::Entity::find()
            .filter(session::Column::Id.is_in(sessions.keys().cloned()))
            .filter(sessions::alive())
            .all(db)
            .await?
            .into_iter()
            .map(|s| s.id)
            .collect();
        let ids: HashSet<i64> = live.iter().filter_map(|k| sessions.get(k).copied()).collect();
        let users: HashMap<i64, user::Model> = user::Entity::find()
            .filter(user::Column::Id.is_in(ids))
            .filter(users::active())
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        for key in live {
            if let Some(user) = sessions.get(&key).and_then(|id| users.get(id)) {
                out.insert(Credential::Session(key), user.clone());
            }
        }
    }
    Ok(out)
}

/// The subscribers among `who` that may not read alerts now, each with why; one
/// statement for all token holders, two for all sessions. Alerts belong to no
/// customer (`tenancy::Scoped` for alerts is unscoped), so a user's customer limits
/// do not narrow them, as in the `alerts` query.
pub async fn denied(db: &impl ConnectionTrait, who: &[Identity]) -> DomainResult<HashMap<Credential, Denied>> {
    let valid = valid_users(db, who).await?;
    let mut out = HashMap::new();
    for i in who {
        let verdict = match valid.get(&i.credential) {
            Some(user) if user.id == i.user_id && may_read_alerts(user) => continue,
            Some(user) if user.id == i.user_id => Denied::Capability,
            _ => Denied::Credentials,
        };
        out.insert(i.credential.clone(), verdict);
    }
    Ok(out)
}

/// The principal `who` stands for now, if its credentials are still valid: each
/// operation on a long-lived connection acts with the user's current rights.
pub async fn current(db: &impl ConnectionTrait, who: &Identity) -> DomainResult<Option<Principal>> {
    let Some(user) = valid_users(db, std::slice::from_ref(who))
        .await?
        .remove(&who.credential)
        .filter(|u| u.id == who.user_id)
    else {
        return Ok(None);
    };
    let via = match who.credential {
        Credential::Token(_) => Via::Token,
        Credential::Session(_) => Via::Session,
    };
    let scope = tenancy::of_user(db, user.id).await?;
    Ok(Some(Principal { user, via, scope }))
}

fn may_read_alerts(user: &user::Model) -> bool {
    Principal {
        user: user.clone(),
        via: Via::Token,
        scope: Scope::everything(),
    }
    .can(Capability::Alerts, Level::Read)
}
