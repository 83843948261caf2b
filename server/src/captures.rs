//! `GET /alerts/{id}/pcap`: the packet capture of an alert (`Alert.pcap.url`), as a
//! libpcap file for Wireshark or tcpdump, to whoever may read alerts.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::app::{self, error_response, AppState};
use crate::domain::access::Capability;
use crate::domain::ids::{self, Kind};
use crate::domain::pcaps;
use crate::graphql::errors::{BAD_USER_INPUT, INTERNAL, NOT_FOUND};

/// The capture of alert `id` (its global ID, as in the graph).
pub async fn download(
    State(state): State<AppState>,
    Path(id): Path<String>,
    session: tower_sessions::Session,
    headers: HeaderMap,
) -> Response {
    if let Err(refused) = app::reader(&state, &headers, &session, Capability::Alerts, "alerts").await {
        return refused;
    }
    let alert = match ids::decode("id", &async_graphql::ID(id), Kind::Alert) {
        Ok(n) => n,
        Err(e) => return error_response(StatusCode::BAD_REQUEST, e.to_string(), BAD_USER_INPUT),
    };
    match pcaps::file_of(state.db(), alert).await {
        Ok(Some(file)) => (
            [
                (header::CONTENT_TYPE, "application/vnd.tcpdump.pcap".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"alert-{alert}.pcap\""),
                ),
            ],
            file,
        )
            .into_response(),
        Ok(None) => error_response(
            StatusCode::NOT_FOUND,
            "no such alert, or it has no packet capture",
            NOT_FOUND,
        ),
        Err(e) => {
            tracing::error!(error = %e, "reading a packet capture");
            error_response(StatusCode::INTERNAL_SERVER_ERROR, "internal error", INTERNAL)
        }
    }
}
