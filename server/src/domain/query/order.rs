//! Sorting by any list of fields, paged by keyset: a cursor carries the sort key of its
//! row (and the row's id, which breaks ties the way the last field goes), so the next
//! page is a range condition on
//! the sort columns, never an `OFFSET`. Missing values sort as the greatest (last going
//! up, first going down), the same on both databases.

use async_graphql::Enum;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sea_orm::sea_query::{Condition, Expr, NullOrdering, SimpleExpr};
use sea_orm::{ColumnTrait, EntityTrait, ModelTrait, Order, QueryOrder, Select, Value};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::super::crud::{id_column, model_id};
use super::super::error::{DomainError, DomainResult};
use super::super::ip;
use super::super::tenancy::Scoped;

/// The most fields an order may list (the keyset condition grows with their square).
pub const MAX_ORDER: usize = 4;

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SortDirection {
    #[default]
    Asc,
    Desc,
}

/// How a field's values read as text (in groups and distinct lists) and what a
/// histogram may bucket.
#[derive(Clone, Copy)]
pub enum Shown {
    Text,
    Int,
    /// A 16-byte address key.
    Ip,
    Time,
    Bool,
    /// A number standing for a name.
    Named(fn(i64) -> &'static str),
}

impl Shown {
    /// `v` as text; `None` for a missing value.
    pub fn show(self, v: &Value) -> Option<String> {
        use super::ops::Ordered;
        match (self, v) {
            (Self::Ip, Value::Bytes(Some(b))) => ip::from_key(b).map(ip::canonical),
            (Self::Named(name), v) => i64::from_value(v).map(|n| name(n).to_string()),
            (_, Value::String(Some(s))) => Some(s.to_string()),
            (_, Value::Bool(Some(b))) => Some(b.to_string()),
            (_, Value::ChronoDateTimeUtc(Some(t))) => Some(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
            (_, v) => i64::from_value(v).map(|n| n.to_string()),
        }
    }
}

/// The fields of a type one may sort, group and bucket by: a GraphQL enumeration.
pub trait Fields: Copy + Eq + Send + Sync + std::fmt::Debug + async_graphql::InputType + 'static {
    type E: Scoped;
    fn column(self) -> <Self::E as EntityTrait>::Column;
    fn shown(self) -> Shown;
    /// Its name in the graph (`OCCURRED_AT`).
    fn name(self) -> String {
        self.to_value().to_string()
    }
}

/// One field and direction of an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderBy<F> {
    pub field: F,
    pub direction: SortDirection,
}

