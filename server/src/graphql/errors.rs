//! Every GraphQL error carries `extensions.code` (ARCHITECTURE principle 2).

use std::sync::Arc;

use async_graphql::{Error, ErrorExtensions};
use sea_orm::DbErr;

use crate::domain::error::DomainError;

pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
pub const NOT_FOUND: &str = "NOT_FOUND";
pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
pub const FORBIDDEN: &str = "FORBIDDEN";
pub const CONFLICT: &str = "CONFLICT";
pub const RATE_LIMITED: &str = "RATE_LIMITED";
pub const TIMEOUT: &str = "TIMEOUT";
pub const INTERNAL: &str = "INTERNAL_SERVER_ERROR";
pub const QUERY_TOO_COMPLEX: &str = "QUERY_TOO_COMPLEX";
pub const PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
pub const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
pub const PAYLOAD_TOO_LARGE: &str = "PAYLOAD_TOO_LARGE";
/// A live subscriber fell behind and was let go.
pub const OVERFLOW: &str = "OVERFLOW";
/// A live subscription resumed from further back than the alert log keeps.
pub const CURSOR_EXPIRED: &str = "CURSOR_EXPIRED";
/// A live stream ended on the server's side (shutdown, the log unreadable), or the
/// database is busy with another write: retry.
pub const UNAVAILABLE: &str = "UNAVAILABLE";

/// The HTTP status of a GraphQL error code, for routes that answer over plain HTTP
/// (the REST dialects, the SSE stream).
pub fn http_status(code: &str) -> axum::http::StatusCode {
    use axum::http::StatusCode;
    match code {
        // Variables come from the caller: a value GraphQL rejects is a bad request.
        BAD_USER_INPUT | VALIDATION_FAILED | PARSE_FAILED => StatusCode::BAD_REQUEST,
        UNAUTHENTICATED => StatusCode::UNAUTHORIZED,
        FORBIDDEN => StatusCode::FORBIDDEN,
        NOT_FOUND => StatusCode::NOT_FOUND,
        CONFLICT => StatusCode::CONFLICT,
        PAYLOAD_TOO_LARGE => StatusCode::PAYLOAD_TOO_LARGE,
        TIMEOUT => StatusCode::GATEWAY_TIMEOUT,
        RATE_LIMITED => StatusCode::TOO_MANY_REQUESTS,
        UNAVAILABLE => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The `extensions.code` of an error in a response, if it has one.
pub fn code_of(e: &async_graphql::ServerError) -> Option<&str> {
    match e.extensions.as_ref()?.get("code")? {
        async_graphql::Value::String(s) => Some(s.as_str()),
        _ => None,
    }
}

/// What a request out of time is told, on every transport.
pub const TOO_LONG: &str = "the query took too long; narrow it down";
/// What a write that could not get SQLite's one write lock is told: retry.
pub const BUSY: &str = "the database is busy with another write (an import?): retry in a moment";

pub fn coded(message: impl Into<String>, code: &'static str) -> Error {
    Error::new(message).extend_with(|_, e| e.set("code", code))
}

fn db_error(e: &DbErr) -> Error {
    let text = e.to_string();
    if text.contains("statement timeout") || text.contains("canceling statement") {
        return coded(TOO_LONG, TIMEOUT);
    }
    // SQLite's one write lock stayed taken past the busy timeout: retryable.
    if text.contains("database is locked") {
        return coded(BUSY, UNAVAILABLE);
    }
    // SQLite refuses LIKE patterns over 50,000 bytes: the caller's search was too long.
    if text.contains("pattern too complex") {
        return coded("the search pattern is too long", BAD_USER_INPUT);
    }
    tracing::error!(error = %text, "database error");
    coded("internal error", INTERNAL)
}

pub fn gql(e: DomainError) -> Error {
    match e {
        DomainError::BadInput { field, message } => Error::new(format!("{field}: {message}")).extend_with(|_, ext| {
            ext.set("code", BAD_USER_INPUT);
            ext.set("field", field.as_str());
        }),
        DomainError::NotFound(what) => coded(format!("{what} not found"), NOT_FOUND),
        DomainError::Conflict(message) => coded(message, CONFLICT),
        DomainError::Forbidden(message) => coded(message, FORBIDDEN),
        DomainError::Db(e) => db_error(&e),
        DomainError::Busy => coded(BUSY, UNAVAILABLE),
    }
}

/// `.gql()?` turns domain and loader results into coded GraphQL errors.
pub trait Gql<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> Gql<T> for Result<T, DomainError> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(gql)
    }
}

impl<T> Gql<T> for Result<T, DbErr> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(DomainError::from).map_err(gql)
    }
}

impl<T> Gql<T> for Result<T, Arc<DbErr>> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| db_error(&e))
    }
}
