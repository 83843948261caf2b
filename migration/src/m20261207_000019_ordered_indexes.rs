//! Indexes for the query model's usual orders and counts (measured by `pivot bench
//! query`, BENCHMARKS.md): alerts by severity then time, ties by id, read as one index
//! scan for `orderBy: [SEVERITY DESC, OCCURRED_AT DESC]` instead of sorting every alert
//! of the top severity; and ports by number, state and host, so that "hosts with port N
//! open" is counted from the index alone. Each replaces the index it begins with.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name("ix_alerts_severity_occurred_at")
                .table(Alerts::Table)
                .col(Alerts::Severity)
                .col(Alerts::OccurredAt)
                .col(Alerts::Id)
                .to_owned(),
        )
        .await?;
        m.drop_index(Index::drop().name("ix_alerts_severity").table(Alerts::Table).to_owned())
            .await?;
        m.create_index(
            Index::create()
                .name("ix_ports_port_state_host")
                .table(Ports::Table)
                .col(Ports::Port)
                .col(Ports::State)
                .col(Ports::HostId)
                .to_owned(),
        )
        .await?;
        m.drop_index(Index::drop().name("ix_ports_port").table(Ports::Table).to_owned())
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name("ix_ports_port")
                .table(Ports::Table)
                .col(Ports::Port)
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("ix_ports_port_state_host")
                .table(Ports::Table)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_alerts_severity")
                .table(Alerts::Table)
                .col(Alerts::Severity)
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("ix_alerts_severity_occurred_at")
                .table(Alerts::Table)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum Alerts {
    Table,
    Id,
    Severity,
    OccurredAt,
}

#[derive(DeriveIden)]
enum Ports {
    Table,
    Port,
    State,
    HostId,
}
