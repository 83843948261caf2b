//! GraphQL over WebSocket once a connection is accepted: `graphql-transport-ws` and the
//! legacy `graphql-ws` (subscriptions-transport-ws), spoken by Pivot itself rather than
//! by async-graphql's `WebSocket`, which serialises every response of every subscriber
//! on its own: here an event's payload is serialised once for its group and written
//! into each member's frame as it is ([`Framing::next`]).
//!
//! Operations run side by side; frames ready together leave in one write. A query or a
//! mutation sends one `next` (`data`) and `complete`; a subscription sends its events,
//! then its last error if it ended, then `complete`. A client's `complete` (`stop`)
//! ends its operation (answered with `complete`, as async-graphql did), `ping` is
//! answered with `pong`. Close codes: 4400 a message that is not the protocol's, 4409 an
//! operation id already running (graphql-transport-ws), 4429 a second `connection_init`.

use std::sync::Arc;

use async_graphql::http::{ClientMessage, WebSocketProtocols};
use async_graphql::{Request, Response};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket as Socket};
use futures_util::stream::BoxStream;
use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio_stream::StreamMap;

use crate::graphql::errors::{INTERNAL, RATE_LIMITED, TIMEOUT, TOO_LONG, UNAUTHENTICATED};
use crate::graphql::Caller;
use crate::live::access::{self, Identity};
use crate::live::subscription::{self, refusal, serialised, Item};
use crate::state::AppState;

/// Frames written before the socket is flushed, when more keep coming.
const BURST: usize = 64;
/// Operations (subscriptions included) one connection may have running at once.
pub const MAX_OPERATIONS: usize = 100;
/// A WebSocket close reason is at most 123 bytes (RFC 6455, 5.5).
const MAX_REASON: usize = 123;

/// Runs the operations of one connection, each as its caller is at that moment.
#[derive(Clone)]
pub struct Connection {
    pub state: AppState,
    pub address: Option<String>,
    pub who: Identity,
}

const REVOKED: &str = "the connection's credentials are no longer valid";

impl Connection {
    /// The caller with its current rights; a refusal once its credentials are gone.
    async fn caller(&self) -> Result<Caller, Response> {
        match access::current(self.state.db(), &self.who).await {
            Ok(Some(p)) => Ok(Caller {
                principal: Some(p),
                address: self.address.clone(),
                session: None,
            }),
            Ok(None) => Err(refusal(REVOKED, UNAUTHENTICATED)),
            Err(e) => {
                tracing::error!(error = %e, "resolving the caller of a WebSocket operation");
                Err(refusal("internal error", INTERNAL))
            }
        }
    }

    /// The payloads of one operation.
    fn run(&self, mut request: Request) -> BoxStream<'static, Arc<str>> {
        let this = self.clone();
        let started = tokio::time::Instant::now();
        futures_util::stream::once(async move {
            let caller = match this.caller().await {
                Ok(caller) => caller,
                Err(refused) => return futures_util::stream::iter([serialised(&refused)]).boxed(),
            };
            if !crate::graphql::is_subscription(&mut request) {
                // The same budget and turns as over HTTP.
                let response = this
                    .state
                    .run_operation(&caller, request, started)
                    .await
                    .unwrap_or_else(|| refusal(TOO_LONG, TIMEOUT));
                return futures_util::stream::iter([serialised(&response)]).boxed();
            }
            match subscription::open(&this.state, &caller, this.who.clone(), request).await {
                Ok(items) => items
                    .map(|item| match item {
                        Item::Event(payload) => payload,
                        Item::End(response) => serialised(&response),
                    })
                    .boxed(),
                Err(refusals) => {
                    futures_util::stream::iter(refusals.iter().map(serialised).collect::<Vec<_>>()).boxed()
                }
            }
        })
        .flatten()
        .boxed()
    }
}

/// How the connection's protocol frames messages.
#[derive(Clone, Copy)]
struct Framing(WebSocketProtocols);

