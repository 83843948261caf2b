//! An indicator of compromise.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "iocs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub ioc_type: String,
    pub value: String,
    pub description: Option<String>,
    pub tags: String,
    pub tlp: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// A JSON object, as text.
    pub custom_attributes: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
