//! A device known by its MAC address.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "devices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub mac: String,
    pub last_ip: Option<Vec<u8>>,
    pub hostname: Option<String>,
    pub friendly_name: Option<String>,
    pub vendor: Option<String>,
    pub first_seen: DateTimeUtc,
    pub last_seen: DateTimeUtc,
    /// Whether `last_ip` is a network's gateway address (kept by the domain).
    pub is_gateway: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
