//! Relay connections with keyset cursors (ARCHITECTURE principle 4): pages are
//! `id > cursor` / `id < cursor` range scans, never OFFSET; `totalCount` runs only
//! when selected.

use std::sync::Arc;

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Object, OutputType};
use futures_util::future::BoxFuture;
use sea_orm::sea_query::Condition;
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, QueryTrait, Select};

use super::errors::Gql;
use super::loaders::{loader, CountBy, EdgeKey, EdgeQuery, Paged, PagedBy};
pub use crate::domain::crud::{id_column, model_id};
use crate::domain::error::{DomainError, DomainResult};
use crate::domain::filters::Filter;
use crate::domain::query::order::Keyset;
use crate::domain::query::{self, Fields, OrderBy, Where};
use crate::domain::tallies::{self, Tally};
use crate::domain::tenancy::{Scope, Scoped};

/// The customers the request may see (everything for a request without a principal).
pub fn scope(ctx: &Context<'_>) -> Scope {
    ctx.data_opt::<crate::domain::access::Principal>()
        .map(|p| p.scope.clone())
        .unwrap_or_default()
}

pub const DEFAULT_PAGE: i32 = 50;
pub const MAX_PAGE: i32 = 1000;

/// Every connection of the graph: `edges`, `nodes`, `pageInfo`, `totalCount`.
pub type Conn<N> = Connection<String, N, TotalCount, EmptyFields>;

type CountFn = Arc<dyn for<'a> Fn(&'a Context<'a>) -> BoxFuture<'a, async_graphql::Result<i64>> + Send + Sync>;

/// `totalCount`, computed on demand: a connection carries the count query, not its result.
pub struct TotalCount(CountFn);

impl TotalCount {
    pub fn new(
        f: impl for<'a> Fn(&'a Context<'a>) -> BoxFuture<'a, async_graphql::Result<i64>> + Send + Sync + 'static,
    ) -> Self {
        Self(Arc::new(f))
    }

    /// The count, computed now.
    pub async fn count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        (self.0)(ctx).await
    }
}

#[Object]
impl TotalCount {
    /// How many objects match, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        self.count(ctx).await
    }
}

/// The pagination arguments of a connection field.
#[derive(Clone, Debug, Default)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Forward,
    Backward,
}

/// A validated page request: `limit` rows after (or before) the row `cursor`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    pub direction: Direction,
    pub limit: u64,
    pub cursor: Option<i64>,
}

impl PageArgs {
    pub fn forward(first: Option<i32>, after: Option<String>) -> Self {
        Self {
            first,
            after,
            ..Default::default()
        }
    }

    pub fn page(&self) -> DomainResult<Page> {
        let (direction, limit, cursor) = self.raw()?;
        let field = match direction {
            Direction::Forward => "after",
            Direction::Backward => "before",
        };
        Ok(Page {
            direction,
            limit,
            cursor: cursor.map(|c| decode_cursor(field, c)).transpose()?,
        })
    }

    /// The direction, the size and the cursor (as sent) of the page asked for.
    fn raw(&self) -> DomainResult<(Direction, u64, Option<&str>)> {
        let size = |field: &str, n: i32| {
            if (0..=MAX_PAGE).contains(&n) {
                Ok(n as u64)
            } else {
                Err(DomainError::bad(field, format!("must be between 0 and {MAX_PAGE}")))
            }
        };
        match (self.first, self.last) {
            (Some(_), Some(_)) => Err(DomainError::bad("last", "cannot be combined with first")),
            (_, Some(last)) => {
                if self.after.is_some() {
                    return Err(DomainError::bad("after", "cannot be combined with last; use before"));
                }
                Ok((Direction::Backward, size("last", last)?, self.before.as_deref()))
            }
            (first, None) => {
                if self.before.is_some() {
                    return Err(DomainError::bad("before", "goes with last; use after with first"));
                }
                Ok((
                    Direction::Forward,
                    size("first", first.unwrap_or(DEFAULT_PAGE))?,
                    self.after.as_deref(),
                ))
            }
        }
    }
}

