//! What imports of real tools' output bring beyond the core graph: scan source labels
//! and categories, host status, port CPEs and the history of when each port was seen,
//! host scripts, OS matches, traceroute hops, and Zeek's connection uid and state.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        let add = |table: Iden2, col: &mut ColumnDef| Table::alter().table(table).add_column(col.to_owned()).to_owned();
        m.alter_table(add(Iden2::Scans, ColumnDef::new(Scans::Source).text().null()))
            .await?;
        m.alter_table(add(
            Iden2::Scans,
            ColumnDef::new(Scans::Categories).text().not_null().default(""),
        ))
        .await?;
        m.alter_table(add(Iden2::Hosts, ColumnDef::new(Hosts::Status).text().null()))
            .await?;
        m.alter_table(add(
            Iden2::Ports,
            ColumnDef::new(Ports::Cpes).text().not_null().default(""),
        ))
        .await?;
        m.alter_table(add(
            Iden2::Ports,
            ColumnDef::new(Ports::FirstSeen).timestamp_with_time_zone().null(),
        ))
        .await?;
        m.alter_table(add(Iden2::Flows, ColumnDef::new(Flows::Uid).text().null()))
            .await?;
        m.alter_table(add(Iden2::Flows, ColumnDef::new(Flows::State).text().null()))
            .await?;
        m.create_index(
            Index::create()
                .name("ix_flows_uid")
                .table(Iden2::Flows)
                .col(Flows::Uid)
                .to_owned(),
        )
        .await?;

        m.create_table(
            owned(PortSightings::Table, "port_sightings", Owner::PortId, Iden2::Ports)
                .col(
                    ColumnDef::new(PortSightings::SeenAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(ColumnDef::new(PortSightings::State).text().not_null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            owned(HostScripts::Table, "host_scripts", Owner::HostId, Iden2::Hosts)
                .col(ColumnDef::new(HostScripts::ScriptId).text().not_null())
                .col(ColumnDef::new(HostScripts::Output).text().not_null())
                .col(ColumnDef::new(HostScripts::Data).json_binary().null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            owned(OsMatches::Table, "os_matches", Owner::HostId, Iden2::Hosts)
                .col(ColumnDef::new(OsMatches::Name).text().not_null())
                .col(ColumnDef::new(OsMatches::Accuracy).integer().not_null())
                .col(ColumnDef::new(OsMatches::Classes).json_binary().null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            owned(TraceHops::Table, "trace_hops", Owner::HostId, Iden2::Hosts)
                .col(ColumnDef::new(TraceHops::Ttl).integer().not_null())
                .col(ColumnDef::new(TraceHops::Ip).blob().null())
                .col(ColumnDef::new(TraceHops::Rtt).double().null())
                .col(ColumnDef::new(TraceHops::Hostname).text().null())
                .to_owned(),
        )
        .await?;
        m.create_index(owner_index(PortSightings::Table, "port_sightings", Owner::PortId))
            .await?;
        m.create_index(owner_index(HostScripts::Table, "host_scripts", Owner::HostId))
            .await?;
        m.create_index(owner_index(OsMatches::Table, "os_matches", Owner::HostId))
            .await?;
        m.create_index(owner_index(TraceHops::Table, "trace_hops", Owner::HostId))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(TraceHops::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(OsMatches::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(HostScripts::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(PortSightings::Table).to_owned())
            .await?;
        m.drop_index(Index::drop().name("ix_flows_uid").table(Iden2::Flows).to_owned())
            .await?;
        for (table, col) in [
            (Iden2::Flows, Alias::new("state")),
            (Iden2::Flows, Alias::new("uid")),
            (Iden2::Ports, Alias::new("first_seen")),
            (Iden2::Ports, Alias::new("cpes")),
            (Iden2::Hosts, Alias::new("status")),
            (Iden2::Scans, Alias::new("categories")),
            (Iden2::Scans, Alias::new("source")),
        ] {
            m.alter_table(Table::alter().table(table).drop_column(col).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// A table of rows about one host or one port, each from one scan: `id`, the owner's
/// id (the rows go with their owner) and `scan_id` (kept, emptied, when the scan goes).
fn owned(table: impl IntoIden + 'static, name: &str, owner: Owner, owner_table: Iden2) -> TableCreateStatement {
    Table::create()
        .table(table)
        .col(
            ColumnDef::new(Owner::Id)
                .big_integer()
                .not_null()
                .auto_increment()
                .primary_key(),
        )
        .col(ColumnDef::new(owner).big_integer().not_null())
        .col(ColumnDef::new(Owner::ScanId).big_integer().null())
        .foreign_key(
            ForeignKey::create()
                .name(format!("fk_{name}_{}", owner.to_string()))
                .from_col(owner)
                .to(owner_table, Owner::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .foreign_key(
            ForeignKey::create()
                .name(format!("fk_{name}_scan_id"))
                .from_col(Owner::ScanId)
                .to(Iden2::Scans, Owner::Id)
                .on_delete(ForeignKeyAction::SetNull),
        )
        .to_owned()
}

fn owner_index(table: impl IntoIden + 'static, name: &str, owner: Owner) -> IndexCreateStatement {
    Index::create()
        .name(format!("ix_{name}_{}", owner.to_string()))
        .table(table)
        .col(owner)
        .to_owned()
}

#[derive(DeriveIden, Clone, Copy)]
enum Iden2 {
    Scans,
    Hosts,
    Ports,
    Flows,
}

#[derive(DeriveIden, Clone, Copy)]
enum Owner {
    Id,
    HostId,
    PortId,
    ScanId,
}

#[derive(DeriveIden)]
enum Scans {
    Source,
    Categories,
}

#[derive(DeriveIden)]
enum Hosts {
    Status,
}

#[derive(DeriveIden)]
enum Ports {
    Cpes,
    FirstSeen,
}

#[derive(DeriveIden)]
enum Flows {
    Uid,
    State,
}

#[derive(DeriveIden, Clone, Copy)]
enum PortSightings {
    Table,
    SeenAt,
    State,
}

#[derive(DeriveIden, Clone, Copy)]
enum HostScripts {
    Table,
    ScriptId,
    Output,
    Data,
}

#[derive(DeriveIden, Clone, Copy)]
enum OsMatches {
    Table,
    Name,
    Accuracy,
    Classes,
}

#[derive(DeriveIden, Clone, Copy)]
enum TraceHops {
    Table,
    Ttl,
    Ip,
    Rtt,
    Hostname,
}
