//! DataLoaders: every edge of the graph is loaded through one of these, so the number
//! of SQL statements of a nested query does not grow with the number of parent rows
//! (ARCHITECTURE principle 3). Each request has its own loaders, batched in waves
//! (see `batching`); they leave access rules to the resolvers.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::sync::Arc;

use async_graphql::Context;
use sea_orm::sea_query::{Alias, Asterisk, Condition, Expr, Query, SelectStatement, SimpleExpr, ValueType};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityName, EntityTrait, FromQueryResult, ModelTrait,
    QueryFilter, TryGetable, Value,
};

use super::batching::{BatchLoad, Batched};
use super::pagination::id_column;
use crate::domain::tenancy::{Scope, Scoped};

pub type LoadError = Arc<DbErr>;

/// The request's loader of type `L`.
pub fn loader<'a, L: BatchLoad>(ctx: &Context<'a>) -> &'a Batched<L> {
    ctx.data_unchecked::<Batched<L>>()
}

/// Rows by primary key, within the request's customer scope (a row outside it is not
/// found, as if it did not exist).
pub struct ById<E>(DatabaseConnection, Scope, PhantomData<fn() -> E>);

impl<E> ById<E> {
    pub fn new(db: DatabaseConnection, scope: Scope) -> Self {
        Self(db, scope, PhantomData)
    }
}

impl<E> BatchLoad for ById<E>
where
    E: Scoped,
    E::Model: Send + Sync + Clone,
{
    type Key = i64;
    type Value = E::Model;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, E::Model>, LoadError> {
        self.fetch(id_column::<E>().is_in(keys.to_vec())).await
    }
}

impl<E> ById<E>
where
    E: Scoped,
    E::Model: Send + Sync + Clone,
{
    /// The rows meeting `which` (a condition on their ids) within the scope, by id.
    pub async fn fetch(&self, which: SimpleExpr) -> Result<HashMap<i64, E::Model>, LoadError> {
        let rows = E::find()
            .filter(which)
            .filter(self.1.condition::<E>())
            .all(&self.0)
            .await?;
        Ok(rows
            .into_iter()
            .map(|m| (super::pagination::model_id::<E>(&m), m))
            .collect())
    }
}

/// A one-to-many relation: rows of `E` grouped by the value of `column`.
pub trait Group: Send + Sync + 'static {
    type E: Scoped;
    type Key: Clone + Eq + Hash + Send + Sync + Into<Value> + ValueType + 'static;
    fn column() -> <Self::E as EntityTrait>::Column;
    /// A condition every row must also meet (e.g. the kind of a note's subject).
    fn also() -> Condition {
        Condition::all()
    }
}

/// Grouped rows, within the request's customer scope.
pub struct GroupBy<R>(DatabaseConnection, Scope, PhantomData<fn() -> R>);

impl<R> GroupBy<R> {
    pub fn new(db: DatabaseConnection, scope: Scope) -> Self {
        Self(db, scope, PhantomData)
    }
}

impl<R: Group> BatchLoad for GroupBy<R>
where
    <R::E as EntityTrait>::Model: Send + Sync + Clone,
{
    type Key = R::Key;
    type Value = Vec<<R::E as EntityTrait>::Model>;

    async fn load(&self, keys: &[R::Key]) -> Result<HashMap<R::Key, Self::Value>, LoadError> {
        let col = R::column();
        let rows = R::E::find()
            .filter(col.is_in(keys.iter().cloned().map(Into::into).collect::<Vec<Value>>()))
            .filter(R::also())
            .filter(self.1.condition::<R::E>())
            .all(&self.0)
            .await?;
        let mut out: HashMap<R::Key, Self::Value> = HashMap::new();
        for m in rows {
            if let Ok(k) = <R::Key as ValueType>::try_from(m.get(col)) {
                out.entry(k).or_default().push(m);
            }
        }
        Ok(out)
    }
}

/// Declares a [`Group`] relation.
#[macro_export]
macro_rules! group {
    ($name:ident, $entity:path, $column:expr, $key:ty) => {
        group!(
            $name,
            $entity,
            $column,
            $key,
            sea_orm::sea_query::Condition::all()
        );
    };
    ($name:ident, $entity:path, $column:expr, $key:ty, $also:expr) => {
        pub struct $name;
        impl $crate::graphql::loaders::Group for $name {
            type E = $entity;
            type Key = $key;
            fn column() -> <$entity as sea_orm::EntityTrait>::Column {
                $column
            }
            fn also() -> sea_orm::sea_query::Condition {
                $also
            }
        }
    };
}

/// A one-to-many relation paged per parent: `base` selects the child rows of the
/// given parents with an extra `pk` column naming the parent each row belongs to.
pub trait Paged: Send + Sync + 'static {
    type E: EntityTrait;
    type Key: Clone + Eq + Hash + Send + Sync + TryGetable + 'static;
    fn base(keys: Vec<Self::Key>) -> SelectStatement;
}

/// What one edge field asks for: a filter (as a condition on the child table) and a
/// page. `fingerprint` identifies equal requests so that they batch together.
pub struct EdgeQuery {
    pub fingerprint: String,
    pub condition: Condition,
    pub after: Option<i64>,
    pub limit: u64,
}

