//! Users as they appear in the graph, the caller (`me`) and its API tokens.

use async_graphql::{Context, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entities::{api_token, customer, user, user_customer};
use sea_orm::DatabaseConnection;

use super::audit::write;
use super::customer::Customer;
use super::errors::{coded, Gql, FORBIDDEN, UNAUTHENTICATED};
use super::loaders::{loader, ById, GroupBy};
use crate::domain::access::Principal;
use crate::domain::access::{Capability, Level};
use crate::domain::ids::{self, Kind};
use crate::domain::users::{self, CreateUserInput, UserField, UserFilter, UserInput, UserOrder};

/// A person or service account of Pivot.
pub struct User(pub user::Model);

#[Object]
impl User {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::User, self.0.id)
    }
    async fn username(&self) -> &str {
        &self.0.username
    }
    async fn display_name(&self) -> Option<&str> {
        self.0.display_name.as_deref()
    }
    /// The user itself and user administrators only (FORBIDDEN otherwise), as `role`,
    /// `active`, `capabilities`, `ipdrContexts` and `customers`: colleagues see who
    /// wrote a note, not the directory.
    async fn email(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        self.private(ctx)?;
        Ok(self.0.email.as_deref())
    }
    async fn role(&self, ctx: &Context<'_>) -> Result<&str> {
        self.private(ctx)?;
        Ok(&self.0.role)
    }
    async fn active(&self, ctx: &Context<'_>) -> Result<bool> {
        self.private(ctx)?;
        Ok(self.0.active)
    }
    /// Extra grants beyond the role (`cases:write` ...).
    async fn capabilities(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        self.private(ctx)?;
        Ok(crate::domain::text::decode_tags(&self.0.capabilities))
    }
    /// Everything the user may do, by role and extra grants, as `capability:level`
    /// (`cases:read`, `cases:write` ...; write implies read, so both are listed): what
    /// a client offers it.
    async fn grants(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        self.private(ctx)?;
        Ok(crate::domain::access::grants(&self.0))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The IPDR contexts this user is limited to; empty when it reaches every context.
    async fn ipdr_contexts(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        self.private(ctx)?;
        super::ipdr::contexts_of_user(ctx, self.0.id).await
    }
    /// The customers this user is limited to; empty when it sees every customer.
    async fn customers(&self, ctx: &Context<'_>) -> Result<Vec<Customer>> {
        self.private(ctx)?;
        let links = loader::<GroupBy<CustomerLinksOfUser>>(ctx)
            .load_one(self.0.id)
            .await
            .gql()?
            .unwrap_or_default();
        let found = loader::<ById<customer::Entity>>(ctx)
            .load_many(links.into_iter().map(|l| l.customer_id))
            .await
            .gql()?;
        let mut out: Vec<Customer> = found.into_values().map(Customer).collect();
        out.sort_by_key(|c| c.0.id);
        Ok(out)
    }
}

impl User {
    /// Refuses the account details of another user to a caller who does not administer users.
    fn private(&self, ctx: &Context<'_>) -> Result<()> {
        if may_see_account(principal(ctx)?, self.0.id) {
            Ok(())
        } else {
            Err(coded(
                "only the user itself and user administrators see this",
                FORBIDDEN,
            ))
        }
    }
}

/// Whether `p` may see the account of user `id`: its own, or any with users:read.
pub fn may_see_account(p: &Principal, id: i64) -> bool {
    p.user.id == id || p.can(Capability::Users, Level::Read)
}

use crate::group;

group!(
    CustomerLinksOfUser,
    user_customer::Entity,
    user_customer::Column::UserId,
    i64
);

/// An API token, as its owner sees it (the secret is shown only once, at creation).
pub struct ApiToken(pub api_token::Model);

#[Object]
impl ApiToken {
    async fn id(&self) -> ID {
        ids::encode(Kind::ApiToken, self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}

/// A token just created: `token` is the secret, shown this once.
#[derive(SimpleObject)]
pub struct CreatedApiToken {
    pub token: String,
    pub api_token: ApiToken,
}

/// The principal of the request (every request that reaches a resolver has one).
pub fn principal<'a>(ctx: &Context<'a>) -> Result<&'a Principal> {
    ctx.data_opt::<Principal>()
        .ok_or_else(|| coded("authentication required", UNAUTHENTICATED))
}

