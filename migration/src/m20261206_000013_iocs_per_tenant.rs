//! The same indicator may be recorded once per tenant: a user limited to some customers
//! who adds an IOC that exists only in other customers' cases gets an IOC of its own,
//! rather than a conflict that would tell it the other customers' IOC exists. Duplicates
//! within what a caller can see are still refused by the domain; the index stays for
//! lookups by type and value.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ux_iocs_ioc_type_value")
                .table(Iocs::Table)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_iocs_ioc_type_value")
                .table(Iocs::Table)
                .col(Iocs::IocType)
                .col(Iocs::Value)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_iocs_ioc_type_value")
                .table(Iocs::Table)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_iocs_ioc_type_value")
                .table(Iocs::Table)
                .col(Iocs::IocType)
                .col(Iocs::Value)
                .unique()
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum Iocs {
    Table,
    IocType,
    Value,
}
