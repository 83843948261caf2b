//! One row of an IPDR query's result: a copy of a matching record.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "ipdr_query_rows")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub query_id: i64,
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
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
