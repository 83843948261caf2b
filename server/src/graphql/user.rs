//! Users as they appear in the graph, the caller (`me`) and its API tokens.

use async_graphql::{Context, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entities::{api_token, user};
use sea_orm::DatabaseConnection;

use super::errors::{coded, Gql, UNAUTHENTICATED};
use crate::auth::principal::Principal;
use crate::domain::ids::{self, Kind};
use crate::domain::users;

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
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    async fn role(&self) -> &str {
        &self.0.role
    }
    async fn active(&self) -> bool {
        self.0.active
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

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

#[derive(Default)]
pub struct UserMutation;

#[Object]
impl UserMutation {
    /// Creates an API token for the caller; the secret is in the answer and nowhere else.
    async fn create_api_token(
        &self,
        ctx: &Context<'_>,
        name: String,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<CreatedApiToken> {
        let me = principal(ctx)?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let (model, token) = users::create_token(db, me.user.id, &name, expires_at).await.gql()?;
        Ok(CreatedApiToken {
            token,
            api_token: ApiToken(model),
        })
    }
    /// Revokes one of the caller's API tokens.
    async fn revoke_api_token(&self, ctx: &Context<'_>, id: ID) -> Result<ApiToken> {
        let me = principal(ctx)?;
        let id = ids::decode("id", &id, Kind::ApiToken).gql()?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        users::revoke_token(db, me.user.id, id).await.gql().map(ApiToken)
    }
}
