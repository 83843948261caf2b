//! A partition of IPDR records (Trisul's `contextname`); `default` always exists, and
//! `flows` reads the flows table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "ipdr_contexts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub name: String,
    pub created_at: DateTimeUtc,
    /// The longest record's span in seconds: a record overlapping a window starts at
    /// most this long before it.
    pub longest_seconds: f64,
    /// `records` (`ipdr_records`) or `flows` (Zeek's flows, read as records).
    pub source: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