/// The complexity of a connection field: each of the rows it may return costs its
/// selection (`first × child`).
pub fn cost(first: Option<i32>, last: Option<i32>, child: usize) -> usize {
    let rows = last.or(first).unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE) as usize;
    rows.saturating_mul(child.max(1))
}

pub use crate::domain::query::order::{decode_cursor, encode_cursor};

/// How a listing's rows are arranged beyond its filter: `orderBy`, `distinctOn`, `skip`.
pub struct Shape<O, F> {
    pub order: Option<Vec<O>>,
    pub distinct_on: Option<Vec<F>>,
    pub skip: Option<i32>,
}

/// The most rows `skip` leaves out: an `OFFSET` reads every row it skips.
pub const MAX_SKIP: i32 = 10_000;

/// One page of `select` (the rows of `F`'s table a listing's filter selects), shaped
/// by `shape` (ordered, then by id), as a connection of `N`: the root listing of every
/// type of the query model.
pub async fn listing<F, O, N>(
    ctx: &Context<'_>,
    selected: Selected<F::E>,
    shape: Shape<O, F>,
    args: PageArgs,
    map: impl Fn(<F::E as EntityTrait>::Model) -> N,
) -> async_graphql::Result<Conn<N>>
where
    F: Fields,
    F::E: Scoped,
    O: Into<OrderBy<F>>,
    <F::E as EntityTrait>::Model: Sync,
    N: OutputType,
{
    let order: Vec<OrderBy<F>> = shape.order.unwrap_or_default().into_iter().map(Into::into).collect();
    let keys = Keyset::new(&order).gql()?;
    let selected = match shape.distinct_on.filter(|d| !d.is_empty()) {
        // One row of each combination: fewer rows than the filter's, so no kept count.
        Some(fields) => Selected {
            select: newest_of_each(selected.scoped(ctx).select, &fields).gql()?,
            tally: None,
        },
        None => selected,
    };
    let skip = match shape.skip {
        None | Some(0) => 0,
        Some(n) if !(0..=MAX_SKIP).contains(&n) => {
            return Err(DomainError::bad("skip", format!("must be between 0 and {MAX_SKIP}"))).gql()
        }
        Some(_) if args.last.is_some() => return Err(DomainError::bad("skip", "goes with first, not last")).gql(),
        Some(n) => n as u64,
    };
    paged(ctx, selected, keys, args, skip, map).await
}

/// The rows of `select` that are the newest (greatest id) of their combination of
/// `fields`' values.
fn newest_of_each<F: Fields>(select: Select<F::E>, fields: &[F]) -> DomainResult<Select<F::E>> {
    if fields.len() > query::order::MAX_ORDER {
        return Err(DomainError::bad(
            "distinctOn",
            format!("at most {} fields", query::order::MAX_ORDER),
        ));
    }
    let id = id_column::<F::E>();
    let newest = fields
        .iter()
        .fold(
            select.select_only().expr(sea_orm::sea_query::Expr::col(id).max()),
            |q, f| q.group_by(f.column()),
        )
        .into_query();
    Ok(<F::E as EntityTrait>::find().filter(sea_orm::ColumnTrait::in_subquery(&id, newest)))
}

/// The rows a listing's filter selects, and the count the database keeps of them when
/// it keeps one ([`crate::domain::tallies`]).
#[derive(Clone)]
pub struct Selected<E: EntityTrait> {
    pub select: Select<E>,
    pub tally: Option<Tally>,
}

impl<E: EntityTrait> Selected<E> {
    /// Fewer rows than the filter's: no kept count holds for them.
    pub fn narrowed(self, condition: Condition) -> Self {
        Self {
            select: self.select.filter(condition),
            tally: None,
        }
    }

