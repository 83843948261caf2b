//! The errors domain logic returns; `graphql::errors` gives each its `extensions.code`.

use sea_orm::{DbErr, SqlErr};

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// The input is wrong; `field` names the input field (dotted path) at fault.
    #[error("{field}: {message}")]
    BadInput { field: String, message: String },
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// The object exists and the caller may not act on it (its message says what).
    #[error("{0}")]
    Forbidden(String),
    #[error("database error: {0}")]
    Db(DbErr),
    /// Another write holds the database (SQLite's one writer) for longer than a request
    /// may wait: retry.
    #[error("the database is busy with another write")]
    Busy,
}

pub type DomainResult<T> = Result<T, DomainError>;

impl DomainError {
    pub fn bad(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadInput {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound(what.into())
    }
}

impl From<DbErr> for DomainError {
    /// Constraint violations are the caller's fault: duplicates are conflicts, and a
    /// dangling reference is a bad input (validation normally catches it first).
    fn from(e: DbErr) -> Self {
        match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                Self::Conflict("an object with the same unique values already exists".into())
            }
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => Self::bad(
                "input",
                "refers to an object that does not exist, or is still referred to",
            ),
            _ => Self::Db(e),
        }
    }
}
