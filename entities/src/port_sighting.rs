//! One time a scan saw a port, in the state it saw: the port's history.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "port_sightings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub port_id: i64,
    pub scan_id: Option<i64>,
    pub seen_at: DateTimeUtc,
    pub state: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
