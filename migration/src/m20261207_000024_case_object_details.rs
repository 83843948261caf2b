//! What case-management tools keep of a case's objects beside Pivot's fields: free-form
//! custom attributes on evidences, tasks, notes and timeline events, and of a timeline
//! event its raw source text, the timezone it was reported in, and whether it belongs
//! in the case's summary and graph.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

const ADDED: [(&str, &str, &str); 8] = [
    ("evidences", "custom_attributes", "text"),
    ("tasks", "custom_attributes", "text"),
    ("notes", "custom_attributes", "text"),
    ("timeline_events", "custom_attributes", "text"),
    ("timeline_events", "raw", "text"),
    ("timeline_events", "timezone", "text"),
    ("timeline_events", "in_summary", "boolean NOT NULL DEFAULT false"),
    ("timeline_events", "in_graph", "boolean NOT NULL DEFAULT true"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, column, kind) in ADDED {
            m.get_connection()
                .execute_unprepared(&format!("ALTER TABLE {table} ADD COLUMN {column} {kind}"))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, column, _) in ADDED {
            m.get_connection()
                .execute_unprepared(&format!("ALTER TABLE {table} DROP COLUMN {column}"))
                .await?;
        }
        Ok(())
    }
}
