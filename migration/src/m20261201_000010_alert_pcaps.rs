//! Packet captures owned by network alerts (Intrudect's `pcap_id`): one row per alert
//! at most, holding a complete libpcap file. The row goes with its alert — the foreign
//! key cascades, so a deletion removes both in one statement and one transaction.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AlertPcaps::Table)
                .col(
                    ColumnDef::new(AlertPcaps::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(AlertPcaps::AlertId)
                        .big_integer()
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(AlertPcaps::Packets).integer().not_null())
                .col(ColumnDef::new(AlertPcaps::Bytes).big_integer().not_null())
                .col(ColumnDef::new(AlertPcaps::Data).blob().not_null())
                .col(
                    ColumnDef::new(AlertPcaps::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(AlertPcaps::Table, AlertPcaps::AlertId)
                        .to(Alerts::Table, Alerts::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(AlertPcaps::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum AlertPcaps {
    Table,
    Id,
    AlertId,
    Packets,
    Bytes,
    Data,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Alerts {
    Table,
    Id,
}
