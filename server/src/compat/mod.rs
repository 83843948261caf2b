//! REST compatibility (ARCHITECTURE principle 1): the routes other tools' clients call,
//! each a row of its dialect's table — method and path, where its parameters come
//! from, the access it needs, the GraphQL operation it runs against Pivot's schema
//! (parsed once, when the router is built), and how its variables are read and its
//! result shaped. No route touches the database: the resolvers, their guards,
//! validation and DataLoaders answer every one of them.
//!
//! Route glue is typed: a route reads its operation's data into types that declare the
//! fields it selects ([`Answer::read`], [`read_data`]) and writes its answer from types
//! whose serde names are the dialect's (plain renames declared, not written as code).
//! Every route of Trisul and Intrudect reads its results so; a type's missing field is
//! a logged 500 that the route's tests find, and `every_route_runs_a_valid_operation`
//! checks every route's document against the schema before that.

pub mod intrudect;
pub mod ipdr;
pub mod iris;
pub mod ivre;
pub mod patterns;
pub mod time;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use async_graphql::parser::types::ExecutableDocument;
use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, FromRequestParts, Path, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, MethodFilter, MethodRouter};
use axum::Router;
use serde_json::Value;

use crate::auth::principal::{self, Credentials, Presented};
use crate::domain::access::{Capability, Level, Principal};
use crate::graphql::{errors, limits, Caller};
use crate::state::AppState;

/// Where a route reads its parameters from (path parameters are always read).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    /// The query string only.
    Query,
    /// A JSON body (and the query string).
    Json,
}

/// What a route was called with.
#[derive(Debug, Default)]
pub struct Params {
    pub path: BTreeMap<String, String>,
    pub query: Vec<(String, String)>,
    /// The JSON body; `Null` without one.
    pub body: Value,
}

impl Params {
    /// A path parameter the route's path declares.
    pub fn path(&self, name: &str) -> &str {
        self.path.get(name).map(String::as_str).unwrap_or_default()
    }

    /// The last value of a query-string parameter.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Settings a dialect reads and renders values with.
pub struct Context {
    pub timezone: chrono_tz::Tz,
    /// The caller's global ID, for the operations that ask for its own objects.
    pub caller: async_graphql::ID,
    /// Where the dialect is mounted (its routes' paths are relative to it).
    pub mount: String,
}

/// A refusal in a dialect's terms: its HTTP status and message.
#[derive(Debug)]
pub struct Refusal {
    pub status: StatusCode,
    pub message: String,
    /// More fields for the error body, where a dialect's errors carry them (Trisul's
    /// conflicts say where the query stands).
    pub details: serde_json::Map<String, Value>,
    /// Headers of the refusal (a redirect's `Location`, a cookie it clears).
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl Refusal {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            details: Default::default(),
            headers: Vec::new(),
        }
    }

    pub fn with_details(mut self, details: serde_json::Map<String, Value>) -> Self {
        self.details = details;
        self
    }

    /// With header `name` (a value that is no header value is left out).
    pub fn with_header(mut self, name: HeaderName, value: &str) -> Self {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.push((name, v));
        }
        self
    }

    pub fn bad(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

/// What a successful answer carries.
pub enum Content {
    Json(Value),
    /// Bytes as they are, of this content type (IVRE's counts are `42\n`).
    Bytes {
        content_type: &'static str,
        bytes: Vec<u8>,
    },
    /// The download at this Pivot URL (`/exports/…`, `/alerts/{id}/pcap`), served as a
    /// `GET` of the URL would be (`downloads`).
    Download(String),
    /// Rows streamed as the listing is read, page after page (for [`Paging::Stream`]):
    /// each page's rows from `rows`, written as `framing` says.
    Rows {
        content_type: &'static str,
        framing: Framing,
        rows: RowsOf,
    },
}

/// The rows of one page's data, as a dialect writes them.
pub type RowsOf = fn(&Value, &Params, &Context) -> Result<Vec<Value>, Refusal>;

/// How streamed rows are written: `open`, then each row between `before` and `after`
/// with `between` from one to the next, then `close`.
#[derive(Clone, Copy, Debug)]
pub struct Framing {
    pub open: &'static str,
    pub before: &'static str,
    pub after: &'static str,
    pub between: &'static str,
    pub close: &'static str,
}

impl Framing {
    /// One JSON document per line (`application/x-ndjson`).
    pub const NDJSON: Self = Self {
        open: "",
        before: "",
        after: "\n",
        between: "",
        close: "",
    };
    /// A JSON array.
    pub const JSON_ARRAY: Self = Self {
        open: "[",
        before: "",
        after: "",
        between: ",",
        close: "]",
    };
}

/// A successful answer: its status, headers and content.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub content: Content,
}

impl Reply {
    /// JSON written from `body` as it is (no JSON tree built first).
    pub fn serialized(body: &impl serde::Serialize) -> Result<Self, Refusal> {
        let bytes = serde_json::to_vec(body).map_err(|e| {
            tracing::error!(error = %e, "an answer does not serialize");
            Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        })?;
        Ok(Self {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            content: Content::Bytes {
                content_type: "application/json",
                bytes,
            },
        })
    }

    pub fn ok(body: Value) -> Self {
        Self {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            content: Content::Json(body),
        }
    }

    /// See [`Content::Download`].
    pub fn download(url: &str) -> Self {
        Self {
            content: Content::Download(url.to_string()),
            ..Self::ok(Value::Null)
        }
    }

    /// See [`Content::Bytes`].
    pub fn bytes(content_type: &'static str, bytes: impl Into<Vec<u8>>) -> Self {
        Self {
            content: Content::Bytes {
                content_type,
                bytes: bytes.into(),
            },
            ..Self::ok(Value::Null)
        }
    }

    /// See [`Content::Rows`].
    pub fn rows(content_type: &'static str, framing: Framing, rows: RowsOf) -> Self {
        Self {
            content: Content::Rows {
                content_type,
                framing,
                rows,
            },
            ..Self::ok(Value::Null)
        }
    }

    /// With header `name` (a value that is no header value is left out).
    pub fn with_header(mut self, name: HeaderName, value: &str) -> Self {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.insert(name, v);
        }
        self
    }
}