#[derive(Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    /// The user this request acts as.
    async fn me(&self, ctx: &Context<'_>) -> Result<User> {
        Ok(User(principal(ctx)?.user.clone()))
    }
    /// The caller's own API tokens.
    async fn api_tokens(&self, ctx: &Context<'_>) -> Result<Vec<ApiToken>> {
        let me = principal(ctx)?;
        let rows = users::tokens_of(ctx.data_unchecked::<DatabaseConnection>(), me.user.id)
            .await
            .gql()?;
        Ok(rows.into_iter().map(ApiToken).collect())
    }
}

crate::listing!(
    UserListing, User, UserFilter, UserField, UserOrder, "UserAggregate",
    /// Administrators: the users that meet `filter`, in `orderBy` order (ties by ID, the way the last field goes; by
    /// ID alone, the order of creation, without one).
    users,
    /// Administrators: counts, groups and time buckets of the users that meet `filter`.
    users_aggregate,
);

#[derive(Default)]
pub struct UserMutation;

#[Object]
impl UserMutation {
    /// Administrators: adds a user.
    async fn create_user(&self, ctx: &Context<'_>, input: CreateUserInput) -> Result<User> {
        write(ctx, move |tx| {
            Box::pin(async move { users::create_with(tx, input).await })
        })
        .await
        .map(User)
    }
    /// Administrators: changes a user's role, grants, status or details.
    async fn update_user(&self, ctx: &Context<'_>, id: ID, input: UserInput) -> Result<User> {
        let id = ids::decode("id", &id, Kind::User).gql()?;
        write(ctx, move |tx| {
            Box::pin(async move { users::update(tx, id, input).await })
        })
        .await
        .map(User)
    }
    /// Administrators: sets a new password (at least 12 characters). Every browser
    /// session of the user ends; with `revokeTokens`, its API tokens are revoked too.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        id: ID,
        password: String,
        #[graphql(default = false)] revoke_tokens: bool,
    ) -> Result<User> {
        let id = ids::decode("id", &id, Kind::User).gql()?;
        write(ctx, move |tx| {
            Box::pin(async move { users::reset_password(tx, id, &password, revoke_tokens).await })
        })
        .await
        .map(User)
    }
    /// Administrators: deletes a user who never acted (CONFLICT otherwise: deactivate it).
    async fn delete_user(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let n = ids::decode("id", &id, Kind::User).gql()?;
        write(ctx, move |tx| Box::pin(async move { users::delete(tx, n).await })).await?;
        Ok(id)
    }
    /// Creates an API token for the caller — or, for user administrators, for user
    /// `userId` (a service account's, say); the secret is in the answer and nowhere else.
    async fn create_api_token(
        &self,
        ctx: &Context<'_>,
        name: String,
        expires_at: Option<DateTime<Utc>>,
        user_id: Option<ID>,
    ) -> Result<CreatedApiToken> {
        let caller = principal(ctx)?;
        let owner = match &user_id {
            Some(id) => ids::decode("userId", id, Kind::User).gql()?,
            None => caller.user.id,
        };
        if owner != caller.user.id && !caller.can(Capability::Users, Level::Write) {
            return Err(coded(
                "createApiToken: a token for another user needs write access to users",
                FORBIDDEN,
            ));
        }
        let (model, token) = write(ctx, move |tx| {
            Box::pin(async move { users::create_token(tx, owner, &name, expires_at).await })
        })
        .await?;
        Ok(CreatedApiToken {
            token,
            api_token: ApiToken(model),
        })
    }
    /// Revokes one of the caller's API tokens (a user administrator: anyone's).
    async fn revoke_api_token(&self, ctx: &Context<'_>, id: ID) -> Result<ApiToken> {
        let caller = principal(ctx)?;
        let me = caller.user.id;
        // User administrators revoke any user's token (those they made for others too).
        let any = caller.can(Capability::Users, Level::Write);
        let id = ids::decode("id", &id, Kind::ApiToken).gql()?;
        write(ctx, move |tx| {
            Box::pin(async move { users::revoke_token(tx, (!any).then_some(me), id).await })
        })
        .await
        .map(ApiToken)
    }
}
