//! GraphQL over HTTP: POST (JSON, batches, multipart uploads) and GET, and who the
//! caller is (credentials, address, same-origin checks).

use std::net::SocketAddr;

use async_graphql::http::parse_query_string;
use async_graphql::{BatchRequest, BatchResponse};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, RawQuery, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use tower_sessions::Session;

use super::error_response;
use crate::auth::csrf;
use crate::auth::principal::{self, Credentials};
use crate::domain::access::Level;
use crate::domain::access::{Principal, Via};
use crate::graphql::errors::{
    BAD_USER_INPUT, FORBIDDEN, INTERNAL, PAYLOAD_TOO_LARGE, TIMEOUT, TOO_LONG, UNAUTHENTICATED,
};
use crate::graphql::guardrails::ReadOnly;
use crate::graphql::{self, limits, Caller};
use crate::state::AppState;

/// What a request's transport says about its caller.
struct Transport<'a> {
    headers: &'a HeaderMap,
    session: Session,
    address: Option<SocketAddr>,
    /// POST: may write, so a cookie-authenticated one must be same-origin.
    writes: bool,
}

/// The caller of a request, or the response refusing it: 401 without valid
/// credentials (unless the request only signs in), 403 for a cookie-authenticated
/// write from another origin.
/// `single`: the request when it is one operation (only that may sign in).
async fn caller(
    state: &AppState,
    t: Transport<'_>,
    single: Option<&async_graphql::Request>,
) -> Result<Caller, Response> {
    let principal = match principal::resolve(
        state.db(),
        &principal::authorization(t.headers),
        principal::Origin {
            session: Some(&t.session),
            ..Default::default()
        },
    )
    .await
    {
        Ok(Credentials::Valid(p)) => Some(*p),
        Ok(Credentials::Anonymous) => None,
        Ok(Credentials::Invalid) => {
            return Err(error_response(
                StatusCode::UNAUTHORIZED,
                "invalid, expired or revoked credentials",
                UNAUTHENTICATED,
            ))
        }
        Err(e) => {
            tracing::error!(error = %e, "resolving credentials");
            return Err(error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error",
                INTERNAL,
            ));
        }
    };
    if principal.is_none() && !single.is_some_and(graphql::is_sign_in) {
        return Err(error_response(
            StatusCode::UNAUTHORIZED,
            "authentication required: send Authorization: Bearer <API token>, or sign in with the login mutation",
            UNAUTHENTICATED,
        ));
    }
    // Cookie-authenticated writes must come from Pivot's pages; a sign-in from a page of
    // another origin is refused too (it would sign the browser in as someone else).
    let by_cookie = principal.as_ref().is_some_and(|p| p.via == Via::Session);
    if t.writes && (by_cookie || principal.is_none()) {
        if let Err(message) = csrf::same_origin(t.headers, by_cookie, state.config().public_url.as_deref()) {
            return Err(error_response(StatusCode::FORBIDDEN, message, FORBIDDEN));
        }
    }
    Ok(Caller {
        principal,
        address: t.address.map(|a| a.ip().to_canonical().to_string()),
        session: Some(t.session),
    })
}

async fn execute(state: &AppState, transport: Transport<'_>, request: BatchRequest) -> Response {
    let started = tokio::time::Instant::now();
    let (single, ops, refused) = operations(request);
    if let Some(refused) = refused {
        return refused;
    }
    let caller = match caller(state, transport, single.then(|| &ops[0])).await {
        Ok(c) => c,
        Err(refused) => return refused,
    };
    who(run(state, &caller, started, single, ops).await, &caller)
}

/// `response`, marked with the user it was made for (the access log reads it).
fn who(mut response: Response, caller: &Caller) -> Response {
    if let Some(p) = &caller.principal {
        response
            .extensions_mut()
            .insert(crate::traffic::Who(p.user.username.clone()));
    }
    response
}

/// The operations of a request, whether it is a single one (not a batch), and the
/// refusal of one that is empty or over the batch limit.
fn operations(request: BatchRequest) -> (bool, Vec<async_graphql::Request>, Option<Response>) {
    let (single, ops) = match request {
        BatchRequest::Single(r) => (true, vec![r]),
        BatchRequest::Batch(list) => (false, list),
    };
    let refused = if ops.is_empty() || ops.iter().any(|r| r.query.trim().is_empty()) {
        Some(error_response(
            StatusCode::BAD_REQUEST,
            "the request has no query",
            BAD_USER_INPUT,
        ))
    } else if ops.len() > limits::BATCH {
        Some(error_response(
            StatusCode::BAD_REQUEST,
            format!("a batch holds at most {} operations", limits::BATCH),
            BAD_USER_INPUT,
        ))
    } else {
        None
    };
    (single, ops, refused)
}

