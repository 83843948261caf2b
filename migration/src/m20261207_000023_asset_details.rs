//! What an investigator notes of an asset beside its name and addresses (`info`: the
//! free text DFIR-IRIS keeps as `asset_info`), and its free-form custom attributes.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for statement in [
            "ALTER TABLE assets ADD COLUMN info text",
            "ALTER TABLE assets ADD COLUMN custom_attributes text",
        ] {
            m.get_connection().execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for statement in [
            "ALTER TABLE assets DROP COLUMN info",
            "ALTER TABLE assets DROP COLUMN custom_attributes",
        ] {
            m.get_connection().execute_unprepared(statement).await?;
        }
        Ok(())
    }
}
