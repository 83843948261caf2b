//! Database connections: backend detection, SQLite defaults (file created, WAL),
//! migrations, and a statement counter that `/metrics` exposes.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};

/// Counts the SQL statements a connection sent: the no-N+1 rule is tested against it.
#[derive(Clone, Default, Debug)]
pub struct StatementCounter(Arc<AtomicU64>);

impl StatementCounter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Opens the database at `url`, creating a SQLite file (and its folder) when missing.
/// `statement_timeout` bounds each statement on PostgreSQL (interactive use); SQLite
/// has no such setting and relies on the request timeout instead.
pub async fn connect(
    url: &str,
    statement_timeout: Option<Duration>,
) -> anyhow::Result<(DatabaseConnection, StatementCounter)> {
    let size = if is_sqlite(url) { 8 } else { 16 };
    // Once, for the first pool: the others of a process open on a database known to answer.
    if !is_sqlite(url) {
        reachable(url).await?;
    }
    connect_pool(url, statement_timeout, size).await
}

/// How long a first connection to PostgreSQL may take before Pivot says why not.
const REACH: Duration = Duration::from_secs(5);

/// One connection to the PostgreSQL server at `url`, to say at once why it cannot be
/// reached (refused, unknown host, authentication, no such database): the pool would
/// retry for 30 s and then report only that it timed out.
async fn reachable(url: &str) -> anyhow::Result<()> {
    use sea_orm::sqlx::Connection;
    let attempt = sea_orm::sqlx::postgres::PgConnection::connect(url);
    match tokio::time::timeout(REACH, attempt).await {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            Ok(())
        }
        Ok(Err(e)) => anyhow::bail!("cannot reach the database {}: {e}", redact(url)),
        Err(_) => anyhow::bail!(
            "cannot reach the database {}: no answer within {} s",
            redact(url),
            REACH.as_secs()
        ),
    }
}

/// Rows sqlx's SQLite worker may read ahead of their reader.
const ROW_CHANNEL: usize = 1024;

/// The same with a pool of `max_connections`: the alert bus has a small one of its own,
/// so that requests never wait for it, nor it for them.
pub async fn connect_pool(
    url: &str,
    statement_timeout: Option<Duration>,
    max_connections: u32,
) -> anyhow::Result<(DatabaseConnection, StatementCounter)> {
    let url = prepare_sqlite(url)?;
    let mut options = ConnectOptions::new(url.clone());
    options.sqlx_logging(false).max_connections(max_connections);
    if let Some(timeout) = statement_timeout {
        let millis = timeout.as_millis().to_string();
        options.map_sqlx_postgres_opts(move |o| o.options([("statement_timeout", millis.as_str())]));
    }
    let busy = if statement_timeout.is_some() {
        INTERACTIVE_BUSY
    } else {
        BACKGROUND_BUSY
    };
    options.map_sqlx_sqlite_opts(move |o| {
        o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
            .busy_timeout(busy)
            // After each checkpoint the WAL shrinks back to 64 MiB at most: a large
            // import (or one killed half-way) leaves no gigabytes of WAL behind.
            .pragma("journal_size_limit", (64u64 << 20).to_string())
            .foreign_keys(true)
            // `regexp(pattern, text)` for filters' regular expressions (PostgreSQL gets the
            // same function from a migration).
            .with_regexp()
            // sqlx's SQLite worker thread hands rows over through a channel of this many
            // and sleeps when it is full: the default (50) makes a large read (an export)
            // a ping-pong of thread wake-ups. Rows are buffered only while a reader lags.
            .row_buffer_size(ROW_CHANNEL)
    });
    let mut db = Database::connect(options)
        .await
        .with_context(|| format!("cannot open database {}", redact(&url)))?;
    let counter = StatementCounter::default();
    let inner = counter.0.clone();
    db.set_metric_callback(move |_| {
        inner.fetch_add(1, Ordering::Relaxed);
    });
    Ok((db, counter))
}

/// How long a SQLite connection waits for the write lock: twice this stays below the
/// 5 s budget of an interactive request (see [`WriteGate::enter`]), so that a write queued behind an import fails with a
/// retryable error instead of holding its connection past its request's end.
/// Pools without an interactive timeout (the CLI, background work) wait longer.
const INTERACTIVE_BUSY: Duration = Duration::from_secs(2);
const BACKGROUND_BUSY: Duration = Duration::from_secs(10);
/// How long an import waits for another one of this process to finish.
const BULK_WAIT: Duration = Duration::from_secs(600);

/// On SQLite, the one writer at a time: mutations wait for their turn here, holding no
/// pooled connection, so that readers (which WAL never blocks) always find one.
#[derive(Clone)]
pub struct WriteGate(Option<Arc<tokio::sync::Semaphore>>);

impl WriteGate {
    pub fn for_backend(db: &DatabaseConnection) -> Self {
        Self(
            (db.get_database_backend() == sea_orm::DbBackend::Sqlite).then(|| Arc::new(tokio::sync::Semaphore::new(1))),
        )
    }

    /// Waits for the turn to write: up to [`INTERACTIVE_BUSY`] (and then as long again,
    /// at most, for SQLite's lock: together within a request's 5 s), or for `bulk` work
    /// (an import, under its hour) up to [`BULK_WAIT`]. An error when another write
    /// holds it longer.
    pub async fn enter(&self, bulk: bool) -> Result<Option<tokio::sync::OwnedSemaphorePermit>, ()> {
        let Some(gate) = &self.0 else { return Ok(None) };
        let wait = if bulk { BULK_WAIT } else { INTERACTIVE_BUSY };
        match tokio::time::timeout(wait, gate.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(Some(permit)),
            _ => Err(()),
        }
    }
}

