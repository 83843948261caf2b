//! How many hosts have a port of this number in this state, kept by triggers on
//! `ports` (migration 21): one row per key on SQLite, rows to add up on PostgreSQL.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "port_tallies")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub port: i32,
    pub state: String,
    pub hosts: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
