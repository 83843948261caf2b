//! A passive DNS observation: a name resolved to a value.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "dns_records")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub rtype: String,
    pub value: String,
    pub ip: Option<Vec<u8>>,
    pub first_seen: DateTimeUtc,
    pub last_seen: DateTimeUtc,
    pub count: i64,
    pub sensor: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
