//! Lists of values in searches: any of a list's values, every list given.

use sea_orm::sea_query::{Condition, SimpleExpr};

use super::error::{DomainError, DomainResult};

/// At most this many values in one list of a search.
const MAX_VALUES: usize = 100;

/// The values of a list of a search; an empty list is none.
pub fn values<'a, T>(field: &str, list: &'a Option<Vec<T>>) -> DomainResult<Option<&'a [T]>> {
    match list {
        Some(v) if v.len() > MAX_VALUES => Err(DomainError::bad(field, format!("at most {MAX_VALUES} values"))),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) => Ok(Some(v)),
        None => Ok(None),
    }
}

/// Any of the values of a list (none given: no condition), each made a condition by `one`.
pub fn any_of<T>(
    field: &str,
    list: &Option<Vec<T>>,
    one: impl Fn(&T) -> DomainResult<Condition>,
) -> DomainResult<Option<Condition>> {
    let Some(items) = values(field, list)? else {
        return Ok(None);
    };
    items
        .iter()
        .try_fold(Condition::any(), |c, item| Ok(c.add(one(item)?)))
        .map(Some)
}

/// Every condition given (none: no condition).
pub fn all_of<const N: usize>(parts: [Option<Condition>; N]) -> Condition {
    parts.into_iter().flatten().fold(Condition::all(), Condition::add)
}

/// `e` as a condition.
pub fn cond(e: SimpleExpr) -> Condition {
    Condition::all().add(e)
}
