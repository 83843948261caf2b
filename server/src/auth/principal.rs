//! The principal of a request, resolved once from its credentials: API tokens as
//! `Authorization: Bearer <token>` (and ntopng's `Authorization: Token <token>`), or
//! the browser session cookie. The other dialects' credentials resolve to the same type.

use axum::http::{header, HeaderMap};
use entities::user;
use sea_orm::DatabaseConnection;
use tower_sessions::Session;

use super::permissions::{self, Capability, Level};
use crate::domain::error::DomainResult;
use crate::domain::tenancy::{self, Scope};
use crate::domain::users::{self, Role};

/// Who a request acts as.
#[derive(Clone, Debug)]
pub struct Principal {
    pub user: user::Model,
    pub via: Via,
    /// The customers whose cases the user may see.
    pub scope: Scope,
}

/// How a principal proved who it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Token,
    /// A browser session cookie: ambient credentials, so writes must be same-origin.
    Session,
}

impl Principal {
    /// Whether the user may act on `cap` at `level` (through its role or an extra grant).
    pub fn can(&self, cap: Capability, level: Level) -> bool {
        let role = Role::parse(&self.user.role);
        let by_role = role.and_then(|r| permissions::role_grant(r, cap));
        let extra = permissions::parse_extra(&self.user.capabilities)
            .into_iter()
            .filter(|(c, _)| *c == cap)
            .map(|(_, l)| l)
            .max();
        by_role.max(extra).is_some_and(|granted| granted >= level)
    }
}

/// What the credentials of a request amount to.
pub enum Credentials {
    /// None were sent.
    Anonymous,
    /// Some were sent and are not valid (unknown, revoked or expired token, inactive user).
    Invalid,
    Valid(Box<Principal>),
}

/// An `Authorization` header wins over a session cookie; an invalid one is never
/// replaced by the cookie.
pub async fn resolve(
    db: &DatabaseConnection,
    headers: &HeaderMap,
    session: Option<&Session>,
) -> DomainResult<Credentials> {
    let Some(secret) = bearer(headers) else {
        return from_session(db, session).await;
    };
    let Some(secret) = secret else {
        return Ok(Credentials::Invalid);
    };
    Ok(match users::by_token(db, secret).await? {
        Some(user) => Credentials::Valid(Box::new(of_user(db, user, Via::Token).await?)),
        None => Credentials::Invalid,
    })
}

/// The token secret of an `Authorization` header: `None` without the header,
/// `Some(None)` when it is not `Bearer <secret>` (or `Token <secret>`).
pub fn bearer(headers: &HeaderMap) -> Option<Option<&str>> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().unwrap_or_default().trim();
    Some(
        value
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token"))
            .map(|(_, secret)| secret.trim())
            .filter(|s| !s.is_empty()),
    )
}

/// The principal of an active user, who proved who it is `via`.
pub async fn of_user(db: &DatabaseConnection, user: user::Model, via: Via) -> DomainResult<Principal> {
    let scope = tenancy::of_user(db, user.id).await?;
    Ok(Principal { user, via, scope })
}

async fn from_session(db: &DatabaseConnection, session: Option<&Session>) -> DomainResult<Credentials> {
    let Some(session) = session else {
        return Ok(Credentials::Anonymous);
    };
    // A session that cannot be read (store down, garbled record) counts as none.
    let Ok(Some(id)) = session.get::<i64>(super::sessions::USER_KEY).await else {
        return Ok(Credentials::Anonymous);
    };
    Ok(match users::active_by_id(db, id).await? {
        Some(user) => Credentials::Valid(Box::new(of_user(db, user, Via::Session).await?)),
        // Deactivated or deleted since sign-in.
        None => Credentials::Invalid,
    })
}