/// One route of a dialect.
pub struct Route {
    pub method: Method,
    /// In axum's syntax: `/api/v1/devices/{id}`.
    pub path: &'static str,
    pub input: Input,
    /// Checked before the operation runs, in the dialect's words (the operation's own
    /// guards apply too).
    pub needs: Option<(Capability, Level)>,
    /// The GraphQL document, with one operation.
    pub operation: &'static str,
    /// Steps run before the operation, in order: a read with the same variables (what
    /// a deletion answers with — Pivot's deletions answer with the ID — or checks
    /// first), or a step that feeds what it read into the variables ([`Route::first`]).
    pub before: Vec<Before>,
    /// The operation's variables, from what the route was called with.
    pub variables: fn(&Params, &Context) -> Result<Value, Refusal>,
    /// The answer, from the operation's `data` (and the `before` read's).
    pub reply: fn(Answer, &Params, &Context) -> Result<Reply, Refusal>,
    /// How the operation's listing (aliased `r`) is read when it spans pages.
    pub paging: Option<Paging>,
}

/// How a route reads a listing (the operation's root field, aliased `r`) that spans pages.
#[derive(Clone, Copy, Debug)]
pub enum Paging {
    /// Every page: the operation runs again with `$after` the cursor this function
    /// reads from each page's data ([`listing_after`] for the listing `r`), until none.
    Every(fn(&Value) -> Option<String>),
    /// Every page, streamed: the reply sees the first page and answers [`Content::Rows`];
    /// the pages after it are read, with the cursor this function reads from each
    /// page's data, as the answer is written.
    Stream(fn(&Value) -> Option<String>),
    /// One page by number: the variables `page` and `pageSize` (taken out of the
    /// operation's) become `$first`, `$skip` and `$after`, and the first run asks for
    /// `totalCount` (`$counted`), so that a page past the end answers as the last.
    Numbered,
}

/// A numbered page: the one answered (the last when the one asked for is past it),
/// its size, and the rows and pages there are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageNumber {
    pub page: u64,
    pub size: u64,
    pub total_rows: u64,
    /// At least 1, even when nothing matches.
    pub total_pages: u64,
}

pub const DEFAULT_PAGE_SIZE: u64 = 100;
pub const MAX_PAGE_SIZE: u64 = 1000;

/// The page and size asked for, made valid: pages start at 1; a size below 1 is the
/// default, above the maximum the maximum.
pub fn page_and_size(page: Option<i64>, size: Option<i64>) -> (u64, u64) {
    let page = page.unwrap_or(1).max(1) as u64;
    let size = match size {
        Some(n) if n >= 1 => (n as u64).min(MAX_PAGE_SIZE),
        _ => DEFAULT_PAGE_SIZE,
    };
    (page, size)
}

pub type Variables = fn(&Params, &Context) -> Result<Value, Refusal>;
pub type Shape = fn(Answer, &Params, &Context) -> Result<Reply, Refusal>;

impl Route {
    pub fn new(
        method: Method,
        path: &'static str,
        input: Input,
        needs: Option<(Capability, Level)>,
        operation: &'static str,
        variables: Variables,
        reply: Shape,
    ) -> Self {
        Self {
            method,
            path,
            input,
            needs,
            operation,
            before: Vec::new(),
            variables,
            reply,
            paging: None,
        }
    }

    pub fn before(mut self, operation: &'static str, check: Check) -> Self {
        self.before.push(Before {
            operation,
            check,
            variables: None,
            feed: None,
        });
        self
    }

    /// A step run with the operation's variables (as the steps before fed them),
    /// whose answer `feed` writes into them.
    pub fn then(mut self, operation: &'static str, check: Check, feed: Feed) -> Self {
        self.before.push(Before {
            operation,
            check,
            variables: None,
            feed: Some(feed),
        });
        self
    }

    /// A read (or a step) run first with variables of its own, whose answer `feed`
    /// writes into the operation's variables: what the operation acts on is known
    /// only once it has run (DFIR-IRIS's current case).
    pub fn first(mut self, operation: &'static str, variables: Variables, check: Check, feed: Feed) -> Self {
        self.before.push(Before {
            operation,
            check,
            variables: Some(variables),
            feed: Some(feed),
        });
        self
    }

    /// See [`Paging`].
    pub fn paging(mut self, paging: Paging) -> Self {
        self.paging = Some(paging);
        self
    }
}

/// See [`Route::before`].
pub struct Before {
    pub operation: &'static str,
    /// Refuses to go on, from the read's data (the row is not of this route's kind).
    pub check: Check,
    /// Its own variables (none: the operation's, as the steps before fed them).
    pub variables: Option<Variables>,
    /// Writes what it read into the operation's variables.
    pub feed: Option<Feed>,
}

pub type Check = fn(&Value, &Params, &Context) -> Result<(), Refusal>;
pub type Feed = fn(&Value, &mut Value);

/// The `data` of a route's operation, and of its last `before` step (`Null` without one).
pub struct Answer {
    pub data: Value,
    pub prior: Value,
    /// The data of the pages after the first, for [`Paging::Every`].
    pub pages: Vec<Value>,
    /// Where the page sits, for [`Paging::Numbered`].
    pub numbered: Option<PageNumber>,
    /// The operation's variables, as the steps before it fed them.
    pub variables: Value,
}

impl Answer {
    /// The operation's data read as `T`, a type declaring the fields the operation
    /// selects under the graph's names ([`read_data`]).
    pub fn read<T: serde::de::DeserializeOwned>(&self) -> Result<T, Refusal> {
        read_data(&self.data)
    }
}

/// A page of an operation's data read as `T`. A field the type declares and the
/// operation does not select fails here, as a bug: the route's tests find it.
pub fn read_data<T: serde::de::DeserializeOwned>(data: &Value) -> Result<T, Refusal> {
    serde_path_to_error::deserialize(data).map_err(unreadable::<T, _>)
}

/// Rows a table answered as JSON text (`iocTable { rows }`), read as `T`; as
/// [`read_data`], a failure is a bug.
pub fn read_text<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, Refusal> {
    // Read plainly (fast); only a failure is read again to say where.
    serde_json::from_str(text)
        .or_else(|_| serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(text)))
        .map_err(unreadable::<T, _>)
}

