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
use super::query::{BoolOp, EnumOp, TextOp, TimeOp};
use super::text;
use super::{passwords, tokens};

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

/// Which users: conditions on their fields, composed with `and`, `or` and `not`.
#[derive(async_graphql::InputObject, Serialize, Clone, Debug, Default)]
pub struct UserFilter {
    pub and: Option<Vec<UserFilter>>,
    pub or: Option<Vec<UserFilter>>,
    pub not: Option<Box<UserFilter>>,
    pub username: Option<TextOp>,
    pub display_name: Option<TextOp>,
    pub email: Option<TextOp>,
    pub role: Option<EnumOp<Role>>,
    pub active: Option<BoolOp>,
    pub created_at: Option<TimeOp>,
    pub last_login_at: Option<TimeOp>,
}

crate::where_impl!(UserFilter, user::Entity, |f, c| {
    use user::Column as C;
    c.on("username", &f.username, C::Username)?;
    c.on("displayName", &f.display_name, C::DisplayName)?;
    c.on("email", &f.email, C::Email)?;
    c.on("role", &f.role, C::Role)?;
    c.on("active", &f.active, C::Active)?;
    c.on("createdAt", &f.created_at, C::CreatedAt)?;
    c.on("lastLoginAt", &f.last_login_at, C::LastLoginAt)?;
});

crate::fields! {
    /// The fields users sort, group and bucket by.
    UserField, UserOrder for user {
        Username => Username: Text,
        DisplayName => DisplayName: Text,
        Role => Role: Text,
        Active => Active: Bool,
        CreatedAt => CreatedAt: Time,
        LastLoginAt => LastLoginAt: Time,
    }
}

pub const ADMIN: &str = "admin";

pub fn valid_username(name: &str) -> DomainResult<String> {
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
    crud::find::<user::Entity>(db, "user", user_id).await?;
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

/// Revokes token `token_id` of user `owner` (another user's token is NOT_FOUND), or of
/// any user without an owner (administration).
pub async fn revoke_token(
    db: &impl ConnectionTrait,
    owner: Option<i64>,
    token_id: i64,
) -> DomainResult<api_token::Model> {
    let token = crud::find::<api_token::Entity>(db, "API token", token_id).await?;
    if owner.is_some_and(|u| token.user_id != u) {
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

/// Whether a user may act at all: deactivated users sign in to nothing.
pub fn active() -> sea_orm::sea_query::SimpleExpr {
    user::Column::Active.eq(true)
}

/// Whether a token works: not revoked, not expired (and its user [`active`]).
pub fn token_works() -> sea_orm::Condition {
    use api_token::Column as T;
    sea_orm::Condition::all().add(T::RevokedAt.is_null()).add(
        sea_orm::Condition::any()
            .add(T::ExpiresAt.is_null())
            .add(T::ExpiresAt.gt(Utc::now())),
    )
}

/// The active users holding working tokens with these hashes, by hash: one statement.
pub async fn token_holders(
    db: &impl ConnectionTrait,
    hashes: impl IntoIterator<Item = String>,
) -> DomainResult<std::collections::HashMap<String, user::Model>> {
    let rows = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.is_in(hashes))
        .filter(token_works())
        .find_also_related(user::Entity)
        .filter(active())
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(token, user)| Some((token.token_hash, user?)))
        .collect())
}

/// The active user holding a working token with this secret.
pub async fn by_token(db: &impl ConnectionTrait, secret: &str) -> DomainResult<Option<user::Model>> {
    Ok(token_holders(db, [tokens::hash(secret)]).await?.into_values().next())
}

/// The user with this id, if it is active.
pub async fn active_by_id(db: &impl ConnectionTrait, id: i64) -> DomainResult<Option<user::Model>> {
    Ok(user::Entity::find_by_id(id).one(db).await?.filter(|u| u.active))
}

