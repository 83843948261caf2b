//! Something a case is about: a computer, an account, a network device ...

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "assets")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub case_id: i64,
    pub asset_type_id: i64,
    pub name: String,
    pub description: Option<String>,
    pub ip: Option<String>,
    pub ip_bytes: Option<Vec<u8>>,
    pub domain: Option<String>,
    pub compromise_status: String,
    pub analysis_status_id: Option<i64>,
    pub tags: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Free notes on the asset.
    pub info: Option<String>,
    /// A JSON object, as text.
    pub custom_attributes: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