/// Runs the operations of a request as `caller`.
async fn run(
    state: &AppState,
    caller: &Caller,
    started: tokio::time::Instant,
    single: bool,
    ops: Vec<async_graphql::Request>,
) -> Response {
    // Budgets count from the request's arrival; each operation of a batch has its own.
    let run = |r| state.run_operation(caller, r, started);
    if single {
        let r = ops.into_iter().next().expect("one operation");
        return match run(r).await {
            Some(response) => graphql_json(BatchResponse::Single(response)),
            None => error_response(StatusCode::OK, TOO_LONG, TIMEOUT),
        };
    }
    // One after another, so that mutations apply in the order sent.
    let mut out = Vec::with_capacity(ops.len());
    for r in ops {
        let response = run(r).await;
        out.push(response.unwrap_or_else(|| {
            async_graphql::Response::from_errors(vec![graphql::access::refusal(TOO_LONG, TIMEOUT)])
        }));
    }
    graphql_json(BatchResponse::Batch(out))
}

fn graphql_json(response: BatchResponse) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], Json(response)).into_response()
}

pub(super) async fn graphql_post(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    session: Session,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let transport = Transport {
        headers: &headers,
        session,
        address: peer.map(|Extension(ConnectInfo(a))| a),
        writes: true,
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match media_type.as_str() {
        "application/json" => match json_request(request).await {
            Ok(batch) => execute(&state, transport, batch).await,
            Err(refused) => refused,
        },
        "multipart/form-data" => upload(&state, transport, content_type, request).await,
        // A form or text/plain is what a page of another origin can send without asking.
        _ => error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the request as Content-Type: application/json (or multipart/form-data with files to import)",
            BAD_USER_INPUT,
        ),
    }
}

/// A multipart request: files to import. Its body is read only once the caller is
/// known and may import, within that caller's upload limits.
async fn upload(state: &AppState, transport: Transport<'_>, content_type: &str, request: Request) -> Response {
    let Ok(boundary) = multer::parse_boundary(content_type) else {
        return error_response(
            StatusCode::BAD_REQUEST,
            "a multipart request needs a boundary in its Content-Type",
            BAD_USER_INPUT,
        );
    };
    // Without a principal `caller` refuses (only a JSON sign-in may come without one).
    let caller = match caller(state, transport, None).await {
        Ok(c) => c,
        Err(refused) => return refused,
    };
    let Some(principal) = &caller.principal else {
        return error_response(StatusCode::UNAUTHORIZED, "authentication required", UNAUTHENTICATED);
    };
    if !may_import(principal) {
        return error_response(StatusCode::FORBIDDEN, "importing files needs write access", FORBIDDEN);
    }
    // Each upload in flight holds disk (its spool) and, once imported, the writer.
    let Some(_slot) = state.uploads().try_take(principal.user.id, UPLOADS_PER_USER) else {
        return error_response(
            StatusCode::TOO_MANY_REQUESTS,
            format!("at most {UPLOADS_PER_USER} uploads of one user at once"),
            crate::graphql::errors::RATE_LIMITED,
        );
    };
    let batch =
        match crate::http::uploads::read(request.into_body(), boundary, principal, &state.config().uploads).await {
            Ok(batch) => batch,
            Err(refused) => return refused,
        };
    // The budget counts from here: a large file takes its time to arrive.
    let started = tokio::time::Instant::now();
    match operations(batch) {
        (_, _, Some(refused)) => refused,
        (single, ops, None) => who(run(state, &caller, started, single, ops).await, &caller),
    }
}

/// Multipart requests one user may have in flight.
const UPLOADS_PER_USER: usize = 4;

/// Whether `p` may run any of the mutations that take files.
fn may_import(p: &Principal) -> bool {
    use graphql::access::{mutation_access, MutationAccess};
    ["importNmap", "importZeek", "importSuricata"]
        .into_iter()
        .any(|m| matches!(mutation_access(m), MutationAccess::Write(c) if p.can(c, Level::Write)))
}

/// A GraphQL request in JSON, of at most `limits::BODY_BYTES`.
async fn json_request(request: Request) -> Result<BatchRequest, Response> {
    let body = match Bytes::from_request(request, &()).await {
        Ok(b) => b,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return Err(error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the request body is larger than {} bytes", limits::BODY_BYTES),
                PAYLOAD_TOO_LARGE,
            ))
        }
        Err(e) => return Err(error_response(e.status(), e.body_text(), BAD_USER_INPUT)),
    };
    serde_json::from_slice::<BatchRequest>(&body).map_err(|e| {
        error_response(
            StatusCode::BAD_REQUEST,
            format!("the body is not a GraphQL request in JSON ({{\"query\": ..., \"variables\": ...}}): {e}"),
            BAD_USER_INPUT,
        )
    })
}

pub(super) async fn graphql_get(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    session: Session,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    match parse_query_string(query.as_deref().unwrap_or_default()) {
        Ok(request) => {
            let transport = Transport {
                headers: &headers,
                session,
                address: peer.map(|Extension(ConnectInfo(a))| a),
                writes: false,
            };
            execute(&state, transport, BatchRequest::Single(request.data(ReadOnly))).await
        }
        Err(e) => error_response(
            StatusCode::BAD_REQUEST,
            format!("bad GraphQL GET request: {e}"),
            BAD_USER_INPUT,
        ),
    }
}
