//! Page-numbered, sorted searches: what tables of investigation tools page through
//! (page 3 of 12, sorted by a column) beside the graph's keyset connections. A search
//! counts its rows, so a page past the end can be answered with the last one.

use async_graphql::Enum;
use sea_orm::sea_query::{Condition, IntoColumnRef, SimpleExpr};
use sea_orm::{ConnectionTrait, FromQueryResult};
use sea_orm::{EntityTrait, Order, PaginatorTrait, QueryOrder, QuerySelect, Select};

use super::error::{DomainError, DomainResult};

#[derive(Enum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortOrder {
    #[default]
    Asc,
    Desc,
}

impl SortOrder {
    pub fn order(self) -> Order {
        match self {
            Self::Asc => Order::Asc,
            Self::Desc => Order::Desc,
        }
    }
}

pub const DEFAULT_PAGE_SIZE: u64 = 100;
pub const MAX_PAGE_SIZE: u64 = 1000;

/// One page of a search, and where it sits among all pages.
pub struct Numbered<M> {
    pub rows: Vec<M>,
    pub page: u64,
    pub page_size: u64,
    pub total_rows: u64,
    pub total_pages: u64,
}

/// The page and size asked for, made valid: pages start at 1; a size below 1 is the
/// default, above the maximum the maximum.
pub fn normalize(page: Option<i64>, page_size: Option<i64>) -> (u64, u64) {
    let page = page.unwrap_or(1).max(1) as u64;
    let size = match page_size {
        Some(n) if n >= 1 => (n as u64).min(MAX_PAGE_SIZE),
        _ => DEFAULT_PAGE_SIZE,
    };
    (page, size)
}

/// Page `page` of `page_size` rows of `select` in [`ordered`] order; a page past the
/// last is the last.
pub async fn numbered<E>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    order: Vec<(SimpleExpr, Order)>,
    id: impl IntoColumnRef + Clone,
    (page, page_size): (u64, u64),
) -> DomainResult<Numbered<E::Model>>
where
    E: EntityTrait,
    E::Model: FromQueryResult + Send + Sync,
{
    let total_rows = select.clone().count(db).await?;
    let total_pages = total_rows.div_ceil(page_size).max(1);
    let page = page.min(total_pages);
    let rows = ordered(select, order, id)
        .offset((page - 1) * page_size)
        .limit(page_size)
        .all(db)
        .await?;
    Ok(Numbered {
        rows,
        page,
        page_size,
        total_rows,
        total_pages,
    })
}

/// `select` ordered by `order`, then by `id` in the direction of the first key, so
/// that rows of equal keys keep one order from page to page.
fn ordered<E: EntityTrait>(select: Select<E>, order: Vec<(SimpleExpr, Order)>, id: impl IntoColumnRef) -> Select<E> {
    let tie = order.first().map(|(_, o)| o.clone()).unwrap_or(Order::Asc);
    let q = order.into_iter().fold(select, |q, (expr, o)| q.order_by(expr, o));
    q.order_by(sea_orm::sea_query::Expr::col(id), tie)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_sizes_are_clamped() {
        assert_eq!(normalize(None, None), (1, 100));
        assert_eq!(normalize(Some(0), Some(5000)), (1, 1000));
        assert_eq!(normalize(Some(-3), Some(0)), (1, 100));
        assert_eq!(normalize(Some(7), Some(25)), (7, 25));
    }
}
