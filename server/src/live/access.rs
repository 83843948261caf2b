//! Who a subscriber is, checked again for every batch of events it is sent: a revoked
//! token, an ended session, a deactivated user or a lost alerts capability ends its
//! subscriptions before the next alert reaches it.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use entities::{api_token, session, user};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};

use crate::auth::permissions::{Capability, Level};
use crate::auth::principal::{Principal, Via};
use crate::domain::error::DomainResult;
use crate::domain::tenancy::{self, Scope};
use crate::domain::users;

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

/// Why a subscriber may no longer read alerts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Denied {
    /// Its credentials are no longer valid.
    Credentials,
    /// Its user lost read access to alerts.
    Capability,
}

/// The subscribers among `who` that may not read alerts now, each with why; three
/// statements whatever their number. Alerts belong to no customer
/// (`tenancy::Scoped` for alerts is unscoped), so a user's customer limits do not
/// narrow them, as in the `alerts` query.
pub async fn denied(db: &impl ConnectionTrait, who: &[Identity]) -> DomainResult<HashMap<Credential, Denied>> {
    let now = Utc::now();
    // Many subscriptions share credentials: each is checked once.
    let (mut tokens, mut sessions) = (HashSet::new(), HashSet::new());
    for i in who {
        match &i.credential {
            Credential::Token(h) => tokens.insert(h.clone()),
            Credential::Session(k) => sessions.insert(k.clone()),
        };
    }
    let mut valid: HashSet<String> = HashSet::new();
    if !tokens.is_empty() {
        let rows = api_token::Entity::find()
            .filter(api_token::Column::TokenHash.is_in(tokens))
            .filter(api_token::Column::RevokedAt.is_null())
            .filter(
                Condition::any()
                    .add(api_token::Column::ExpiresAt.is_null())
                    .add(api_token::Column::ExpiresAt.gt(now)),
            )
            .all(db)
            .await?;
        valid.extend(rows.into_iter().map(|t| t.token_hash));
    }
    if !sessions.is_empty() {
        let rows = session::Entity::find()
            .filter(session::Column::Id.is_in(sessions))
            .filter(session::Column::ExpiresAt.gt(now))
            .all(db)
            .await?;
        valid.extend(rows.into_iter().map(|s| s.id));
    }
    let user_ids: Vec<i64> = who
        .iter()
        .map(|i| i.user_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let users: HashMap<i64, user::Model> = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .filter(user::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let mut out = HashMap::new();
    for i in who {
        let key = match &i.credential {
            Credential::Token(h) | Credential::Session(h) => h,
        };
        let verdict = match users.get(&i.user_id) {
            _ if !valid.contains(key) => Some(Denied::Credentials),
            None => Some(Denied::Credentials),
            Some(user) if !may_read_alerts(user) => Some(Denied::Capability),
            Some(_) => None,
        };
        if let Some(v) = verdict {
            out.insert(i.credential.clone(), v);
        }
    }
    Ok(out)
}

/// The principal `who` stands for now, if its credentials are still valid: each
/// operation on a long-lived connection acts with the user's current rights.
pub async fn current(db: &impl ConnectionTrait, who: &Identity) -> DomainResult<Option<Principal>> {
    if denied(db, std::slice::from_ref(who)).await?.get(&who.credential) == Some(&Denied::Credentials) {
        return Ok(None);
    }
    let Some(user) = users::active_by_id(db, who.user_id).await? else {
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