/// The writable fields of a user (administrators only); absent fields are kept.
#[derive(async_graphql::InputObject, Clone, Debug, Default)]
pub struct UserInput {
    pub role: Option<Role>,
    /// An inactive user cannot sign in, and its tokens stop working.
    pub active: Option<bool>,
    pub display_name: async_graphql::MaybeUndefined<String>,
    pub email: async_graphql::MaybeUndefined<String>,
    /// Extra grants beyond the role, as `capability:level` (`cases:write`, `flows:read`).
    pub capabilities: Option<Vec<String>>,
    /// Limits the user to these customers' cases and what hangs off them; `[]` lifts
    /// the limit (the user sees every customer).
    pub customer_ids: Option<Vec<async_graphql::ID>>,
    /// Limits the user to these IPDR contexts, by name; `[]` lifts the limit (the user
    /// reaches every context).
    pub ipdr_contexts: Option<Vec<String>>,
}

#[derive(async_graphql::InputObject, Clone, Debug)]
pub struct CreateUserInput {
    pub username: String,
    /// At least 12 characters.
    pub password: String,
    pub role: Role,
    #[graphql(flatten)]
    pub fields: UserInput,
}

fn encode_grants(grants: &[String]) -> DomainResult<String> {
    let mut out = Vec::new();
    for g in grants {
        let g = g.trim().to_lowercase();
        if crate::domain::access::parse_extra(&g).len() != 1 {
            return Err(DomainError::bad(
                "capabilities",
                format!("{g:?} is not capability:read or capability:write"),
            ));
        }
        if !out.contains(&g) {
            out.push(g);
        }
    }
    Ok(if out.is_empty() {
        String::new()
    } else {
        format!(",{},", out.join(","))
    })
}

fn apply(am: &mut user::ActiveModel, f: UserInput) -> DomainResult<()> {
    crud::set(&mut am.role, f.role.map(|r| r.as_str().to_string()));
    crud::set(&mut am.active, f.active);
    crud::set_opt(
        &mut am.display_name,
        crud::opt_text("displayName", f.display_name, 200)?,
    );
    let email = crud::opt_text("email", f.email, 254)?;
    if let async_graphql::MaybeUndefined::Value(e) = &email {
        if !e.contains('@') || e.starts_with('@') || e.ends_with('@') {
            return Err(DomainError::bad("email", format!("{e:?} is not an email address")));
        }
    }
    crud::set_opt(&mut am.email, email);
    crud::set(
        &mut am.capabilities,
        f.capabilities.map(|c| encode_grants(&c)).transpose()?,
    );
    Ok(())
}

/// The limits a user input may set: customers, IPDR contexts.
struct Limits {
    customers: Option<Vec<async_graphql::ID>>,
    contexts: Option<Vec<String>>,
}

impl Limits {
    fn take(input: &mut UserInput) -> Self {
        Self {
            customers: input.customer_ids.take(),
            contexts: input.ipdr_contexts.take(),
        }
    }

    /// Applies the limits the input has.
    async fn apply(self, db: &impl ConnectionTrait, user_id: i64) -> DomainResult<()> {
        if let Some(customers) = self.customers {
            let ids = super::ids::decode_all("input.customerIds", &customers, super::ids::Kind::Customer)?;
            super::tenancy::limit_user(db, user_id, &ids).await?;
        }
        if let Some(names) = self.contexts {
            super::ipdr::limit_user(db, user_id, &names).await?;
        }
        Ok(())
    }
}

pub async fn create_with(db: &impl ConnectionTrait, input: CreateUserInput) -> DomainResult<user::Model> {
    let mut fields = input.fields;
    let limits = Limits::take(&mut fields);
    let grants = fields.capabilities.take().map(|c| encode_grants(&c)).transpose()?;
    let created = create(db, &input.username, input.role, &input.password).await?;
    let mut am: user::ActiveModel = created.into();
    fields.capabilities = None;
    apply(&mut am, fields)?;
    if let Some(g) = grants {
        am.capabilities = Set(g);
    }
    let user = am.update(db).await?;
    limits.apply(db, user.id).await?;
    Ok(user)
}

