//! A network (CIDR) of the monitored estate.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "networks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub cidr: String,
    pub start_ip: Vec<u8>,
    pub end_ip: Vec<u8>,
    pub gateway_ip: Option<Vec<u8>>,
    pub gateway_mac: Option<String>,
    pub alert_level: i32,
    pub description: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
