//! IPDR queries (Trisul's `ipdr_controls`): one row per query, claimed by a worker of
//! any replica, with the cursor of how far it got so that a query interrupted by a
//! crash goes on from there. Results are copies of the matching records (the records
//! themselves may be dropped a partition at a time, so nothing refers to them).
//!
//! Also: per-user access to contexts (a user with rows here reaches only those
//! contexts), each context's longest record (how far before a window a record that
//! overlaps it can start), and the `flows` context through which Zeek flows are read
//! as IPDR records.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(IpdrContexts::Table)
                .add_column(
                    ColumnDef::new(IpdrContexts::LongestSeconds)
                        .double()
                        .not_null()
                        .default(0.0),
                )
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(IpdrContexts::Table)
                .add_column(
                    ColumnDef::new(IpdrContexts::Source)
                        .string()
                        .not_null()
                        .default("records"),
                )
                .to_owned(),
        )
        .await?;
        // A context of records someone already named `flows` stays what it is.
        m.get_connection()
            .execute_unprepared(
                "INSERT INTO ipdr_contexts (name, created_at, longest_seconds, source) \
                 SELECT 'flows', CURRENT_TIMESTAMP, 0, 'flows' \
                 WHERE NOT EXISTS (SELECT 1 FROM ipdr_contexts WHERE name = 'flows')",
            )
            .await?;

        m.create_table(
            Table::create()
                .table(UserIpdrContexts::Table)
                .col(ColumnDef::new(UserIpdrContexts::UserId).big_integer().not_null())
                .col(ColumnDef::new(UserIpdrContexts::ContextId).big_integer().not_null())
                .primary_key(
                    Index::create()
                        .col(UserIpdrContexts::UserId)
                        .col(UserIpdrContexts::ContextId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_user_ipdr_contexts_user_id")
                        .from(UserIpdrContexts::Table, UserIpdrContexts::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_user_ipdr_contexts_context_id")
                        .from(UserIpdrContexts::Table, UserIpdrContexts::ContextId)
                        .to(IpdrContexts::Table, IpdrContexts::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;

        let time = |c: IpdrQueries| ColumnDef::new(c).timestamp_with_time_zone().to_owned();
        m.create_table(
            Table::create()
                .table(IpdrQueries::Table)
                .col(
                    ColumnDef::new(IpdrQueries::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(IpdrQueries::UserId).big_integer().not_null())
                .col(ColumnDef::new(IpdrQueries::ContextId).big_integer().not_null())
                .col(ColumnDef::new(IpdrQueries::Ip).blob().not_null())
                .col(time(IpdrQueries::FromTime).not_null())
                .col(time(IpdrQueries::ToTime).not_null())
                .col(ColumnDef::new(IpdrQueries::Status).string().not_null())
                .col(ColumnDef::new(IpdrQueries::Message).string().not_null())
                .col(ColumnDef::new(IpdrQueries::Found).big_integer().not_null().default(0))
                .col(time(IpdrQueries::CursorTime))
                .col(ColumnDef::new(IpdrQueries::CursorId).big_integer())
                .col(ColumnDef::new(IpdrQueries::ClaimedBy).string())
                .col(time(IpdrQueries::HeartbeatAt))
                .col(ColumnDef::new(IpdrQueries::Attempts).integer().not_null().default(0))
                .col(time(IpdrQueries::CreatedAt).not_null())
                .col(time(IpdrQueries::StartedAt))
                .col(time(IpdrQueries::FinishedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_ipdr_queries_user_id")
                        .from(IpdrQueries::Table, IpdrQueries::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_ipdr_queries_context_id")
                        .from(IpdrQueries::Table, IpdrQueries::ContextId)
                        .to(IpdrContexts::Table, IpdrContexts::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // Workers look for work by status; owners list theirs newest first.
        m.create_index(
            Index::create()
                .name("ix_ipdr_queries_status")
                .table(IpdrQueries::Table)
                .col(IpdrQueries::Status)
                .col(IpdrQueries::Id)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_ipdr_queries_user")
                .table(IpdrQueries::Table)
                .col(IpdrQueries::UserId)
                .col(IpdrQueries::Id)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(IpdrQueryRows::Table)
                .col(
                    ColumnDef::new(IpdrQueryRows::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(IpdrQueryRows::QueryId).big_integer().not_null())
                .col(ColumnDef::new(IpdrQueryRows::Protocol).string().not_null())
                .col(ColumnDef::new(IpdrQueryRows::SrcIp).blob().not_null())
                .col(ColumnDef::new(IpdrQueryRows::SrcPort).integer())
                .col(ColumnDef::new(IpdrQueryRows::DstIp).blob().not_null())
                .col(ColumnDef::new(IpdrQueryRows::DstPort).integer())
                .col(
                    ColumnDef::new(IpdrQueryRows::StartTime)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(ColumnDef::new(IpdrQueryRows::EndTime).timestamp_with_time_zone())
                .col(ColumnDef::new(IpdrQueryRows::Duration).double())
                .col(ColumnDef::new(IpdrQueryRows::UserId).string())
                .col(ColumnDef::new(IpdrQueryRows::SubscriberId).string())
                .col(ColumnDef::new(IpdrQueryRows::NatIp).blob())
                .col(ColumnDef::new(IpdrQueryRows::NatPort).integer())
                .col(ColumnDef::new(IpdrQueryRows::DeviceIp).blob())
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_ipdr_query_rows_query_id")
                        .from(IpdrQueryRows::Table, IpdrQueryRows::QueryId)
                        .to(IpdrQueries::Table, IpdrQueries::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_ipdr_query_rows_query")
                .table(IpdrQueryRows::Table)
                .col(IpdrQueryRows::QueryId)
                .col(IpdrQueryRows::Id)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(IpdrQueryRows::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(IpdrQueries::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(UserIpdrContexts::Table).to_owned())
            .await?;
        m.get_connection()
            .execute_unprepared("DELETE FROM ipdr_contexts WHERE name = 'flows'")
            .await?;
        for column in [IpdrContexts::Source, IpdrContexts::LongestSeconds] {
            m.alter_table(Table::alter().table(IpdrContexts::Table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum IpdrContexts {
    Table,
    Id,
    LongestSeconds,
    Source,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum UserIpdrContexts {
    Table,
    UserId,
    ContextId,
}

#[derive(DeriveIden, Clone, Copy)]
enum IpdrQueries {
    Table,
    Id,
    UserId,
    ContextId,
    Ip,
    FromTime,
    ToTime,
    Status,
    Message,
    Found,
    CursorTime,
    CursorId,
    ClaimedBy,
    HeartbeatAt,
    Attempts,
    CreatedAt,
    StartedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum IpdrQueryRows {
    Table,
    Id,
    QueryId,
    Protocol,
    SrcIp,
    SrcPort,
    DstIp,
    DstPort,
    StartTime,
    EndTime,
    Duration,
    UserId,
    SubscriberId,
    NatIp,
    NatPort,
    DeviceIp,
}