    /// Only the rows of the request's scope.
    pub fn scoped(self, ctx: &Context<'_>) -> Self
    where
        E: Scoped,
    {
        Self {
            select: self.select.filter(scope(ctx).condition::<E>()),
            tally: self.tally,
        }
    }

    /// How many rows there are: the kept count, or the rows counted.
    pub async fn count(self, db: &DatabaseConnection) -> async_graphql::Result<i64>
    where
        E::Model: Sync,
    {
        match &self.tally {
            Some(t) => tallies::count(db, t).await.gql(),
            None => Ok(self.select.count(db).await.gql()? as i64),
        }
    }
}

/// The rows of `W`'s table that meet `filter`. A kept count holds for them only when
/// the scope cannot narrow them (a table of no customer's, or a request that sees all).
pub fn filtered<W: Where>(ctx: &Context<'_>, filter: Option<W>) -> async_graphql::Result<Selected<W::E>> {
    let scope = scope(ctx);
    let mut select = <W::E as EntityTrait>::find();
    let mut tally = None;
    if let Some(f) = filter {
        select = select.filter(query::condition(&f, &scope, "filter").gql()?);
        if !<W::E as Scoped>::OWNED || scope.customers().is_none() {
            tally = f.tally();
        }
    }
    Ok(Selected { select, tally })
}

/// One page of `selected` in the order of `keys`, `skip` rows past the cursor. The page
/// is read only when its rows or `pageInfo` are asked for, not for a `totalCount` alone.
async fn paged<E, N>(
    ctx: &Context<'_>,
    selected: Selected<E>,
    keys: Keyset<E>,
    args: PageArgs,
    skip: u64,
    map: impl Fn(E::Model) -> N,
) -> async_graphql::Result<Conn<N>>
where
    E: Scoped,
    E::Model: Sync,
    N: OutputType,
{
    let db = ctx.data_unchecked::<DatabaseConnection>().clone();
    let (direction, limit, cursor) = args.raw().gql()?;
    let backward = direction == Direction::Backward;
    let field = if backward { "before" } else { "after" };
    let cursor = cursor.map(|c| keys.decode(field, c)).transpose().gql()?;
    let asked = ctx.look_ahead();
    let read = ["nodes", "edges", "pageInfo"].iter().any(|f| asked.field(f).exists());
    let selected = selected.scoped(ctx);
    let mut q = selected.select.clone();
    if let Some(c) = &cursor {
        q = q.filter(keys.after(c, backward));
    }
    let mut q = keys.sort(q, backward).limit(limit + 1);
    if skip > 0 {
        q = q.offset(skip);
    }
    let mut rows = if read { q.all(&db).await.gql()? } else { Vec::new() };
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    if backward {
        rows.reverse();
    }
    let (has_previous, has_next) = match direction {
        Direction::Forward => (cursor.is_some() || skip > 0, more),
        Direction::Backward => (more, cursor.is_some()),
    };
    let total = TotalCount::new(move |_| {
        let (selected, db) = (selected.clone(), db.clone());
        Box::pin(async move { selected.count(&db).await })
    });
    let mut conn = Connection::with_additional_fields(has_previous, has_next, total);
    conn.edges
        .extend(rows.into_iter().map(|m| Edge::new(keys.cursor(&m), map(m))));
    Ok(conn)
}

/// One page of the children of `parent` along the paged relation `R`, filtered.
pub async fn edge_connection<R, F, N>(
    ctx: &Context<'_>,
    parent: R::Key,
    filter: Option<F>,
    args: PageArgs,
    map: impl Fn(<R::E as EntityTrait>::Model) -> N,
) -> async_graphql::Result<Conn<N>>
where
    R: Paged,
    <R::E as EntityTrait>::Model: Send + Sync + Clone,
    F: Filter,
    N: OutputType,
{
    let scope = scope(ctx);
    let condition = filter
        .as_ref()
        .map(|f| f.condition_within(&scope))
        .transpose()
        .gql()?
        .unwrap_or_else(Condition::all);
    let fingerprint = serde_json::to_string(&filter).unwrap_or_default();
    let page = args.page().gql()?;
    if page.direction == Direction::Backward {
        return Err(DomainError::bad("last", "edges page forward only; use first and after")).gql();
    }
    let query = Arc::new(EdgeQuery {
        fingerprint: format!("{fingerprint}|{:?}|{}", page.cursor, page.limit),
        condition: condition.clone(),
        after: page.cursor,
        limit: page.limit,
    });
    let mut rows = loader::<PagedBy<R>>(ctx)
        .load_one(EdgeKey {
            parent: parent.clone(),
            query,
        })
        .await
        .gql()?
        .unwrap_or_default();
    let more = rows.len() as u64 > page.limit;
    rows.truncate(page.limit as usize);
    let count_query = Arc::new(EdgeQuery {
        fingerprint,
        condition,
        after: None,
        limit: 0,
    });
    let total = TotalCount::new(move |ctx| {
        let key = EdgeKey {
            parent: parent.clone(),
            query: count_query.clone(),
        };
        Box::pin(count_of::<R>(ctx, key))
    });
    let mut conn = Connection::with_additional_fields(page.cursor.is_some(), more, total);
    conn.edges.extend(
        rows.into_iter()
            .map(|m| Edge::new(encode_cursor(model_id::<R::E>(&m)), map(m))),
    );
    Ok(conn)
}

/// How many rows the edge of `parent` has with `filter`: the statement its connection's
/// `totalCount` runs, shared with it when both are asked for.
pub async fn edge_count<R, F>(ctx: &Context<'_>, parent: R::Key, filter: Option<F>) -> async_graphql::Result<i64>
where
    R: Paged,
    F: Filter,
{
    let scope = scope(ctx);
    let condition = filter
        .as_ref()
        .map(|f| f.condition_within(&scope))
        .transpose()
        .gql()?
        .unwrap_or_else(Condition::all);
    let query = Arc::new(EdgeQuery {
        fingerprint: serde_json::to_string(&filter).unwrap_or_default(),
        condition,
        after: None,
        limit: 0,
    });
    count_of::<R>(ctx, EdgeKey { parent, query }).await
}

async fn count_of<R: Paged>(ctx: &Context<'_>, key: EdgeKey<R::Key>) -> async_graphql::Result<i64> {
    Ok(loader::<CountBy<R>>(ctx).load_one(key).await.gql()?.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        assert_eq!(decode_cursor("after", &encode_cursor(123)).unwrap(), 123);
        assert!(decode_cursor("after", "abc").is_err());
        assert!(decode_cursor("after", &URL_SAFE_NO_PAD.encode("x12")).is_err());
    }

    #[test]
    fn page_defaults_and_limits() {
        let p = PageArgs::default().page().unwrap();
        assert_eq!(
            p,
            Page {
                direction: Direction::Forward,
                limit: 50,
                cursor: None
            }
        );
        assert!(PageArgs {
            first: Some(1001),
            ..Default::default()
        }
        .page()
        .is_err());
        assert!(PageArgs {
            first: Some(-1),
            ..Default::default()
        }
        .page()
        .is_err());
        assert!(PageArgs {
            first: Some(1),
            last: Some(1),
            ..Default::default()
        }
        .page()
        .is_err());
        let back = PageArgs {
            last: Some(5),
            before: Some(encode_cursor(9)),
            ..Default::default()
        }
        .page()
        .unwrap();
        assert_eq!(
            back,
            Page {
                direction: Direction::Backward,
                limit: 5,
                cursor: Some(9)
            }
        );
        assert!(PageArgs {
            last: Some(5),
            after: Some(encode_cursor(9)),
            ..Default::default()
        }
        .page()
        .is_err());
    }

    #[test]
    fn cost_multiplies_rows_by_child() {
        assert_eq!(cost(None, None, 3), 150);
        assert_eq!(cost(Some(10), None, 2), 20);
        assert_eq!(cost(None, Some(1000), 2), 2000);
        assert_eq!(cost(Some(5000), None, 1), 1000);
    }
}
