//! A network flow between two addresses.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "flows")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub src_ip: Vec<u8>,
    pub dst_ip: Vec<u8>,
    pub src_port: Option<i32>,
    pub dst_port: Option<i32>,
    pub protocol: String,
    pub application: Option<String>,
    pub src_bytes: i64,
    pub dst_bytes: i64,
    pub src_packets: i64,
    pub dst_packets: i64,
    pub started_at: DateTimeUtc,
    pub ended_at: Option<DateTimeUtc>,
    pub sensor: Option<String>,
    /// The sensor's id of the connection (Zeek's uid).
    pub uid: Option<String>,
    /// The connection state (Zeek's conn_state).
    pub state: Option<String>,
    /// The import that brought it.
    pub import_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
