//! `GET` of the download URLs (`crate::downloads`), to callers by token or session.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use tower_sessions::Session;

use crate::auth::principal::{self, Credentials};
use crate::domain::access::Principal;
use crate::downloads::serve;
use crate::graphql::errors::{self, INTERNAL, UNAUTHENTICATED};
use crate::http::error_response;
use crate::state::AppState;

/// The routes of the downloads, to their callers by token or session.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/exports/{id}", get(by_url))
        .route("/alerts/{id}/pcap", get(by_url))
}

/// The caller of a download (`Authorization: Bearer` token or session); else the
/// refusal to answer. What it may download is `downloads`' to say.
async fn caller_of_download(state: &AppState, headers: &HeaderMap, session: &Session) -> Result<Principal, Response> {
    match principal::resolve(
        state.db(),
        &principal::authorization(headers),
        principal::Origin {
            session: Some(session),
            ..Default::default()
        },
    )
    .await
    {
        Ok(Credentials::Valid(p)) => Ok(*p),
        Ok(_) => Err(error_response(
            StatusCode::UNAUTHORIZED,
            "send Authorization: Bearer <API token>, or sign in",
            UNAUTHENTICATED,
        )),
        Err(e) => {
            tracing::error!(error = %e, "resolving credentials");
            Err(error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error",
                INTERNAL,
            ))
        }
    }
}

async fn by_url(State(state): State<AppState>, session: tower_sessions::Session, request: Request) -> Response {
    let p = match caller_of_download(&state, request.headers(), &session).await {
        Ok(p) => p,
        Err(refused) => return refused,
    };
    match serve(&state, request.uri().path(), &p).await {
        Ok(response) => response,
        Err(r) => {
            let code = match r.status {
                StatusCode::FORBIDDEN => errors::FORBIDDEN,
                StatusCode::NOT_FOUND => errors::NOT_FOUND,
                StatusCode::BAD_REQUEST => errors::BAD_USER_INPUT,
                _ => errors::INTERNAL,
            };
            error_response(r.status, r.message, code)
        }
    }
}
