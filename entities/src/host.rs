//! A host known by its IP address (16-byte big-endian, IPv4 mapped into IPv6).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "hosts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub ip: Vec<u8>,
    pub mac: Option<String>,
    pub os: Option<String>,
    pub first_seen: Option<DateTimeUtc>,
    pub last_seen: Option<DateTimeUtc>,
    pub country: Option<String>,
    pub city: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub asn: Option<i64>,
    pub as_name: Option<String>,
    pub categories: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// up or down, as the last scan saw it.
    pub status: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
