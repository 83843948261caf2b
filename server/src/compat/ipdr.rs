//! Trisul's IPDR Query API (`../shared/specs/trisul-ipdr-query-api.txt`): list, new,
//! status, result and cancel under `/api/ipdr_query`, answered by the IPDR queries of
//! the graph. Credentials come in the request as `api_token` + `username`, like every
//! other field: in a JSON body (GET requests carry one, as the spec's curl examples
//! send them) or in the query string. Windows are `DD-MM-YYYY HH:MM:SS` and row times
//! `YYYY-MM-DD HH:MM:SS`, both in Pivot's timezone (`PIVOT_TIMEZONE`, UTC by default).
//! A result is answered whole: the route reads every page of the query's records.

use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::time::{self, Bound};
use super::{cursor_after, read_data, Answer, Call, Context, Dialect, Input, Paging, Params, Refusal, Reply, Route};
use crate::auth::principal::Presented;
use crate::domain::access::{Capability, Level};
use crate::domain::ids::{self, Kind};
use crate::domain::ipdr::{Status, DEFAULT_CONTEXT};
use crate::graphql::errors::{FORBIDDEN, NOT_FOUND};

pub struct Trisul;

impl Dialect for Trisul {
    const NAME: &'static str = "trisul";
    const MOUNT: &'static str = "/api/ipdr_query";
    const CREDENTIALS_IN_BODY: bool = true;

    #[rustfmt::skip]
    fn routes() -> Vec<Route> {
        use Method as M;
        let needs = Some((Capability::Ipdr, Level::Read));
        vec![
            Route::new(M::GET, "/list", Input::Json, needs, LIST, list_vars, list),
            Route::new(M::POST, "/new", Input::Json, needs, SUBMIT, new_vars, submitted),
            Route::new(M::GET, "/status", Input::Json, needs, STATUS, status_vars, status),
            Route::new(M::GET, "/result", Input::Json, needs, RESULT, result_vars, result)
                .paging(Paging::Every(next_page)),
            Route::new(M::PUT, "/cancel", Input::Json, needs, CANCEL, status_vars, canceled)
                .before(STATUS, cancelable),
        ]
    }

    /// An API token and its user's name, in the body (or the query string).
    fn credentials(_: &HeaderMap, params: &Params) -> Result<Presented, Refusal> {
        Ok(match (text(params, "api_token")?, text(params, "username")?) {
            (Some(token), Some(username)) => Presented::TokenOf { token, username },
            (None, None) => Presented::Nothing,
            _ => Presented::Malformed,
        })
    }

    fn unauthenticated(_: bool, _: &Call) -> Refusal {
        Refusal::new(StatusCode::UNAUTHORIZED, "Invalid API token")
    }

    /// Trisul's words for the refusals of the graph: a context that is not there or not
    /// the caller's (`c`, or the submission), a query that is not the caller's.
    fn refusal(code: &str, field: Option<&str>, path: &str, p: &Params) -> Option<Refusal> {
        let about_context = field == Some("c") || path == "/new";
        let asked = || context(p).unwrap_or_else(|_| DEFAULT_CONTEXT.to_string());
        match code {
            NOT_FOUND if about_context => Some(Refusal::new(
                StatusCode::NOT_FOUND,
                format!("Context {} not found", asked()),
            )),
            FORBIDDEN if about_context => Some(Refusal::new(
                StatusCode::FORBIDDEN,
                format!("You are not allowed to access the context {}", asked()),
            )),
            FORBIDDEN if field == Some("q") || path == "/cancel" => {
                Some(Refusal::new(StatusCode::FORBIDDEN, words::FORBIDDEN_QUERY))
            }
            _ => None,
        }
    }

    fn refuse(refusal: Refusal) -> Response {
        // Internals stay in the log (`compat::operation` wrote them there).
        let message = if refusal.status.is_server_error() {
            "Internal server error".to_string()
        } else {
            refusal.message
        };
        let mut body = Map::new();
        body.insert("status".into(), json!("ERROR"));
        body.insert("message".into(), json!(message));
        body.extend(refusal.details);
        (refusal.status, axum::Json(Value::Object(body))).into_response()
    }
}

