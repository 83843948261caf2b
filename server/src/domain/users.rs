//! Users and their API tokens.

use async_graphql::Enum;
use chrono::{DateTime, Utc};
use entities::{api_token, user};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use serde::Serialize;

use super::crud;
use super::error::{DomainError, DomainResult};
use super::text;
use crate::auth::{passwords, tokens};

/// Named bundles of capabilities.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Role {
    /// Everything, including user administration.
    Admin,
    /// Reads and writes investigation data; no user administration.
    Analyst,
    /// Reads only.
    Viewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Analyst => "analyst",
            Self::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" => Some(Self::Admin),
            "analyst" => Some(Self::Analyst),
            "viewer" => Some(Self::Viewer),
            _ => None,
        }
    }
}

pub const ADMIN: &str = "admin";

fn valid_username(name: &str) -> DomainResult<String> {
    let n = text::required("username", name, 64)?.to_lowercase();
    if n.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
    {
        Ok(n)
    } else {
        Err(DomainError::bad(
            "username",
            "may hold letters, digits, '.', '_', '-' and '@' only",
        ))
    }
}

/// Creates a user; the password must meet the policy.
pub async fn create(
    db: &impl ConnectionTrait,
    username: &str,
    role: Role,
    password: &str,
) -> DomainResult<user::Model> {
    let username = valid_username(username)?;
    passwords::check_policy("password", password)?;
    if user::Entity::find()
        .filter(user::Column::Username.eq(username.clone()))
        .count(db)
        .await?
        > 0
    {
        return Err(DomainError::Conflict(format!(
            "a user named {username:?} already exists"
        )));
    }
    Ok(user::ActiveModel {
        username: Set(username),
        password_hash: Set(Some(passwords::hash(password))),
        role: Set(role.as_str().into()),
        capabilities: Set(String::new()),
        active: Set(true),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// On an empty database, creates `admin`: with `password` when given (it must meet
/// the policy), else with a random one that is returned to be shown once. Never a
/// fixed default password.
pub async fn ensure_admin(db: &impl ConnectionTrait, password: Option<&str>) -> DomainResult<Option<String>> {
    if user::Entity::find().count(db).await? > 0 {
        return Ok(None);
    }
    match password {
        Some(p) => {
            create(db, ADMIN, Role::Admin, p).await?;
            Ok(None)
        }
        None => {
            let p = passwords::random();
            create(db, ADMIN, Role::Admin, &p).await?;
            Ok(Some(p))
        }
    }
}

pub async fn list(db: &impl ConnectionTrait) -> DomainResult<Vec<user::Model>> {
    Ok(user::Entity::find().order_by_asc(user::Column::Id).all(db).await?)
}

pub async fn by_name(db: &impl ConnectionTrait, username: &str) -> DomainResult<user::Model> {
    user::Entity::find()
        .filter(user::Column::Username.eq(username.trim().to_lowercase()))
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found(format!("user {username:?}")))
}

/// A new API token of `user`; the secret is returned once and only its hash is kept.
pub async fn create_token(
    db: &impl ConnectionTrait,
    user_id: i64,
    name: &str,
    expires_at: Option<DateTime<Utc>>,
) -> DomainResult<(api_token::Model, String)> {
    let name = text::required("name", name, 100)?;
    if expires_at.is_some_and(|e| e <= Utc::now()) {
        return Err(DomainError::bad("expiresAt", "must be in the future"));
    }
    let (secret, hash) = tokens::generate();
    let model = api_token::ActiveModel {
        user_id: Set(user_id),
        name: Set(name),
        token_hash: Set(hash),
        created_at: Set(Utc::now()),
        expires_at: Set(expires_at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((model, secret))
}

/// Revokes one of the user's tokens (another user's token is NOT_FOUND).
pub async fn revoke_token(db: &impl ConnectionTrait, user_id: i64, token_id: i64) -> DomainResult<api_token::Model> {
    let token = crud::find::<api_token::Entity>(db, "API token", token_id).await?;
    if token.user_id != user_id {
        return Err(DomainError::not_found(format!("API token {token_id}")));
    }
    let mut am: api_token::ActiveModel = token.into();
    am.revoked_at = Set(Some(Utc::now()));
    Ok(am.update(db).await?)
}

pub async fn tokens_of(db: &impl ConnectionTrait, user_id: i64) -> DomainResult<Vec<api_token::Model>> {
    Ok(api_token::Entity::find()
        .filter(api_token::Column::UserId.eq(user_id))
        .order_by_asc(api_token::Column::Id)
        .all(db)
        .await?)
}

/// The active user holding a live token with this secret.
pub async fn by_token(db: &impl ConnectionTrait, secret: &str) -> DomainResult<Option<user::Model>> {
    let token = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(tokens::hash(secret)))
        .one(db)
        .await?;
    let Some(token) = token.filter(|t| t.revoked_at.is_none() && t.expires_at.is_none_or(|e| e > Utc::now())) else {
        return Ok(None);
    };
    let user = user::Entity::find_by_id(token.user_id).one(db).await?;
    Ok(user.filter(|u| u.active))
}
