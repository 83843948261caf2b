//! Aggregates on a filtered selection: how many, the most common values of a field, its
//! distinct values, and counts per time bucket. Each is one statement, grouped in the
//! database; values come back as text ([`Shown`]).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, SimpleExpr};
use sea_orm::{
    ConnectionTrait, DbBackend, FromQueryResult, Order, QueryFilter, QueryOrder, QuerySelect, Select, TryGetable, Value,
};

use super::super::error::{DomainError, DomainResult};
use super::order::{Fields, Shown};

/// The most groups, distinct values or buckets one aggregate returns.
pub const MAX_ROWS: u64 = 10_000;

/// A value of a field with how many rows hold it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub value: Option<String>,
    pub count: i64,
}

/// `first`, checked: how many groups, values or buckets to return.
pub fn rows(field: &str, first: i64) -> DomainResult<u64> {
    if (1..=MAX_ROWS as i64).contains(&first) {
        Ok(first as u64)
    } else {
        Err(DomainError::bad(field, format!("must be between 1 and {MAX_ROWS}")))
    }
}

fn column<F: Fields>(f: F) -> SimpleExpr {
    Expr::col((<F::E as Default>::default(), f.column())).into()
}

/// The field as read back: numbers widened to 64 bits (PostgreSQL reads a `smallint`
/// only as one).
fn shown<F: Fields>(f: F) -> SimpleExpr {
    match f.shown() {
        Shown::Int | Shown::Named(_) => Expr::expr(column(f)).cast_as(Alias::new("BIGINT")),
        _ => column(f),
    }
}

/// Reads column `v` of every row as the field's values, shown as text.
async fn values<F: Fields, T>(db: &impl ConnectionTrait, q: Select<F::E>, shown: Shown) -> DomainResult<Vec<Group>>
where
    T: TryGetable + Into<Value>,
{
    #[derive(Debug)]
    struct Row<T>(Option<T>, i64);
    impl<T: TryGetable> FromQueryResult for Row<T> {
        fn from_query_result(r: &sea_orm::QueryResult, pre: &str) -> Result<Self, sea_orm::DbErr> {
            let v: Option<T> = r.try_get(pre, "v")?;
            let n: Option<i64> = r.try_get(pre, "n").ok().flatten();
            Ok(Row(v, n.unwrap_or(0)))
        }
    }
    let rows = q.into_model::<Row<T>>().all(db).await?;
    Ok(rows
        .into_iter()
        .map(|Row(v, n)| Group {
            value: v.and_then(|v| shown.show(&v.into())),
            count: n,
        })
        .collect())
}

async fn read<F: Fields>(db: &impl ConnectionTrait, q: Select<F::E>, f: F) -> DomainResult<Vec<Group>> {
    let shown = f.shown();
    match shown {
        Shown::Text => values::<F, String>(db, q, shown).await,
        Shown::Ip => values::<F, Vec<u8>>(db, q, shown).await,
        Shown::Time => values::<F, DateTime<Utc>>(db, q, shown).await,
        Shown::Bool => values::<F, bool>(db, q, shown).await,
        Shown::Int | Shown::Named(_) => values::<F, i64>(db, q, shown).await,
    }
}

/// The `first` most common values of `f` in `select`, most common first (ties by value).
pub async fn group_by<F: Fields>(
    db: &impl ConnectionTrait,
    select: Select<F::E>,
    f: F,
    first: u64,
) -> DomainResult<Vec<Group>> {
    let q = select
        .select_only()
        .column_as(shown(f), "v")
        .column_as(Expr::cust("COUNT(*)"), "n")
        .group_by(column(f))
        .order_by(Expr::cust("COUNT(*)"), Order::Desc)
        .order_by(column(f), Order::Asc)
        .limit(first);
    read(db, q, f).await
}

/// The first `first` distinct values of `f` in `select`, in the field's order (a
/// missing value last).
pub async fn distinct<F: Fields>(
    db: &impl ConnectionTrait,
    select: Select<F::E>,
    f: F,
    first: u64,
) -> DomainResult<Vec<Option<String>>> {
    let q = select
        .select_only()
        .column_as(shown(f), "v")
        .group_by(column(f))
        .order_by_with_nulls(column(f), Order::Asc, sea_orm::sea_query::NullOrdering::Last)
        .limit(first);
    Ok(read(db, q, f).await?.into_iter().map(|g| g.value).collect())
}

/// The start of a time bucket of `seconds` holding `expr`, as seconds since the epoch.
/// `seconds` is written into the statement (it is a checked number): the same
/// expression must appear in the selection and the grouping, and parameters would
/// number them apart.
fn bucket(backend: DbBackend, expr: SimpleExpr, seconds: i64) -> SimpleExpr {
    match backend {
        DbBackend::Postgres => Expr::cust_with_expr(
            format!("(floor(extract(epoch from $1) / {seconds}) * {seconds})::bigint"),
            expr,
        ),
        // SQLite's placeholder is `?`.
        _ => Expr::cust_with_expr(
            format!("((CAST(strftime('%s', ?) AS INTEGER) / {seconds}) * {seconds})"),
            expr,
        ),
    }
}

/// Rows of `select` counted per bucket of `seconds` of time field `f`, oldest first;
/// empty buckets are left out, rows without a time too.
pub async fn histogram<F: Fields>(
    db: &impl ConnectionTrait,
    select: Select<F::E>,
    f: F,
    seconds: i64,
    first: u64,
) -> DomainResult<Vec<(DateTime<Utc>, i64)>> {
    if !matches!(f.shown(), Shown::Time) {
        return Err(DomainError::bad("field", format!("{} is not a time", f.name())));
    }
    if !(1..=366 * 86_400).contains(&seconds) {
        return Err(DomainError::bad("seconds", "must be between 1 and 31622400 (366 days)"));
    }
    let b = bucket(db.get_database_backend(), column(f), seconds);
    let q = select
        .select_only()
        .column_as(b.clone(), "v")
        .column_as(Expr::cust("COUNT(*)"), "n")
        .filter(Expr::expr(column(f)).is_not_null())
        .group_by(b.clone())
        .order_by(b, Order::Asc)
        .limit(first)
        .into_tuple::<(i64, i64)>()
        .all(db)
        .await?;
    Ok(q.into_iter()
        .filter_map(|(start, n)| DateTime::from_timestamp(start, 0).map(|t| (t, n)))
        .collect())
}
