//! Imports are recorded, and importing the same records again changes nothing.
//!
//! - `imports`: one row per file imported (name, size, SHA-256, format, source label,
//!   who, through what, when, and what it did). The same content imported whole again
//!   with the same format, source and context is found by the unique index and skipped.
//! - The objects an import brought name it: `flows.import_id`, `alerts.import_id`,
//!   `scans.import_id`, and `host_imports` for the hosts an import wrote about.
//! - Each kind of imported record has an identity, unique in its table, so that an
//!   import inserts with `ON CONFLICT DO NOTHING`:
//!   - a flow: its sensor, Zeek's `uid` and its start (a uid is random, 96 bits; its
//!     start comes with it, and leading with the time keeps the index's inserts near
//!     its end, as logs are written in time order);
//!   - an alert: its sensor, its time and `event_key` (Suricata: flow id and
//!     signature);
//!   - an IPDR record: its context, its start and `record_key`, a hash of the whole
//!     record (PostgreSQL's partitioned table needs the start in every unique index).
//!
//!   The unique flow and alert indexes replace the plain ones on the time, which they
//!   lead with. Rows without a uid or key (made by hand, or imported before this
//!   migration) have no identity: NULLs are distinct. Flows imported twice before this
//!   migration are merged first (their alerts moved to the copy kept), or the unique
//!   index could not be built.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Imports::Table)
                .col(
                    ColumnDef::new(Imports::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(Imports::Format).text().not_null())
                .col(ColumnDef::new(Imports::FileName).text().not_null())
                .col(ColumnDef::new(Imports::Size).big_integer().not_null())
                // Set once the whole file was read (NULLs are distinct: unique only then).
                .col(ColumnDef::new(Imports::Sha256).text().null())
                .col(ColumnDef::new(Imports::Source).text().null())
                .col(ColumnDef::new(Imports::Context).text().null())
                .col(ColumnDef::new(Imports::UserId).big_integer().null())
                .col(ColumnDef::new(Imports::Via).text().not_null())
                .col(ColumnDef::new(Imports::StartedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Imports::FinishedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(Imports::Read).big_integer().not_null().default(0))
                .col(ColumnDef::new(Imports::Inserted).big_integer().not_null().default(0))
                .col(ColumnDef::new(Imports::Updated).big_integer().not_null().default(0))
                .col(ColumnDef::new(Imports::Unchanged).big_integer().not_null().default(0))
                .col(ColumnDef::new(Imports::Skipped).big_integer().not_null().default(0))
                // Records that could not be read, left out (`--skip-bad-records`): a
                // file imported so was not imported whole.
                .col(ColumnDef::new(Imports::BadRecords).big_integer().not_null().default(0))
                // Per kind of object: `[{"kind": "flows", "added": 3, ...}]`.
                .col(ColumnDef::new(Imports::Counts).text().not_null().default("[]"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_imports_user_id")
                        .from(Imports::Table, Imports::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_imports_content ON imports \
             (sha256, format, (coalesce(source, '')), (coalesce(context, ''))) WHERE bad_records = 0",
        )
        .await?;
        // Inline references: SQLite adds no foreign key to a table that exists otherwise.
        // Flows and alerts name their import without one: PostgreSQL checks a foreign
        // key row by row, a quarter of a flow import's time (measured), and imports are
        // never deleted.
        db.execute_unprepared(
            "ALTER TABLE scans ADD COLUMN import_id bigint REFERENCES imports (id) ON DELETE SET NULL",
        )
        .await?;
        for table in ["flows", "alerts"] {
            db.execute_unprepared(&format!("ALTER TABLE {table} ADD COLUMN import_id bigint"))
                .await?;
        }
        m.alter_table(
            Table::alter()
                .table(Alias::new("alerts"))
                .add_column(ColumnDef::new(Alias::new("event_key")).text().null())
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Alias::new("ipdr_records"))
                .add_column(ColumnDef::new(Alias::new("record_key")).blob().null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(HostImports::Table)
                .col(ColumnDef::new(HostImports::HostId).big_integer().not_null())
                .col(ColumnDef::new(HostImports::ImportId).big_integer().not_null())
                .primary_key(Index::create().col(HostImports::HostId).col(HostImports::ImportId))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_host_imports_host_id")
                        .from(HostImports::Table, HostImports::HostId)
                        .to(Alias::new("hosts"), Alias::new("id"))
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_host_imports_import_id")
                        .from(HostImports::Table, HostImports::ImportId)
                        .to(Imports::Table, Imports::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_host_imports_import_id")
                .table(HostImports::Table)
                .col(HostImports::ImportId)
                .to_owned(),
        )
        .await?;

        // Flows imported twice before now: one copy is kept, the alerts follow it.
        let twin = "SELECT 1 FROM flows g WHERE g.uid = f.uid AND g.started_at = f.started_at \
                    AND coalesce(g.sensor, '') = coalesce(f.sensor, '') AND g.id < f.id";
        db.execute_unprepared(&format!(
            "UPDATE alerts SET flow_id = (SELECT min(g.id) FROM flows f JOIN flows g ON g.uid = f.uid \
               AND g.started_at = f.started_at AND coalesce(g.sensor, '') = coalesce(f.sensor, '') \
               WHERE f.id = alerts.flow_id) \
             WHERE flow_id IN (SELECT f.id FROM flows f WHERE f.uid IS NOT NULL AND EXISTS ({twin}))"
        ))
        .await?;
        db.execute_unprepared(&format!(
            "UPDATE notes SET subject_id = (SELECT min(g.id) FROM flows f JOIN flows g ON g.uid = f.uid \
               AND g.started_at = f.started_at AND coalesce(g.sensor, '') = coalesce(f.sensor, '') \
               WHERE f.id = notes.subject_id) \
             WHERE subject_type = 'Flow' \
               AND subject_id IN (SELECT f.id FROM flows f WHERE f.uid IS NOT NULL AND EXISTS ({twin}))"
        ))
        .await?;
        db.execute_unprepared(&format!(
            "DELETE FROM flows WHERE id IN (SELECT f.id FROM flows f WHERE f.uid IS NOT NULL AND EXISTS ({twin}))"
        ))
        .await?;
        for sql in [
            "DROP INDEX ix_flows_started_at",
            "CREATE UNIQUE INDEX ux_flows_identity ON flows (started_at, uid, (coalesce(sensor, '')))",
            "DROP INDEX ix_alerts_occurred_at",
            "CREATE UNIQUE INDEX ux_alerts_identity ON alerts (occurred_at, event_key, (coalesce(sensor, '')))",
            "CREATE UNIQUE INDEX ux_ipdr_records_identity ON ipdr_records (context_id, start_time, record_key)",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, _: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "imports cannot be taken back: restore a backup made before".into(),
        ))
    }
}

#[derive(DeriveIden)]
enum Imports {
    Table,
    Id,
    Format,
    FileName,
    Size,
    Sha256,
    Source,
    Context,
    UserId,
    Via,
    StartedAt,
    FinishedAt,
    Read,
    Inserted,
    Updated,
    Unchanged,
    Skipped,
    BadRecords,
    Counts,
}

#[derive(DeriveIden)]
enum HostImports {
    Table,
    HostId,
    ImportId,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
