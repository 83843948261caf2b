//! Browser sign-in: `login` starts a session (a fresh session id, so an id planted
//! before sign-in is worthless), `logout` ends it.

use async_graphql::{Context, Object, Result};
use sea_orm::DatabaseConnection;
use tower_sessions::Session;

use super::audit::peer;
use super::errors::{coded, Gql, BAD_USER_INPUT, INTERNAL, RATE_LIMITED, UNAUTHENTICATED};
use super::user::{principal, User};
use crate::auth::login::{self, Outcome};
use crate::auth::sessions::USER_KEY;
use crate::domain::access::Via;
use crate::domain::audit::{self, Event};
use crate::domain::ids::Kind;

fn session<'a>(ctx: &Context<'a>) -> Result<&'a Session> {
    ctx.data_opt::<Session>().ok_or_else(|| {
        coded(
            "browser sessions are not available on this endpoint: sign in with POST /graphql, or use an API token",
            BAD_USER_INPUT,
        )
    })
}

fn store_failed(e: impl std::fmt::Display) -> async_graphql::Error {
    tracing::error!(error = %e, "session store");
    coded("internal error", INTERNAL)
}

#[derive(Default)]
pub struct SessionMutation;

#[Object]
impl SessionMutation {
    /// Signs in and starts a browser session (an HttpOnly, SameSite=Strict cookie). Any
    /// failure reads the same; after repeated failures for a username or from an
    /// address, attempts are refused for a while with `RATE_LIMITED`.
    async fn login(&self, ctx: &Context<'_>, username: String, password: String) -> Result<User> {
        let session = session(ctx)?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let gate = ctx.data_opt::<crate::db::WriteGate>();
        match login::login(
            db,
            gate,
            &username,
            &password,
            peer(ctx).as_deref(),
            login::Purpose::SignIn,
        )
        .await
        .gql()?
        {
            Outcome::SignedIn(user) => {
                session.cycle_id().await.map_err(store_failed)?;
                session.insert(USER_KEY, user.id).await.map_err(store_failed)?;
                Ok(User(user))
            }
            Outcome::Refused => Err(coded("invalid username or password", UNAUTHENTICATED)),
            Outcome::RateLimited => Err(coded(
                format!(
                    "too many failed sign-ins for this username or from this address: try again in {} minutes",
                    login::WINDOW.num_minutes()
                ),
                RATE_LIMITED,
            )),
        }
    }

    /// Ends the browser session of this request; false when the request did not come
    /// with one (API tokens are revoked with `revokeApiToken` instead).
    async fn logout(&self, ctx: &Context<'_>) -> Result<bool> {
        let me = principal(ctx)?;
        if me.via != Via::Session {
            return Ok(false);
        }
        let event = Event::new(Some(me.user.id), audit::LOGOUT, peer(ctx)).on(Kind::User, me.user.id);
        audit::record(ctx.data_unchecked::<DatabaseConnection>(), event)
            .await
            .gql()?;
        session(ctx)?.flush().await.map_err(store_failed)?;
        Ok(true)
    }
}
