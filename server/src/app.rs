//! The HTTP application: GraphQL over POST and GET, health and metrics, browser
//! sessions, and who the caller is (credentials, address, same-origin checks).

use std::net::SocketAddr;
use std::sync::Arc;

use async_graphql::http::parse_query_string;
use async_graphql::{BatchRequest, BatchResponse};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, RawQuery, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tower_sessions::Session;

use crate::auth::principal::{self, Credentials};
use crate::auth::{csrf, sessions};
use crate::compat;
use crate::config::Config;
use crate::db::{self, StatementCounter};
use crate::domain::access::Level;
use crate::domain::access::{Principal, Via};
use crate::domain::users;
use crate::exports::Exports;
use crate::fairness::{Slots, Turns};
use crate::graphql::errors::{
    BAD_USER_INPUT, FORBIDDEN, INTERNAL, PAYLOAD_TOO_LARGE, TIMEOUT, TOO_LONG, UNAUTHENTICATED,
};
use crate::graphql::guardrails::ReadOnly;
use crate::graphql::{self, limits, Caller, PivotSchema};
use crate::live::{self, Bus};

/// Everything a request handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    schema: PivotSchema,
    db: DatabaseConnection,
    bus: Bus,
    groups: live::Groups,
    statements: StatementCounter,
    config: Config,
    exports: Exports,
    turns: Turns,
    sockets: Slots,
    uploads: Slots,
    traffic: crate::traffic::Traffic,
}

impl AppState {
    /// Opens the database, brings its schema up to date and builds the GraphQL schema.
    pub async fn start(config: Config) -> anyhow::Result<Self> {
        let (db, statements) = db::connect(&config.database_url, Some(config.query_timeout)).await?;
        db::migrate(&db).await?;
        first_admin(&db, config.admin_password.as_deref()).await?;
        let (bus_db, _) = db::connect_pool(&config.database_url, None, 3).await?;
        let bus = Bus::start(bus_db, config.live_buffer, config.live_log_keep)
            .await
            .map_err(|e| anyhow::anyhow!("starting the alert bus: {e}"))?;
        let exports = Exports::default();
        // The workers' own pool: no interactive statement timeout (a lookup of a busy
        // address may take longer), and requests never wait for it.
        let (jobs_db, _) = db::connect_pool(&config.database_url, None, config.ipdr.workers as u32 + 1).await?;
        let jobs = crate::jobs::ipdr::start(jobs_db, config.ipdr.clone());
        let traffic = crate::traffic::Traffic::default();
        let schema = graphql::build(db.clone(), Some(bus.clone()), exports.clone(), jobs, traffic.clone());
        Ok(Self(Arc::new(Inner {
            schema,
            db,
            bus,
            groups: live::Groups::default(),
            statements,
            config,
            exports,
            turns: Turns::default(),
            sockets: Slots::default(),
            uploads: Slots::default(),
            traffic,
        })))
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.0.db
    }

    pub fn schema(&self) -> &PivotSchema {
        &self.0.schema
    }

    /// The data exports waiting to be downloaded.
    pub fn exports(&self) -> &Exports {
        &self.0.exports
    }

    pub fn config(&self) -> &Config {
        &self.0.config
    }

    /// The alert bus of this process.
    pub fn bus(&self) -> &Bus {
        &self.0.bus
    }

    /// Runs one query or mutation as `caller` within its time budget (see
    /// [`graphql::budget`]), counted from `started`, once the caller's turn comes
    /// ([`Turns`]): every transport runs its operations here. `None` when out of time.
    pub async fn run_operation(
        &self,
        caller: &Caller,
        mut request: async_graphql::Request,
        started: tokio::time::Instant,
    ) -> Option<async_graphql::Response> {
        let interactive = self.0.config.query_timeout;
        let budget = graphql::budget_of(&mut request, interactive);
        // Bulk work (imports, deletions) runs for minutes: it is bounded by the uploads a
        // user may have in flight and by the one writer, not by turns it would hold. On
        // SQLite every mutation waits at the write gate, holding no connection: holding a
        // turn there too would keep the same user's reads waiting behind its writes.
        let bulk = budget > interactive;
        let gated = sea_orm::ConnectionTrait::get_database_backend(&self.0.db) == sea_orm::DbBackend::Sqlite
            && graphql::is_mutation(&mut request);
        let response = graphql::within(budget.saturating_sub(started.elapsed()), async {
            let user = caller.principal.as_ref().map(|p| p.user.id).filter(|_| !bulk && !gated);
            let _turn = self.0.turns.take(user).await;
            graphql::execute(&self.0.schema, &self.0.db, caller, request).await
        })
        .await;
        match &response {
            Some(r) => r
                .errors
                .iter()
                .for_each(|e| self.0.traffic.error(graphql::errors::code_of(e).unwrap_or(INTERNAL))),
            None => self.0.traffic.error(TIMEOUT),
        }
        response
    }

    /// What the server is asked (the access log's counters).
    pub fn traffic(&self) -> &crate::traffic::Traffic {
        &self.0.traffic
    }

    /// The WebSocket connections each user holds.
    pub fn sockets(&self) -> &Slots {
        &self.0.sockets
    }

    /// The groups of identical subscriptions of this process.
    pub fn groups(&self) -> &live::Groups {
        &self.0.groups
    }
}

/// On an empty database, creates `admin` (see [`users::ensure_admin`]) and shows a
/// generated password once, on the terminal of whoever started Pivot; never logged.
pub async fn first_admin(db: &DatabaseConnection, password: Option<&str>) -> anyhow::Result<()> {
    let generated = users::ensure_admin(db, password)
        .await
        .map_err(|e| anyhow::anyhow!("creating the first admin: {e}"))?;
    if let Some(password) = generated {
        // Standard error: for the person at the terminal, not for a script capturing
        // a command's output.
        eprintln!("Created user `admin` with password: {password}\n(shown once: keep it safe)");
    }
    Ok(())
}

