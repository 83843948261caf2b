//! What investigators write down as they work a case (DFIR-IRIS's task logs, kept as
//! case activity), how a case ended (its outcome: false positive, true positive with or
//! without impact, …), and note groups inside note groups (IRIS v2's directories). The
//! parent is a plain column: SQLite cannot add a foreign key to a table, and the domain
//! keeps a group's parent in its case and free of cycles.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(CaseActivities::Table)
                .col(
                    ColumnDef::new(CaseActivities::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(CaseActivities::CaseId).big_integer().not_null())
                .col(ColumnDef::new(CaseActivities::UserId).big_integer().null())
                .col(ColumnDef::new(CaseActivities::Text).text().not_null())
                .col(
                    ColumnDef::new(CaseActivities::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_case_activities_case_id")
                        .from(CaseActivities::Table, CaseActivities::CaseId)
                        .to(Cases::Table, Cases::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_case_activities_user_id")
                        .from(CaseActivities::Table, CaseActivities::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_case_activities_case_id")
                .table(CaseActivities::Table)
                .col(CaseActivities::CaseId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_case_activities_user_id")
                .table(CaseActivities::Table)
                .col(CaseActivities::UserId)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Cases::Table)
                .add_column(ColumnDef::new(Cases::Outcome).text().not_null().default("unknown"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(NoteGroups::Table)
                .add_column(ColumnDef::new(NoteGroups::ParentId).big_integer().null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_note_groups_parent_id")
                .table(NoteGroups::Table)
                .col(NoteGroups::ParentId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_note_groups_parent_id")
                .table(NoteGroups::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(NoteGroups::Table)
                .drop_column(NoteGroups::ParentId)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Cases::Table)
                .drop_column(Cases::Outcome)
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table(CaseActivities::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum CaseActivities {
    Table,
    Id,
    CaseId,
    UserId,
    Text,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
    Outcome,
}

#[derive(DeriveIden)]
enum NoteGroups {
    Table,
    ParentId,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
