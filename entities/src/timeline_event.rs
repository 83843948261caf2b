//! An event on the timeline of a case.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "timeline_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub case_id: i64,
    pub title: String,
    pub content: Option<String>,
    pub occurred_at: DateTimeUtc,
    pub category: Option<String>,
    pub source: Option<String>,
    pub tags: String,
    pub color: Option<String>,
    pub created_at: DateTimeUtc,
    /// A JSON object, as text.
    pub custom_attributes: Option<String>,
    /// The source text the event was read from (a log line...).
    pub raw: Option<String>,
    /// The UTC offset the event was reported in (`+02:00`).
    pub timezone: Option<String>,
    pub in_summary: bool,
    pub in_graph: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
