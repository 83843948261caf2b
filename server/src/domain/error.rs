//! The errors domain logic returns; `graphql::errors` gives each its `extensions.code`.

use sea_orm::{DbErr, RuntimeErr, SqlErr};

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
        if gave_way(&e) {
            return Self::Busy;
        }
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

/// Whether PostgreSQL ended the transaction to let another through (a deadlock, or a
/// serialisation failure): nothing of it was kept, and trying again may work. Two
/// imports writing the same records at once can meet so.
fn gave_way(e: &DbErr) -> bool {
    let (DbErr::Exec(RuntimeErr::SqlxError(sea_orm::sqlx::Error::Database(d)))
    | DbErr::Query(RuntimeErr::SqlxError(sea_orm::sqlx::Error::Database(d)))) = e
    else {
        return false;
    };
    matches!(d.code().as_deref(), Some("40P01" | "40001"))
}
