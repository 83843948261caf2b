//! `GET /alerts/stream`: new alerts as server-sent events, for clients behind proxies
//! that block WebSockets. The same subscription (`alertCreated`) runs underneath, with
//! the filter from the query string (`kind`, `type`, `severity`, `severityAtLeast`,
//! `sensor`, `acknowledged`, `host`, `cidr`, `from`, `to`) and the same credentials as
//! `/graphql` (a bearer token, or the session cookie). Each event's `id` is the alert's
//! ID: a client reconnecting with `Last-Event-ID` (or `?after=`) gets what it missed
//! first. A stream that ends (fell behind, credentials revoked) sends one `error`
//! event with the GraphQL error. A subscription that is refused (bad filter, no access,
//! unknown Last-Event-ID) is an HTTP error before any stream.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use async_graphql::Value as GqlValue;
use async_graphql::{Request, Variables};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use tower_sessions::Session;

use crate::graphql::errors::{http_status, BAD_USER_INPUT, INTERNAL, UNAUTHENTICATED};
use crate::graphql::Caller;
use crate::state::AppState;

use crate::live::access::{self, Identified};
use crate::live::subscription::{self, Item};

/// What each event carries: the alert's own fields and the ids of what it links to.
const SUBSCRIPTION: &str = "subscription($filter: AlertFilter, $after: ID) {
  alertCreated(filter: $filter, after: $after) {
    id kind type severity score title message occurredAt srcIp dstIp srcPort dstPort sensor acknowledged
    flow { id }
  }
}";

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Params {
    kind: Option<String>,
    #[serde(rename = "type")]
    alert_type: Option<String>,
    severity: Option<String>,
    severity_at_least: Option<String>,
    sensor: Option<String>,
    acknowledged: Option<bool>,
    host: Option<String>,
    cidr: Option<String>,
    from: Option<String>,
    to: Option<String>,
    after: Option<String>,
}

impl Params {
    /// The subscription's variables: each parameter a condition of `AlertFilter`;
    /// kinds and severities in any case.
    fn variables(self, last_event: Option<String>) -> Value {
        let mut filter = Map::new();
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                filter.insert(k.into(), v);
            }
        };
        let severity = match (self.severity, self.severity_at_least) {
            (None, None) => None,
            (eq, gte) => Some(json!({
                "eq": eq.map(|s| s.to_uppercase()),
                "gte": gte.map(|s| s.to_uppercase()),
            })),
        };
        put("kind", self.kind.map(|k| json!({ "eq": k.trim().to_lowercase() })));
        put("type", self.alert_type.map(|t| json!({ "eq": t.trim() })));
        put("severity", severity);
        put("sensor", self.sensor.map(|s| json!({ "eq": s.trim() })));
        put("acknowledged", self.acknowledged.map(|a| json!({ "eq": a })));
        let host = match (self.host, self.cidr) {
            (None, None) => None,
            (eq, within) => Some(json!({ "eq": eq, "within": within.map(|n| vec![n]) })),
        };
        put("host", host);
        if self.from.is_some() || self.to.is_some() {
            put("occurredAt", Some(json!({ "gte": self.from, "lt": self.to })));
        }
        json!({ "filter": filter, "after": last_event.or(self.after) })
    }
}

use crate::http::error_response as refused;

pub async fn stream(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    session: Session,
    headers: HeaderMap,
    params: Result<Query<Params>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let params = match params {
        Ok(Query(p)) => p,
        Err(e) => {
            return refused(
                StatusCode::BAD_REQUEST,
                format!("bad query string: {}", e.body_text()),
                BAD_USER_INPUT,
            )
        }
    };
    let (principal, who) = match access::identify(state.db(), &headers, Some(&session)).await {
        Ok(Identified::Valid(p, who)) => (*p, who),
        Ok(_) => {
            return refused(
                StatusCode::UNAUTHORIZED,
                "authentication required: send Authorization: Bearer <API token>, or sign in",
                UNAUTHENTICATED,
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "resolving credentials of an event stream");
            return refused(StatusCode::INTERNAL_SERVER_ERROR, "internal error", INTERNAL);
        }
    };
    // A stream counts among the user's connections, as a WebSocket does.
    let max = state.config().sockets_per_user;
    let Some(slot) = state.sockets().try_take(who.user_id, max) else {
        return refused(
            StatusCode::TOO_MANY_REQUESTS,
            format!("this user already holds {max} live connections"),
            crate::graphql::errors::RATE_LIMITED,
        );
    };
    let last_event = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(String::from);
    let variables = Variables::from_json(params.variables(last_event));
    let caller = Caller {
        principal: Some(principal),
        address: peer.map(|Extension(ConnectInfo(a))| a.ip().to_canonical().to_string()),
        session: None,
    };
    // The subscription is checked before the stream starts, so that a bad filter is a
    // 400 (no access a 403, an unknown Last-Event-ID a 404) rather than an error event.
    let request = Request::new(SUBSCRIPTION).variables(variables);
    let items = match subscription::open(&state, &caller, who, request).await {
        Ok(items) => items,
        Err(refusals) => {
            let Some(e) = refusals.iter().find_map(|r| r.errors.first()) else {
                return refused(StatusCode::BAD_REQUEST, "the subscription was refused", BAD_USER_INPUT);
            };
            let code = crate::graphql::errors::code_of(e).unwrap_or(BAD_USER_INPUT).to_string();
            return refused(http_status(&code), e.message.clone(), &code);
        }
    };
    // An event whose alert could not be resolved ends the stream like an end does: an
    // `alert` without an id would reset the client's Last-Event-ID.
    let events = items.scan(false, move |ended, item| {
        // Held as long as the stream.
        let _ = &slot;
        if *ended {
            return futures_util::future::ready(None);
        }
        let event = match item {
            Item::Event(payload) => {
                // Read as GraphQL values (ordered maps): the alert keeps its fields in the
                // order the subscription selected them.
                let response = serde_json::from_str::<async_graphql::Response>(&payload).ok();
                let alert = response.as_ref().and_then(|r| match &r.data {
                    GqlValue::Object(data) => data.get("alertCreated").cloned(),
                    _ => None,
                });
                let id = alert.as_ref().and_then(|a| match a {
                    GqlValue::Object(fields) => match fields.get("id") {
                        Some(GqlValue::String(id)) if !id.is_empty() => Some(id.clone()),
                        _ => None,
                    },
                    _ => None,
                });
                match (alert, id) {
                    (Some(alert), Some(id)) => {
                        let data = serde_json::to_string(&alert).unwrap_or_default();
                        SseEvent::default().id(id).event("alert").data(data)
                    }
                    _ => {
                        *ended = true;
                        let errors = response.map(|r| r.errors).unwrap_or_default();
                        SseEvent::default()
                            .event("error")
                            .data(serde_json::to_string(&errors).unwrap_or_default())
                    }
                }
            }
            Item::End(response) => {
                *ended = true;
                let errors = serde_json::to_string(&response.errors).unwrap_or_default();
                SseEvent::default().event("error").data(errors)
            }
        };
        futures_util::future::ready(Some(Ok::<_, Infallible>(event)))
    });
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}
