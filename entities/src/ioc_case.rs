//! An IOC linked to a case.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "ioc_cases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub ioc_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub case_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
