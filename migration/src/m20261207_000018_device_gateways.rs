//! Whether a device's last address is a network's gateway, kept on the device so that
//! devices filter and sort by it like by any other field (keyset paging needs a column):
//! the domain sets it whenever a network's gateway or a device's address changes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Devices::Table)
                .add_column(ColumnDef::new(Devices::IsGateway).boolean().not_null().default(false))
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                "UPDATE devices SET is_gateway = EXISTS \
                 (SELECT 1 FROM networks WHERE networks.gateway_ip = devices.last_ip)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Devices::Table)
                .drop_column(Devices::IsGateway)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum Devices {
    Table,
    IsGateway,
}
