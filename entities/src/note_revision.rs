//! A past state of a note.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "note_revisions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub note_id: i64,
    pub revision: i32,
    pub title: Option<String>,
    pub body: String,
    pub author_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
