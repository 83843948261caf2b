//! A port of a host as last seen by a scan.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "ports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub host_id: i64,
    pub scan_id: Option<i64>,
    pub port: i32,
    pub protocol: String,
    pub state: String,
    pub reason: Option<String>,
    pub service_name: Option<String>,
    pub service_product: Option<String>,
    pub service_version: Option<String>,
    pub service_extra: Option<String>,
    pub last_seen: Option<DateTimeUtc>,
    /// CPEs of the service, stored as `,a,b,`.
    pub cpes: String,
    pub first_seen: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
