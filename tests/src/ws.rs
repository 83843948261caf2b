//! A GraphQL-over-WebSocket client for the black-box tests (graphql-transport-ws and
//! the legacy graphql-ws), and a reader of server-sent events.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::TestApp;

/// How long a test waits for a message it expects.
pub const PATIENCE: Duration = Duration::from_secs(10);

pub struct Ws {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub protocol: String,
}

/// What the server did with a connection, seen from the client.
#[derive(Debug)]
pub enum Seen {
    Message(Value),
    Closed(u16, String),
}

impl TestApp {
    /// A WebSocket to `/graphql/ws` in `protocol`, with extra request headers; nothing sent yet.
    pub async fn ws_open(&self, protocol: &str, headers: &[(&str, String)]) -> Ws {
        let url = format!("{}/graphql/ws", self.base.replacen("http", "ws", 1));
        let mut request = url.into_client_request().unwrap();
        request
            .headers_mut()
            .insert("sec-websocket-protocol", protocol.parse().unwrap());
        for (k, v) in headers {
            let name: tokio_tungstenite::tungstenite::http::HeaderName = k.parse().unwrap();
            request.headers_mut().insert(name, v.parse().unwrap());
        }
        let (socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("WebSocket handshake");
        Ws {
            socket,
            protocol: protocol.into(),
        }
    }

    /// A graphql-transport-ws connection acknowledged for `token`.
    pub async fn ws_as(&self, token: &str) -> Ws {
        let mut ws = self.ws_open("graphql-transport-ws", &[]).await;
        ws.send(json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}")}}))
            .await;
        ws.expect_type("connection_ack").await;
        ws
    }

    /// A legacy `graphql-ws` connection acknowledged for the admin (token in `token`).
    pub async fn ws_legacy(&self) -> Ws {
        let mut ws = self.ws_open("graphql-ws", &[]).await;
        ws.send(json!({"type": "connection_init", "payload": {"token": self.token}}))
            .await;
        ws.expect_type("connection_ack").await;
        ws
    }

    /// The same, as the admin.
    pub async fn ws(&self) -> Ws {
        let token = self.token.clone();
        self.ws_as(&token).await
    }
}

impl Ws {
    pub async fn send(&mut self, message: Value) {
        self.send_text(&message.to_string()).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.socket.send(Message::Text(text.into())).await.unwrap();
    }

    /// Says goodbye with a close frame of `code`.
    pub async fn close(&mut self, code: u16) {
        use tokio_tungstenite::tungstenite::protocol::CloseFrame;
        let frame = CloseFrame {
            code: CloseCode::from(code),
            reason: "bye".into(),
        };
        self.socket.send(Message::Close(Some(frame))).await.unwrap();
    }

    /// Starts operation `id`.
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        let kind = if self.protocol == "graphql-ws" {
            "start"
        } else {
            "subscribe"
        };
        self.send(json!({"id": id, "type": kind, "payload": {"query": query, "variables": variables}}))
            .await;
    }

    /// The next message or close, if one comes within `wait`.
    pub async fn seen_within(&mut self, wait: Duration) -> Option<Seen> {
        loop {
            let message = match tokio::time::timeout(wait, self.socket.next()).await {
                Err(_) => return None,
                Ok(None) => return Some(Seen::Closed(1006, "ended".into())),
                Ok(Some(Err(e))) => return Some(Seen::Closed(1006, e.to_string())),
                Ok(Some(Ok(m))) => m,
            };
            match message {
                Message::Text(t) => return Some(Seen::Message(serde_json::from_str(&t).unwrap())),
                Message::Close(frame) => {
                    return Some(match frame {
                        Some(f) => Seen::Closed(u16::from(f.code), f.reason.to_string()),
                        None => Seen::Closed(u16::from(CloseCode::Status), String::new()),
                    })
                }
                _ => continue,
            }
        }
    }

    /// The next message as the server wrote it (its keys in their order).
    pub async fn next_text(&mut self) -> String {
        loop {
            let message = tokio::time::timeout(PATIENCE, self.socket.next())
                .await
                .expect("a message in time")
                .expect("the connection open")
                .expect("a message");
            if let Message::Text(t) = message {
                return t.to_string();
            }
        }
    }

    /// The next message; panics on a close or a silence.
    pub async fn next(&mut self) -> Value {
        match self.seen_within(PATIENCE).await {
            Some(Seen::Message(v)) => v,
            other => panic!("expected a message, got {other:?}"),
        }
    }

    pub async fn expect_type(&mut self, kind: &str) -> Value {
        let m = self.next().await;
        assert_eq!(m["type"], kind, "unexpected message {m}");
        m
    }

    /// The payload of the next `next` (or legacy `data`) message of operation `id`.
    pub async fn event(&mut self, id: &str) -> Value {
        let m = self.next().await;
        assert!(m["type"] == "next" || m["type"] == "data", "expected an event, got {m}");
        assert_eq!(m["id"], id, "an event of another operation: {m}");
        m["payload"].clone()
    }

    /// The close code and reason the server ends the connection with.
    pub async fn closed(&mut self) -> (u16, String) {
        loop {
            match self.seen_within(PATIENCE).await {
                Some(Seen::Closed(code, reason)) => return (code, reason),
                Some(Seen::Message(_)) => continue,
                None => panic!("the server did not close the connection"),
            }
        }
    }

    /// Asserts that nothing arrives for a while.
    pub async fn quiet(&mut self, wait: Duration) {
        if let Some(seen) = self.seen_within(wait).await {
            panic!("expected nothing, got {seen:?}");
        }
    }
}

/// One server-sent event.
#[derive(Debug, Default)]
pub struct SseEvent {
    pub event: String,
    pub id: String,
    pub data: String,
}

/// Reads server-sent events from a streaming response.
pub struct Events {
    response: reqwest::Response,
    buffer: String,
}

impl Events {
    pub fn new(response: reqwest::Response) -> Self {
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next event (comments and keep-alives skipped); panics after a silence.
    pub async fn next(&mut self) -> SseEvent {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut e = SseEvent::default();
                for line in block.lines() {
                    if let Some((field, value)) = line.split_once(':') {
                        let value = value.strip_prefix(' ').unwrap_or(value);
                        match field {
                            "event" => e.event = value.into(),
                            "id" => e.id = value.into(),
                            "data" => e.data.push_str(value),
                            _ => {}
                        }
                    }
                }
                if !e.event.is_empty() || !e.data.is_empty() {
                    return e;
                }
                continue;
            }
            let chunk = tokio::time::timeout(PATIENCE, self.response.chunk())
                .await
                .expect("an event in time")
                .expect("the stream")
                .expect("the stream ended");
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}
