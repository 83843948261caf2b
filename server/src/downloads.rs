//! Downloads: what Pivot serves by URL rather than in a GraphQL answer — data exports
//! (`/exports/{id}`, from `export`) and packet captures (`/alerts/{id}/pcap`). The same
//! URLs serve GraphQL users (their token or browser session) and the REST dialects'
//! routes that answer with a download (served in the same request, as a `GET` of the
//! URL would be; `http::downloads` routes the URLs). Rights are checked at download
//! time: they may have been withdrawn since the URL was handed out.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::domain::access::{Capability, Level, Principal};
use crate::domain::data::{self, ExportTable};
use crate::domain::ids::{self, Kind};
use crate::domain::pcaps;
use crate::state::AppState;

/// Why a download is refused: its HTTP status and what to say.
#[derive(Debug)]
pub struct Refused {
    pub status: StatusCode,
    pub message: String,
}

impl Refused {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
}

/// The download at `url` (a path Pivot handed out), for `p`.
pub async fn serve(state: &AppState, url: &str, p: &Principal) -> Result<Response, Refused> {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    match path.trim_start_matches('/').split('/').collect::<Vec<_>>().as_slice() {
        ["exports", id] => export(state, id, p),
        ["alerts", id, "pcap"] => capture(state, id, p).await,
        _ => Err(Refused::new(StatusCode::NOT_FOUND, "no such download")),
    }
}

fn may_read(p: &Principal, cap: Capability) -> Result<(), Refused> {
    match p.can(cap, Level::Read) {
        true => Ok(()),
        false => Err(Refused::new(
            StatusCode::FORBIDDEN,
            format!("{} read access is needed", cap.name()),
        )),
    }
}

/// The caller's own export, as a streamed ZIP.
fn export(state: &AppState, id: &str, p: &Principal) -> Result<Response, Refused> {
    may_read(p, Capability::Data)?;
    let export = state
        .exports()
        .get(id, p.user.id)
        .ok_or_else(|| Refused::new(StatusCode::NOT_FOUND, "no such export (they last ten minutes)"))?;
    let needs = export.tables.iter().filter_map(ExportTable::capability);
    if let Some(why) = data::refusal(needs, p, Level::Read) {
        return Err(Refused::new(StatusCode::FORBIDDEN, why));
    }
    Ok(crate::exports::stream(state.db().clone(), export))
}

/// The packet capture of alert `id` (its global ID, as in the graph), as a libpcap file
/// for Wireshark or tcpdump.
async fn capture(state: &AppState, id: &str, p: &Principal) -> Result<Response, Refused> {
    may_read(p, Capability::Alerts)?;
    let alert = ids::decode("id", &async_graphql::ID(id.to_string()), Kind::Alert)
        .map_err(|e| Refused::new(StatusCode::BAD_REQUEST, e.to_string()))?;
    match pcaps::file_of(state.db(), alert).await {
        Ok(Some(file)) => Ok((
            [
                (header::CONTENT_TYPE, "application/vnd.tcpdump.pcap".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"alert-{alert}.pcap\""),
                ),
            ],
            file,
        )
            .into_response()),
        Ok(None) => Err(Refused::new(
            StatusCode::NOT_FOUND,
            "no such alert, or it has no packet capture",
        )),
        Err(e) => {
            tracing::error!(error = %e, "reading a packet capture");
            Err(Refused::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error"))
        }
    }
}
