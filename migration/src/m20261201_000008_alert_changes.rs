//! The log of alert changes that live subscriptions read (server/src/live): one row per
//! alert created, updated, linked to or unlinked from a case, or deleted, written by
//! the transaction that made the change. `seq` is the cursor subscribers resume from.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AlertChanges::Table)
                .col(
                    ColumnDef::new(AlertChanges::Seq)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                // No foreign key: the log outlives the alerts it names (deletions).
                .col(ColumnDef::new(AlertChanges::AlertId).big_integer().not_null())
                .col(ColumnDef::new(AlertChanges::Change).small_integer().not_null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_alert_changes_alert_id")
                .table(AlertChanges::Table)
                .col(AlertChanges::AlertId)
                .to_owned(),
        )
        .await?;
        // Alerts that exist already were created before the log: in id order.
        m.get_connection()
            .execute_unprepared("INSERT INTO alert_changes (alert_id, change) SELECT id, 0 FROM alerts ORDER BY id")
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(AlertChanges::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum AlertChanges {
    Table,
    Seq,
    AlertId,
    Change,
}
