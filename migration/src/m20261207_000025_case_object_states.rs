//! A counter per case and family of its objects (assets, evidences, IOCs, notes,
//! tasks, timeline), raised by every change to one of them, with the time of the last:
//! how a client that shows a case knows, cheaply, that a part of it changed
//! (DFIR-IRIS's object states).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(CaseObjectStates::Table)
                .col(ColumnDef::new(CaseObjectStates::CaseId).big_integer().not_null())
                .col(ColumnDef::new(CaseObjectStates::Family).string().not_null())
                .col(ColumnDef::new(CaseObjectStates::State).big_integer().not_null())
                .col(
                    ColumnDef::new(CaseObjectStates::UpdatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(CaseObjectStates::CaseId)
                        .col(CaseObjectStates::Family),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_case_object_states_case_id")
                        .from(CaseObjectStates::Table, CaseObjectStates::CaseId)
                        .to(Cases::Table, Cases::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(CaseObjectStates::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum CaseObjectStates {
    Table,
    CaseId,
    Family,
    State,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
}