/// Declares a type's field enumeration (`XField`), its order input (`XOrder`) and
/// their [`Fields`] implementation: `Variant => Column: Shown`.
#[macro_export]
macro_rules! fields {
    ($(#[$m:meta])* $name:ident, $order:ident for $entity:ident { $($(#[$fm:meta])* $variant:ident => $col:ident : $shown:expr),* $(,)? }) => {
        $(#[$m])*
        #[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq, serde::Serialize)]
        pub enum $name { $($(#[$fm])* $variant),* }

        impl $crate::domain::query::Fields for $name {
            type E = $entity::Entity;
            fn column(self) -> $entity::Column {
                match self { $(Self::$variant => $entity::Column::$col),* }
            }
            fn shown(self) -> $crate::domain::query::Shown {
                #[allow(unused_imports)]
                use $crate::domain::query::Shown::*;
                match self { $(Self::$variant => $shown),* }
            }
        }

        /// A field to sort by, and which way.
        #[derive(async_graphql::InputObject, Clone, Copy, Debug)]
        pub struct $order {
            pub field: $name,
            #[graphql(default)]
            pub direction: $crate::domain::query::SortDirection,
        }

        impl From<$order> for $crate::domain::query::OrderBy<$name> {
            fn from(o: $order) -> Self {
                Self { field: o.field, direction: o.direction }
            }
        }
    };
}

/// The cursor of the row with `id` in the order by id (every edge connection's).
pub fn encode_cursor(id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("k{id}"))
}

/// The id of an [`encode_cursor`] cursor.
pub fn decode_cursor(field: &str, cursor: &str) -> DomainResult<i64> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|s| s.strip_prefix('k').and_then(|n| n.parse::<i64>().ok()))
        .ok_or_else(|| DomainError::bad(field, format!("{cursor:?} is not a cursor of this connection")))
}

/// A sort column.
struct Key<E: EntityTrait> {
    column: E::Column,
    desc: bool,
    nullable: bool,
}

/// An order made ready to page: its columns, then the id.
pub struct Keyset<E: EntityTrait> {
    keys: Vec<Key<E>>,
    signature: String,
}

/// A decoded cursor: the sort values of its row (`None` for a missing one) and its id.
pub struct Cursor {
    values: Vec<Option<Value>>,
    id: i64,
}

#[derive(Serialize, Deserialize)]
struct Encoded {
    o: String,
    k: Vec<serde_json::Value>,
    i: i64,
}

impl<E: Scoped> Keyset<E> {
    /// The keyset of `order` (validated: at most [`MAX_ORDER`] fields, each once).
    pub fn new<F: Fields<E = E>>(order: &[OrderBy<F>]) -> DomainResult<Self> {
        if order.len() > MAX_ORDER {
            return Err(DomainError::bad("orderBy", format!("at most {MAX_ORDER} fields")));
        }
        let mut keys = Vec::with_capacity(order.len());
        let mut names = Vec::with_capacity(order.len());
        for (i, o) in order.iter().enumerate() {
            if order[..i].iter().any(|p| p.field == o.field) {
                return Err(DomainError::bad(
                    "orderBy",
                    format!("{} is listed twice", o.field.name()),
                ));
            }
            let column = o.field.column();
            let desc = o.direction == SortDirection::Desc;
            names.push(format!("{}{}", o.field.name(), if desc { "-" } else { "+" }));
            keys.push(Key {
                column,
                desc,
                nullable: column.def().is_null(),
            });
        }
        Ok(Self {
            keys,
            signature: names.join(","),
        })
    }

    /// Whether it is the natural order: by id alone.
    fn is_by_id(&self) -> bool {
        self.keys.is_empty()
    }

    /// `select` sorted, going forward or (to page back) the other way.
    pub fn sort(&self, mut select: Select<E>, backward: bool) -> Select<E> {
        for k in &self.keys {
            let desc = k.desc != backward;
            let order = if desc { Order::Desc } else { Order::Asc };
            select = if k.nullable {
                // The greatest: after every value going up, before them going down.
                let nulls = if desc { NullOrdering::First } else { NullOrdering::Last };
                select.order_by_with_nulls(k.column, order, nulls)
            } else {
                select.order_by(k.column, order)
            };
        }
        let desc = self.tie_desc() != backward;
        select.order_by(id_column::<E>(), if desc { Order::Desc } else { Order::Asc })
    }

    /// The forward order as SQL over the columns of the subquery `alias` (for an
    /// aggregate that must keep it: `json_agg(… ORDER BY …)`).
    pub fn order_sql(&self, alias: &str) -> String {
        use sea_orm::IdenStatic;
        let mut parts: Vec<String> = self
            .keys
            .iter()
            .map(|k| {
                let (dir, nulls) = if k.desc {
                    ("DESC", "NULLS FIRST")
                } else {
                    ("ASC", "NULLS LAST")
                };
                format!("{alias}.\"{}\" {dir} {nulls}", k.column.as_str())
            })
            .collect();
        let dir = if self.tie_desc() { "DESC" } else { "ASC" };
        parts.push(format!("{alias}.\"{}\" {dir}", id_column::<E>().as_str()));
        parts.join(", ")
    }

    /// Whether ties go by id downward: the way the last field goes, so that an order
    /// one index holds (`severity DESC, occurred_at DESC`, each index ending with the
    /// row's id) is one scan of it, without a sort.
    fn tie_desc(&self) -> bool {
        self.keys.last().is_some_and(|k| k.desc)
    }

    /// The cursor of row `m`.
    pub fn cursor(&self, m: &E::Model) -> String {
        let id = model_id::<E>(m);
        if self.is_by_id() {
            return encode_cursor(id);
        }
        let k = self.keys.iter().map(|k| to_json(&m.get(k.column))).collect();
        let e = Encoded {
            o: self.signature.clone(),
            k,
            i: id,
        };
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&e).expect("a cursor serialises"))
    }

    /// Reads a cursor of this order; one of another order or connection is refused.
    pub fn decode(&self, field: &str, cursor: &str) -> DomainResult<Cursor> {
        let bad = || {
            DomainError::bad(
                field,
                format!("{cursor:?} is not a cursor of this connection and order"),
            )
        };
        if self.is_by_id() {
            let id = decode_cursor(field, cursor)?;
            return Ok(Cursor { values: Vec::new(), id });
        }
        let raw = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
        let e: Encoded = serde_json::from_slice(&raw).map_err(|_| bad())?;
        if e.o != self.signature || e.k.len() != self.keys.len() {
            return Err(bad());
        }
        let values = e.k.iter().map(from_json).collect::<Option<Vec<_>>>().ok_or_else(bad)?;
        Ok(Cursor { values, id: e.i })
    }

    /// The rows after `c` in this order (before it when `backward`).
    pub fn after(&self, c: &Cursor, backward: bool) -> Condition {
        let col = |k: &Key<E>| -> SimpleExpr { Expr::col((E::default(), k.column)).into() };
        let mut any = Condition::any();
        let mut equal = Condition::all();
        for (k, v) in self.keys.iter().zip(&c.values) {
            let up = k.desc == backward;
            let beyond = match (v, up) {
                // Nothing is greater than a missing value.
                (None, true) => None,
                (None, false) => Some(Condition::all().add(Expr::expr(col(k)).is_not_null())),
                (Some(v), true) => {
                    let gt = Expr::expr(col(k)).gt(v.clone());
                    Some(if k.nullable {
                        Condition::any().add(gt).add(Expr::expr(col(k)).is_null())
                    } else {
                        Condition::all().add(gt)
                    })
                }
                (Some(v), false) => Some(Condition::all().add(Expr::expr(col(k)).lt(v.clone()))),
            };
            if let Some(b) = beyond {
                any = any.add(equal.clone().add(b));
            }
            equal = equal.add(match v {
                None => Expr::expr(col(k)).is_null(),
                Some(v) => Expr::expr(col(k)).eq(v.clone()),
            });
        }
        let id = id_column::<E>();
        let past = if self.tie_desc() == backward {
            id.gt(c.id)
        } else {
            id.lt(c.id)
        };
        any.add(equal.add(past))
    }
}

