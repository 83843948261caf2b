//! Reference lists cases are described with (their ids are small integers, as in the
//! case-management tools that share them): case classifications, timeline event
//! categories and IOC types. Asset types and analysis statuses are with assets.

use async_graphql::{Context, Object, Result, SimpleObject};
use entities::{case_classification, event_category, ioc_type};
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};

use super::errors::Gql;

/// What kind of incident a case is: CERT-XLM's classification, `predicate:value`.
#[derive(SimpleObject)]
pub struct CaseClassification {
    pub id: i64,
    /// `intrusion:domain-compromise`.
    pub name: String,
    /// `Intrusion: Domain Compromise`.
    pub expanded_name: String,
    pub description: String,
}

impl From<case_classification::Model> for CaseClassification {
    fn from(m: case_classification::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            expanded_name: m.expanded_name,
            description: m.description,
        }
    }
}

/// What a timeline event is an instance of (ATT&CK tactics, remediation, ...).
#[derive(SimpleObject)]
pub struct EventCategory {
    pub id: i64,
    pub name: String,
}

/// A kind of indicator (MISP's attribute types); an IOC's `type` is one's name.
#[derive(SimpleObject)]
pub struct IocType {
    pub id: i64,
    pub name: String,
    pub description: String,
}

#[derive(Default)]
pub struct ReferenceQuery;

#[Object]
impl ReferenceQuery {
    async fn case_classifications(&self, ctx: &Context<'_>) -> Result<Vec<CaseClassification>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let rows = case_classification::Entity::find()
            .order_by_asc(case_classification::Column::Id)
            .all(db)
            .await
            .gql()?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
    async fn event_categories(&self, ctx: &Context<'_>) -> Result<Vec<EventCategory>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let rows = event_category::Entity::find()
            .order_by_asc(event_category::Column::Id)
            .all(db)
            .await
            .gql()?;
        Ok(rows
            .into_iter()
            .map(|c| EventCategory { id: c.id, name: c.name })
            .collect())
    }
    async fn ioc_types(&self, ctx: &Context<'_>) -> Result<Vec<IocType>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let rows = ioc_type::Entity::find()
            .order_by_asc(ioc_type::Column::Id)
            .all(db)
            .await
            .gql()?;
        Ok(rows
            .into_iter()
            .map(|t| IocType {
                id: t.id,
                name: t.name,
                description: t.description,
            })
            .collect())
    }
}