/// Fails when the change would leave no active administrator.
async fn keep_an_admin(db: &impl ConnectionTrait, id: i64, after: &user::ActiveModel) -> DomainResult<()> {
    let still_admin = after.role.try_as_ref().is_some_and(|r| r == Role::Admin.as_str())
        && after.active.try_as_ref().copied().unwrap_or(false);
    if still_admin {
        return Ok(());
    }
    // Only an active administrator's change can leave none (there may be none yet).
    let before = crud::find::<user::Entity>(db, "user", id).await?;
    if !(before.active && before.role == Role::Admin.as_str()) {
        return Ok(());
    }
    let others = user::Entity::find()
        .filter(user::Column::Role.eq(Role::Admin.as_str()))
        .filter(user::Column::Active.eq(true))
        .filter(user::Column::Id.ne(id))
        .count(db)
        .await?;
    if others == 0 {
        return Err(DomainError::Conflict("this would leave no active administrator".into()));
    }
    Ok(())
}

pub async fn update(db: &impl ConnectionTrait, id: i64, mut input: UserInput) -> DomainResult<user::Model> {
    let mut am: user::ActiveModel = crud::find::<user::Entity>(db, "user", id).await?.into();
    let limits = Limits::take(&mut input);
    apply(&mut am, input)?;
    keep_an_admin(db, id, &am).await?;
    let was_active = crud::find::<user::Entity>(db, "user", id).await?.active;
    let user = am.update(db).await?;
    limits.apply(db, id).await?;
    // A deactivation ends the user's browser sessions, so that reactivating it later
    // brings none back: it signs in again. Its API tokens only stop working while it
    // is inactive (scripts resume once it is reactivated; revoke them to end them).
    if was_active && !user.active {
        end_sessions(db, id).await?;
    }
    Ok(user)
}

/// Sets a new password and ends every browser session of the user (whoever knew the
/// old password may hold one); with `revoke_tokens`, its API tokens stop working too.
pub async fn reset_password(
    db: &impl ConnectionTrait,
    id: i64,
    password: &str,
    revoke_tokens: bool,
) -> DomainResult<user::Model> {
    passwords::check_policy("password", password)?;
    let mut am: user::ActiveModel = crud::find::<user::Entity>(db, "user", id).await?.into();
    am.password_hash = Set(Some(passwords::hash(password)));
    let user = am.update(db).await?;
    end_sessions(db, id).await?;
    if revoke_tokens {
        revoke_all_tokens(db, id).await?;
    }
    Ok(user)
}

/// Ends every browser session of a user.
pub async fn end_sessions(db: &impl ConnectionTrait, user_id: i64) -> DomainResult<()> {
    entities::session::Entity::delete_many()
        .filter(entities::session::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Revokes every live API token of a user.
async fn revoke_all_tokens(db: &impl ConnectionTrait, user_id: i64) -> DomainResult<()> {
    api_token::Entity::update_many()
        .col_expr(
            api_token::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(api_token::Column::UserId.eq(user_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes a user who never acted; one who did is kept for the record (deactivate it).
pub async fn delete(db: &impl ConnectionTrait, id: i64) -> DomainResult<()> {
    use entities::{audit_event, case, case_activity, evidence, note};
    let u = crud::find::<user::Entity>(db, "user", id).await?;
    let acted = audit_event::Entity::find()
        .filter(audit_event::Column::UserId.eq(id))
        .count(db)
        .await?
        + case::Entity::find()
            .filter(case::Column::OpenedBy.eq(id))
            .count(db)
            .await?
        + note::Entity::find()
            .filter(note::Column::AuthorId.eq(id))
            .count(db)
            .await?
        + evidence::Entity::find()
            .filter(evidence::Column::AddedBy.eq(id))
            .count(db)
            .await?
        + case_activity::Entity::find()
            .filter(case_activity::Column::UserId.eq(id))
            .count(db)
            .await?;
    if acted > 0 {
        return Err(DomainError::Conflict(format!(
            "user {} has acted in Pivot: deactivate it instead",
            u.username
        )));
    }
    let am: user::ActiveModel = u.into();
    let mut after = am.clone();
    after.active = Set(false);
    keep_an_admin(db, id, &after).await?;
    crud::delete::<user::Entity>(db, "user", id).await
}
