//! What the database holds and whether its schema is whole, answered fast: row counts
//! are estimates from the backend's own bookkeeping, never a `COUNT(*)`, and time
//! spans are `MIN`/`MAX` of time columns (indexed where tables grow large).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use tokio::sync::OnceCell;

use super::error::DomainResult;

/// A table an operator asks about, and how its time span is read.
pub struct Dataset {
    pub table: &'static str,
    /// The columns of its earliest and latest times, read with `MIN`/`MAX`.
    pub span: Option<(&'static str, &'static str)>,
}

pub struct TableStats {
    pub row_estimate: i64,
    /// Bytes of the table with its indexes; unknown on SQLite, where measuring it reads
    /// every page.
    pub size_bytes: Option<i64>,
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
}

fn stmt(db: &impl ConnectionTrait, sql: String) -> Statement {
    Statement::from_string(db.get_database_backend(), sql)
}

/// The size of the whole database in bytes.
pub async fn database_size(db: &impl ConnectionTrait) -> DomainResult<i64> {
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => "SELECT pg_database_size(current_database())::bigint AS n",
        _ => "SELECT page_count * page_size AS n FROM pragma_page_count(), pragma_page_size()",
    };
    let row = db.query_one(stmt(db, sql.into())).await?;
    Ok(row.and_then(|r| r.try_get::<i64>("", "n").ok()).unwrap_or(0))
}

/// Estimated rows, size and time span of `d`.
pub async fn table_stats(db: &impl ConnectionTrait, d: &Dataset) -> DomainResult<TableStats> {
    let t = d.table;
    let (estimate, size) = match db.get_database_backend() {
        DbBackend::Postgres => {
            // reltuples is -1 before the first ANALYZE: then the largest id stands in.
            let sql = format!(
                "SELECT GREATEST(c.reltuples, 0)::bigint AS n, pg_total_relation_size(c.oid)::bigint AS size, \
                 c.reltuples < 0 AS unknown FROM pg_class c WHERE c.oid = '{t}'::regclass"
            );
            let row = db.query_one(stmt(db, sql)).await?;
            let n = row.as_ref().and_then(|r| r.try_get::<i64>("", "n").ok()).unwrap_or(0);
            let unknown = row
                .as_ref()
                .and_then(|r| r.try_get::<bool>("", "unknown").ok())
                .unwrap_or(true);
            let size = row.as_ref().and_then(|r| r.try_get::<i64>("", "size").ok());
            (if unknown { max_id(db, t).await? } else { n }, size)
        }
        // Ids only grow: the largest is the rows ever inserted, at no cost.
        _ => (max_id(db, t).await?, None),
    };
    let (first, last) = match d.span {
        Some((lo, hi)) => {
            let sql = format!("SELECT MIN({lo}) AS first, MAX({hi}) AS last FROM {t}");
            let row = db.query_one(stmt(db, sql)).await?;
            let get = |c: &str| {
                row.as_ref()
                    .and_then(|r| r.try_get::<Option<DateTime<Utc>>>("", c).ok().flatten())
            };
            (get("first"), get("last"))
        }
        None => (None, None),
    };
    Ok(TableStats {
        row_estimate: estimate,
        size_bytes: size,
        first,
        last,
    })
}

/// The largest ID of `table` (0 when empty): an index lookup.
pub(crate) async fn max_id(db: &impl ConnectionTrait, table: &str) -> DomainResult<i64> {
    let row = db
        .query_one(stmt(db, format!("SELECT MAX(id) AS n FROM {table}")))
        .await?;
    Ok(row
        .and_then(|r| r.try_get::<Option<i64>>("", "n").ok().flatten())
        .unwrap_or(0))
}

/// Indexes by table, each with its columns in order. Only Pivot's own (`ix_`, `ux_`):
/// the backends name the indexes of primary keys and constraints each their way.
pub type Indexes = BTreeMap<String, BTreeMap<String, Vec<String>>>;