/// Trisul's texts (its spec's, where it gives them).
mod words {
    pub const FORBIDDEN_QUERY: &str = "You are not authorized to access this query";
    pub const NOT_CANCELABLE: &str = "Query is not in NEW or INPROGRESS state";

    /// What Trisul says of a query in `status`.
    pub fn of_status(status: &str) -> &'static str {
        match status {
            "NEW" => "Query submitted, waiting to be processed",
            "INPROGRESS" => "Processing records...",
            "COMPLETED" => "Query completed successfully",
            _ => "Query cancelled by user",
        }
    }
}

/// The graph's answers, as the operations select them (the graph's names).
mod graph {
    use serde::Deserialize;
    use serde_json::{Map, Value};

    #[derive(Deserialize)]
    pub struct Named {
        pub name: String,
    }

    #[derive(Deserialize)]
    pub struct Nodes<T> {
        pub nodes: Vec<T>,
    }

    /// A query, with the fields each operation selects of it; another kind of node
    /// (`node(id:)` of another type) reads as one without a status.
    #[derive(Deserialize, Default)]
    #[serde(rename_all = "camelCase", default)]
    pub struct Query {
        pub number: i64,
        pub context: Option<String>,
        pub ip: String,
        pub from: Option<String>,
        pub to: Option<String>,
        pub status: Option<String>,
        pub status_message: Option<String>,
        pub result_available: bool,
        pub records: Option<Records>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Records {
        pub page_info: Value,
        /// Read field by field, as a result's headers pick them.
        pub nodes: Vec<Map<String, Value>>,
    }

    /// LIST.
    #[derive(Deserialize)]
    pub struct Listed {
        pub c: Option<Named>,
        pub r: Nodes<Query>,
    }

    /// STATUS and RESULT: the context, and the node asked for.
    #[derive(Deserialize)]
    pub struct Looked {
        pub c: Option<Named>,
        pub q: Option<Query>,
    }

    /// SUBMIT and CANCEL.
    #[derive(Deserialize)]
    pub struct Changed {
        pub r: Query,
    }
}

/// What Trisul says about a query beside its status, in its names.
#[derive(Serialize)]
struct Standing {
    #[serde(rename = "CurrentStatus")]
    status: String,
    #[serde(rename = "QueryStatusMessage")]
    message: String,
    ip: String,
    from_time: String,
    to_time: String,
}

impl Standing {
    fn of(q: &graph::Query, c: &Context) -> Self {
        let (from_time, to_time) = window(q, c);
        Self {
            status: q.status.clone().unwrap_or_default(),
            message: status_message(q),
            ip: q.ip.clone(),
            from_time,
            to_time,
        }
    }

    fn fields(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        }
    }
}

/// A query as LIST shows it, in Trisul's names.
#[derive(Serialize)]
struct Control {
    id: i64,
    #[serde(rename = "QueryIP")]
    ip: String,
    #[serde(rename = "QueryWindowStart")]
    start: String,
    #[serde(rename = "QueryWindowEnd")]
    end: String,
    #[serde(rename = "CurrentStatus")]
    status: String,
    #[serde(rename = "StatusMessage")]
    message: String,
}

/// A successful answer: `"status": "SUCCESS"` and `body`'s fields.
fn success(body: impl Serialize) -> Reply {
    let mut out = Map::new();
    out.insert("status".into(), json!("SUCCESS"));
    if let Ok(Value::Object(fields)) = serde_json::to_value(body) {
        out.extend(fields);
    }
    Reply::ok(Value::Object(out))
}

/// A query's status message: Pivot's reason where it gives one (a query given up),
/// else Trisul's words for its status.
fn status_message(q: &graph::Query) -> String {
    match q.status_message.as_deref() {
        Some(m) if !m.is_empty() => m.to_string(),
        _ => words::of_status(q.status.as_deref().unwrap_or_default()).to_string(),
    }
}

// ---- operations ----

const LIST: &str = "query($context: String!, $count: Int!, $me: ID!) {
  c: ipdrContext(name: $context) { name }
  r: ipdrQueries(filter: {context: {eq: $context}, userId: {eq: $me}}, last: $count) {
    nodes { number ip from to status statusMessage }
  }
}";

const SUBMIT: &str = "mutation($input: SubmitIpdrQueryInput!) { r: submitIpdrQuery(input: $input) { number } }";

