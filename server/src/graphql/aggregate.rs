//! `xAggregate(filter:)`: counts, groups, distinct values and time buckets of any type,
//! under the same filters as its listing (the one query model, `domain::query`).

use std::borrow::Cow;
use std::marker::PhantomData;

use async_graphql::{Context, Object, SimpleObject, TypeName};
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use super::errors::Gql;
use super::pagination::Selected;
use crate::domain::query::aggregate::{self, rows};
use crate::domain::query::Fields;

/// A value of a field and how many objects hold it.
#[derive(SimpleObject)]
pub struct GroupCount {
    /// The value as text (addresses canonical, times RFC 3339, enumerations by name);
    /// null for objects without one.
    pub value: Option<String>,
    pub count: i64,
}

/// How many objects fall in a time bucket.
#[derive(SimpleObject)]
pub struct Bucket {
    /// The bucket's start; it lasts the `seconds` asked for.
    pub start: DateTime<Utc>,
    pub count: i64,
}

/// The aggregates of the objects of one type that meet a filter.
pub struct Aggregate<F: Fields> {
    rows: Selected<F::E>,
    _f: PhantomData<F>,
}

/// Names each type's aggregate object (`AlertAggregate`).
pub trait Named {
    const AGGREGATE: &'static str;
}

impl<F: Fields + Named> TypeName for Aggregate<F> {
    fn type_name() -> Cow<'static, str> {
        Cow::Borrowed(F::AGGREGATE)
    }
}

impl<F: Fields> Aggregate<F> {
    /// The aggregates of `selected` (already filtered), within the request's scope.
    pub fn new(ctx: &Context<'_>, selected: Selected<F::E>) -> Self {
        Self {
            rows: selected.scoped(ctx),
            _f: PhantomData,
        }
    }
}

/// What an aggregate field costs, as a page of `first` rows would.
pub fn cost(first: i64) -> usize {
    first.clamp(1, aggregate::MAX_ROWS as i64) as usize + 10
}

#[Object(name_type)]
impl<F: Fields + Named> Aggregate<F>
where
    <F::E as sea_orm::EntityTrait>::Model: Sync,
{
    /// How many objects meet the filter.
    async fn count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        self.rows.clone().count(db).await
    }

    /// The `first` most common values of `field`, most common first (ties by value).
    #[graphql(complexity = "cost(first)")]
    async fn group_by(
        &self,
        ctx: &Context<'_>,
        field: F,
        #[graphql(default = 10)] first: i64,
    ) -> async_graphql::Result<Vec<GroupCount>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let n = rows("first", first).gql()?;
        Ok(aggregate::group_by(db, self.rows.select.clone(), field, n)
            .await
            .gql()?
            .into_iter()
            .map(|g| GroupCount {
                value: g.value,
                count: g.count,
            })
            .collect())
    }

    /// The first `first` distinct values of `field` in its order (a missing value,
    /// null, last).
    #[graphql(complexity = "cost(first)")]
    async fn distinct(
        &self,
        ctx: &Context<'_>,
        field: F,
        #[graphql(default = 100)] first: i64,
    ) -> async_graphql::Result<Vec<Option<String>>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let n = rows("first", first).gql()?;
        aggregate::distinct(db, self.rows.select.clone(), field, n).await.gql()
    }

    /// How many objects fall in each bucket of `seconds` of the time field `field`
    /// (buckets start at multiples of `seconds` since 1970-01-01 UTC), oldest first;
    /// empty buckets are left out.
    #[graphql(complexity = "cost(first)")]
    async fn histogram(
        &self,
        ctx: &Context<'_>,
        field: F,
        seconds: i64,
        #[graphql(default = 1000)] first: i64,
    ) -> async_graphql::Result<Vec<Bucket>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let n = rows("first", first).gql()?;
        Ok(aggregate::histogram(db, self.rows.select.clone(), field, seconds, n)
            .await
            .gql()?
            .into_iter()
            .map(|(start, count)| Bucket { start, count })
            .collect())
    }
}
