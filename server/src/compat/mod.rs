//! REST compatibility (ARCHITECTURE principle 1): the routes other tools' clients call,
//! each a row of its dialect's table — method and path, where its parameters come
//! from, the access it needs, the GraphQL operation it runs against Pivot's schema
//! (parsed once, when the router is built), and how its variables are read and its
//! result shaped. No route touches the database: the resolvers, their guards,
//! validation and DataLoaders answer every one of them.

pub mod intrudect;
pub mod ipdr;
pub mod patterns;
pub mod time;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use async_graphql::parser::types::ExecutableDocument;
use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, FromRequestParts, Path, Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, MethodFilter, MethodRouter};
use axum::Router;
use serde_json::Value;

use crate::app::AppState;
use crate::auth::principal::{self, Credentials, Presented};
use crate::domain::access::{Capability, Level, Principal};
use crate::graphql::{errors, limits, Caller};

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
}

impl Refusal {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            details: Default::default(),
        }
    }

    pub fn with_details(mut self, details: serde_json::Map<String, Value>) -> Self {
        self.details = details;
        self
    }

    pub fn bad(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

/// A successful answer: its status and JSON body.
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    /// Instead of `body`, the data export at this `/exports/…` URL (from `dataExport`),
    /// streamed as `GET` of the URL would.
    pub download: Option<String>,
}

impl Reply {
    pub fn ok(body: Value) -> Self {
        Self {
            status: StatusCode::OK,
            body,
            download: None,
        }
    }

    pub fn download(url: &str) -> Self {
        Self {
            download: Some(url.to_string()),
            ..Self::ok(Value::Null)
        }
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
    /// A read run just before the operation, with the same variables: what a deletion
    /// answers with (Pivot's deletions answer with the ID) or checks first.
    pub before: Option<Before>,
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
            before: None,
            variables,
            reply,
            paging: None,
        }
    }

    pub fn before(mut self, operation: &'static str, check: Check) -> Self {
        self.before = Some(Before { operation, check });
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
}

pub type Check = fn(&Value, &Params, &Context) -> Result<(), Refusal>;

/// The `data` of a route's operation, and of its `before` read (`Null` without one).
pub struct Answer {
    pub data: Value,
    pub prior: Value,
    /// The data of the pages after the first, for [`Paging::Every`].
    pub pages: Vec<Value>,
    /// Where the page sits, for [`Paging::Numbered`].
    pub numbered: Option<PageNumber>,
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

    /// The credentials the request presents, read the dialect's way (the rules they
    /// must meet are `auth::principal`'s, the same for every dialect); a refusal for
    /// credentials sent in a shape the dialect does not take.
    fn credentials(headers: &HeaderMap, params: &Params) -> Result<Presented, Refusal>;

