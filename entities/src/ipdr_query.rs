//! An IPDR query: who had `ip` between two times, in one context, run in the background.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "ipdr_queries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Who submitted it (its owner).
    pub user_id: i64,
    pub context_id: i64,
    /// The address key (`domain::ip`).
    pub ip: Vec<u8>,
    pub from_time: DateTimeUtc,
    pub to_time: DateTimeUtc,
    /// NEW, INPROGRESS, COMPLETED or CANCELED.
    pub status: String,
    pub message: String,
    /// Result rows written so far.
    pub found: i64,
    /// The last record written: the run goes on after it.
    pub cursor_time: Option<DateTimeUtc>,
    pub cursor_id: Option<i64>,
    /// The worker running it, while INPROGRESS.
    pub claimed_by: Option<String>,
    /// Renewed by its worker after every batch; a stale one means the worker is gone.
    pub heartbeat_at: Option<DateTimeUtc>,
    pub attempts: i32,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