#[derive(Clone)]
pub struct EdgeKey<K> {
    pub parent: K,
    pub query: Arc<EdgeQuery>,
}

impl<K: PartialEq> PartialEq for EdgeKey<K> {
    fn eq(&self, other: &Self) -> bool {
        self.parent == other.parent && self.query.fingerprint == other.query.fingerprint
    }
}

impl<K: Eq> Eq for EdgeKey<K> {}

impl<K: Hash> Hash for EdgeKey<K> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.parent.hash(state);
        self.query.fingerprint.hash(state);
    }
}

/// Groups keys by their query, so that each distinct query runs once for all parents.
fn by_query<K: Clone>(keys: &[EdgeKey<K>]) -> Vec<(Arc<EdgeQuery>, Vec<K>)> {
    let mut groups: Vec<(Arc<EdgeQuery>, Vec<K>)> = Vec::new();
    for k in keys {
        match groups.iter_mut().find(|(q, _)| q.fingerprint == k.query.fingerprint) {
            Some((_, parents)) => parents.push(k.parent.clone()),
            None => groups.push((k.query.clone(), vec![k.parent.clone()])),
        }
    }
    groups
}

/// The child rows of `R` inside `base`, aliased as the child table so that filter
/// conditions (qualified with the table name) apply unchanged.
fn filtered<R: Paged>(parents: Vec<R::Key>, q: &EdgeQuery) -> SelectStatement {
    let table = Alias::new(R::E::default().table_name());
    let mut s = Query::select();
    s.from_subquery(R::base(parents), table.clone())
        .cond_where(q.condition.clone());
    if let Some(after) = q.after {
        s.and_where(Expr::col((table, Alias::new("id"))).gt(after));
    }
    s
}

/// One page of children for each parent, in one statement per distinct query
/// (`ROW_NUMBER() OVER (PARTITION BY pk)`); a page has `limit + 1` rows when more follow.
pub struct PagedBy<R>(DatabaseConnection, PhantomData<fn() -> R>);

impl<R> PagedBy<R> {
    /// Pages hang off one parent the caller could see, so they need no scope of their own.
    pub fn new(db: DatabaseConnection, _scope: Scope) -> Self {
        Self(db, PhantomData)
    }
}

impl<R: Paged> BatchLoad for PagedBy<R>
where
    <R::E as EntityTrait>::Model: Send + Sync + Clone,
{
    type Key = EdgeKey<R::Key>;
    type Value = Vec<<R::E as EntityTrait>::Model>;

    async fn load(&self, keys: &[EdgeKey<R::Key>]) -> Result<HashMap<EdgeKey<R::Key>, Self::Value>, LoadError> {
        let backend = self.0.get_database_backend();
        let mut out = HashMap::new();
        for (query, parents) in by_query(keys) {
            let mut numbered = filtered::<R>(parents, &query);
            numbered.column(Asterisk).expr_as(
                Expr::cust("ROW_NUMBER() OVER (PARTITION BY pk ORDER BY id)"),
                Alias::new("rn"),
            );
            let stmt = Query::select()
                .column(Asterisk)
                .from_subquery(numbered, Alias::new("numbered"))
                .and_where(Expr::col(Alias::new("rn")).lte(query.limit + 1))
                .order_by(Alias::new("pk"), sea_orm::sea_query::Order::Asc)
                .order_by(Alias::new("id"), sea_orm::sea_query::Order::Asc)
                .to_owned();
            for row in self.0.query_all(backend.build(&stmt)).await? {
                let parent: R::Key = row.try_get("", "pk")?;
                let model = <R::E as EntityTrait>::Model::from_query_result(&row, "")?;
                out.entry(EdgeKey {
                    parent,
                    query: query.clone(),
                })
                .or_insert_with(Vec::new)
                .push(model);
            }
        }
        Ok(out)
    }
}

/// `totalCount` of a paged edge, for each parent, in one `GROUP BY` per distinct query.
pub struct CountBy<R>(DatabaseConnection, PhantomData<fn() -> R>);

impl<R> CountBy<R> {
    pub fn new(db: DatabaseConnection, _scope: Scope) -> Self {
        Self(db, PhantomData)
    }
}

impl<R: Paged> BatchLoad for CountBy<R> {
    type Key = EdgeKey<R::Key>;
    type Value = i64;

    async fn load(&self, keys: &[EdgeKey<R::Key>]) -> Result<HashMap<EdgeKey<R::Key>, i64>, LoadError> {
        let backend = self.0.get_database_backend();
        let mut out = HashMap::new();
        for (query, parents) in by_query(keys) {
            let mut stmt = filtered::<R>(parents, &query);
            stmt.column(Alias::new("pk"))
                .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
                .group_by_col(Alias::new("pk"));
            for row in self.0.query_all(backend.build(&stmt)).await? {
                let parent: R::Key = row.try_get("", "pk")?;
                let n: i64 = row.try_get("", "n")?;
                out.insert(
                    EdgeKey {
                        parent,
                        query: query.clone(),
                    },
                    n,
                );
            }
        }
        Ok(out)
    }
}
