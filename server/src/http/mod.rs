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
    use compat::{intrudect::Intrudect, ipdr::Trisul};
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
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        stop_asked().await;
        tracing::info!("shutting down: finishing the requests under way");
    })
    .await?;
    tracing::info!("stopped");
    Ok(())
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
