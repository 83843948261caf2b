//! REST compatibility (ARCHITECTURE principle 1): the routes other tools' clients call,
//! each a row of its dialect's table — method and path, where its parameters come
//! from, the access it needs, the GraphQL operation it runs against Pivot's schema
//! (parsed once, when the router is built), and how its variables are read and its
//! result shaped. No route touches the database: the resolvers, their guards,
//! validation and DataLoaders answer every one of them.

pub mod intrudect;
pub mod ipdr;
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
use crate::auth::permissions::{Capability, Level};
use crate::auth::principal::Principal;
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
    /// For an answer that spans every page of a connection: the `after` cursor of the
    /// page following the one in this `data`, if any (the operation runs again with it).
    pub next_page: Option<fn(&Value) -> Option<String>>,
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
            next_page: None,
        }
    }

    pub fn before(mut self, operation: &'static str, check: Check) -> Self {
        self.before = Some(Before { operation, check });
        self
    }

    /// See [`Route::next_page`].
    pub fn paged(mut self, next_page: fn(&Value) -> Option<String>) -> Self {
        self.next_page = Some(next_page);
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
    /// The data of the pages after the first, for a paged route.
    pub pages: Vec<Value>,
}

/// Pages a paged route reads at most (a million rows at 1,000 a page): past that its
/// answer would not fit a client's memory anyway.
pub const MAX_PAGES: usize = 1000;

/// The cursor of the page after one, from its `pageInfo { hasNextPage endCursor }`,
/// when there is one (for [`Route::next_page`]).
pub fn cursor_after(page_info: &Value) -> Option<String> {
    if page_info["hasNextPage"] != true {
        return None;
    }
    page_info["endCursor"].as_str().map(str::to_string)
}

/// How a dialect authenticates, refuses and maps GraphQL error codes.
pub trait Dialect: Send + Sync + 'static {
    /// Every route of the dialect is under it; unknown ones get the dialect's 404.
    const PREFIX: &'static str;
    /// Whether credentials come in the body (then it is read before authenticating).
    const CREDENTIALS_IN_BODY: bool = false;

    fn routes() -> Vec<Route>;

    /// The caller, from the request's headers and parameters.
    fn authenticate(
        state: &AppState,
        headers: &HeaderMap,
        params: &Params,
    ) -> impl std::future::Future<Output = Result<Principal, Refusal>> + Send;

    /// The dialect's error body for a refusal.
    fn refuse(refusal: Refusal) -> Response;

    /// The HTTP status of a GraphQL error code.
    fn status(code: &str) -> StatusCode {
        errors::http_status(code)
    }
}

/// A route with its operations parsed.
struct Compiled {
    route: Route,
    document: ExecutableDocument,
    before: Option<ExecutableDocument>,
}

fn parse(route: &Route, operation: &str) -> ExecutableDocument {
    async_graphql::parser::parse_query(operation)
        .unwrap_or_else(|e| panic!("an operation of {} {} does not parse: {e}", route.method, route.path))
}

/// The routes of dialect `D`, and its 404 for every other path under its prefix.
pub fn router<D: Dialect>() -> Router<AppState> {
    let mut paths: BTreeMap<&'static str, MethodRouter<AppState>> = BTreeMap::new();
    for route in D::routes() {
        let document = parse(&route, route.operation);
        let before = route.before.as_ref().map(|b| parse(&route, b.operation));
        let filter = MethodFilter::try_from(route.method.clone()).expect("a routable method");
        let (path, compiled) = (
            route.path,
            Arc::new(Compiled {
                route,
                document,
                before,
            }),
        );
        let handler = move |state: State<AppState>, request: Request| {
            let compiled = compiled.clone();
            async move { handle::<D>(state, &compiled, request).await }
        };
        let entry = paths.remove(path).unwrap_or_default();
        paths.insert(path, entry.on(filter, handler));
    }
    let mut router = Router::new();
    for (path, methods) in paths {
        let methods = methods
            .fallback(|| async { D::refuse(Refusal::new(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")) });
        router = router.route(path, methods);
    }
    let not_found = || async { D::refuse(Refusal::new(StatusCode::NOT_FOUND, "not found")) };
    router
        .route(D::PREFIX, any(not_found))
        .route(&format!("{}/{{*rest}}", D::PREFIX), any(not_found))
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
        Some(D::authenticate(state, &parts.headers, &params).await?)
    };
    if route.input == Input::Json {
        params.body = json_body(body).await?;
    }
    let principal = match early {
        Some(p) => p,
        None => D::authenticate(state, &parts.headers, &params).await?,
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
            let prior = operation::<D>(state, &caller, route, before.operation, document, &variables).await?;
            (before.check)(&prior, &params, &ctx)?;
            prior
        }
        _ => Value::Null,
    };
    let data = operation::<D>(state, &caller, route, route.operation, &compiled.document, &variables).await?;
    let mut pages = Vec::new();
    if let Some(next_page) = route.next_page {
        let mut after = next_page(&data);
        while let Some(cursor) = after {
            if pages.len() + 1 >= MAX_PAGES {
                return Err(Refusal::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("the answer is longer than {MAX_PAGES} pages; read it through GraphQL"),
                ));
            }
            let mut next = variables.clone();
            next["after"] = Value::String(cursor);
            let page = operation::<D>(state, &caller, route, route.operation, &compiled.document, &next).await?;
            after = next_page(&page);
            pages.push(page);
        }
    }
    let reply = (route.reply)(Answer { data, prior, pages }, &params, &ctx)?;
    Ok((reply, user, username))
}

/// Runs one parsed operation of `route`: its data, or its first error in the dialect's terms.
async fn operation<D: Dialect>(
    state: &AppState,
    caller: &Caller,
    route: &Route,
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
    #[test]
    fn graphql_input_types_are_left_out() {
        assert_eq!(
            super::plain(r#"Failed to parse "Cidr": not a CIDR (occurred while parsing "CreateNetworkInput")"#),
            r#"invalid "Cidr": not a CIDR"#
        );
        assert_eq!(super::plain("name: must not be empty"), "name: must not be empty");
    }
}
