//! Tables: a listing's rows as JSON text, up to [`MAX_ROWS`] a page, for clients that
//! read a long list whole (the DFIR-IRIS dialect's lists; scripts).
//!
//! A page of objects costs GraphQL's work for every field of every row (10 to 25 µs a
//! row, measured by `pivot bench iris`), and pages stop at 1,000 rows. A table answers
//! the rows its listing would (the same filter, order, cursors and customer scope) as
//! one string of JSON: each row is the type's scalar fields under their GraphQL names
//! and in their GraphQL forms, with summaries of its edges that its type documents.
//! The page is read as one JSON array the database builds ([`all_at_once`]) and its
//! related rows with one statement per relation for the whole page, not through the
//! request's loaders (which send at most 1,000 keys a statement), so a page's
//! statements do not depend on its length. Only the selection is given up: a table is
//! not a second query language.

use std::collections::HashMap;
use std::future::Future;

use async_graphql::connection::PageInfo;
use async_graphql::{Context, InputType};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, IdenStatic, Iterable, QueryFilter, QuerySelect,
    QueryTrait, Select, Statement,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::errors::Gql;
use super::loaders::LoadError;
use super::pagination::{scope, Selected, TotalCount};
use crate::domain::error::DomainError;
use crate::domain::query::order::Keyset;
use crate::domain::query::{Fields, OrderBy};
use crate::domain::tenancy::{Scope, Scoped};

pub const DEFAULT_ROWS: i32 = 10_000;
/// Under every backend's limit of bound parameters (SQLite 32,766), so that a page's
/// related rows are one statement each.
pub const MAX_ROWS: i32 = 20_000;

/// A table's cost: two a row (a row is read and written without per-field work; a page
/// of objects costs its rows times their selection).
pub fn cost(first: Option<i32>) -> usize {
    first.unwrap_or(DEFAULT_ROWS).clamp(1, MAX_ROWS) as usize * 2
}

/// A page of a table.
pub struct Table {
    /// The rows as JSON text.
    pub rows: String,
    pub page_info: PageInfo,
    pub total: TotalCount,
}

/// How the rows of a type are written, from a page of its models: its scalar fields and
/// its edges' summaries, their related rows read for the whole page at once.
pub trait Rows: Send + Sync + 'static {
    type E: Scoped;
    /// A row: written straight into the answer (no JSON tree is built first).
    type Row: Serialize + Send + Sync + 'static;

    fn rows(
        db: &DatabaseConnection,
        scope: &Scope,
        models: Vec<<Self::E as EntityTrait>::Model>,
    ) -> impl Future<Output = Result<Vec<Self::Row>, LoadError>> + Send;
}

/// A value as GraphQL writes it (a date-time in RFC 3339, an enum by its name).
pub fn graphql<T: InputType>(v: &T) -> Value {
    v.to_value().into_json().unwrap_or(Value::Null)
}

/// The rows of `ids` of `E`, by id, within the scope: one statement, the ids bound as
/// one JSON array ([`among`]), however many a page links to.
pub async fn by_id<E>(
    db: &DatabaseConnection,
    scope: &Scope,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, E::Model>, LoadError>
where
    E: Scoped,
    E::Model: Send + Sync + Clone,
{
    let mut ids: Vec<i64> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let table = E::default().table_name().to_string();
    let which = among(db.get_database_backend(), &table, "id", &ids);
    super::loaders::ById::<E>::new(db.clone(), scope.clone())
        .fetch(which)
        .await
}

/// The rows of `select`, in its order, read as one JSON array the database builds
/// (SQLite's and PostgreSQL's JSON functions): SQLite's driver hands rows over one at a
/// time from its own thread, waking the reader for each, so ten thousand rows cost
/// far more than one row holding them all. The array is built from the select as a
/// subquery, which both databases read in its order (a plain aggregate over a sorted,
/// limited subquery). `E::Model` reads from the JSON the database writes: the columns
/// by name, times as text. PostgreSQL's `json_build_object` takes at most 50 columns.
pub async fn all_at_once<E>(
    db: &DatabaseConnection,
    select: Select<E>,
    order: Option<&Keyset<E>>,
) -> Result<Vec<E::Model>, DbErr>
where
    E: Scoped,
    E::Model: DeserializeOwned,
{
    let backend = db.get_database_backend();
    let fields = E::Column::iter()
        .map(|c| {
            let name = c.as_str();
            format!("'{name}', p.\"{name}\"")
        })
        .collect::<Vec<_>>()
        .join(", ");
    let (inner, values) = select.into_query().build_any(&*backend.get_query_builder());
    let sql = match backend {
        // PostgreSQL keeps a sorted subquery's order in a plain aggregate in practice,
        // not by contract: the order is said again inside it. (SQLite's planner keeps it.)
        DbBackend::Postgres => {
            let within = order
                .map(|k| format!(" ORDER BY {}", k.order_sql("p")))
                .unwrap_or_default();
            format!(
                "SELECT COALESCE(json_agg(json_build_object({fields}){within}), '[]')::text AS j FROM ({inner}) AS p"
            )
        }
        _ => format!("SELECT json_group_array(json_object({fields})) AS j FROM ({inner}) AS p"),
    };
    let row = db
        .query_one(Statement::from_sql_and_values(backend, sql, values))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("an aggregate answers one row".into()))?;
    let text: String = row.try_get("", "j")?;
    serde_json::from_str(&text).map_err(|e| DbErr::Json(format!("a page read as JSON: {e}")))
}

