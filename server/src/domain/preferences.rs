//! What a user's clients keep between calls, by name: the web app's settings, a REST
//! dialect's per-user state (DFIR-IRIS's current case). Kept in the database, so every
//! replica answers alike; a user reads and writes only its own.

use chrono::Utc;
use entities::user_preference as pref;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};
use serde_json::Value;

use super::error::{DomainError, DomainResult};

/// The longest name, the largest value (as JSON text), and how many one user keeps.
pub const MAX_NAME: usize = 64;
pub const MAX_VALUE: usize = 4096;
pub const MAX_PER_USER: u64 = 200;

/// A name: lower-case letters, digits, `.`, `_` and `-` (`iris.current_case`).
fn valid_name(field: &str, name: &str) -> DomainResult<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    match ok {
        true => Ok(()),
        false => Err(DomainError::bad(
            field,
            format!("1 to {MAX_NAME} lower-case letters, digits, '.', '_' or '-'"),
        )),
    }
}

/// The user's values of `names` (all of them without names), by name.
pub async fn get(
    db: &impl ConnectionTrait,
    user_id: i64,
    names: Option<&[String]>,
) -> DomainResult<Vec<(String, Value)>> {
    let mut q = pref::Entity::find()
        .filter(pref::Column::UserId.eq(user_id))
        .order_by_asc(pref::Column::Name);
    if let Some(names) = names {
        for n in names {
            valid_name("names", n)?;
        }
        q = q.filter(pref::Column::Name.is_in(names.iter().cloned()));
    }
    Ok(q.all(db)
        .await?
        .into_iter()
        .map(|p| {
            // Written by `set` only, so always JSON; a row that is not counts as null.
            let value = serde_json::from_str(&p.value).unwrap_or(Value::Null);
            (p.name, value)
        })
        .collect())
}

/// Sets the user's `name` to `value`; `null` removes it.
pub async fn set(db: &impl ConnectionTrait, user_id: i64, name: &str, value: &Value) -> DomainResult<()> {
    valid_name("name", name)?;
    let by_name = pref::Column::UserId.eq(user_id).and(pref::Column::Name.eq(name));
    if value.is_null() {
        pref::Entity::delete_many().filter(by_name).exec(db).await?;
        return Ok(());
    }
    let text = value.to_string();
    if text.len() > MAX_VALUE {
        return Err(DomainError::bad("value", format!("at most {MAX_VALUE} bytes of JSON")));
    }
    let exists = pref::Entity::find().filter(by_name).count(db).await? > 0;
    if !exists {
        let held = pref::Entity::find()
            .filter(pref::Column::UserId.eq(user_id))
            .count(db)
            .await?;
        if held >= MAX_PER_USER {
            return Err(DomainError::bad(
                "name",
                format!("a user keeps at most {MAX_PER_USER} preferences: remove one first"),
            ));
        }
    }
    let row = pref::ActiveModel {
        user_id: Set(user_id),
        name: Set(name.to_string()),
        value: Set(text),
        updated_at: Set(Utc::now()),
    };
    pref::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([pref::Column::UserId, pref::Column::Name])
                .update_columns([pref::Column::Value, pref::Column::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}