const STATUS: &str = "query($id: ID!, $context: String!) {
  c: ipdrContext(name: $context) { name }
  q: node(id: $id) { ... on IpdrQuery { context ip from to status statusMessage } }
}";

const RESULT: &str = "query($id: ID!, $context: String!, $after: String) {
  c: ipdrContext(name: $context) { name }
  q: node(id: $id) {
    ... on IpdrQuery {
      context ip from to status statusMessage resultAvailable
      records(first: 1000, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes {
          protocol srcIp srcPort dstIp dstPort startTime endTime duration
          userId subscriberId natIp natPort deviceIp
        }
      }
    }
  }
}";

const CANCEL: &str = "mutation($id: ID!) { r: cancelIpdrQuery(id: $id) { ip from to } }";

// ---- fields ----

/// The value of field `name`: from the JSON body, else from the query string.
fn field<'a>(p: &'a Params, name: &str) -> Option<std::borrow::Cow<'a, Value>> {
    match p.body.get(name) {
        Some(v) => Some(std::borrow::Cow::Borrowed(v)),
        None => p
            .query(name)
            .map(|s| std::borrow::Cow::Owned(Value::String(s.to_string()))),
    }
}

/// A text field; `None` when absent, null or blank.
fn text(p: &Params, name: &str) -> Result<Option<String>, Refusal> {
    match field(p, name).as_deref() {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(_) => Err(Refusal::bad(format!("{name} must be a string"))),
    }
}

/// An integer field (a JSON number, or digits in a string as a query string sends it).
fn integer(p: &Params, name: &str) -> Result<Option<i64>, ()> {
    match field(p, name).as_deref() {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or(()),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| ()),
        Some(_) => Err(()),
    }
}

/// Refuses a body that is not an object, or that has fields the route does not read.
fn only(p: &Params, fields: &[&str]) -> Result<(), Refusal> {
    let Some(body) = p.body.as_object() else {
        return Err(Refusal::bad("The request body must be a JSON object"));
    };
    let common = ["api_token", "username", "contextname"];
    let mut unknown: Vec<&str> = body
        .keys()
        .map(String::as_str)
        .filter(|k| !common.contains(k) && !fields.contains(k))
        .collect();
    unknown.sort_unstable();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(Refusal::bad(format!("Unknown fields: {}", unknown.join(", "))))
    }
}

/// The context asked for, as given (none: `default`; the graph resolves `context0`).
fn context(p: &Params) -> Result<String, Refusal> {
    Ok(text(p, "contextname")?.unwrap_or_else(|| DEFAULT_CONTEXT.to_string()))
}

/// The query's global ID from `query_id`; a number that cannot be a query's is none.
fn query_id(p: &Params) -> Result<Value, Refusal> {
    match integer(p, "query_id") {
        Ok(Some(n)) if n > 0 => Ok(json!(ids::encode(Kind::IpdrQuery, n))),
        Ok(Some(_)) => Err(Refusal::new(StatusCode::NOT_FOUND, "Query ID not found")),
        Ok(None) => Err(Refusal::bad("Query ID is required")),
        Err(()) => Err(Refusal::bad("Query ID must be an integer")),
    }
}

// ---- routes ----

fn list_vars(p: &Params, c: &Context) -> Result<Value, Refusal> {
    only(p, &["count"])?;
    let count = match integer(p, "count") {
        Ok(None) => 10,
        Ok(Some(n)) if (0..=1000).contains(&n) => n,
        _ => return Err(Refusal::bad("Count must be an integer between 0 and 1000")),
    };
    Ok(json!({ "context": context(p)?, "count": count, "me": c.caller }))
}

/// Trisul's window fields of a query.
fn window(q: &graph::Query, c: &Context) -> (String, String) {
    (
        time::render_window(c.timezone, q.from.as_deref()),
        time::render_window(c.timezone, q.to.as_deref()),
    )
}

fn context_not_found(p: &Params) -> Result<Refusal, Refusal> {
    Ok(Refusal::new(
        StatusCode::NOT_FOUND,
        format!("Context {} not found", context(p)?),
    ))
}

