//! The caller's preferences (`domain::preferences`): values its clients keep between
//! calls, by name.

use async_graphql::{Context, Json, Object, Result, SimpleObject};
use serde_json::Value;

use super::audit::write;
use super::errors::Gql;
use crate::domain::access::Principal;
use crate::domain::preferences;

/// A value kept by name for the caller.
#[derive(SimpleObject)]
pub struct Preference {
    pub name: String,
    pub value: Json<Value>,
}

#[derive(Default)]
pub struct PreferenceQuery;

#[Object]
impl PreferenceQuery {
    /// The caller's preferences of these names (every one without names), by name.
    async fn preferences(&self, ctx: &Context<'_>, names: Option<Vec<String>>) -> Result<Vec<Preference>> {
        let db = ctx.data_unchecked::<sea_orm::DatabaseConnection>();
        let user = ctx.data_unchecked::<Principal>().user.id;
        let found = preferences::get(db, user, names.as_deref()).await.gql()?;
        Ok(found
            .into_iter()
            .map(|(name, value)| Preference {
                name,
                value: Json(value),
            })
            .collect())
    }
}

#[derive(Default)]
pub struct PreferenceMutation;

#[Object]
impl PreferenceMutation {
    /// Keeps `value` (any JSON, up to 4 KiB) as the caller's preference `name`
    /// (lower-case letters, digits, `.`, `_`, `-`); `null` (or none) removes it. Answers with what
    /// is kept, or null once removed.
    async fn set_preference(
        &self,
        ctx: &Context<'_>,
        name: String,
        value: Option<Json<Value>>,
    ) -> Result<Option<Preference>> {
        let user = ctx.data_unchecked::<Principal>().user.id;
        let (kept, value) = (name.clone(), value.map_or(Value::Null, |Json(v)| v));
        let stored = value.clone();
        write(ctx, move |tx| {
            Box::pin(async move { preferences::set(tx, user, &kept, &stored).await })
        })
        .await?;
        Ok((!value.is_null()).then_some(Preference {
            name,
            value: Json(value),
        }))
    }
}
