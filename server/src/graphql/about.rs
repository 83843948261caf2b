//! `systemInfo`: the version, memory, database size, estimated rows per table and the
//! health of the schema's indexes, for any signed-in caller (an operator's first look).

use async_graphql::{Context, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection};

use super::errors::Gql;
use crate::domain::about::{self, Dataset};

/// The tables `systemInfo` describes, and where their times are.
const DATASETS: &[Dataset] = &[
    Dataset {
        table: "alerts",
        span: Some(("occurred_at", "occurred_at")),
    },
    Dataset {
        table: "flows",
        span: Some(("started_at", "started_at")),
    },
    Dataset {
        table: "dns_records",
        span: Some(("first_seen", "last_seen")),
    },
    Dataset {
        table: "hosts",
        span: None,
    },
    Dataset {
        table: "ports",
        span: None,
    },
    Dataset {
        table: "devices",
        span: None,
    },
    Dataset {
        table: "cases",
        span: None,
    },
    Dataset {
        table: "iocs",
        span: None,
    },
];

#[derive(SimpleObject)]
pub struct SystemInfo {
    pub version: String,
    /// Resident memory of this server process.
    pub runtime_memory_bytes: i64,
    pub database: DatabaseInfo,
    pub schema_health: SchemaHealth,
}

#[derive(SimpleObject)]
pub struct DatabaseInfo {
    /// `sqlite` or `postgres`.
    pub backend: String,
    pub size_bytes: i64,
    pub tables: Vec<TableInfo>,
}

#[derive(SimpleObject)]
pub struct TableInfo {
    pub name: String,
    /// An estimate from the backend's statistics (PostgreSQL) or the largest ID (SQLite).
    pub row_count: i64,
    pub row_count_is_estimate: bool,
    /// Bytes with indexes; null on SQLite (measuring would read every page).
    pub size_bytes: Option<i64>,
    pub first_record_at: Option<DateTime<Utc>>,
    pub last_record_at: Option<DateTime<Utc>>,
}

#[derive(SimpleObject)]
pub struct SchemaHealth {
    pub is_healthy: bool,
    pub tables: Vec<TableHealth>,
}

/// A table's indexes against those the migrations create.
#[derive(SimpleObject)]
pub struct TableHealth {
    pub name: String,
    pub missing_indexes: Vec<String>,
    pub extra_indexes: Vec<String>,
    pub wrong_index_columns: Vec<String>,
    pub is_healthy: bool,
}

#[derive(Default)]
pub struct AboutQuery;

#[Object]
impl AboutQuery {
    async fn system_info(&self, ctx: &Context<'_>) -> Result<SystemInfo> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let mut tables = Vec::with_capacity(DATASETS.len());
        for d in DATASETS {
            let s = about::table_stats(db, d).await.gql()?;
            tables.push(TableInfo {
                name: d.table.into(),
                row_count: s.row_estimate,
                row_count_is_estimate: true,
                size_bytes: s.size_bytes,
                first_record_at: s.first,
                last_record_at: s.last,
            });
        }
        let expected = about::expected_indexes().await.gql()?;
        let present = about::indexes(db).await.gql()?;
        let health: Vec<TableHealth> = about::health(expected, &present)
            .into_iter()
            .map(|h| TableHealth {
                is_healthy: h.is_healthy(),
                name: h.table,
                missing_indexes: h.missing,
                extra_indexes: h.extra,
                wrong_index_columns: h.wrong_columns,
            })
            .collect();
        Ok(SystemInfo {
            version: env!("CARGO_PKG_VERSION").into(),
            runtime_memory_bytes: crate::process::resident_bytes() as i64,
            database: DatabaseInfo {
                backend: match db.get_database_backend() {
                    sea_orm::DbBackend::Postgres => "postgres",
                    _ => "sqlite",
                }
                .into(),
                size_bytes: about::database_size(db).await.gql()?,
                tables,
            },
            schema_health: SchemaHealth {
                is_healthy: health.iter().all(|h| h.is_healthy),
                tables: health,
            },
        })
    }
}
