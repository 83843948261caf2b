//! IPDR records (Trisul's 13 columns) in contexts. `default` always exists (Trisul's
//! `context0` is an alias the API resolves). Lookups of one address — as source,
//! destination, NAT or reporting device — within a time window are index range scans:
//! each index leads with the context and the address, then the start time.
//!
//! On PostgreSQL the table is range-partitioned by start time so that old data can be
//! dropped a partition at a time; rows land in the DEFAULT partition until a range
//! partition for their period exists (the primary key carries the start time, as a
//! partitioned table's keys must). SQLite has one plain table. A context is not deleted
//! with its records by cascade (that would delete them one by one): its partitions or
//! rows go first.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(IpdrContexts::Table)
                .col(
                    ColumnDef::new(IpdrContexts::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(IpdrContexts::Name).string().not_null().unique_key())
                .col(
                    ColumnDef::new(IpdrContexts::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        db.execute_unprepared("INSERT INTO ipdr_contexts (name, created_at) VALUES ('default', CURRENT_TIMESTAMP)")
            .await?;
        if m.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(
                "CREATE TABLE ipdr_records (
                    id bigserial,
                    context_id bigint NOT NULL REFERENCES ipdr_contexts (id),
                    protocol varchar NOT NULL,
                    src_ip bytea NOT NULL,
                    src_port integer,
                    dst_ip bytea NOT NULL,
                    dst_port integer,
                    start_time timestamptz NOT NULL,
                    end_time timestamptz,
                    duration double precision,
                    user_id varchar,
                    subscriber_id varchar,
                    nat_ip bytea,
                    nat_port integer,
                    device_ip bytea,
                    PRIMARY KEY (id, start_time)
                ) PARTITION BY RANGE (start_time);
                CREATE TABLE ipdr_records_default PARTITION OF ipdr_records DEFAULT;",
            )
            .await?;
        } else {
            m.create_table(
                Table::create()
                    .table(IpdrRecords::Table)
                    .col(
                        ColumnDef::new(IpdrRecords::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(IpdrRecords::ContextId).big_integer().not_null())
                    .col(ColumnDef::new(IpdrRecords::Protocol).string().not_null())
                    .col(ColumnDef::new(IpdrRecords::SrcIp).blob().not_null())
                    .col(ColumnDef::new(IpdrRecords::SrcPort).integer())
                    .col(ColumnDef::new(IpdrRecords::DstIp).blob().not_null())
                    .col(ColumnDef::new(IpdrRecords::DstPort).integer())
                    .col(
                        ColumnDef::new(IpdrRecords::StartTime)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(IpdrRecords::EndTime).timestamp_with_time_zone())
                    .col(ColumnDef::new(IpdrRecords::Duration).double())
                    .col(ColumnDef::new(IpdrRecords::UserId).string())
                    .col(ColumnDef::new(IpdrRecords::SubscriberId).string())
                    .col(ColumnDef::new(IpdrRecords::NatIp).blob())
                    .col(ColumnDef::new(IpdrRecords::NatPort).integer())
                    .col(ColumnDef::new(IpdrRecords::DeviceIp).blob())
                    .foreign_key(
                        ForeignKey::create()
                            .from(IpdrRecords::Table, IpdrRecords::ContextId)
                            .to(IpdrContexts::Table, IpdrContexts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        }
        for (name, address) in [
            ("ix_ipdr_records_src", IpdrRecords::SrcIp),
            ("ix_ipdr_records_dst", IpdrRecords::DstIp),
            ("ix_ipdr_records_nat", IpdrRecords::NatIp),
            ("ix_ipdr_records_device", IpdrRecords::DeviceIp),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table(IpdrRecords::Table)
                    .col(IpdrRecords::ContextId)
                    .col(address)
                    .col(IpdrRecords::StartTime)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(IpdrRecords::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(IpdrContexts::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum IpdrContexts {
    Table,
    Id,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum IpdrRecords {
    Table,
    Id,
    ContextId,
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
