//! `/graphql/ws`: GraphQL over WebSocket, in the `graphql-transport-ws` protocol and
//! the legacy `graphql-ws` (subscriptions-transport-ws) one.
//!
//! The first message must be `connection_init`, within [`INIT_TIMEOUT`]. Its payload may
//! carry an API token (`{"authorization": "Bearer pvt_…"}`, or `{"token": "pvt_…"}`);
//! without one the browser session cookie counts, if the page is Pivot's own (a
//! cookie from another origin's page is ignored: cross-site WebSocket hijacking).
//! Close codes: 4401 no credentials (or a subscription before `connection_init`),
//! 4403 credentials sent and not valid, 4400 a malformed first message, 4408 no
//! `connection_init` in time, 1013 (try again later) past the user's connections
//! (`PIVOT_WS_MAX_PER_USER`). Once accepted, [`protocol::serve`] runs the connection.

use std::net::SocketAddr;
use std::time::Duration;

use async_graphql::http::{ClientMessage, WebSocketProtocols, ALL_WEBSOCKET_PROTOCOLS};
use axum::extract::ws::{Message, WebSocket as Socket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::Extension;
use tower_sessions::Session;

use crate::auth::csrf;
use crate::state::AppState;

use super::protocol::{self, close, Connection};
use crate::live::access::{self, Identified, Identity};

/// How long a client may take to send `connection_init`.
pub const INIT_TIMEOUT: Duration = Duration::from_secs(10);
/// Messages from clients are GraphQL documents: small.
const MAX_MESSAGE: usize = 64 * 1024;
/// Buffers are small so that idle subscribers are cheap (tungstenite's default is 128 KiB
/// each way); the write buffer lets events ready together leave in one write.
const READ_BUFFER: usize = 4 * 1024;
const WRITE_BUFFER: usize = 16 * 1024;
/// A client that reads nothing while events pile up is let go rather than buffered.
const MAX_WRITE_BUFFER: usize = 1024 * 1024;

pub async fn upgrade(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    session: Session,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> HttpResponse {
    let Some(protocol) = protocol_of(&headers) else {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            "send Sec-WebSocket-Protocol: graphql-transport-ws (or the legacy graphql-ws)\n",
        )
            .into_response();
    };
    // Ambient credentials only from Pivot's own pages.
    let public = state.config().public_url.as_deref();
    let session = csrf::same_origin(&headers, true, public).is_ok().then_some(session);
    let address = peer.map(|Extension(ConnectInfo(a))| a.ip().to_canonical().to_string());
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_write_buffer_size(MAX_WRITE_BUFFER)
        .max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .on_upgrade(move |socket| serve(socket, state, protocol, session, address))
}

/// The first protocol the client offers that Pivot speaks.
fn protocol_of(headers: &HeaderMap) -> Option<WebSocketProtocols> {
    headers
        .get(axum::http::header::SEC_WEBSOCKET_PROTOCOL)?
        .to_str()
        .ok()?
        .split(',')
        .find_map(|p| p.trim().parse().ok())
}

async fn serve(
    mut socket: Socket,
    state: AppState,
    protocol: WebSocketProtocols,
    session: Option<Session>,
    address: Option<String>,
) {
    let first = match tokio::time::timeout(INIT_TIMEOUT, socket.recv()).await {
        Err(_) => {
            let _ = socket.send(close(4408, "Connection initialisation timeout")).await;
            return;
        }
        Ok(None | Some(Err(_))) => return,
        Ok(Some(Ok(m))) => m,
    };
    let payload = match text_of(&first).map(ClientMessage::from_bytes) {
        Some(Ok(ClientMessage::ConnectionInit { payload })) => payload.unwrap_or_default(),
        Some(Ok(ClientMessage::Start { .. })) => {
            let _ = socket
                .send(close(4401, "Unauthorized: send connection_init first"))
                .await;
            return;
        }
        _ => {
            let _ = socket
                .send(close(4400, "the first message must be connection_init, in JSON"))
                .await;
            return;
        }
    };
    let who = match identify(&state, &payload, session.as_ref()).await {
        Ok(who) => who,
        Err((code, reason)) => {
            let _ = socket.send(close(code, reason)).await;
            return;
        }
    };
    // A user's connections are bounded: each holds buffers and may hold operations.
    let max = state.config().sockets_per_user;
    let Some(_slot) = state.sockets().try_take(who.user_id, max) else {
        let reason = format!("Try again later: this user already holds {max} connections");
        let _ = socket.send(close(1013, &reason)).await;
        return;
    };
    protocol::serve(socket, protocol, Connection { state, address, who }).await;
}

fn text_of(m: &Message) -> Option<Vec<u8>> {
    match m {
        Message::Text(t) => Some(t.as_bytes().to_vec()),
        Message::Binary(b) => Some(b.to_vec()),
        _ => None,
    }
}

/// The token of a `connection_init` payload: `authorization` (any case; `Bearer x`,
/// `Token x` or bare) or `token`.
fn payload_token(payload: &serde_json::Value) -> Option<String> {
    let obj = payload.as_object()?;
    let raw = obj
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .or_else(|| obj.iter().find(|(k, _)| k.eq_ignore_ascii_case("token")))
        .and_then(|(_, v)| v.as_str())?
        .trim();
    let secret = raw
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token"))
        .map_or(raw, |(_, s)| s.trim());
    Some(secret.to_string())
}

/// The caller of a connection, or the close code and reason refusing it.
async fn identify(
    state: &AppState,
    payload: &serde_json::Value,
    session: Option<&Session>,
) -> Result<Identity, (u16, &'static str)> {
    let mut headers = HeaderMap::new();
    if let Some(t) = payload_token(payload) {
        let value = format!("Bearer {t}")
            .parse()
            .map_err(|_| (4403, "Forbidden: invalid credentials"))?;
        headers.insert(axum::http::header::AUTHORIZATION, value);
    }
    match access::identify(state.db(), &headers, session).await {
        Ok(Identified::Valid(_, who)) => Ok(who),
        Ok(Identified::Anonymous) => Err((
            4401,
            "Unauthorized: send an API token in connection_init's payload ({\"authorization\": \"Bearer <token>\"}) or sign in",
        )),
        Ok(Identified::Invalid) => Err((4403, "Forbidden: invalid, expired or revoked credentials")),
        Err(e) => {
            tracing::error!(error = %e, "resolving credentials of a WebSocket");
            Err((1011, "internal error"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tokens_are_read_from_the_init_payload() {
        assert_eq!(
            payload_token(&json!({"Authorization": "Bearer pvt_x"})).as_deref(),
            Some("pvt_x")
        );
        assert_eq!(
            payload_token(&json!({"authorization": "pvt_y"})).as_deref(),
            Some("pvt_y")
        );
        assert_eq!(payload_token(&json!({"token": "pvt_z"})).as_deref(), Some("pvt_z"));
        assert_eq!(payload_token(&json!({"headers": {}})), None);
        assert_eq!(payload_token(&json!(null)), None);
    }
}