/// An answer that does not read as `T`: logged where, and an internal error.
fn unreadable<T, E: std::fmt::Display>(e: serde_path_to_error::Error<E>) -> Refusal {
    let what = std::any::type_name::<T>();
    tracing::error!(path = %e.path(), error = %e.inner(), "an operation's answer does not read as {what}");
    Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
}

/// Pages a paged route reads at most (a million rows at 1,000 a page): past that its
/// answer would not fit a client's memory anyway.
pub const MAX_PAGES: usize = 1000;

/// The cursor of the page after one, from its `pageInfo { hasNextPage endCursor }`,
/// when there is one.
pub fn cursor_after(page_info: &Value) -> Option<String> {
    if page_info["hasNextPage"] != true {
        return None;
    }
    page_info["endCursor"].as_str().map(str::to_string)
}

/// The cursor of the page after the one in `data`, of its listing `r` (for [`Paging::Every`]).
pub fn listing_after(data: &Value) -> Option<String> {
    cursor_after(&data["r"]["pageInfo"])
}

/// How a dialect authenticates, refuses and maps GraphQL error codes.
pub trait Dialect: Send + Sync + 'static {
    /// Its name in `PIVOT_MOUNTS`.
    const NAME: &'static str;
    /// Where its routes are unless `PIVOT_MOUNTS` says otherwise (the path its clients
    /// expect); route paths are relative to it. Unknown paths under it get the
    /// dialect's 404.
    const MOUNT: &'static str;
    /// Whether credentials come in the body (then it is read before authenticating).
    const CREDENTIALS_IN_BODY: bool = false;

    fn routes() -> Vec<Route>;

    /// The dialect's own conditions on every request, checked before anything else
    /// (IVRE refuses a request whose `Referer` is not its own).
    fn gate(_call: &Call) -> Result<(), Refusal> {
        Ok(())
    }

    /// The credentials the request presents, read the dialect's way (the rules they
    /// must meet are `auth::principal`'s, the same for every dialect); a refusal for
    /// credentials sent in a shape the dialect does not take.
    fn credentials(headers: &HeaderMap, params: &Params) -> Result<Presented, Refusal>;

    /// The dialect's refusal of a caller without valid credentials (`sent`: some were):
    /// an error, or a redirect to a sign-in page (ntopng's browsers).
    fn unauthenticated(sent: bool, call: &Call) -> Refusal;

    /// The dialect's error body for a refusal.
    fn refuse(refusal: Refusal) -> Response;

    /// The HTTP status of a GraphQL error code.
    fn status(code: &str) -> StatusCode {
        errors::http_status(code)
    }

    /// The dialect's own refusal for an operation's error, where the dialect words it
    /// itself: from the error's code, the response key of the root field it came from,
    /// the route's path and its parameters. `None` keeps the error's message.
    fn refusal(_code: &str, _field: Option<&str>, _path: &str, _params: &Params) -> Option<Refusal> {
        None
    }
}

/// A request as a dialect's gate and refusals see it.
pub struct Call<'a> {
    pub method: &'a Method,
    pub uri: &'a Uri,
    pub headers: &'a HeaderMap,
    /// The client's address.
    pub address: Option<&'a str>,
    /// Where the dialect is mounted.
    pub mount: &'a str,
}

/// A route with its operations parsed.
struct Compiled {
    route: Route,
    /// Where the dialect is mounted.
    mount: String,
    document: ExecutableDocument,
    before: Vec<ExecutableDocument>,
}

fn parse(route: &Route, operation: &str) -> ExecutableDocument {
    async_graphql::parser::parse_query(operation)
        .unwrap_or_else(|e| panic!("an operation of {} {} does not parse: {e}", route.method, route.path))
}

/// The routes of dialect `D` under `mount`, and its 404 for every other path there.
pub fn router<D: Dialect>(mount: &str) -> Router<AppState> {
    let mut paths: BTreeMap<String, MethodRouter<AppState>> = BTreeMap::new();
    for route in D::routes() {
        let document = parse(&route, route.operation);
        let before = route.before.iter().map(|b| parse(&route, b.operation)).collect();
        let filter = MethodFilter::try_from(route.method.clone()).expect("a routable method");
        let (path, compiled) = (
            format!("{mount}{}", route.path),
            Arc::new(Compiled {
                route,
                mount: mount.to_string(),
                document,
                before,
            }),
        );
        let handler = move |state: State<AppState>, request: Request| {
            let compiled = compiled.clone();
            async move { handle::<D>(state, compiled, request).await }
        };
        let entry = paths.remove(&path).unwrap_or_default();
        paths.insert(path, entry.on(filter, handler));
    }
    let mut router = Router::new();
    for (path, methods) in paths {
        let methods = methods
            .fallback(|| async { D::refuse(Refusal::new(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")) });
        router = router.route(&path, methods);
    }
    let not_found = || async { D::refuse(Refusal::new(StatusCode::NOT_FOUND, "not found")) };
    router
        .route(mount, any(not_found))
        .route(&format!("{mount}/{{*rest}}"), any(not_found))
}

/// The dialects' names and default mounts, for `PIVOT_MOUNTS`.
pub const DIALECTS: [(&str, &str); 3] = [
    (intrudect::Intrudect::NAME, intrudect::Intrudect::MOUNT),
    (ipdr::Trisul::NAME, ipdr::Trisul::MOUNT),
    (iris::Iris::NAME, iris::Iris::MOUNT),
];

/// Where dialect `D` is mounted, given `PIVOT_MOUNTS` read by [`mounts`].
pub fn mount_of<D: Dialect>(mounts: &BTreeMap<String, String>) -> &str {
    mounts.get(D::NAME).map_or(D::MOUNT, String::as_str)
}

/// Pivot's own first path segments: no dialect is mounted over them.
const OWN: [&str; 5] = ["graphql", "exports", "alerts", "healthz", "metrics"];

/// `PIVOT_MOUNTS` read: `name=/path` pairs, comma-separated, each naming a dialect once
/// and a path of its own (`intrudect=/intrudect/api/v1,trisul=/trisul/api/ipdr_query`).
pub fn mounts(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, path) = pair
            .split_once('=')
            .map(|(n, p)| (n.trim().to_lowercase(), p.trim().trim_end_matches('/').to_string()))
            .ok_or_else(|| format!("{pair:?} is not name=/path"))?;
        if !DIALECTS.iter().any(|(n, _)| *n == name) {
            let names: Vec<&str> = DIALECTS.iter().map(|(n, _)| *n).collect();
            return Err(format!("no dialect is named {name:?}: one of {}", names.join(", ")));
        }
        let segments: Vec<&str> = path.split('/').skip(1).collect();
        let valid = path.starts_with('/')
            && segments
                .iter()
                .all(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)));
        if !valid {
            return Err(format!(
                "{name}: {path:?} is not a path of one or more segments of letters, digits, '-', '_' or '.'"
            ));
        }
        if OWN.contains(&segments[0]) {
            return Err(format!("{name}: /{} is Pivot's own", segments[0]));
        }
        if out.insert(name.clone(), path).is_some() {
            return Err(format!("{name} is mounted twice"));
        }
    }
    let mut taken = BTreeMap::new();
    for (name, default) in DIALECTS {
        let path = out.get(name).map_or(default, String::as_str);
        if let Some(other) = taken.insert(path, name) {
            return Err(format!("{other} and {name} are both mounted at {path}"));
        }
    }
    Ok(out)
}

