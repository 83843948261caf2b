//! The web app at `/` and the GraphQL explorer at `/graphiql`: the files `npm run build`
//! writes to `web/dist`, embedded in release builds (one binary to deploy) and read
//! from the source tree by debug builds. A page route the server does not know is the
//! app's own (client-side routing): it gets `index.html`, but only when a browser asks
//! for a page (`Accept: text/html`); anything else unknown is a 404 error.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

use crate::graphql::errors::NOT_FOUND;
use crate::http::error_response;

#[derive(RustEmbed)]
#[folder = "../web/dist"]
#[allow_missing = true]
struct Built;

/// Pages may reach Pivot alone: scripts, styles, fonts, workers and connections
/// (`/graphql`, `/graphql/ws`) from its own origin. Styles inline because the
/// explorer's editor writes its own.
const PAGE_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; \
object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Hashed file names change with their content: cached for a year, never revalidated.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

pub async fn serve(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return not_found(&uri);
    }
    let path = uri.path().trim_start_matches('/');
    if path.starts_with("assets/") {
        return Built::get(path).map_or_else(|| not_found(&uri), |file| file_response(file, IMMUTABLE));
    }
    let page = match path {
        "graphiql" | "graphiql/" => "graphiql.html",
        _ if !wants_page(&headers) => return not_found(&uri),
        _ => "index.html",
    };
    match Built::get(page) {
        Some(file) => {
            let mut r = file_response(file, "no-cache");
            r.headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_POLICY));
            r
        }
        None => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "This pivot was built without its web app: run `npm ci && npm run build` in web/, \
             then build pivot again. The GraphQL API is at /graphql.\n",
        )
            .into_response(),
    }
}

fn wants_page(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"))
}

fn file_response(file: rust_embed::EmbeddedFile, cache: &'static str) -> Response {
    let mime = file.metadata.mimetype().to_string();
    // Embedded bytes are borrowed for the life of the program, not copied per request.
    let mut r = Response::new(Body::from(file.data));
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&mime) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    r
}

fn not_found(uri: &Uri) -> Response {
    error_response(StatusCode::NOT_FOUND, format!("no route {}", uri.path()), NOT_FOUND)
}