fn list(a: Answer, p: &Params, c: &Context) -> Result<Reply, Refusal> {
    let listed: graph::Listed = a.read()?;
    if listed.c.is_none() {
        return Err(context_not_found(p)?);
    }
    // Most recent first.
    let controls: Vec<Control> = listed
        .r
        .nodes
        .iter()
        .rev()
        .map(|q| {
            let (start, end) = window(q, c);
            Control {
                id: q.number,
                ip: q.ip.clone(),
                start,
                end,
                status: q.status.clone().unwrap_or_default(),
                message: status_message(q),
            }
        })
        .collect();
    Ok(success(json!({ "ipdr_controls": controls })))
}

fn new_vars(p: &Params, c: &Context) -> Result<Value, Refusal> {
    only(p, &["ip", "from_time", "to_time"])?;
    // A value of the wrong type is as invalid as a malformed one.
    let ip = text(p, "ip")
        .map_err(|_| Refusal::bad("Invalid IP address"))?
        .ok_or_else(|| Refusal::bad("IP address is required"))?;
    let ip: std::net::IpAddr = ip.parse().map_err(|_| Refusal::bad("Invalid IP address"))?;
    let when = |name: &str, what: &str, bound: Bound| -> Result<String, Refusal> {
        let invalid = || {
            Refusal::bad(format!(
                "Invalid {} time. Please use the format DD-MM-YYYY HH:MM:SS",
                what.to_lowercase()
            ))
        };
        let t = text(p, name)
            .map_err(|_| invalid())?
            .ok_or_else(|| Refusal::bad(format!("{what} time is required")))?;
        time::parse_window(c.timezone, &t, bound).ok_or_else(invalid)
    };
    let from = when("from_time", "From", Bound::Lower)?;
    let to = when("to_time", "To", Bound::Upper)?;
    if to < from {
        return Err(Refusal::bad("To time must not be before from time"));
    }
    Ok(json!({ "input": { "context": context(p)?, "ip": ip.to_string(), "from": from, "to": to } }))
}

fn submitted(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let done: graph::Changed = a.read()?;
    Ok(success(json!({
        "message": "Query submitted successfully",
        "query_id": done.r.number,
    })))
}

fn status_vars(p: &Params, _: &Context) -> Result<Value, Refusal> {
    only(p, &["query_id"])?;
    Ok(json!({ "id": query_id(p)?, "context": context(p)? }))
}

/// The query of a STATUS or RESULT read, checked to exist in the context asked for.
fn found(data: &Value, p: &Params) -> Result<graph::Query, Refusal> {
    let looked: graph::Looked = read_data(data)?;
    let Some(context) = looked.c else {
        return Err(context_not_found(p)?);
    };
    // Another kind of node, or a query of another context, is not a query here.
    match looked.q {
        Some(q) if q.status.is_some() && q.context.as_deref() == Some(&context.name) => Ok(q),
        _ => Err(Refusal::new(StatusCode::NOT_FOUND, "Query ID not found")),
    }
}

fn status(a: Answer, p: &Params, c: &Context) -> Result<Reply, Refusal> {
    let q = found(&a.data, p)?;
    Ok(success(Standing::of(&q, c)))
}

/// The spec's column names, in its order, with the record field each reads.
const COLUMNS: [(&str, &str); 13] = [
    ("Protocol", "protocol"),
    ("SrcIP", "srcIp"),
    ("SrcPort", "srcPort"),
    ("DestIP", "dstIp"),
    ("DestPort", "dstPort"),
    ("StartTime", "startTime"),
    ("EndTime", "endTime"),
    ("Duration", "duration"),
    ("UserID", "userId"),
    ("SubscriberID", "subscriberId"),
    ("NatIP", "natIp"),
    ("NatPort", "natPort"),
    ("DeviceIP", "deviceIp"),
];

