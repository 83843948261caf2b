//! One file imported: what it was, who brought it and through what, and what it did.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "imports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `nmap`, `zeek`, `suricata` or `ipdr`.
    pub format: String,
    pub file_name: String,
    /// Bytes as given (compressed, if it was).
    pub size: i64,
    /// Hex; unique with the format, source and context once the import is done.
    pub sha256: Option<String>,
    pub source: Option<String>,
    pub context: Option<String>,
    /// None for imports at the terminal (`via` says `cli`) or by a deleted user.
    pub user_id: Option<i64>,
    /// `cli` or `api`.
    pub via: String,
    pub started_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    pub read: i64,
    pub inserted: i64,
    pub updated: i64,
    /// Records already there (the same identity imported before).
    pub unchanged: i64,
    pub skipped: i64,
    /// Records left out because they could not be read (`--skip-bad-records`): the
    /// file was not imported whole.
    pub bad_records: i64,
    /// Per kind of object, as JSON: `[{"kind": "flows", "added": 3, "updated": 0, "unchanged": 1}]`.
    pub counts: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
