//! `/healthz` and `/metrics`.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;

use super::error_response;
use crate::auth::principal::{self};
use crate::db::{self};
use crate::graphql::errors::FORBIDDEN;
use crate::state::AppState;

pub(super) async fn healthz(State(state): State<AppState>) -> Response {
    if db::ping(state.db()).await {
        (StatusCode::OK, "ok\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
    }
}

/// Prometheus text format; for clients on the loopback interface, or anywhere with
/// `Authorization: Bearer <PIVOT_METRICS_TOKEN>` (its counters tell of activity).
pub(super) async fn metrics(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
) -> Response {
    // With a token configured, only the token counts: behind a reverse proxy on the same
    // host every request comes from the loopback interface.
    let token = state.config().metrics_token.as_deref();
    let local = token.is_none() && peer.is_some_and(|Extension(ConnectInfo(a))| a.ip().to_canonical().is_loopback());
    let by_token = token.is_some_and(|t| {
        use sha2::Digest;
        let sent = match principal::authorization(&headers) {
            principal::Presented::Token(t) => t,
            _ => String::new(),
        };
        // Compared as digests: equal lengths, no early exit on the secret's bytes.
        sha2::Sha256::digest(sent.as_bytes()) == sha2::Sha256::digest(t.as_bytes())
    });
    if !local && !by_token {
        return error_response(
            StatusCode::FORBIDDEN,
            "metrics are served with Authorization: Bearer <PIVOT_METRICS_TOKEN> when it is set, else on the loopback interface",
            FORBIDDEN,
        );
    }
    let body = format!(
        "# HELP pivot_sql_statements_total SQL statements sent to the database.\n\
         # TYPE pivot_sql_statements_total counter\n\
         pivot_sql_statements_total {}\n\
         # HELP pivot_live_subscriptions Live alert subscriptions open on this process.\n\
         # TYPE pivot_live_subscriptions gauge\n\
         pivot_live_subscriptions {}\n\
         # HELP pivot_live_groups Groups of identical subscriptions (each event is resolved once per group).\n\
         # TYPE pivot_live_groups gauge\n\
         pivot_live_groups {}\n\
         # HELP pivot_live_reads_total Reads of the alert log that found new changes.\n\
         # TYPE pivot_live_reads_total counter\n\
         pivot_live_reads_total {}\n",
        state.statements().get(),
        state.bus().subscribers(),
        state.groups().len(),
        state.bus().reads(),
    );
    let mut body = body;
    let (size, idle) = db::pool_use(state.db());
    body.push_str(&format!(
        "# HELP pivot_db_pool_connections Connections of the main database pool.\n\
         # TYPE pivot_db_pool_connections gauge\n\
         pivot_db_pool_connections{{state=\"idle\"}} {idle}\n\
         pivot_db_pool_connections{{state=\"busy\"}} {}\n",
        size.saturating_sub(idle)
    ));
    if let Ok((waiting, running)) = crate::domain::ipdr::queue_depth(state.db()).await {
        body.push_str(&format!(
            "# HELP pivot_ipdr_queries IPDR queries waiting for a worker, and running.\n\
             # TYPE pivot_ipdr_queries gauge\n\
             pivot_ipdr_queries{{status=\"waiting\"}} {waiting}\n\
             pivot_ipdr_queries{{status=\"running\"}} {running}\n"
        ));
    }
    state.traffic().render(&mut body);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}