/// The columns a result request selects (all of them without `headers`, or with none).
fn headers(p: &Params) -> Result<Vec<(&'static str, &'static str)>, Refusal> {
    let Some(asked) = field(p, "headers") else {
        return Ok(COLUMNS.to_vec());
    };
    let asked: Vec<String> = match asked.as_ref() {
        Value::Null => return Ok(COLUMNS.to_vec()),
        Value::Array(items) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        // The query string carries a list as comma-separated names.
        Value::String(s) if p.body.get("headers").is_none() => s.split(',').map(|h| h.trim().to_string()).collect(),
        _ => return Err(Refusal::bad("Headers should be an array")),
    };
    if asked.is_empty() {
        return Ok(COLUMNS.to_vec());
    }
    let invalid: Vec<&str> = asked
        .iter()
        .map(String::as_str)
        .filter(|h| !COLUMNS.iter().any(|(name, _)| name == h))
        .collect();
    if !invalid.is_empty() {
        return Err(Refusal::bad(format!("Invalid headers: {}", invalid.join(", "))));
    }
    let mut out = Vec::new();
    for h in &asked {
        let column = *COLUMNS.iter().find(|(name, _)| name == h).expect("checked above");
        if !out.contains(&column) {
            out.push(column);
        }
    }
    Ok(out)
}

fn result_vars(p: &Params, _: &Context) -> Result<Value, Refusal> {
    only(p, &["query_id", "headers"])?;
    headers(p)?;
    Ok(json!({ "id": query_id(p)?, "context": context(p)? }))
}

/// The next page of a result, when there is one to answer with (not for a query still
/// running, nor for a result that went missing: those answer without rows).
fn next_page(data: &Value) -> Option<String> {
    let q = read_data::<graph::Looked>(data).ok()?.q?;
    if !finished(&q) || !q.result_available {
        return None;
    }
    cursor_after(&q.records?.page_info)
}

/// A record field as Trisul writes it: text, times in local `YYYY-MM-DD HH:MM:SS`,
/// whole seconds without a fraction, nothing as "".
fn cell(v: &Value, graph_field: &str, c: &Context) -> Value {
    let s = match v {
        Value::Null => String::new(),
        Value::String(s) if graph_field.ends_with("Time") => time::render(c.timezone, Some(s)),
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        other => other.to_string(),
    };
    Value::String(s)
}

fn result(a: Answer, p: &Params, c: &Context) -> Result<Reply, Refusal> {
    let q = found(&a.data, p)?;
    let columns = headers(p)?;
    let standing = Standing::of(&q, c);
    if !finished(&q) {
        let mut body = Map::new();
        body.insert("status".into(), json!("ERROR"));
        body.insert("message".into(), json!("Query is not completed"));
        body.extend(standing.fields());
        return Ok(Reply {
            status: StatusCode::CONFLICT,
            ..Reply::ok(Value::Object(body))
        });
    }
    if !q.result_available {
        return Err(Refusal::new(StatusCode::NOT_FOUND, "Result not found"));
    }
    let mut rows = Vec::new();
    for page in std::iter::once(&a.data).chain(a.pages.iter()) {
        let records = found(page, p)?.records.map(|r| r.nodes).unwrap_or_default();
        for record in records {
            let row: Map<String, Value> = columns
                .iter()
                .map(|(name, graph_field)| {
                    let v = record.get(*graph_field).unwrap_or(&Value::Null);
                    (name.to_string(), cell(v, graph_field, c))
                })
                .collect();
            rows.push(Value::Object(row));
        }
    }
    let mut body = standing.fields();
    body.insert("rows".into(), Value::Array(rows));
    Ok(success(body))
}

/// Whether a query is COMPLETED or CANCELED.
fn finished(q: &graph::Query) -> bool {
    Status::parse(q.status.as_deref().unwrap_or_default()).finished()
}

/// Before a cancellation: the query exists in the context, and can still be canceled
/// (the mutation checks that again, atomically; this says where the query stands).
fn cancelable(prior: &Value, p: &Params, c: &Context) -> Result<(), Refusal> {
    let q = found(prior, p)?;
    if finished(&q) {
        let standing = Standing::of(&q, c).fields();
        return Err(Refusal::new(StatusCode::CONFLICT, words::NOT_CANCELABLE).with_details(standing));
    }
    Ok(())
}

fn canceled(a: Answer, _: &Params, c: &Context) -> Result<Reply, Refusal> {
    let q = a.read::<graph::Changed>()?.r;
    let (from, to) = window(&q, c);
    Ok(success(json!({
        "message": "Query cancelled successfully",
        "ip": q.ip,
        "from_time": from,
        "to_time": to,
    })))
}