/// `table.column IN (ids)`, the ids bound as one JSON array (not a placeholder each:
/// the statement text of ten thousand placeholders is parsed again on every call).
pub fn among(backend: DbBackend, table: &str, column: &str, ids: &[i64]) -> SimpleExpr {
    let list = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    // sea-query writes a custom expression's values as `?` (SQLite) or `$n` (PostgreSQL).
    let each = match backend {
        DbBackend::Postgres => "SELECT value::bigint FROM json_array_elements_text(CAST($1 AS json))",
        _ => "SELECT value FROM json_each(?)",
    };
    Expr::cust_with_values(format!("\"{table}\".\"{column}\" IN ({each})"), [list])
}

/// One page of `selected` as a table of `R`'s rows, in the order of `order`, after the
/// cursor `after` (the listing's cursors).
pub async fn table<F, O, R>(
    ctx: &Context<'_>,
    selected: Selected<F::E>,
    order: Option<Vec<O>>,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<Table>
where
    F: Fields,
    O: Into<OrderBy<F>>,
    R: Rows<E = F::E>,
    <F::E as EntityTrait>::Model: Sync + DeserializeOwned,
{
    let limit = match first {
        None => DEFAULT_ROWS,
        Some(n) if (1..=MAX_ROWS).contains(&n) => n,
        Some(_) => return Err(DomainError::bad("first", format!("must be between 1 and {MAX_ROWS}"))).gql(),
    } as u64;
    let order: Vec<OrderBy<F>> = order.unwrap_or_default().into_iter().map(Into::into).collect();
    let keys = Keyset::new(&order).gql()?;
    let cursor = after.as_deref().map(|c| keys.decode("after", c)).transpose().gql()?;
    let db = ctx.data_unchecked::<DatabaseConnection>().clone();
    let scope = scope(ctx);
    let selected = selected.scoped(ctx);
    let mut q = selected.select.clone();
    if let Some(c) = &cursor {
        q = q.filter(keys.after(c, false));
    }
    // Only a `totalCount`: no page to read.
    let asked = ctx.look_ahead();
    let read = asked.field("rows").exists() || asked.field("pageInfo").exists();
    let mut models = if read {
        all_at_once(&db, keys.sort(q, false).limit(limit + 1), Some(&keys))
            .await
            .gql()?
    } else {
        Vec::new()
    };
    let more = models.len() as u64 > limit;
    models.truncate(limit as usize);
    let page_info = PageInfo {
        has_previous_page: cursor.is_some(),
        has_next_page: more,
        start_cursor: models.first().map(|m| keys.cursor(m)),
        end_cursor: models.last().map(|m| keys.cursor(m)),
    };
    let rows = if asked.field("rows").exists() {
        let rows = R::rows(&db, &scope, models).await.gql()?;
        serde_json::to_string(&rows)
            .map_err(|e| DbErr::Json(e.to_string()))
            .gql()?
    } else {
        String::new()
    };
    let total = TotalCount::new(move |_| {
        let (selected, db) = (selected.clone(), db.clone());
        Box::pin(async move { selected.count(&db).await })
    });
    Ok(Table { rows, page_info, total })
}

/// Declares `$root`, a query object with the table `$name` of `$rows`'s rows (type
/// `$table`) over the listing's filter `$filter` and order `$order` of fields `$field`.
#[macro_export]
macro_rules! table {
    (
        $root:ident, $table:ident, $rows:ty, $filter:ty, $field:ty, $order:ty,
        $(#[$doc:meta])* $name:ident $(,)?
    ) => {
        #[derive(Default)]
        pub struct $root;

        /// A page of a table: rows as JSON, with the listing's cursors.
        pub struct $table(pub $crate::graphql::table::Table);

        #[async_graphql::Object]
        impl $table {
            /// The rows as JSON text: an array of objects, each shaped as the field that
            /// answers this table says. Text, not a JSON value, so that tens of
            /// thousands of rows travel without a GraphQL value per field: parse it once.
            async fn rows(&self) -> &str {
                &self.0.rows
            }
            async fn page_info(&self) -> &async_graphql::connection::PageInfo {
                &self.0.page_info
            }
            /// How many rows match, across all pages.
            async fn total_count(&self, ctx: &async_graphql::Context<'_>) -> async_graphql::Result<i64> {
                self.0.total.count(ctx).await
            }
        }

        #[async_graphql::Object]
        impl $root {
            $(#[$doc])*
            #[graphql(complexity = "crate::graphql::table::cost(first)")]
            async fn $name(
                &self,
                ctx: &async_graphql::Context<'_>,
                #[graphql(desc = "Rows a page (default 10,000, at most 20,000).")]
                first: Option<i32>,
                after: Option<String>,
                filter: Option<$filter>,
                order_by: Option<Vec<$order>>,
            ) -> async_graphql::Result<$table> {
                let select = $crate::graphql::pagination::filtered(ctx, filter)?;
                $crate::graphql::table::table::<$field, _, $rows>(ctx, select, order_by, first, after)
                    .await
                    .map($table)
            }
        }
    };
}
