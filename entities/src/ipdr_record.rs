//! One IPDR record: who had which address and port, when, and through which NAT.
//! Addresses are keys as elsewhere (`domain::ip`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "ipdr_records")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub context_id: i64,
    pub protocol: String,
    pub src_ip: Vec<u8>,
    pub src_port: Option<i32>,
    pub dst_ip: Vec<u8>,
    pub dst_port: Option<i32>,
    pub start_time: DateTimeUtc,
    pub end_time: Option<DateTimeUtc>,
    /// Seconds.
    pub duration: Option<f64>,
    pub user_id: Option<String>,
    pub subscriber_id: Option<String>,
    pub nat_ip: Option<Vec<u8>>,
    pub nat_port: Option<i32>,
    pub device_ip: Option<Vec<u8>>,
    /// A hash of the whole record, unique with its context and start: importing the
    /// same record again changes nothing.
    pub record_key: Option<Vec<u8>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