pub fn router(state: AppState) -> Router {
    use compat::{intrudect::Intrudect, ipdr::Trisul};
    let sessions = sessions::layer(state.0.db.clone(), state.0.config.secure_cookies);
    let mounts = &state.0.config.mounts;
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/graphql/ws", get(live::ws::upgrade))
        .route("/alerts/stream", get(live::sse::stream))
        .merge(crate::downloads::routes())
        .layer(sessions)
        .merge(compat::router::<Intrudect>(compat::mount_of::<Intrudect>(mounts)))
        .merge(compat::router::<Trisul>(compat::mount_of::<Trisul>(mounts)))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
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
        sessions::DbStore::new(state.0.db.clone()),
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

/// The caller of a download (`Authorization: Bearer` token or session); else the
/// refusal to answer. What it may download is `downloads`' to say.
pub(crate) async fn caller_of_download(
    state: &AppState,
    headers: &HeaderMap,
    session: &Session,
) -> Result<Principal, Response> {
    match principal::resolve(state.db(), &principal::authorization(headers), Some(session)).await {
        Ok(Credentials::Valid(p)) => Ok(*p),
        Ok(_) => Err(error_response(
            StatusCode::UNAUTHORIZED,
            "send Authorization: Bearer <API token>, or sign in",
            UNAUTHENTICATED,
        )),
        Err(e) => {
            tracing::error!(error = %e, "resolving credentials");
            Err(error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error",
                INTERNAL,
            ))
        }
    }
}

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
    let principal = match principal::resolve(&state.0.db, &principal::authorization(t.headers), Some(&t.session)).await
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
        if let Err(message) = csrf::same_origin(t.headers, by_cookie, state.0.config.public_url.as_deref()) {
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

async fn graphql_post(
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
    let Some(_slot) = state.0.uploads.try_take(principal.user.id, UPLOADS_PER_USER) else {
        return error_response(
            StatusCode::TOO_MANY_REQUESTS,
            format!("at most {UPLOADS_PER_USER} uploads of one user at once"),
            crate::graphql::errors::RATE_LIMITED,
        );
    };
    let batch = match crate::uploads::read(request.into_body(), boundary, principal, &state.0.config.uploads).await {
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

async fn graphql_get(
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

async fn healthz(State(state): State<AppState>) -> Response {
    if db::ping(state.db()).await {
        (StatusCode::OK, "ok\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
    }
}

/// Prometheus text format; for clients on the loopback interface, or anywhere with
/// `Authorization: Bearer <PIVOT_METRICS_TOKEN>` (its counters tell of activity).
async fn metrics(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
) -> Response {
    // With a token configured, only the token counts: behind a reverse proxy on the same
    // host every request comes from the loopback interface.
    let token = state.0.config.metrics_token.as_deref();
    let local = token.is_none() && peer.is_some_and(|Extension(ConnectInfo(a))| a.ip().to_canonical().is_loopback());
    let by_token = token.is_some_and(|t| {
        use sha2::Digest;
        let sent = match principal::authorization(&headers) {
            principal::Presented::Token(t) => t,
            _ => String::new(),
        };
        // Compared as digests: equal lengths, no early exit on the secret's bytes.
        sha2::Sha256::digest(sent.as_bytes()) == sha2::Sha256::digest(t.as_bytes())
    });
    if !local && !by_token {
        return error_response(
            StatusCode::FORBIDDEN,
            "metrics are served with Authorization: Bearer <PIVOT_METRICS_TOKEN> when it is set, else on the loopback interface",
            FORBIDDEN,
        );
    }
    let body = format!(
        "# HELP pivot_sql_statements_total SQL statements sent to the database.\n\
         # TYPE pivot_sql_statements_total counter\n\
         pivot_sql_statements_total {}\n\
         # HELP pivot_live_subscriptions Live alert subscriptions open on this process.\n\
         # TYPE pivot_live_subscriptions gauge\n\
         pivot_live_subscriptions {}\n\
         # HELP pivot_live_groups Groups of identical subscriptions (each event is resolved once per group).\n\
         # TYPE pivot_live_groups gauge\n\
         pivot_live_groups {}\n\
         # HELP pivot_live_reads_total Reads of the alert log that found new changes.\n\
         # TYPE pivot_live_reads_total counter\n\
         pivot_live_reads_total {}\n",
        state.0.statements.get(),
        state.0.bus.subscribers(),
        state.0.groups.len(),
        state.0.bus.reads(),
    );
    let mut body = body;
    let (size, idle) = db::pool_use(state.db());
    body.push_str(&format!(
        "# HELP pivot_db_pool_connections Connections of the main database pool.\n\
         # TYPE pivot_db_pool_connections gauge\n\
         pivot_db_pool_connections{{state=\"idle\"}} {idle}\n\
         pivot_db_pool_connections{{state=\"busy\"}} {}\n",
        size.saturating_sub(idle)
    ));
    if let Ok((waiting, running)) = crate::domain::ipdr::queue_depth(state.db()).await {
        body.push_str(&format!(
            "# HELP pivot_ipdr_queries IPDR queries waiting for a worker, and running.\n\
             # TYPE pivot_ipdr_queries gauge\n\
             pivot_ipdr_queries{{status=\"waiting\"}} {waiting}\n\
             pivot_ipdr_queries{{status=\"running\"}} {running}\n"
        ));
    }
    state.0.traffic.render(&mut body);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}
