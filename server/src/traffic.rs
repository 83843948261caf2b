//! What the server is asked, for operators: one access log line per request (method,
//! path without its query string, where credentials may travel, status, duration,
//! user) and the counters `/metrics` shows — requests and their time by route family
//! and status class, GraphQL errors by code, imports by format and outcome.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;

/// The user a response was made for, set by the handler that resolved it.
#[derive(Clone, Debug)]
pub struct Who(pub String);

#[derive(Default)]
struct Totals {
    /// (family, status class) → (requests, seconds).
    requests: BTreeMap<(&'static str, u16), (u64, f64)>,
    errors: BTreeMap<String, u64>,
    /// (format, outcome) → imports through the API.
    imports: BTreeMap<(String, &'static str), u64>,
}

/// The counters of this process.
#[derive(Clone, Default)]
pub struct Traffic(Arc<Mutex<Totals>>);

impl Traffic {
    fn totals(&self) -> std::sync::MutexGuard<'_, Totals> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a GraphQL error of `code` (on any transport).
    pub fn error(&self, code: &str) {
        *self.totals().errors.entry(code.to_string()).or_default() += 1;
    }

    /// Counts an import through the API of `format`, landed or not.
    pub fn import(&self, format: &str, landed: bool) {
        let outcome = if landed { "landed" } else { "failed" };
        *self.totals().imports.entry((format.to_string(), outcome)).or_default() += 1;
    }

    /// The counters in Prometheus's text format.
    pub fn render(&self, out: &mut String) {
        use std::fmt::Write as _;
        let totals = self.totals();
        let _ = writeln!(
            out,
            "# HELP pivot_http_requests_total HTTP requests by route family and status class."
        );
        let _ = writeln!(out, "# TYPE pivot_http_requests_total counter");
        for ((family, class), (n, _)) in &totals.requests {
            let _ = writeln!(
                out,
                "pivot_http_requests_total{{family=\"{family}\",status=\"{class}xx\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP pivot_http_request_seconds_total Time spent answering, by route family and status class."
        );
        let _ = writeln!(out, "# TYPE pivot_http_request_seconds_total counter");
        for ((family, class), (_, secs)) in &totals.requests {
            let _ = writeln!(
                out,
                "pivot_http_request_seconds_total{{family=\"{family}\",status=\"{class}xx\"}} {secs:.6}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP pivot_graphql_errors_total GraphQL errors by extensions.code."
        );
        let _ = writeln!(out, "# TYPE pivot_graphql_errors_total counter");
        for (code, n) in &totals.errors {
            let _ = writeln!(out, "pivot_graphql_errors_total{{code=\"{code}\"}} {n}");
        }
        let _ = writeln!(
            out,
            "# HELP pivot_imports_total Imports through the API by format and outcome."
        );
        let _ = writeln!(out, "# TYPE pivot_imports_total counter");
        for ((format, outcome), n) in &totals.imports {
            let _ = writeln!(
                out,
                "pivot_imports_total{{format=\"{format}\",outcome=\"{outcome}\"}} {n}"
            );
        }
    }
}

/// The family of a path, for counting (a bounded set of labels).
fn family(path: &str) -> &'static str {
    match path {
        "/graphql" => "graphql",
        "/graphql/ws" => "websocket",
        "/alerts/stream" => "events",
        "/healthz" | "/metrics" => "operations",
        p if p.starts_with("/api/v1/") => "intrudect",
        p if p.starts_with("/api/ipdr") => "trisul",
        p if p.starts_with("/exports/") || p.ends_with("/pcap") => "downloads",
        _ => "other",
    }
}

/// Logs and counts every request.
pub async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    // The path only: a query string may hold credentials (Trisul's api_token).
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    let user = response.extensions().get::<Who>().map(|w| w.0.as_str()).unwrap_or("-");
    // Fields, not prose: key=value in text, keys in JSON.
    let ms = (elapsed.as_secs_f64() * 10_000.0).round() / 10.0;
    tracing::info!(target: "pivot::access", %method, path, status, ms, user, "request");
    let mut totals = state.traffic().totals();
    let slot = totals.requests.entry((family(&path), status / 100)).or_default();
    slot.0 += 1;
    slot.1 += elapsed.as_secs_f64();
    drop(totals);
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn paths_fall_in_bounded_families() {
        assert_eq!(super::family("/graphql"), "graphql");
        assert_eq!(super::family("/api/v1/networkalerts/3"), "intrudect");
        assert_eq!(super::family("/api/ipdr_query/new"), "trisul");
        assert_eq!(super::family("/alerts/7/pcap"), "downloads");
        assert_eq!(super::family("/anything"), "other");
    }
}