impl Framing {
    /// A result of operation `id`, with `payload` (a serialised response) as it is.
    fn next(self, id: &str, payload: &str) -> String {
        let kind = match self.0 {
            WebSocketProtocols::GraphQLWS => "next",
            WebSocketProtocols::SubscriptionsTransportWS => "data",
        };
        format!(r#"{{"type":"{kind}","id":{},"payload":{payload}}}"#, quoted(id))
    }

    /// An operation refused before it ran (it gets no `complete`): graphql-transport-ws
    /// sends a list of errors, the legacy protocol one error.
    fn error(self, id: &str, message: &str, code: &str) -> String {
        let error = serde_json::json!({"message": message, "extensions": {"code": code}});
        let payload = match self.0 {
            WebSocketProtocols::GraphQLWS => serde_json::json!([error]),
            WebSocketProtocols::SubscriptionsTransportWS => error,
        };
        format!(r#"{{"type":"error","id":{},"payload":{payload}}}"#, quoted(id))
    }

    fn complete(self, id: &str) -> String {
        format!(r#"{{"type":"complete","id":{}}}"#, quoted(id))
    }
}

fn quoted(id: &str) -> String {
    serde_json::to_string(id).unwrap_or_else(|_| "\"\"".into())
}

fn text(frame: String) -> Message {
    Message::Text(Utf8Bytes::from(frame))
}

/// A close frame; a reason too long for one is cut at a character boundary.
pub fn close(code: u16, reason: &str) -> Message {
    let mut end = reason.len().min(MAX_REASON);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    Message::Close(Some(CloseFrame {
        code,
        reason: Utf8Bytes::from(&reason[..end]),
    }))
}

/// What a client's message calls for.
enum Reply {
    Nothing,
    Send(String),
    Close(u16, String),
    /// The client is gone, or said goodbye.
    Gone,
}

/// Serves an accepted connection (its `connection_init` already checked) until either
/// side ends it.
pub async fn serve(socket: Socket, protocol: WebSocketProtocols, connection: Connection) {
    let framing = Framing(protocol);
    let (mut sink, mut incoming) = socket.split();
    if sink.send(text(r#"{"type":"connection_ack"}"#.into())).await.is_err() {
        return;
    }
    let mut operations: StreamMap<String, BoxStream<'static, String>> = StreamMap::new();
    loop {
        let frame = tokio::select! {
            message = incoming.next() => match on_message(message, framing, &connection, &mut operations) {
                Reply::Nothing => continue,
                Reply::Send(frame) => frame,
                Reply::Close(code, reason) => {
                    let _ = sink.send(close(code, &reason)).await;
                    return;
                }
                Reply::Gone => {
                    // Sends tungstenite's reply to a client's close, if that is why.
                    let _ = sink.close().await;
                    return;
                }
            },
            Some((_, frame)) = operations.next(), if !operations.is_empty() => frame,
        };
        if sink.feed(text(frame)).await.is_err() {
            return;
        }
        // Whatever else is ready goes into the same write.
        for _ in 0..BURST {
            match operations.next().now_or_never() {
                Some(Some((_, frame))) => {
                    if sink.feed(text(frame)).await.is_err() {
                        return;
                    }
                }
                _ => break,
            }
        }
        if sink.flush().await.is_err() {
            return;
        }
    }
}

fn on_message(
    message: Option<Result<Message, axum::Error>>,
    framing: Framing,
    connection: &Connection,
    operations: &mut StreamMap<String, BoxStream<'static, String>>,
) -> Reply {
    let parsed = match message {
        Some(Ok(Message::Text(t))) => ClientMessage::from_bytes(t.as_str()),
        Some(Ok(Message::Binary(b))) => ClientMessage::from_bytes(b),
        Some(Ok(Message::Ping(_) | Message::Pong(_))) => return Reply::Nothing,
        Some(Ok(Message::Close(_)) | Err(_)) | None => return Reply::Gone,
    };
    let message = match parsed {
        Ok(m) => m,
        Err(e) => return Reply::Close(4400, format!("Invalid message received: {e}")),
    };
    match message {
        ClientMessage::ConnectionInit { .. } => Reply::Close(4429, "Too many initialisation requests".into()),
        ClientMessage::Start { id, payload } => {
            if operations.contains_key(&id) {
                match framing.0 {
                    WebSocketProtocols::GraphQLWS => {
                        return Reply::Close(4409, format!("Subscriber for {id} already exists"))
                    }
                    // The legacy protocol has no such rule: the new operation replaces it.
                    WebSocketProtocols::SubscriptionsTransportWS => {
                        operations.remove(&id);
                    }
                }
            }
            if operations.len() >= MAX_OPERATIONS {
                let message = format!("at most {MAX_OPERATIONS} operations may run at once on one connection");
                return Reply::Send(framing.error(&id, &message, RATE_LIMITED));
            }
            let done = framing.complete(&id);
            let frames = {
                let id = id.clone();
                connection
                    .run(payload)
                    .map(move |payload| framing.next(&id, &payload))
                    .chain(futures_util::stream::iter([done]))
                    .boxed()
            };
            operations.insert(id, frames);
            Reply::Nothing
        }
        ClientMessage::Stop { id } => match operations.remove(&id) {
            Some(_) => Reply::Send(framing.complete(&id)),
            None => Reply::Nothing,
        },
        ClientMessage::ConnectionTerminate => Reply::Gone,
        ClientMessage::Ping { payload } => Reply::Send(match payload {
            Some(p) => format!(r#"{{"type":"pong","payload":{p}}}"#),
            None => r#"{"type":"pong"}"#.into(),
        }),
        ClientMessage::Pong { .. } => Reply::Nothing,
    }
}