/// On SQLite, takes the database's one write lock now, waiting for it as long as the
/// busy timeout allows. A transaction that reads first and writes later would otherwise
/// fail at its first write, without waiting (SQLITE_BUSY_SNAPSHOT), whenever another
/// writer committed in between. PostgreSQL needs nothing of the kind.
pub async fn write_lock(tx: &impl ConnectionTrait) -> Result<(), sea_orm::DbErr> {
    if tx.get_database_backend() == sea_orm::DbBackend::Sqlite {
        // A write that changes nothing still takes the lock.
        tx.execute_unprepared("UPDATE users SET id = id WHERE 0").await?;
    }
    Ok(())
}

/// On PostgreSQL, takes the transaction-scoped advisory locks named by `names` (each a
/// purpose and a value), in one order whoever asks, held to the commit; replicas on one
/// database share them. SQLite needs none: [`write_lock`] serialises its writers.
pub async fn advisory_locks(tx: &impl ConnectionTrait, names: &[(&str, &str)]) -> Result<(), sea_orm::DbErr> {
    use sha2::Digest;
    if tx.get_database_backend() != sea_orm::DbBackend::Postgres {
        return Ok(());
    }
    let mut keys: Vec<i64> = names
        .iter()
        .map(|(what, value)| {
            let digest = sha2::Sha256::digest(format!("{what}\0{value}").as_bytes());
            i64::from_be_bytes(digest[..8].try_into().expect("eight bytes"))
        })
        .collect();
    keys.sort_unstable();
    keys.dedup();
    for key in keys {
        tx.execute(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [key.into()],
        ))
        .await?;
    }
    Ok(())
}

/// `(?,?),(?,?)` (SQLite) or `($1,$2),($3,$4)` (PostgreSQL) for `rows` rows of `per_row`.
pub fn placeholders(pg: bool, rows: usize, per_row: usize) -> String {
    let mut out = String::new();
    for r in 0..rows {
        out.push_str(if r == 0 { "(" } else { ",(" });
        for c in 0..per_row {
            if c > 0 {
                out.push(',');
            }
            if pg {
                let _ = write!(out, "${}", r * per_row + c + 1);
            } else {
                out.push('?');
            }
        }
        out.push(')');
    }
    out
}

/// Brings the schema up to date.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    let pending = Migrator::get_pending_migrations(db)
        .await
        .context("reading the database's migrations")?
        .len();
    Migrator::up(db, None).await.context("migrating the database")?;
    // One line, not one per migration (sea-orm-migration's own are kept to warnings).
    if pending > 0 {
        tracing::info!("applied {pending} schema migrations");
    }
    if db.get_database_backend() == sea_orm::DbBackend::Sqlite {
        // A WAL left large by a killed process is given back now, not at some later
        // checkpoint (best effort: a reader holding a snapshot keeps it for a while).
        if let Err(e) = db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)").await {
            tracing::debug!(error = %e, "truncating the WAL");
        }
    }
    Ok(())
}

/// (open connections, idle ones) of `db`'s pool.
pub fn pool_use(db: &DatabaseConnection) -> (u32, u32) {
    match db {
        DatabaseConnection::SqlxSqlitePoolConnection(_) => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle() as u32)
        }
        DatabaseConnection::SqlxPostgresPoolConnection(_) => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle() as u32)
        }
        _ => (0, 0),
    }
}

/// True when the database answers a trivial statement.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}

/// Fails, naming it, when the SQLite database at `url` does not exist. Only `serve`,
/// `migrate` and `demo` create a database: any other command run from another folder,
/// or with a mistyped path, must not make an empty one and report success. (PostgreSQL
/// refuses a missing database by itself.)
pub fn require_existing(url: &str) -> anyhow::Result<()> {
    if !is_sqlite(url) {
        return Ok(());
    }
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let path = Path::new(rest.split('?').next().unwrap_or_default());
    if !path.exists() {
        let shown = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        anyhow::bail!(
            "no database at {}: give the right one with --database (or PIVOT_DATABASE_URL), or create it with `pivot migrate --database {url}`",
            shown.display()
        );
    }
    Ok(())
}

fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

/// Makes `sqlite://path` open read-write-create, and creates the folder of the file.
fn prepare_sqlite(url: &str) -> anyhow::Result<String> {
    if !is_sqlite(url) {
        return Ok(url.to_string());
    }
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        anyhow::bail!("Pivot needs a SQLite file (sqlite://path/to/pivot.db), not an in-memory database");
    }
    if let Some(dir) = Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    Ok(if rest.contains("mode=") {
        url.to_string()
    } else if rest.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    })
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => match url[s + 3..at].find(':') {
            Some(colon) => format!("{}:***{}", &url[..s + 3 + colon], &url[at..]),
            None => url.to_string(),
        },
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_open_read_write_create() {
        let dir = std::env::temp_dir().join("pivot-db-url-test");
        let url = format!("sqlite://{}/x.db", dir.display());
        assert_eq!(prepare_sqlite(&url).unwrap(), format!("{url}?mode=rwc"));
        assert!(dir.is_dir());
        assert!(prepare_sqlite("sqlite::memory:").is_err());
        assert_eq!(prepare_sqlite("postgres://a@b/c").unwrap(), "postgres://a@b/c");
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
    }
}
