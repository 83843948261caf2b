//! Cases and what they own: IOCs, assets, notes, tasks, timeline, evidences.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Cases::Table)
                .col(
                    ColumnDef::new(Cases::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(Cases::Name).text().not_null())
                .col(ColumnDef::new(Cases::Description).text().not_null())
                .col(ColumnDef::new(Cases::SocId).text().null())
                .col(ColumnDef::new(Cases::Status).text().not_null())
                .col(ColumnDef::new(Cases::OpenedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Cases::ClosedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(Cases::CustomerId).big_integer().not_null())
                .col(ColumnDef::new(Cases::OpenedBy).big_integer().null())
                .col(ColumnDef::new(Cases::Summary).text().null())
                .col(ColumnDef::new(Cases::UpdatedAt).timestamp_with_time_zone().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_cases_customer_id")
                        .from(Cases::Table, Cases::CustomerId)
                        .to(Customers::Table, Customers::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_cases_opened_by")
                        .from(Cases::Table, Cases::OpenedBy)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_cases_status")
                .table(Cases::Table)
                .col(Cases::Status)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_cases_customer_id")
                .table(Cases::Table)
                .col(Cases::CustomerId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CaseAlerts::Table)
                .col(ColumnDef::new(CaseAlerts::CaseId).big_integer().not_null())
                .col(ColumnDef::new(CaseAlerts::AlertId).big_integer().not_null())
                .primary_key(Index::create().col(CaseAlerts::CaseId).col(CaseAlerts::AlertId))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_case_alerts_case_id")
                        .from(CaseAlerts::Table, CaseAlerts::CaseId)
                        .to(Cases::Table, Cases::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_case_alerts_alert_id")
                        .from(CaseAlerts::Table, CaseAlerts::AlertId)
                        .to(Alerts::Table, Alerts::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_case_alerts_alert_id")
                .table(CaseAlerts::Table)
                .col(CaseAlerts::AlertId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Iocs::Table)
                .col(
                    ColumnDef::new(Iocs::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(Iocs::IocType).text().not_null())
                .col(ColumnDef::new(Iocs::Value).text().not_null())
                .col(ColumnDef::new(Iocs::Description).text().null())
                .col(ColumnDef::new(Iocs::Tags).text().not_null())
                .col(ColumnDef::new(Iocs::Tlp).text().not_null())
                .col(ColumnDef::new(Iocs::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Iocs::UpdatedAt).timestamp_with_time_zone().not_null())
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
        .await?;
        m.create_index(
            Index::create()
                .name("ix_iocs_value")
                .table(Iocs::Table)
                .col(Iocs::Value)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(IocCases::Table)
                .col(ColumnDef::new(IocCases::IocId).big_integer().not_null())
                .col(ColumnDef::new(IocCases::CaseId).big_integer().not_null())
                .primary_key(Index::create().col(IocCases::IocId).col(IocCases::CaseId))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_ioc_cases_ioc_id")
                        .from(IocCases::Table, IocCases::IocId)
                        .to(Iocs::Table, Iocs::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_ioc_cases_case_id")
                        .from(IocCases::Table, IocCases::CaseId)
                        .to(Cases::Table, Cases::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_ioc_cases_case_id")
                .table(IocCases::Table)
                .col(IocCases::CaseId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AssetTypes::Table)
                .col(
                    ColumnDef::new(AssetTypes::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(AssetTypes::Name).text().not_null().unique_key())
                .col(ColumnDef::new(AssetTypes::Description).text().not_null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AnalysisStatuses::Table)
                .col(
                    ColumnDef::new(AnalysisStatuses::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(AnalysisStatuses::Name).text().not_null().unique_key())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Assets::Table)
                .col(
                    ColumnDef::new(Assets::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(Assets::CaseId).big_integer().not_null())
                .col(ColumnDef::new(Assets::AssetTypeId).big_integer().not_null())
                .col(ColumnDef::new(Assets::Name).text().not_null())
                .col(ColumnDef::new(Assets::Description).text().null())
                .col(ColumnDef::new(Assets::Ip).text().null())
                .col(ColumnDef::new(Assets::IpBytes).blob().null())
                .col(ColumnDef::new(Assets::Domain).text().null())
                .col(ColumnDef::new(Assets::CompromiseStatus).text().not_null())
                .col(ColumnDef::new(Assets::AnalysisStatusId).big_integer().null())
                .col(ColumnDef::new(Assets::Tags).text().not_null())
                .col(ColumnDef::new(Assets::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Assets::UpdatedAt).timestamp_with_time_zone().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_assets_case_id")
                        .from(Assets::Table, Assets::CaseId)
                        .to(Cases::Table, Cases::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_assets_asset_type_id")
                        .from(Assets::Table, Assets::AssetTypeId)
                        .to(AssetTypes::Table, AssetTypes::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_assets_analysis_status_id")
                        .from(Assets::Table, Assets::AnalysisStatusId)
                        .to(AnalysisStatuses::Table, AnalysisStatuses::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_assets_case_id")
                .table(Assets::Table)
                .col(Assets::CaseId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_assets_ip_bytes")
                .table(Assets::Table)
                .col(Assets::IpBytes)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(IocAssets::Table)
                .col(ColumnDef::new(IocAssets::IocId).big_integer().not_null())
                .col(ColumnDef::new(IocAssets::AssetId).big_integer().not_null())
                .primary_key(Index::create().col(IocAssets::IocId).col(IocAssets::AssetId))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_ioc_assets_ioc_id")
                        .from(IocAssets::Table, IocAssets::IocId)
                        .to(Iocs::Table, Iocs::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_ioc_assets_asset_id")
                        .from(IocAssets::Table, IocAssets::AssetId)
                        .to(Assets::Table, Assets::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_ioc_assets_asset_id")
                .table(IocAssets::Table)
                .col(IocAssets::AssetId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(NoteGroups::Table)
                .col(
                    ColumnDef::new(NoteGroups::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(NoteGroups::CaseId).big_integer().not_null())
                .col(ColumnDef::new(NoteGroups::Title).text().not_null())
                .col(
                    ColumnDef::new(NoteGroups::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_note_groups_case_id")
                        .from(NoteGroups::Table, NoteGroups::CaseId)
                        .to(Cases::Table, Cases::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_note_groups_case_id")
                .table(NoteGroups::Table)
                .col(NoteGroups::CaseId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Notes::Table)
                .col(
                    ColumnDef::new(Notes::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(Notes::Title).text().null())
                .col(ColumnDef::new(Notes::Body).text().not_null())
                .col(ColumnDef::new(Notes::Revision).integer().not_null())
                .col(ColumnDef::new(Notes::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Notes::UpdatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Notes::AuthorId).big_integer().null())
                .col(ColumnDef::new(Notes::SubjectType).text().not_null())
                .col(ColumnDef::new(Notes::SubjectId).big_integer().not_null())
                .col(ColumnDef::new(Notes::CaseId).big_integer().null())
                .col(ColumnDef::new(Notes::GroupId).big_integer().null())
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_notes_author_id")
                        .from(Notes::Table, Notes::AuthorId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_notes_case_id")
                        .from(Notes::Table, Notes::CaseId)
                        .to(Cases::Table, Cases::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_notes_group_id")
                        .from(Notes::Table, Notes::GroupId)
                        .to(NoteGroups::Table, NoteGroups::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_notes_subject_type_subject_id")
                .table(Notes::Table)
                .col(Notes::SubjectType)
                .col(Notes::SubjectId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_notes_case_id")
                .table(Notes::Table)
                .col(Notes::CaseId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_notes_group_id")
                .table(Notes::Table)
                .col(Notes::GroupId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(NoteRevisions::Table)
                .col(
                    ColumnDef::new(NoteRevisions::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(NoteRevisions::NoteId).big_integer().not_null())
                .col(ColumnDef::new(NoteRevisions::Revision).integer().not_null())
                .col(ColumnDef::new(NoteRevisions::Title).text().null())
                .col(ColumnDef::new(NoteRevisions::Body).text().not_null())
                .col(ColumnDef::new(NoteRevisions::AuthorId).big_integer().null())
                .col(
                    ColumnDef::new(NoteRevisions::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_note_revisions_note_id")
                        .from(NoteRevisions::Table, NoteRevisions::NoteId)
                        .to(Notes::Table, Notes::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_note_revisions_author_id")
                        .from(NoteRevisions::Table, NoteRevisions::AuthorId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_note_revisions_note_id_revision")
                .table(NoteRevisions::Table)
                .col(NoteRevisions::NoteId)
                .col(NoteRevisions::Revision)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Tasks::Table)
                .col(
                    ColumnDef::new(Tasks::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(Tasks::CaseId).big_integer().null())
                .col(ColumnDef::new(Tasks::Title).text().not_null())
                .col(ColumnDef::new(Tasks::Description).text().null())
                .col(ColumnDef::new(Tasks::Status).text().not_null())
                .col(ColumnDef::new(Tasks::AssigneeId).big_integer().null())
                .col(ColumnDef::new(Tasks::Tags).text().not_null())
                .col(ColumnDef::new(Tasks::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Tasks::UpdatedAt).timestamp_with_time_zone().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_tasks_case_id")
                        .from(Tasks::Table, Tasks::CaseId)
                        .to(Cases::Table, Cases::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_tasks_assignee_id")
                        .from(Tasks::Table, Tasks::AssigneeId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_tasks_case_id")
                .table(Tasks::Table)
                .col(Tasks::CaseId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(TimelineEvents::Table)
                .col(
                    ColumnDef::new(TimelineEvents::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(TimelineEvents::CaseId).big_integer().not_null())
                .col(ColumnDef::new(TimelineEvents::Title).text().not_null())
                .col(ColumnDef::new(TimelineEvents::Content).text().null())
                .col(
                    ColumnDef::new(TimelineEvents::OccurredAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(ColumnDef::new(TimelineEvents::Category).text().null())
                .col(ColumnDef::new(TimelineEvents::Source).text().null())
                .col(ColumnDef::new(TimelineEvents::Tags).text().not_null())
                .col(ColumnDef::new(TimelineEvents::Color).text().null())
                .col(
                    ColumnDef::new(TimelineEvents::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_timeline_events_case_id")
                        .from(TimelineEvents::Table, TimelineEvents::CaseId)
                        .to(Cases::Table, Cases::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_timeline_events_case_id_occurred_at")
                .table(TimelineEvents::Table)
                .col(TimelineEvents::CaseId)
                .col(TimelineEvents::OccurredAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(TimelineEventAssets::Table)
                .col(ColumnDef::new(TimelineEventAssets::EventId).big_integer().not_null())
                .col(ColumnDef::new(TimelineEventAssets::AssetId).big_integer().not_null())
                .primary_key(
                    Index::create()
                        .col(TimelineEventAssets::EventId)
                        .col(TimelineEventAssets::AssetId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_timeline_event_assets_event_id")
                        .from(TimelineEventAssets::Table, TimelineEventAssets::EventId)
                        .to(TimelineEvents::Table, TimelineEvents::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_timeline_event_assets_asset_id")
                        .from(TimelineEventAssets::Table, TimelineEventAssets::AssetId)
                        .to(Assets::Table, Assets::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_timeline_event_assets_asset_id")
                .table(TimelineEventAssets::Table)
                .col(TimelineEventAssets::AssetId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Evidences::Table)
                .col(
                    ColumnDef::new(Evidences::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(Evidences::CaseId).big_integer().not_null())
                .col(ColumnDef::new(Evidences::Filename).text().not_null())
                .col(ColumnDef::new(Evidences::Size).big_integer().null())
                .col(ColumnDef::new(Evidences::Hash).text().null())
                .col(ColumnDef::new(Evidences::Description).text().null())
                .col(ColumnDef::new(Evidences::AddedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Evidences::AddedBy).big_integer().null())
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_evidences_case_id")
                        .from(Evidences::Table, Evidences::CaseId)
                        .to(Cases::Table, Cases::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_evidences_added_by")
                        .from(Evidences::Table, Evidences::AddedBy)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_evidences_case_id")
                .table(Evidences::Table)
                .col(Evidences::CaseId)
                .to_owned(),
        )
        .await?;
        seed(m).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Evidences::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(TimelineEventAssets::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(TimelineEvents::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Tasks::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(NoteRevisions::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Notes::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(NoteGroups::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(IocAssets::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(Assets::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(AnalysisStatuses::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(AssetTypes::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(IocCases::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(Iocs::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(CaseAlerts::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(Cases::Table).to_owned()).await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
    Name,
    Description,
    SocId,
    Status,
    OpenedAt,
    ClosedAt,
    CustomerId,
    OpenedBy,
    Summary,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CaseAlerts {
    Table,
    CaseId,
    AlertId,
}

#[derive(DeriveIden)]
enum Iocs {
    Table,
    Id,
    IocType,
    Value,
    Description,
    Tags,
    Tlp,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum IocCases {
    Table,
    IocId,
    CaseId,
}

#[derive(DeriveIden)]
enum AssetTypes {
    Table,
    Id,
    Name,
    Description,
}

#[derive(DeriveIden)]
enum AnalysisStatuses {
    Table,
    Id,
    Name,
}

#[derive(DeriveIden)]
enum Assets {
    Table,
    Id,
    CaseId,
    AssetTypeId,
    Name,
    Description,
    Ip,
    IpBytes,
    Domain,
    CompromiseStatus,
    AnalysisStatusId,
    Tags,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum IocAssets {
    Table,
    IocId,
    AssetId,
}

#[derive(DeriveIden)]
enum NoteGroups {
    Table,
    Id,
    CaseId,
    Title,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Notes {
    Table,
    Id,
    Title,
    Body,
    Revision,
    CreatedAt,
    UpdatedAt,
    AuthorId,
    SubjectType,
    SubjectId,
    CaseId,
    GroupId,
}

#[derive(DeriveIden)]
enum NoteRevisions {
    Table,
    Id,
    NoteId,
    Revision,
    Title,
    Body,
    AuthorId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Tasks {
    Table,
    Id,
    CaseId,
    Title,
    Description,
    Status,
    AssigneeId,
    Tags,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TimelineEvents {
    Table,
    Id,
    CaseId,
    Title,
    Content,
    OccurredAt,
    Category,
    Source,
    Tags,
    Color,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TimelineEventAssets {
    Table,
    EventId,
    AssetId,
}

#[derive(DeriveIden)]
enum Evidences {
    Table,
    Id,
    CaseId,
    Filename,
    Size,
    Hash,
    Description,
    AddedAt,
    AddedBy,
}

#[derive(DeriveIden)]
enum Alerts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

/// The 21 asset types of DFIR-IRIS, with the ids IRIS gives them.
const ASSET_TYPES: [(&str, &str); 21] = [
    ("Account", "Generic Account"),
    ("Firewall", "Firewall"),
    ("Linux - Server", "Linux server"),
    ("Linux - Computer", "Linux computer"),
    ("Linux Account", "Linux Account"),
    ("Mac - Computer", "Mac computer"),
    ("Phone - Android", "Android Phone"),
    ("Phone - IOS", "Apple Phone"),
    ("Windows - Computer", "Standard Windows Computer"),
    ("Windows - Server", "Standard Windows Server"),
    ("Windows - DC", "Domain Controller"),
    ("Router", "Router"),
    ("Switch", "Switch"),
    ("VPN", "VPN"),
    ("WAF", "WAF"),
    ("Windows Account - Local", "Windows Account - Local"),
    ("Windows Account - Local - Admin", "Windows Account - Local - Admin"),
    ("Windows Account - AD", "Windows Account - AD"),
    ("Windows Account - AD - Admin", "Windows Account - AD - Admin"),
    ("Windows Account - AD - krbtgt", "Windows Account - AD - krbtgt"),
    ("Windows Account - AD - Service", "Windows Account - AD - krbtgt"),
];

/// The analysis statuses of DFIR-IRIS, in IRIS's order.
const ANALYSIS_STATUSES: [&str; 6] = ["Unspecified", "To be done", "Started", "Pending", "Canceled", "Done"];

async fn seed(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut types = Query::insert();
    types
        .into_table(AssetTypes::Table)
        .columns([AssetTypes::Id, AssetTypes::Name, AssetTypes::Description]);
    for (i, (name, description)) in ASSET_TYPES.iter().enumerate() {
        types.values_panic([(i as i64 + 1).into(), (*name).into(), (*description).into()]);
    }
    m.exec_stmt(types).await?;
    let mut statuses = Query::insert();
    statuses
        .into_table(AnalysisStatuses::Table)
        .columns([AnalysisStatuses::Id, AnalysisStatuses::Name]);
    for (i, name) in ANALYSIS_STATUSES.iter().enumerate() {
        statuses.values_panic([(i as i64 + 1).into(), (*name).into()]);
    }
    m.exec_stmt(statuses).await?;
    if m.get_database_backend() == sea_orm_migration::sea_orm::DatabaseBackend::Postgres {
        // Explicit ids leave the sequences behind; move them past the seeded rows.
        let db = m.get_connection();
        db.execute_unprepared(
            "SELECT setval(pg_get_serial_sequence('asset_types', 'id'), (SELECT MAX(id) FROM asset_types))",
        )
        .await?;
        db.execute_unprepared(
            "SELECT setval(pg_get_serial_sequence('analysis_statuses', 'id'), (SELECT MAX(id) FROM analysis_statuses))",
        )
        .await?;
    }
    Ok(())
}
