//! An investigation case, owned by a customer.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "cases")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub description: String,
    pub soc_id: Option<String>,
    pub status: String,
    pub opened_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
    pub customer_id: i64,
    pub opened_by: Option<i64>,
    pub summary: Option<String>,
    pub updated_at: DateTimeUtc,
    pub classification_id: Option<i64>,
    /// A JSON object, as text.
    pub custom_attributes: Option<String>,
    /// How the case ended: `unknown`, `false_positive`, `true_positive_with_impact`,
    /// `true_positive_without_impact`, `not_applicable` or `legitimate`.
    pub outcome: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
