//! Where imported objects came from: every file imported is an `imports` row (name,
//! size, SHA-256, format, source, who, through what, what it did), written in the
//! import's transaction, so it lands with the objects or not at all.
//!
//! A file on disk is hashed before it is read for records: one imported whole before
//! (same content, format, source and context) is skipped, and the summary says so. A
//! pipe is hashed as it is read; if it turns out to be a file imported before, the
//! import fails with a conflict and nothing changes. Either way the unique index on
//! the content settles two imports of the same file running at once.

use std::io::{Read, Seek};
use std::sync::{Arc, Mutex};

use chrono::Utc;
use entities::import;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, SqlErr};
use sha2::{Digest, Sha256};

use super::{Format, Options, Summary};
use crate::domain::error::{DomainError, DomainResult};

/// Through what an import came.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Via {
    /// The GraphQL API (an upload).
    #[default]
    Api,
    /// `pivot import` at the terminal.
    Cli,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Cli => "cli",
        }
    }
}

/// A file's size and SHA-256 (hex).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fingerprint {
    pub size: u64,
    pub sha256: String,
}

/// A reader that hashes what goes through it; [`Hashing::fingerprint`] tells the
/// result once the reader is done.
pub struct Hashed<R> {
    inner: R,
    state: Arc<Mutex<(Sha256, u64)>>,
}

/// The other end of a [`Hashed`] reader.
#[derive(Clone)]
pub struct Hashing(Arc<Mutex<(Sha256, u64)>>);

impl Hashing {
    pub fn fingerprint(&self) -> Fingerprint {
        let (hasher, size) = &*self.0.lock().expect("not poisoned");
        Fingerprint {
            size: *size,
            sha256: format!("{:x}", hasher.clone().finalize()),
        }
    }
}

impl<R: Read> Hashed<R> {
    pub fn new(inner: R) -> (Self, Hashing) {
        let state = Arc::new(Mutex::new((Sha256::new(), 0)));
        (
            Self {
                inner,
                state: state.clone(),
            },
            Hashing(state),
        )
    }
}

impl<R: Read> Read for Hashed<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let (hasher, size) = &mut *self.state.lock().expect("not poisoned");
        hasher.update(&buf[..n]);
        *size += n as u64;
        Ok(n)
    }
}

/// A regular file's fingerprint, read whole, the file rewound; `None` for what cannot
/// be read twice (a pipe, a device).
pub fn fingerprint(file: &mut std::fs::File) -> std::io::Result<Option<Fingerprint>> {
    if !file.metadata()?.is_file() {
        return Ok(None);
    }
    let (mut hashed, hashing) = Hashed::new(&mut *file);
    std::io::copy(&mut hashed, &mut std::io::sink())?;
    file.rewind()?;
    Ok(Some(hashing.fingerprint()))
}

pub fn label(format: Format) -> &'static str {
    match format {
        Format::Nmap => "nmap",
        Format::Zeek => "zeek",
        Format::Suricata => "suricata",
        Format::Ipdr => "ipdr",
    }
}

/// The context an import names, as stored: IPDR imports only, canonical.
fn context(format: Format, options: &Options) -> Option<String> {
    (format == Format::Ipdr).then(|| crate::domain::ipdr::canonical_name(options.context.as_deref()).to_string())
}

/// The import that brought the same content with the same format, source and context.
pub async fn earlier(
    db: &impl ConnectionTrait,
    format: Format,
    options: &Options,
    sha256: &str,
) -> DomainResult<Option<import::Model>> {
    let blank = |v: Option<String>| Expr::value(v.unwrap_or_default());
    Ok(import::Entity::find()
        .filter(import::Column::Sha256.eq(sha256))
        .filter(import::Column::BadRecords.eq(0))
        .filter(import::Column::Format.eq(label(format)))
        .filter(Expr::cust("coalesce(source, '')").eq(blank(options.source.clone())))
        .filter(Expr::cust("coalesce(context, '')").eq(blank(context(format, options))))
        .one(db)
        .await?)
}

/// Records that an import of `name` begins; its id goes on what it brings.
pub async fn begin(db: &impl ConnectionTrait, format: Format, name: &str, options: &Options) -> DomainResult<i64> {
    let row = import::ActiveModel {
        format: Set(label(format).into()),
        file_name: Set(name.chars().take(1024).collect()),
        size: Set(0),
        sha256: Set(None),
        source: Set(options.source.clone()),
        context: Set(context(format, options)),
        user_id: Set(options.user_id),
        via: Set(options.via.as_str().into()),
        started_at: Set(Utc::now()),
        finished_at: Set(None),
        read: Set(0),
        inserted: Set(0),
        updated: Set(0),
        unchanged: Set(0),
        skipped: Set(0),
        bad_records: Set(0),
        counts: Set("[]".into()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row.id)
}

/// Records what the import of one file did. The same content imported whole before
/// (seen only now, for a pipe, or by an import that committed meanwhile) is a conflict.
pub async fn finish(
    db: &impl ConnectionTrait,
    id: i64,
    name: &str,
    fingerprint: &Fingerprint,
    summary: &Summary,
) -> DomainResult<()> {
    let counts = serde_json::to_string(&summary.counts).expect("counts serialise");
    let done = import::ActiveModel {
        id: Set(id),
        size: Set(fingerprint.size as i64),
        sha256: Set(Some(fingerprint.sha256.clone())),
        finished_at: Set(Some(Utc::now())),
        read: Set(summary.read as i64),
        inserted: Set(summary.inserted as i64),
        updated: Set(summary.updated as i64),
        unchanged: Set(summary.unchanged as i64),
        skipped: Set(summary.skipped as i64),
        bad_records: Set(summary.bad_count() as i64),
        counts: Set(counts),
        ..Default::default()
    }
    .update(db)
    .await;
    match done {
        Ok(_) => Ok(()),
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => Err(DomainError::Conflict(
            format!("{name} was already imported whole, with the same format and source"),
        )),
        Err(e) => Err(e.into()),
    }
}

/// What to say of a file skipped because it was imported whole before.
pub fn already(name: &str, earlier: &import::Model) -> String {
    let named = if earlier.file_name == name {
        String::new()
    } else {
        format!(" as {}", earlier.file_name)
    };
    format!(
        "{name}: already imported whole{named} on {} (import {}); nothing changed",
        earlier.started_at.format("%Y-%m-%d %H:%M:%S UTC"),
        earlier.id,
    )
}
