//! Output of one NSE script on a port.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "script_results")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub port_id: i64,
    pub script_id: String,
    pub output: String,
    pub data: Option<Json>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
