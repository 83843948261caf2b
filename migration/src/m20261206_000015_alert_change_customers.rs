//! A change of an alert's cases names the customer of the case, so that live
//! subscribers limited to other customers are not told of it (they would learn that an
//! alert was attached to a case they cannot see, and when).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(AlertChanges::Table)
                .add_column(ColumnDef::new(AlertChanges::CustomerId).big_integer().null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(AlertChanges::Table)
                .drop_column(AlertChanges::CustomerId)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum AlertChanges {
    Table,
    CustomerId,
}
