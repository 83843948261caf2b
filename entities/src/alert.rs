//! An alert raised by a sensor about a host, a flow, a network or a server.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "alerts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub alert_type: String,
    pub severity: i16,
    pub score: i32,
    pub title: String,
    pub message: Option<String>,
    pub occurred_at: DateTimeUtc,
    pub src_ip: Option<Vec<u8>>,
    pub dst_ip: Option<Vec<u8>>,
    pub src_port: Option<i32>,
    pub dst_port: Option<i32>,
    pub flow_id: Option<i64>,
    pub sensor: Option<String>,
    pub acknowledged: bool,
    pub created_at: DateTimeUtc,
    pub src_mac: Option<String>,
    pub dst_mac: Option<String>,
    /// The host a server alert was logged by.
    pub hostname: Option<String>,
    /// The import that brought it.
    pub import_id: Option<i64>,
    /// Its identity at its sensor, unique with its time and sensor (Suricata: flow id
    /// and signature): importing it again changes nothing.
    pub event_key: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