async fn handle<D: Dialect>(State(state): State<AppState>, compiled: Arc<Compiled>, request: Request) -> Response {
    match run::<D>(&state, &compiled, request).await {
        Ok(done) => {
            let who = done.principal.user.username.clone();
            let mut response = respond::<D>(&state, &compiled, done).await;
            response.extensions_mut().insert(crate::traffic::Who(who));
            response
        }
        Err(refusal) => refused::<D>(refusal),
    }
}

/// The dialect's answer to a refusal, with the refusal's headers.
fn refused<D: Dialect>(mut refusal: Refusal) -> Response {
    let headers = std::mem::take(&mut refusal.headers);
    let mut response = D::refuse(refusal);
    for (name, value) in headers {
        response.headers_mut().insert(name, value);
    }
    response
}

/// What a route did: its reply, who it ran as, and for a streamed reply what reads
/// the pages after the first.
struct Done {
    reply: Reply,
    principal: Principal,
    rest: Option<Rest>,
}

/// What a streamed reply reads its pages after the first with.
struct Rest {
    caller: Caller,
    params: Params,
    ctx: Context,
    variables: Value,
    first: Value,
}

async fn respond<D: Dialect>(state: &AppState, compiled: &Arc<Compiled>, done: Done) -> Response {
    let Reply {
        status,
        headers,
        content,
    } = done.reply;
    let mut response = match content {
        Content::Json(v) => (status, axum::Json(v)).into_response(),
        Content::Bytes { content_type, bytes } => {
            (status, [(header::CONTENT_TYPE, content_type)], bytes).into_response()
        }
        Content::Download(url) => match crate::downloads::serve(state, &url, &done.principal).await {
            Ok(r) => r,
            Err(r) => refused::<D>(Refusal::new(r.status, r.message)),
        },
        Content::Rows {
            content_type,
            framing,
            rows,
        } => match (done.rest, compiled.route.paging) {
            (Some(rest), Some(Paging::Stream(next))) => {
                let body = stream::<D>(state.clone(), compiled.clone(), rest, next, framing, rows);
                (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
            }
            _ => {
                tracing::error!(
                    route = compiled.route.path,
                    "rows answered by a route that does not stream"
                );
                refused::<D>(Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error"))
            }
        },
    };
    response.headers_mut().extend(headers);
    response
}

/// The rows of every page, written as they are read: a slow client slows the reading,
/// memory stays flat. An error after the first page cuts the body short (the status is
/// sent already), so that the client sees a broken answer, not a short one.
fn stream<D: Dialect>(
    state: AppState,
    compiled: Arc<Compiled>,
    rest: Rest,
    next: fn(&Value) -> Option<String>,
    framing: Framing,
    rows: RowsOf,
) -> Body {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
    tokio::spawn(async move {
        let Rest {
            caller,
            params,
            ctx,
            variables,
            first,
        } = rest;
        let route = &compiled.route;
        let (mut page, mut written) = (first, 0usize);
        let mut out = String::from(framing.open);
        loop {
            let list = match rows(&page, &params, &ctx) {
                Ok(list) => list,
                Err(r) => {
                    let _ = tx.send(Err(std::io::Error::other(r.message))).await;
                    return;
                }
            };
            for row in list {
                if written > 0 {
                    out.push_str(framing.between);
                }
                out.push_str(framing.before);
                out.push_str(&row.to_string());
                out.push_str(framing.after);
                written += 1;
            }
            let Some(cursor) = next(&page) else { break };
            if !out.is_empty() && tx.send(Ok(std::mem::take(&mut out).into_bytes())).await.is_err() {
                // The client hung up.
                return;
            }
            let mut again = variables.clone();
            again["after"] = Value::String(cursor);
            page = match operation::<D>(
                &state,
                &caller,
                route,
                &params,
                route.operation,
                &compiled.document,
                &again,
            )
            .await
            {
                Ok(page) => page,
                Err(r) => {
                    let _ = tx.send(Err(std::io::Error::other(r.message))).await;
                    return;
                }
            };
        }
        out.push_str(framing.close);
        let _ = tx.send(Ok(out.into_bytes())).await;
    });
    Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
}

/// The route's reply, and who it ran as.
async fn run<D: Dialect>(state: &AppState, compiled: &Compiled, request: Request) -> Result<Done, Refusal> {
    let route = &compiled.route;
    let (mut parts, body) = request.into_parts();
    let address = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| a.ip().to_canonical().to_string());
    // Read before the gate (the path extractor borrows the request), refused after it.
    let path = Path::<BTreeMap<String, String>>::from_request_parts(&mut parts, &())
        .await
        .map(|p| p.0)
        .map_err(|e| Refusal::bad(e.body_text()));
    let call = Call {
        method: &parts.method,
        uri: &parts.uri,
        headers: &parts.headers,
        address: address.as_deref(),
        mount: &compiled.mount,
    };
    D::gate(&call)?;
    let query = match parts.uri.query() {
        Some(q) => serde_urlencoded::from_str::<Vec<(String, String)>>(q)
            .map_err(|e| Refusal::bad(format!("the query string is malformed: {e}")))?,
        None => Vec::new(),
    };
    let mut params = Params {
        path: path?,
        query,
        body: Value::Null,
    };
    // The caller is known before its body is read, unless the dialect sends credentials in it.
    let early = if D::CREDENTIALS_IN_BODY {
        None
    } else {
        Some(caller_of::<D>(state, &call, &params).await?)
    };
    if route.input == Input::Json {
        params.body = json_body(body).await?;
    }
    let principal = match early {
        Some(p) => p,
        None => caller_of::<D>(state, &call, &params).await?,
    };
    if let Some((cap, level)) = route.needs {
        if !principal.can(cap, level) {
            return Err(Refusal::new(
                StatusCode::FORBIDDEN,
                format!(
                    "permission denied: {} {} access is required",
                    cap.name(),
                    level_name(level)
                ),
            ));
        }
    }
    let ctx = Context {
        timezone: state.config().timezone,
        caller: crate::domain::ids::encode(crate::domain::ids::Kind::User, principal.user.id),
        mount: compiled.mount.clone(),
    };
    let mut variables = (route.variables)(&params, &ctx)?;
    let caller = Caller {
        principal: Some(principal.clone()),
        address,
        session: None,
    };
    let mut prior = Value::Null;
    for (before, document) in route.before.iter().zip(&compiled.before) {
        let own = before.variables.map(|v| v(&params, &ctx)).transpose()?;
        let asked = own.as_ref().unwrap_or(&variables);
        prior = operation::<D>(state, &caller, route, &params, before.operation, document, asked).await?;
        (before.check)(&prior, &params, &ctx)?;
        if let Some(feed) = before.feed {
            feed(&prior, &mut variables);
        }
    }
    let run = |variables: Value| {
        let caller = &caller;
        let params = &params;
        async move {
            let document = &compiled.document;
            operation::<D>(state, caller, route, params, route.operation, document, &variables).await
        }
    };
    let (data, pages, numbered, streamed) = match route.paging {
        None => (run(variables.clone()).await?, Vec::new(), None, false),
        Some(Paging::Every(next)) => {
            let (first, rest) = every_page(run, next, variables.clone()).await?;
            (first, rest, None, false)
        }
        Some(Paging::Stream(_)) => (run(variables.clone()).await?, Vec::new(), None, true),
        Some(Paging::Numbered) => {
            let (data, n) = numbered_page(run, variables.clone()).await?;
            (data, Vec::new(), Some(n), false)
        }
    };
    let first = streamed.then(|| data.clone());
    let reply = (route.reply)(
        Answer {
            data,
            prior,
            pages,
            numbered,
            variables: variables.clone(),
        },
        &params,
        &ctx,
    )?;
    let rest = first.map(|first| Rest {
        caller,
        params,
        ctx,
        variables,
        first,
    });
    Ok(Done { reply, principal, rest })
}

/// The caller of a dialect's request, or the dialect's refusal.
async fn caller_of<D: Dialect>(state: &AppState, call: &Call<'_>, params: &Params) -> Result<Principal, Refusal> {
    let presented = D::credentials(call.headers, params)?;
    let origin = principal::Origin {
        session: None,
        address: call.address,
        gate: Some(state.write_gate()),
    };
    match principal::resolve(state.db(), &presented, origin).await {
        Ok(Credentials::Valid(p)) => Ok(*p),
        Ok(Credentials::Anonymous) => Err(D::unauthenticated(false, call)),
        Ok(Credentials::Invalid) => Err(D::unauthenticated(true, call)),
        Err(e) => {
            tracing::error!(error = %e, "resolving credentials");
            Err(Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error"))
        }
    }
}

/// Every page of the listing: the first page's data, and the others'.
async fn every_page<R, F>(
    run: R,
    next: fn(&Value) -> Option<String>,
    variables: Value,
) -> Result<(Value, Vec<Value>), Refusal>
where
    R: Fn(Value) -> F,
    F: std::future::Future<Output = Result<Value, Refusal>>,
{
    let first = run(variables.clone()).await?;
    let mut pages = Vec::new();
    let mut after = next(&first);
    while let Some(cursor) = after {
        if pages.len() + 1 >= MAX_PAGES {
            return Err(Refusal::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the answer is longer than {MAX_PAGES} pages; read it through GraphQL"),
            ));
        }
        let mut again = variables.clone();
        again["after"] = Value::String(cursor);
        let page = run(again).await?;
        after = next(&page);
        pages.push(page);
    }
    Ok((first, pages))
}

/// The numbered page the variables `page` and `pageSize` ask for. Rows up to
/// `MAX_SKIP` deep are skipped by the listing itself; deeper ones are walked by cursor,
/// a hop of `MAX_SKIP + 1` rows at a time.
async fn numbered_page<R, F>(run: R, mut variables: Value) -> Result<(Value, PageNumber), Refusal>
where
    R: Fn(Value) -> F,
    F: std::future::Future<Output = Result<Value, Refusal>>,
{
    use crate::graphql::pagination::MAX_SKIP;
    let max_skip = MAX_SKIP as u64;
    let take = |v: &mut Value, k: &str| v.as_object_mut().and_then(|m| m.remove(k)).and_then(|n| n.as_i64());
    let (page, size) = page_and_size(take(&mut variables, "page"), take(&mut variables, "pageSize"));
    let wanted = (page - 1).saturating_mul(size);
    let mut asked = variables.clone();
    asked["first"] = size.into();
    asked["skip"] = wanted.min(max_skip).into();
    asked["counted"] = true.into();
    let mut data = run(asked).await?;
    let total_rows = data["r"]["totalCount"].as_u64().unwrap_or(0);
    let total_pages = total_rows.div_ceil(size).max(1);
    let page = page.min(total_pages);
    let offset = (page - 1) * size;
    if offset != wanted.min(max_skip) {
        // Past the end (the last page instead), or deeper than one skip goes.
        let (mut at, mut after) = (0u64, Value::Null);
        let mut hops = 0;
        while offset - at > max_skip {
            hops += 1;
            if hops >= MAX_PAGES {
                return Err(Refusal::bad("the page is too deep: narrow the search"));
            }
            let mut hop = variables.clone();
            hop["first"] = 1.into();
            hop["skip"] = max_skip.into();
            hop["after"] = after.clone();
            let d = run(hop).await?;
            match d["r"]["pageInfo"]["endCursor"].as_str() {
                Some(c) => after = Value::String(c.to_string()),
                // Rows went while walking: the page is past what is left.
                None => break,
            }
            at += max_skip + 1;
        }
        let mut last = variables;
        last["first"] = size.into();
        last["skip"] = offset.saturating_sub(at).min(max_skip).into();
        last["after"] = after;
        data = run(last).await?;
    }
    let n = PageNumber {
        page,
        size,
        total_rows,
        total_pages,
    };
    Ok((data, n))
}

/// Runs one parsed operation of `route`: its data, or its first error in the dialect's terms.
async fn operation<D: Dialect>(
    state: &AppState,
    caller: &Caller,
    route: &Route,
    params: &Params,
    text: &str,
    document: &ExecutableDocument,
    variables: &Value,
) -> Result<Value, Refusal> {
    let mut request =
        async_graphql::Request::new(text).variables(async_graphql::Variables::from_json(variables.clone()));
    request.set_parsed_query(document.clone());
    let response = state
        .run_operation(caller, request, tokio::time::Instant::now())
        .await
        .ok_or_else(|| Refusal::new(StatusCode::GATEWAY_TIMEOUT, errors::TOO_LONG))?;
    if let Some(e) = response.errors.first() {
        let code = errors::code_of(e).unwrap_or(errors::INTERNAL);
        let field = match e.path.first() {
            Some(async_graphql::PathSegment::Field(f)) => Some(f.as_str()),
            _ => None,
        };
        if let Some(refusal) = D::refusal(code, field, route.path, params) {
            return Err(refusal);
        }
        let status = D::status(code);
        if status.is_server_error() {
            tracing::error!(route = route.path, error = %e.message, "compatibility route failed");
        }
        return Err(Refusal::new(status, plain(&e.message)));
    }
    response
        .data
        .into_json()
        .map_err(|e| Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

/// A GraphQL error's message in a dialect's terms: without the GraphQL input type it
/// occurred in, a name the dialect's clients never saw.
fn plain(message: &str) -> String {
    let mut out = message.to_string();
    while let Some(start) = out.find(" (occurred while parsing \"") {
        let end = out[start..].find(')').map_or(out.len(), |e| start + e + 1);
        out.replace_range(start..end, "");
    }
    out.replace("Failed to parse ", "invalid ")
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Read => "read",
        Level::Write => "write",
    }
}

/// The JSON body of a request (none: `{}`), at most `limits::BODY_BYTES`.
async fn json_body(body: Body) -> Result<Value, Refusal> {
    let bytes = to_bytes(body, limits::BODY_BYTES).await.map_err(|_| {
        Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is larger than {} bytes", limits::BODY_BYTES),
        )
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    // Read as JSON whatever the Content-Type says: `curl -d` sends a form type.
    serde_json::from_slice(&bytes).map_err(|e| Refusal::bad(format!("the body is not valid JSON: {e}")))
}

/// `value` read as `T`, errors naming the field (`filters.ip: invalid type ...`).
pub fn read<T: serde::de::DeserializeOwned>(what: &str, value: &Value) -> Result<T, Refusal> {
    serde_path_to_error::deserialize(value)
        .map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if path == "." {
                format!("invalid {what}: {inner}")
            } else {
                format!("invalid {what}: {path}: {inner}")
            }
        })
        .map_err(Refusal::bad)
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    #[test]
    fn pages_and_sizes_are_clamped() {
        use super::page_and_size;
        assert_eq!(page_and_size(None, None), (1, 100));
        assert_eq!(page_and_size(Some(0), Some(5000)), (1, 1000));
        assert_eq!(page_and_size(Some(-3), Some(0)), (1, 100));
        assert_eq!(page_and_size(Some(7), Some(25)), (7, 25));
    }

    /// A listing of `rows` rows (numbered from 0) as the graph answers it: `first`,
    /// `skip` (bounded), `after` (a row's number) and `totalCount` when `counted`.
    fn listing(rows: u64, calls: &std::cell::Cell<u32>, v: Value) -> Result<Value, super::Refusal> {
        use crate::graphql::pagination::MAX_SKIP;
        calls.set(calls.get() + 1);
        let skip = v["skip"].as_u64().unwrap_or(0);
        assert!(skip <= MAX_SKIP as u64, "the listing refuses deeper skips");
        let start = v["after"].as_str().map_or(0, |c| c.parse::<u64>().unwrap() + 1) + skip;
        let end = (start + v["first"].as_u64().unwrap()).min(rows);
        let nodes: Vec<u64> = (start..end).collect();
        let mut r = serde_json::json!({
            "nodes": nodes,
            "pageInfo": {"endCursor": nodes.last().map(|n| n.to_string())},
        });
        if v["counted"] == true {
            r["totalCount"] = rows.into();
        }
        Ok(serde_json::json!({ "r": r }))
    }

    fn page(rows: u64, page: i64, size: i64) -> (Vec<u64>, super::PageNumber, u32) {
        let calls = std::cell::Cell::new(0);
        let vars = serde_json::json!({"filter": {}, "page": page, "pageSize": size});
        let run = |v: Value| std::future::ready(listing(rows, &calls, v));
        let (data, n) = futures_util::FutureExt::now_or_never(super::numbered_page(run, vars))
            .unwrap()
            .unwrap();
        let nodes = serde_json::from_value(data["r"]["nodes"].clone()).unwrap();
        (nodes, n, calls.get())
    }

    #[test]
    fn numbered_pages_skip_then_walk_and_stop_at_the_last() {
        // Within one skip: one run.
        let (nodes, n, calls) = page(250, 3, 100);
        assert_eq!(
            (nodes.first(), nodes.len(), n.page, n.total_pages, calls),
            (Some(&200), 50, 3, 3, 1)
        );
        // Past the end: the last page, run again.
        let (nodes, n, _) = page(250, 9, 100);
        assert_eq!((nodes.first(), n.page, n.total_rows), (Some(&200), 3, 250));
        // Deeper than a skip goes: hops of MAX_SKIP + 1 rows, then the page.
        let (nodes, n, calls) = page(45_000, 40, 1000);
        assert_eq!(
            (nodes.first(), nodes.last(), n.page, calls),
            (Some(&39_000), Some(&39_999), 40, 5)
        );
        let (nodes, n, _) = page(45_000, 99, 1000);
        assert_eq!(
            (nodes.first(), nodes.len(), n.page, n.total_pages),
            (Some(&44_000), 1000, 45, 45)
        );
        // Nothing matches: page 1 of 1, empty.
        let (nodes, n, _) = page(0, 4, 10);
        assert_eq!((nodes.len(), n.page, n.total_pages, n.total_rows), (0, 1, 1, 0));
    }

    /// Every operation of every route is valid against the schema (measured: validated,
    /// nothing run), so that a renamed field fails here, not in a user's request.
    #[tokio::test]
    async fn every_route_runs_a_valid_operation() {
        use super::{Dialect, Route};
        use crate::graphql::cost::{cost_of, Measure};
        let schema = crate::graphql::builder().finish();
        let dialects: [(&str, Vec<Route>); 3] = [
            ("Intrudect", super::intrudect::Intrudect::routes()),
            ("Trisul", super::ipdr::Trisul::routes()),
            ("IRIS", super::iris::Iris::routes()),
        ];
        for (dialect, routes) in dialects {
            for r in routes {
                let before = r.before.iter().map(|b| b.operation);
                for text in std::iter::once(r.operation).chain(before) {
                    // Page sizes are read to cost a page: each `Int` variable is 1.
                    let doc = async_graphql::parser::parse_query(text).expect("parses");
                    let mut ints = serde_json::Map::new();
                    for (_, op) in doc.operations.iter() {
                        for v in &op.node.variable_definitions {
                            if v.node.var_type.node.to_string().trim_end_matches('!') == "Int" {
                                ints.insert(v.node.name.node.to_string(), 1.into());
                            }
                        }
                    }
                    let variables = async_graphql::Variables::from_json(Value::Object(ints));
                    let request = async_graphql::Request::new(text).variables(variables).data(Measure);
                    let measured = schema.execute(request).await;
                    let e = measured.errors.first().expect("a measure answers with its cost");
                    assert!(cost_of(e).is_some(), "{dialect} {} {}: {}", r.method, r.path, e.message);
                }
            }
        }
    }

    #[test]
    fn mounts_are_checked() {
        use super::mounts;
        let m = mounts(" intrudect=/intrudect/api/v1/ , trisul=/x").unwrap();
        assert_eq!(m["intrudect"], "/intrudect/api/v1");
        assert_eq!(m["trisul"], "/x");
        assert!(mounts("").unwrap().is_empty());
        for (bad, why) in [
            ("ivre=/cgi", "no dialect"),
            ("trisul", "not name=/path"),
            ("trisul=x", "not a path"),
            ("trisul=/", "not a path"),
            ("trisul=/a//b", "not a path"),
            ("trisul=/{id}", "not a path"),
            ("trisul=/graphql/x", "Pivot's own"),
            ("trisul=/a,trisul=/b", "twice"),
            ("trisul=/api/v1", "both mounted"),
        ] {
            let e = mounts(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn graphql_input_types_are_left_out() {
        assert_eq!(
            super::plain(r#"Failed to parse "Cidr": not a CIDR (occurred while parsing "CreateNetworkInput")"#),
            r#"invalid "Cidr": not a CIDR"#
        );
        assert_eq!(super::plain("name: must not be empty"), "name: must not be empty");
    }

    /// A dialect made to try the machinery every dialect shares, in a real application
    /// on a SQLite file: a gate, a key header and HTTP Basic, a redirect for callers
    /// without credentials, rows streamed page by page, bytes with headers, a download.
    struct Probe;

    const CUSTOMERS: &str = "query($first: Int, $after: String) { \
        r: customers(first: $first, after: $after) { nodes { name } pageInfo { hasNextPage endCursor } } }";
    const COUNT: &str = "{ r: customers { totalCount } }";
    const EXPORT: &str = "{ r: export(tables: [{name: \"a.csv\", rows: {header: [\"a\"]}}]) { url } }";

    fn names(page: &Value, _: &super::Params, _: &super::Context) -> Result<Vec<Value>, super::Refusal> {
        Ok(page["r"]["nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|n| n["name"].clone())
            .collect())
    }

    impl super::Dialect for Probe {
        const NAME: &'static str = "probe";
        const MOUNT: &'static str = "/probe";

        fn routes() -> Vec<super::Route> {
            use super::{Framing, Input, Paging, Reply, Route};
            use axum::http::{header, Method};
            vec![
                Route::new(
                    Method::GET,
                    "/customers",
                    Input::Query,
                    None,
                    CUSTOMERS,
                    |_, _| Ok(serde_json::json!({"first": 2})),
                    |_, p, _| {
                        Ok(match p.query("format") {
                            Some("ndjson") => Reply::rows("application/x-ndjson", Framing::NDJSON, names),
                            _ => Reply::rows("application/json", Framing::JSON_ARRAY, names),
                        })
                    },
                )
                .paging(Paging::Stream(super::listing_after)),
                Route::new(
                    Method::GET,
                    "/count",
                    Input::Query,
                    None,
                    COUNT,
                    |_, _| Ok(serde_json::json!({})),
                    |a, _, _| {
                        let body = format!("{}\n", a.data["r"]["totalCount"]);
                        Ok(Reply::bytes("application/json", body)
                            .with_header(header::CONTENT_DISPOSITION, "attachment; filename=\"count.json\""))
                    },
                ),
                Route::new(
                    Method::GET,
                    "/export",
                    Input::Query,
                    None,
                    EXPORT,
                    |_, _| Ok(serde_json::json!({})),
                    |a, _, _| Ok(Reply::download(a.data["r"]["url"].as_str().unwrap_or_default())),
                ),
            ]
        }

        fn gate(call: &super::Call) -> Result<(), super::Refusal> {
            let referer = call.headers.get("referer").and_then(|v| v.to_str().ok());
            match referer {
                Some(r) if r.starts_with("http://probe.example/") => Ok(()),
                _ => Err(super::Refusal::bad("Invalid Referer header")),
            }
        }

        fn credentials(
            headers: &axum::http::HeaderMap,
            _: &super::Params,
        ) -> Result<crate::auth::principal::Presented, super::Refusal> {
            use crate::auth::principal::{basic, key_header, Presented};
            Ok(match basic(headers) {
                Presented::Nothing => key_header(headers, "x-probe-key"),
                password => password,
            })
        }

        fn unauthenticated(_: bool, call: &super::Call) -> super::Refusal {
            let back: String = url_escape(&call.uri.to_string());
            super::Refusal::new(axum::http::StatusCode::FOUND, "sign in first").with_header(
                axum::http::header::LOCATION,
                &format!("{}/login?referer={back}", call.mount),
            )
        }

        fn refuse(r: super::Refusal) -> axum::response::Response {
            use axum::response::IntoResponse;
            (r.status, axum::Json(serde_json::json!({ "error": r.message }))).into_response()
        }
    }

    fn url_escape(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn dialects_gate_authenticate_redirect_stream_and_download() {
        use axum::http::{header, Request, StatusCode};
        use tower::ServiceExt;
        let dir = tempfile::tempdir().unwrap();
        let config = crate::config::Config {
            database_url: format!("sqlite://{}/probe.db", dir.path().display()),
            admin_password: Some("a long enough password".into()),
            ..Default::default()
        };
        let state = crate::state::AppState::start(config).await.unwrap();
        let admin = crate::domain::users::by_name(state.db(), "admin").await.unwrap();
        let (_, key) = crate::domain::users::create_token(state.db(), admin.id, "probe", None)
            .await
            .unwrap();
        let caller = crate::graphql::Caller::acting_as(admin);
        for n in 0..5 {
            let create = async_graphql::Request::new(format!("mutation {{ createCustomer(name: \"c{n}\") {{ id }} }}"));
            let done = state
                .run_operation(&caller, create, tokio::time::Instant::now())
                .await
                .unwrap();
            assert!(done.errors.is_empty(), "{:?}", done.errors);
        }
        let db = state.db().clone();
        let app = super::router::<Probe>("/tools/probe").with_state(state);
        let call = |uri: &str, referer: Option<&str>, key: Option<&str>| {
            let mut r = Request::get(uri);
            if let Some(v) = referer {
                r = r.header("referer", v);
            }
            if let Some(k) = key {
                r = r.header("x-probe-key", k);
            }
            app.clone().oneshot(r.body(axum::body::Body::empty()).unwrap())
        };
        let text = |r: axum::response::Response| async move {
            let bytes = axum::body::to_bytes(r.into_body(), usize::MAX).await.unwrap();
            String::from_utf8(bytes.to_vec()).unwrap()
        };
        let ok = Some("http://probe.example/ui");

        // The gate comes first, credentials or not.
        let r = call("/tools/probe/count", Some("http://evil.example/"), Some(&key))
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert_eq!(text(r).await, r#"{"error":"Invalid Referer header"}"#);
        // No credentials: the dialect's redirect, to its sign-in page under its mount.
        let r = call("/tools/probe/count?x=1", ok, None).await.unwrap();
        assert_eq!(r.status(), StatusCode::FOUND);
        assert_eq!(
            r.headers()[header::LOCATION],
            "/tools/probe/login?referer=%2Ftools%2Fprobe%2Fcount%3Fx%3D1"
        );
        let r = call("/tools/probe/count", ok, Some("pvt_wrong")).await.unwrap();
        assert_eq!(r.status(), StatusCode::FOUND);

        // A user name and password with the request (HTTP Basic): checked as a sign-in
        // is, a failure recorded as one, a success not a sign-in.
        let basic = |password: &str| {
            use base64::Engine;
            let pair = base64::engine::general_purpose::STANDARD.encode(format!("admin:{password}"));
            let r = Request::get("/tools/probe/count")
                .header("referer", "http://probe.example/ui")
                .header(header::AUTHORIZATION, format!("Basic {pair}"));
            app.clone().oneshot(r.body(axum::body::Body::empty()).unwrap())
        };
        let r = basic("a long enough password").await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let r = basic("wrong").await.unwrap();
        assert_eq!(r.status(), StatusCode::FOUND);
        let actions: Vec<String> = {
            use sea_orm::{EntityTrait, QueryOrder};
            entities::audit_event::Entity::find()
                .order_by_asc(entities::audit_event::Column::Id)
                .all(&db)
                .await
                .unwrap()
                .into_iter()
                .map(|e| e.action)
                .filter(|a| a.starts_with("login"))
                .collect()
        };
        assert_eq!(actions, [crate::domain::audit::LOGIN_FAILED]);

        // Bytes, with the route's headers.
        let r = call("/tools/probe/count", ok, Some(&key)).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
        assert_eq!(
            r.headers()[header::CONTENT_DISPOSITION],
            "attachment; filename=\"count.json\""
        );
        assert_eq!(text(r).await, "5\n");

        // Rows streamed across three pages of two, in either framing.
        let r = call("/tools/probe/customers?format=ndjson", ok, Some(&key))
            .await
            .unwrap();
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/x-ndjson");
        assert_eq!(text(r).await, "\"c0\"\n\"c1\"\n\"c2\"\n\"c3\"\n\"c4\"\n");
        let r = call("/tools/probe/customers", ok, Some(&key)).await.unwrap();
        assert_eq!(text(r).await, r#"["c0","c1","c2","c3","c4"]"#);

        // A download served in the same request, as a GET of its URL would be.
        let r = call("/tools/probe/export", ok, Some(&key)).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/zip");
        let bytes = axum::body::to_bytes(r.into_body(), usize::MAX).await.unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let mut csv = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("a.csv").unwrap(), &mut csv).unwrap();
        assert_eq!(csv, "a\n");

        // Unknown paths under the mount: the dialect's 404.
        let r = call("/tools/probe/nothing", ok, Some(&key)).await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }
}