fn to_json(v: &Value) -> serde_json::Value {
    use super::ops::Ordered;
    match v {
        Value::String(Some(s)) => json!(["s", s.as_str()]),
        Value::Bytes(Some(b)) => json!(["b", hex::encode(b.as_slice())]),
        Value::Bool(Some(b)) => json!(["f", b]),
        Value::ChronoDateTimeUtc(Some(t)) => json!(["t", t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)]),
        v => match i64::from_value(v) {
            Some(n) => json!(["i", n]),
            None => serde_json::Value::Null,
        },
    }
}

/// A value of [`to_json`]; `Some(None)` for a missing one, `None` for garbage.
fn from_json(j: &serde_json::Value) -> Option<Option<Value>> {
    if j.is_null() {
        return Some(None);
    }
    let [tag, v] = j.as_array()?.as_slice() else {
        return None;
    };
    Some(Some(match (tag.as_str()?, v) {
        ("s", serde_json::Value::String(s)) => Value::from(s.clone()),
        ("b", serde_json::Value::String(s)) => Value::from(hex::decode(s).ok()?),
        ("f", serde_json::Value::Bool(b)) => Value::from(*b),
        ("t", serde_json::Value::String(s)) => Value::from(chrono::DateTime::parse_from_rfc3339(s).ok()?.to_utc()),
        ("i", v) => Value::from(v.as_i64()?),
        _ => return None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_values_round_trip() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-01-14T10:00:00.123456Z")
            .unwrap()
            .to_utc();
        for v in [
            Value::from("x"),
            Value::from(vec![1u8, 2, 3]),
            Value::from(true),
            Value::from(t),
            Value::from(42i64),
        ] {
            assert_eq!(from_json(&to_json(&v)), Some(Some(v)));
        }
        assert_eq!(
            from_json(&to_json(&Value::SmallInt(Some(3)))),
            Some(Some(Value::BigInt(Some(3))))
        );
        assert_eq!(from_json(&serde_json::Value::Null), Some(None));
        assert_eq!(from_json(&json!(["t", "yesterday"])), None);
        assert_eq!(from_json(&json!(["z", 1])), None);
    }
}
