//! What the one query model needs of the database: `regexp(pattern, text)` on
//! PostgreSQL, the function SQLite connections register (sqlx's `regexp`), so that a
//! filter's regular expression is one SQL text on both.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DbBackend::Postgres {
            // A plain SQL function: PostgreSQL inlines it into `value ~ pattern`.
            m.get_connection()
                .execute_unprepared(
                    "CREATE OR REPLACE FUNCTION regexp(pattern text, value text) RETURNS boolean \
                     LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT value ~ pattern'",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DbBackend::Postgres {
            m.get_connection()
                .execute_unprepared("DROP FUNCTION IF EXISTS regexp(text, text)")
                .await?;
        }
        Ok(())
    }
}