    /// The dialect's refusal of a caller without valid credentials (`sent`: some were).
    fn unauthenticated(sent: bool) -> Refusal;

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

/// A route with its operations parsed.
struct Compiled {
    route: Route,
    /// Where the dialect is mounted.
    mount: String,
    document: ExecutableDocument,
    before: Option<ExecutableDocument>,
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
        let before = route.before.as_ref().map(|b| parse(&route, b.operation));
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
            async move { handle::<D>(state, &compiled, request).await }
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
pub const DIALECTS: [(&str, &str); 2] = [
    (intrudect::Intrudect::NAME, intrudect::Intrudect::MOUNT),
    (ipdr::Trisul::NAME, ipdr::Trisul::MOUNT),
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

async fn handle<D: Dialect>(State(state): State<AppState>, compiled: &Compiled, request: Request) -> Response {
    let (mut response, who) = match run::<D>(&state, compiled, request).await {
        Ok((
            Reply {
                download: Some(url), ..
            },
            user,
            who,
        )) => {
            let id = url.rsplit('/').next().unwrap_or_default();
            let response = match state.exports().get(id, user) {
                Some(export) => crate::exports::stream(state.db().clone(), export),
                None => D::refuse(Refusal::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the export went missing",
                )),
            };
            (response, Some(who))
        }
        Ok((reply, _, who)) => ((reply.status, axum::Json(reply.body)).into_response(), Some(who)),
        Err(refusal) => (D::refuse(refusal), None),
    };
    if let Some(who) = who {
        response.extensions_mut().insert(crate::traffic::Who(who));
    }
    response
}

/// The route's reply, and the ID of the user it ran as.
async fn run<D: Dialect>(
    state: &AppState,
    compiled: &Compiled,
    request: Request,
) -> Result<(Reply, i64, String), Refusal> {
    let route = &compiled.route;
    let (mut parts, body) = request.into_parts();
    let path = Path::<BTreeMap<String, String>>::from_request_parts(&mut parts, &())
        .await
        .map_err(|e| Refusal::bad(e.body_text()))?
        .0;
    let query = match parts.uri.query() {
        Some(q) => serde_urlencoded::from_str::<Vec<(String, String)>>(q)
            .map_err(|e| Refusal::bad(format!("the query string is malformed: {e}")))?,
        None => Vec::new(),
    };
    let address = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| a.ip().to_canonical().to_string());
    let mut params = Params {
        path,
        query,
        body: Value::Null,
    };
    // The caller is known before its body is read, unless the dialect sends credentials in it.
    let early = if D::CREDENTIALS_IN_BODY {
        None
    } else {
        Some(caller_of::<D>(state, &parts.headers, &params).await?)
    };
    if route.input == Input::Json {
        params.body = json_body(body).await?;
    }
    let principal = match early {
        Some(p) => p,
        None => caller_of::<D>(state, &parts.headers, &params).await?,
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
    let variables = (route.variables)(&params, &ctx)?;
    let (user, username) = (principal.user.id, principal.user.username.clone());
    let caller = Caller {
        principal: Some(principal),
        address,
        session: None,
    };
    let prior = match (&route.before, &compiled.before) {
        (Some(before), Some(document)) => {
            let prior = operation::<D>(state, &caller, route, &params, before.operation, document, &variables).await?;
            (before.check)(&prior, &params, &ctx)?;
            prior
        }
        _ => Value::Null,
    };
    let run = |variables: Value| {
        let caller = &caller;
        let params = &params;
        async move {
            let document = &compiled.document;
            operation::<D>(state, caller, route, params, route.operation, document, &variables).await
        }
    };
    let (data, pages, numbered) = match route.paging {
        None => (run(variables).await?, Vec::new(), None),
        Some(Paging::Every(next)) => {
            let (first, rest) = every_page(run, next, variables).await?;
            (first, rest, None)
        }
        Some(Paging::Numbered) => {
            let (data, n) = numbered_page(run, variables).await?;
            (data, Vec::new(), Some(n))
        }
    };
    let reply = (route.reply)(
        Answer {
            data,
            prior,
            pages,
            numbered,
        },
        &params,
        &ctx,
    )?;
    Ok((reply, user, username))
}

/// The caller of a dialect's request, or the dialect's refusal.
async fn caller_of<D: Dialect>(state: &AppState, headers: &HeaderMap, params: &Params) -> Result<Principal, Refusal> {
    let presented = D::credentials(headers, params)?;
    match principal::resolve(state.db(), &presented, None).await {
        Ok(Credentials::Valid(p)) => Ok(*p),
        Ok(Credentials::Anonymous) => Err(D::unauthenticated(false)),
        Ok(Credentials::Invalid) => Err(D::unauthenticated(true)),
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
        let dialects: [(&str, Vec<Route>); 2] = [
            ("Intrudect", super::intrudect::Intrudect::routes()),
            ("Trisul", super::ipdr::Trisul::routes()),
        ];
        for (dialect, routes) in dialects {
            for r in routes {
                let before = r.before.as_ref().map(|b| b.operation);
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
}
