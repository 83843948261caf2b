//! The HTTP layer, at the top: routing, the GraphQL-over-HTTP transport
//! ([`transport`]), the live transports ([`ws`], [`sse`]), downloads, health and
//! metrics, sessions and the REST dialects mounted where configured. Nothing below
//! imports it.

pub mod downloads;
pub mod health;
pub mod protocol;
pub mod sse;
pub mod transport;
pub mod uploads;
pub mod web;
pub mod ws;

use std::net::SocketAddr;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tokio::net::TcpListener;

use crate::auth::sessions;
use crate::compat;
use crate::graphql::errors::INTERNAL;
use crate::graphql::{self, limits};
use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    use compat::{intrudect::Intrudect, ipdr::Trisul, iris::Iris};
    let sessions = sessions::layer(state.db().clone(), state.config().secure_cookies);
    let mounts = &state.config().mounts;
    Router::new()
        .route("/graphql", get(transport::graphql_get).post(transport::graphql_post))
        .route("/graphql/ws", get(crate::http::ws::upgrade))
        .route("/alerts/stream", get(crate::http::sse::stream))
        .merge(crate::http::downloads::routes())
        .layer(sessions)
        .merge(compat::router::<Intrudect>(compat::mount_of::<Intrudect>(mounts)))
        .merge(compat::router::<Trisul>(compat::mount_of::<Trisul>(mounts)))
        .merge(compat::router::<Iris>(compat::mount_of::<Iris>(mounts)))
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(health::metrics))
        // Anything else: the web app's files and pages (gzip for browsers that take it).
        .fallback_service(
            tower::ServiceBuilder::new()
                .layer(tower_http::compression::CompressionLayer::new())
                .service(axum::routing::any(web::serve).with_state(())),
        )
        .layer(DefaultBodyLimit::max(limits::BODY_BYTES))
        .layer(axum::middleware::map_response(hardened))
        // A bug must cost one request a 500, not the connection a reset.
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
            error_response(StatusCode::INTERNAL_SERVER_ERROR, "internal error", INTERNAL)
        }))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::traffic::record,
        ))
        .with_state(state)
}

/// Headers every answer carries unless it sets its own: no MIME sniffing, not framed
/// by other pages, not cached (answers hold case data; downloads set theirs).
async fn hardened(mut response: Response) -> Response {
    use axum::http::HeaderValue;
    let h = response.headers_mut();
    h.entry(header::X_CONTENT_TYPE_OPTIONS)
        .or_insert(HeaderValue::from_static("nosniff"));
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static("frame-ancestors 'none'"));
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// Serves until the process is interrupted.
pub async fn serve(listener: TcpListener, state: AppState) -> anyhow::Result<()> {
    sessions::sweep_expired(
        sessions::DbStore::new(state.db().clone()),
        std::time::Duration::from_secs(600),
    );
    use axum::serve::ListenerExt;
    // Pivot writes whole responses and gathers live events into one write itself: Nagle's
    // algorithm would only hold the next small write back until the last is acknowledged.
    let listener = listener.tap_io(|stream| {
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "setting TCP_NODELAY");
        }
    });
    // Slashes merged before routing (the router cannot do it for itself).
    let app = tower::ServiceBuilder::new()
        .map_request(merge_slashes)
        .service(router(state));
    axum::serve(
        listener,
        axum::ServiceExt::<axum::extract::Request>::into_make_service_with_connect_info::<SocketAddr>(app),
    )
    .with_graceful_shutdown(async {
        stop_asked().await;
        tracing::info!("shutting down: finishing the requests under way");
    })
    .await?;
    tracing::info!("stopped");
    Ok(())
}

/// A request target's repeated slashes merged (`//manage/x` is `/manage/x`), as web
/// servers do by default: DFIR-IRIS's client joins its base URL and paths that start
/// with `/` into such targets.
fn merge_slashes(mut request: axum::extract::Request) -> axum::extract::Request {
    let uri = request.uri();
    if !uri.path().contains("//") {
        return request;
    }
    let mut path = String::with_capacity(uri.path().len());
    for c in uri.path().chars() {
        if !(c == '/' && path.ends_with('/')) {
            path.push(c);
        }
    }
    let target = match uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path,
    };
    let mut parts = uri.clone().into_parts();
    if let Ok(pq) = target.parse() {
        parts.path_and_query = Some(pq);
        if let Ok(merged) = axum::http::Uri::from_parts(parts) {
            *request.uri_mut() = merged;
        }
    }
    request
}

/// Ctrl-C (SIGINT) at a terminal, or SIGTERM from a service manager (systemd, Docker,
/// Kubernetes ask a service to stop with it).
async fn stop_asked() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// A response carrying one coded GraphQL error.
pub(crate) fn error_response(status: StatusCode, message: impl Into<String>, code: &str) -> Response {
    let e = graphql::access::refusal(message, code);
    (status, Json(async_graphql::Response::from_errors(vec![e]))).into_response()
}

#[cfg(test)]
mod tests {
    use super::merge_slashes;

    fn merged(target: &str) -> String {
        let r = axum::extract::Request::builder()
            .uri(target)
            .body(axum::body::Body::empty())
            .unwrap();
        merge_slashes(r).uri().to_string()
    }

    #[test]
    fn repeated_slashes_are_one() {
        assert_eq!(merged("/iris//manage/customers/list"), "/iris/manage/customers/list");
        assert_eq!(merged("//manage///x?cid=1&a=//b"), "/manage/x?cid=1&a=//b");
        assert_eq!(merged("/graphql"), "/graphql");
    }
}