pub async fn indexes(db: &impl ConnectionTrait) -> DomainResult<Indexes> {
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => {
            "SELECT t.relname AS tbl, i.relname AS idx, a.attname AS col FROM pg_index x \
             JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid \
             JOIN pg_namespace n ON n.oid = t.relnamespace \
             CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord) \
             LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
             WHERE n.nspname = current_schema() ORDER BY i.relname, k.ord"
        }
        _ => {
            "SELECT m.tbl_name AS tbl, m.name AS idx, ii.name AS col FROM sqlite_master m \
             JOIN pragma_index_info(m.name) ii WHERE m.type = 'index' ORDER BY m.name, ii.seqno"
        }
    };
    let mut out = Indexes::new();
    for row in db.query_all(stmt(db, sql.into())).await? {
        let (tbl, idx, col): (String, String, Option<String>) = (
            row.try_get("", "tbl")?,
            row.try_get("", "idx")?,
            row.try_get("", "col")?,
        );
        // A column of an index on an expression (`coalesce(sensor, '')`) has no name.
        let col = col.unwrap_or_else(|| "(expression)".into());
        if idx.starts_with("ix_") || idx.starts_with("ux_") {
            out.entry(tbl).or_default().entry(idx).or_default().push(col);
        }
    }
    Ok(out)
}

/// The indexes Pivot's migrations create: read once from a scratch in-memory database
/// they have just built, so that the list can never drift from them.
pub async fn expected_indexes() -> DomainResult<&'static Indexes> {
    static EXPECTED: OnceCell<Indexes> = OnceCell::const_new();
    EXPECTED
        .get_or_try_init(|| async {
            use migration::MigratorTrait;
            // Quietly: its migrations are not the server's news (sqlx logs each statement).
            let mut options = sea_orm::ConnectOptions::new("sqlite::memory:");
            options.sqlx_logging(false);
            let scratch = sea_orm::Database::connect(options).await?;
            migration::Migrator::up(&scratch, None).await?;
            let found = indexes(&scratch).await;
            scratch.close().await?;
            found
        })
        .await
}

/// How one table's indexes differ from what the migrations create.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TableHealth {
    pub table: String,
    pub missing: Vec<String>,
    pub extra: Vec<String>,
    /// Present under the expected name, on other columns.
    pub wrong_columns: Vec<String>,
}

impl TableHealth {
    pub fn is_healthy(&self) -> bool {
        self.missing.is_empty() && self.extra.is_empty() && self.wrong_columns.is_empty()
    }
}

/// Every table of either list, in name order.
pub fn health(expected: &Indexes, present: &Indexes) -> Vec<TableHealth> {
    let empty = BTreeMap::new();
    let mut tables: Vec<&String> = expected.keys().chain(present.keys()).collect();
    tables.sort();
    tables.dedup();
    tables
        .into_iter()
        .map(|t| {
            let (want, have) = (expected.get(t).unwrap_or(&empty), present.get(t).unwrap_or(&empty));
            TableHealth {
                table: t.clone(),
                missing: want.keys().filter(|i| !have.contains_key(*i)).cloned().collect(),
                extra: have.keys().filter(|i| !want.contains_key(*i)).cloned().collect(),
                wrong_columns: want
                    .iter()
                    .filter(|(i, cols)| have.get(*i).is_some_and(|c| c != *cols))
                    .map(|(i, _)| i.clone())
                    .collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx(list: &[(&str, &str, &[&str])]) -> Indexes {
        let mut out = Indexes::new();
        for (t, i, cols) in list {
            out.entry(t.to_string())
                .or_default()
                .insert(i.to_string(), cols.iter().map(|c| c.to_string()).collect());
        }
        out
    }

    #[test]
    fn differences_per_table() {
        let want = idx(&[
            ("flows", "ix_a", &["src"]),
            ("flows", "ix_b", &["dst"]),
            ("hosts", "ix_c", &["ip"]),
        ]);
        let have = idx(&[
            ("flows", "ix_a", &["src", "x"]),
            ("hosts", "ix_c", &["ip"]),
            ("hosts", "ix_d", &["n"]),
        ]);
        let h = health(&want, &have);
        assert_eq!(h.len(), 2);
        assert_eq!(
            (h[0].missing.clone(), h[0].wrong_columns.clone()),
            (vec!["ix_b".to_string()], vec!["ix_a".to_string()])
        );
        assert_eq!(h[1].extra, vec!["ix_d".to_string()]);
        assert!(!h[0].is_healthy() && !h[1].is_healthy());
        assert!(health(&want, &want).iter().all(TableHealth::is_healthy));
    }
}
