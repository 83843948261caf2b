//! Where data came from: the scans and the files imported, as the graph filters them.

use async_graphql::InputObject;
use entities::{import, scan};
use serde::Serialize;

use super::ids::Kind;
use super::ipdr::context_name;
use super::query::{lower, stored, IdOp, IntOp, TextOp, TimeOp};

/// Which scans: conditions on their fields, composed with `and`, `or` and `not`.
#[derive(InputObject, Serialize, Clone, Debug, Default)]
pub struct ScanFilter {
    pub and: Option<Vec<ScanFilter>>,
    pub or: Option<Vec<ScanFilter>>,
    pub not: Option<Box<ScanFilter>>,
    /// `nmap`, `masscan` ... (stored lower case).
    pub tool: Option<TextOp>,
    pub name: Option<TextOp>,
    /// The command line.
    pub args: Option<TextOp>,
    /// Where it was run from, as the import said.
    pub source: Option<TextOp>,
    /// Has this category.
    pub category: Option<String>,
    pub import_id: Option<IdOp>,
    pub started_at: Option<TimeOp>,
    pub ended_at: Option<TimeOp>,
    pub created_at: Option<TimeOp>,
}

crate::where_impl!(ScanFilter, scan::Entity, |f, c| {
    use scan::Column as C;
    c.on("tool", &stored(&f.tool, lower), C::Tool)?;
    c.on("name", &f.name, C::Name)?;
    c.on("args", &f.args, C::Args)?;
    c.on("source", &f.source, C::Source)?;
    c.tagged("category", &f.category, C::Categories)?;
    c.on_id("importId", &f.import_id, Kind::Import, C::ImportId)?;
    c.on("startedAt", &f.started_at, C::StartedAt)?;
    c.on("endedAt", &f.ended_at, C::EndedAt)?;
    c.on("createdAt", &f.created_at, C::CreatedAt)?;
});

crate::fields! {
    /// The fields scans sort, group and bucket by.
    ScanField, ScanOrder for scan {
        Tool => Tool: Text,
        Name => Name: Text,
        Source => Source: Text,
        StartedAt => StartedAt: Time,
        EndedAt => EndedAt: Time,
        CreatedAt => CreatedAt: Time,
    }
}

/// Which imports: conditions on their fields, composed with `and`, `or` and `not`.
#[derive(InputObject, Serialize, Clone, Debug, Default)]
pub struct ImportFilter {
    pub and: Option<Vec<ImportFilter>>,
    pub or: Option<Vec<ImportFilter>>,
    pub not: Option<Box<ImportFilter>>,
    /// `nmap`, `zeek`, `suricata` or `ipdr`.
    pub format: Option<TextOp>,
    pub file_name: Option<TextOp>,
    /// Size in bytes.
    pub size: Option<IntOp>,
    /// The file's SHA-256, hex.
    pub sha256: Option<TextOp>,
    pub source: Option<TextOp>,
    /// The IPDR context of an IPDR import (`context0` is `default`).
    pub context: Option<TextOp>,
    /// Who imported it.
    pub user_id: Option<IdOp>,
    /// `api` (an upload) or `cli` (`pivot import`).
    pub via: Option<TextOp>,
    pub bad_records: Option<IntOp>,
    pub started_at: Option<TimeOp>,
    pub finished_at: Option<TimeOp>,
}

crate::where_impl!(ImportFilter, import::Entity, |f, c| {
    use import::Column as C;
    c.on("format", &stored(&f.format, lower), C::Format)?;
    c.on("fileName", &f.file_name, C::FileName)?;
    c.on("size", &f.size, C::Size)?;
    c.on("sha256", &stored(&f.sha256, lower), C::Sha256)?;
    c.on("source", &f.source, C::Source)?;
    c.on("context", &stored(&f.context, context_name), C::Context)?;
    c.on_id("userId", &f.user_id, Kind::User, C::UserId)?;
    c.on("via", &f.via, C::Via)?;
    c.on("badRecords", &f.bad_records, C::BadRecords)?;
    c.on("startedAt", &f.started_at, C::StartedAt)?;
    c.on("finishedAt", &f.finished_at, C::FinishedAt)?;
});

crate::fields! {
    /// The fields imports sort, group and bucket by.
    ImportField, ImportOrder for import {
        Format => Format: Text,
        FileName => FileName: Text,
        Size => Size: Int,
        Source => Source: Text,
        Context => Context: Text,
        User => UserId: Int,
        Via => Via: Text,
        StartedAt => StartedAt: Time,
        FinishedAt => FinishedAt: Time,
    }
}
