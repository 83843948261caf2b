//! Filter pieces shared by several types: time ranges, address ranges, and how an
//! address filter becomes a range condition on a 16-byte key column.

use async_graphql::InputObject;
use sea_orm::sea_query::{Condition, Expr, IntoColumnRef, SimpleExpr};
use serde::Serialize;

use super::error::{DomainError, DomainResult};
use super::ip;
use super::values::{Instant, IpAddr};

/// A filter input of a connection: a condition on its table. Its serialisation
/// identifies it, so that equal filters of sibling edges batch into one statement.
pub trait Filter: Serialize {
    fn condition(&self) -> DomainResult<Condition>;

    /// The condition as seen by a caller within `scope`: a filter that names objects
    /// of other tables (an IOC's cases) matches only through those the caller sees.
    fn condition_within(&self, _scope: &super::tenancy::Scope) -> DomainResult<Condition> {
        self.condition()
    }
}

/// Every type's filter of the one query model is a [`Filter`]: its SQL comes from
/// [`super::query::condition`].
impl<W: super::query::Where> Filter for W {
    fn condition(&self) -> DomainResult<Condition> {
        super::query::condition(self, &super::tenancy::Scope::default(), "filter")
    }
    fn condition_within(&self, scope: &super::tenancy::Scope) -> DomainResult<Condition> {
        super::query::condition(self, scope, "filter")
    }
}

/// A time range; either end may be open. `from` is inclusive, `to` exclusive.
#[derive(InputObject, Serialize, Clone, Debug, Default)]
pub struct TimeRange {
    pub from: Option<Instant>,
    pub to: Option<Instant>,
}

impl TimeRange {
    pub fn validate(&self, field: &str) -> DomainResult<()> {
        match (self.from, self.to) {
            (Some(f), Some(t)) if f > t => Err(DomainError::bad(field, "from must not be after to")),
            _ => Ok(()),
        }
    }

    /// `column` within the range.
    pub fn condition(&self, column: impl IntoColumnRef + Clone) -> Condition {
        let mut c = Condition::all();
        if let Some(Instant(from)) = self.from {
            c = c.add(Expr::col(column.clone()).gte(from));
        }
        if let Some(Instant(to)) = self.to {
            c = c.add(Expr::col(column).lt(to));
        }
        c
    }
}

/// An inclusive range of addresses of the same family.
#[derive(InputObject, Serialize, Clone, Debug)]
pub struct IpRange {
    pub from: IpAddr,
    pub to: IpAddr,
}

impl IpRange {
    pub fn bounds(&self, field: &str) -> DomainResult<(Vec<u8>, Vec<u8>)> {
        let (lo, hi) = (ip::to_key(self.from.0), ip::to_key(self.to.0));
        if self.from.0.is_ipv4() != self.to.0.is_ipv4() {
            return Err(DomainError::bad(field, "both ends must be IPv4 or both IPv6"));
        }
        if lo > hi {
            return Err(DomainError::bad(field, "from must not be above to"));
        }
        Ok((lo, hi))
    }
}

/// Case-insensitive: `column` contains `text` (its wildcards taken literally).
pub fn contains(column: impl IntoColumnRef, text: &str) -> SimpleExpr {
    ilike(column, &format!("%{}%", super::text::escape_like(text.trim())))
}

/// Case-insensitive `column LIKE pattern` (pattern already escaped with `\`).
pub fn ilike(column: impl IntoColumnRef, pattern: &str) -> SimpleExpr {
    super::query::ops::like_sql(Expr::col(column).into(), pattern)
}
