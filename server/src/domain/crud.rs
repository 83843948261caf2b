//! Small pieces every writable type uses: finding a row or failing with `NOT_FOUND`,
//! applying optional input values, deleting by id.

use std::str::FromStr;

use async_graphql::MaybeUndefined;
use sea_orm::{ActiveValue, ColumnTrait, ConnectionTrait, EntityTrait, ModelTrait, PaginatorTrait, QueryFilter, Value};

use super::error::{DomainError, DomainResult};
use super::text;

/// The `id` column of an entity (every table but the link tables has one).
pub fn id_column<E: EntityTrait>() -> E::Column {
    E::Column::from_str("id").ok().expect("the entity has an id column")
}

pub fn model_id<E: EntityTrait>(m: &E::Model) -> i64 {
    match m.get(id_column::<E>()) {
        Value::BigInt(Some(id)) => id,
        other => unreachable!("id column holds {other:?}"),
    }
}

/// The row with primary key `id`, or `NOT_FOUND` naming `what`.
pub async fn find<E>(db: &impl ConnectionTrait, what: &str, id: i64) -> DomainResult<E::Model>
where
    E: EntityTrait,
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<i64>,
{
    E::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found(format!("{what} {id}")))
}

/// Fails with `NOT_FOUND` unless every id exists (one statement).
pub async fn require_all<E>(db: &impl ConnectionTrait, what: &str, ids: &[i64]) -> DomainResult<()>
where
    E: EntityTrait,
    E::Model: Sync,
{
    let mut wanted = ids.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    if wanted.is_empty() {
        return Ok(());
    }
    let id = id_column::<E>();
    let found = E::find().filter(id.is_in(wanted.clone())).count(db).await?;
    if found as usize == wanted.len() {
        Ok(())
    } else {
        Err(DomainError::not_found(format!("one of the {what}s")))
    }
}

/// Deletes the row with primary key `id`, or fails with `NOT_FOUND`.
pub async fn delete<E>(db: &impl ConnectionTrait, what: &str, id: i64) -> DomainResult<()>
where
    E: EntityTrait,
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<i64>,
{
    let res = E::delete_by_id(id).exec(db).await?;
    if res.rows_affected == 0 {
        return Err(DomainError::not_found(format!("{what} {id}")));
    }
    Ok(())
}

/// Applies an optional input to a nullable column: absent keeps it, `null` clears it.
pub fn set_opt<T>(slot: &mut ActiveValue<Option<T>>, value: MaybeUndefined<T>)
where
    Option<T>: Into<sea_orm::Value>,
{
    match value {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => *slot = ActiveValue::Set(None),
        MaybeUndefined::Value(v) => *slot = ActiveValue::Set(Some(v)),
    }
}

/// Applies an optional input to a required column.
pub fn set<T>(slot: &mut ActiveValue<T>, value: Option<T>)
where
    T: Into<sea_orm::Value>,
{
    if let Some(v) = value {
        *slot = ActiveValue::Set(v);
    }
}

/// Validates an optional text input; an empty string clears the value like `null`.
pub fn opt_text(field: &str, value: MaybeUndefined<String>, max: usize) -> DomainResult<MaybeUndefined<String>> {
    Ok(match value {
        MaybeUndefined::Value(v) => match text::optional(field, Some(&v), max)? {
            Some(v) => MaybeUndefined::Value(v),
            None => MaybeUndefined::Null,
        },
        other => other,
    })
}

/// Validates an optional required-text input (absent keeps the value, empty is an error).
pub fn req_text(field: &str, value: Option<String>, max: usize) -> DomainResult<Option<String>> {
    value.map(|v| text::required(field, &v, max)).transpose()
}

/// The largest custom-attributes object, as JSON text.
pub const MAX_ATTRIBUTES: usize = 65_536;

/// Validates free-form custom attributes (a JSON object, kept as its text).
pub fn attributes(
    field: &str,
    value: MaybeUndefined<async_graphql::Json<serde_json::Value>>,
) -> DomainResult<MaybeUndefined<String>> {
    Ok(match value {
        MaybeUndefined::Value(async_graphql::Json(v)) => {
            if !v.is_object() {
                return Err(DomainError::bad(field, "a JSON object of attributes"));
            }
            let text = v.to_string();
            if text.len() > MAX_ATTRIBUTES {
                return Err(DomainError::bad(
                    field,
                    format!("at most {MAX_ATTRIBUTES} bytes of JSON"),
                ));
            }
            MaybeUndefined::Value(text)
        }
        MaybeUndefined::Null => MaybeUndefined::Null,
        MaybeUndefined::Undefined => MaybeUndefined::Undefined,
    })
}

/// Custom attributes as kept, read back (an object; kept text that is not reads as none).
pub fn attributes_of(text: Option<&str>) -> Option<serde_json::Value> {
    text.and_then(|t| serde_json::from_str(t).ok())
}
