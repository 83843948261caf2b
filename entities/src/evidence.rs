//! A piece of evidence registered in a case.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "evidences")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub case_id: i64,
    pub filename: String,
    pub size: Option<i64>,
    pub hash: Option<String>,
    pub description: Option<String>,
    pub added_at: DateTimeUtc,
    pub added_by: Option<i64>,
    /// A JSON object, as text.
    pub custom_attributes: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
