//! The principal of a request, resolved once from its credentials. Today: API tokens
//! as `Authorization: Bearer <token>` (and ntopng's `Authorization: Token <token>`).
//! Browser sessions and the other dialects' credentials resolve to the same type.

use axum::http::{header, HeaderMap};
use entities::user;
use sea_orm::DatabaseConnection;

use super::permissions::{self, Capability, Level};
use crate::domain::error::DomainResult;
use crate::domain::users::{self, Role};

/// Who a request acts as.
#[derive(Clone, Debug)]
pub struct Principal {
    pub user: user::Model,
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
    Valid(Principal),
}

pub async fn resolve(db: &DatabaseConnection, headers: &HeaderMap) -> DomainResult<Credentials> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(Credentials::Anonymous);
    };
    let value = value.to_str().unwrap_or_default().trim();
    let secret = value
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token"))
        .map(|(_, secret)| secret.trim());
    let Some(secret) = secret.filter(|s| !s.is_empty()) else {
        return Ok(Credentials::Invalid);
    };
    Ok(match users::by_token(db, secret).await? {
        Some(user) => Credentials::Valid(Principal { user }),
        None => Credentials::Invalid,
    })
}
