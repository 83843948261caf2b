//! How many hosts have a port of each number in each state, kept by the database as
//! ports change, so that "hosts with port 22 open" (IVRE's `count?q=open:22`, the web
//! app's dashboards) is one small read instead of a count over every such port
//! (`pivot bench query`, BENCHMARKS.md). A host counts once per (port, state), whatever
//! the protocols: the triggers add one when a host's first row of a (port, state)
//! appears and take one away when its last goes.
//!
//! SQLite has one writer at a time, so its triggers add to one row per (port, state).
//! On PostgreSQL concurrent writers would queue on such rows and could deadlock (two
//! imports reaching ports 22 and 80 in opposite orders): its trigger appends a +1 or
//! −1 row instead, never waiting on a counter, and `server::domain::tallies::fold`
//! sums them back into one row per key after imports. Both are read as a `SUM`. The
//! PostgreSQL trigger locks the port's host first so that two transactions adding the
//! same host's port under two protocols see each other (READ COMMITTED).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_TRIGGERS: &str = "
CREATE TRIGGER port_tallies_insert AFTER INSERT ON ports
WHEN NOT EXISTS (SELECT 1 FROM ports p
                 WHERE p.port = NEW.port AND p.state = NEW.state AND p.host_id = NEW.host_id AND p.id <> NEW.id)
BEGIN
  INSERT INTO port_tallies (port, state, hosts) VALUES (NEW.port, NEW.state, 1)
    ON CONFLICT (port, state) DO UPDATE SET hosts = hosts + 1;
END;
CREATE TRIGGER port_tallies_delete AFTER DELETE ON ports
WHEN NOT EXISTS (SELECT 1 FROM ports p
                 WHERE p.port = OLD.port AND p.state = OLD.state AND p.host_id = OLD.host_id)
BEGIN
  UPDATE port_tallies SET hosts = hosts - 1 WHERE port = OLD.port AND state = OLD.state;
END;
CREATE TRIGGER port_tallies_update AFTER UPDATE OF host_id, port, state ON ports
WHEN OLD.host_id <> NEW.host_id OR OLD.port <> NEW.port OR OLD.state <> NEW.state
BEGIN
  UPDATE port_tallies SET hosts = hosts - 1
    WHERE port = OLD.port AND state = OLD.state
      AND NOT EXISTS (SELECT 1 FROM ports p
                      WHERE p.port = OLD.port AND p.state = OLD.state AND p.host_id = OLD.host_id);
  INSERT INTO port_tallies (port, state, hosts)
    SELECT NEW.port, NEW.state, 1
    WHERE NOT EXISTS (SELECT 1 FROM ports p
                      WHERE p.port = NEW.port AND p.state = NEW.state AND p.host_id = NEW.host_id AND p.id <> NEW.id)
    ON CONFLICT (port, state) DO UPDATE SET hosts = hosts + 1;
END;
";

const POSTGRES_TRIGGER: &str = "
CREATE FUNCTION port_tallies_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND (OLD.host_id, OLD.port, OLD.state) IS NOT DISTINCT FROM (NEW.host_id, NEW.port, NEW.state) THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    PERFORM 1 FROM hosts WHERE id = OLD.host_id FOR NO KEY UPDATE;
    IF NOT EXISTS (SELECT 1 FROM ports p
                   WHERE p.port = OLD.port AND p.state = OLD.state AND p.host_id = OLD.host_id) THEN
      INSERT INTO port_tallies (port, state, hosts) VALUES (OLD.port, OLD.state, -1);
    END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM 1 FROM hosts WHERE id = NEW.host_id FOR NO KEY UPDATE;
    IF NOT EXISTS (SELECT 1 FROM ports p
                   WHERE p.port = NEW.port AND p.state = NEW.state AND p.host_id = NEW.host_id AND p.id <> NEW.id) THEN
      INSERT INTO port_tallies (port, state, hosts) VALUES (NEW.port, NEW.state, 1);
    END IF;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER port_tallies_follow AFTER INSERT OR DELETE OR UPDATE OF host_id, port, state ON ports
  FOR EACH ROW EXECUTE FUNCTION port_tallies_follow();
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(PortTallies::Table)
                .col(
                    ColumnDef::new(PortTallies::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(PortTallies::Port).integer().not_null())
                .col(ColumnDef::new(PortTallies::State).text().not_null())
                .col(ColumnDef::new(PortTallies::Hosts).big_integer().not_null())
                .to_owned(),
        )
        .await?;
        let sqlite = m.get_database_backend() == DbBackend::Sqlite;
        // One row per key on SQLite (its triggers add to it); added rows on PostgreSQL.
        let mut index = Index::create()
            .name("ix_port_tallies_port_state")
            .table(PortTallies::Table)
            .col(PortTallies::Port)
            .col(PortTallies::State)
            .to_owned();
        if sqlite {
            index.unique();
        }
        m.create_index(index).await?;
        let db = m.get_connection();
        db.execute_unprepared(
            "INSERT INTO port_tallies (port, state, hosts) \
             SELECT port, state, COUNT(DISTINCT host_id) FROM ports GROUP BY port, state",
        )
        .await?;
        db.execute_unprepared(if sqlite { SQLITE_TRIGGERS } else { POSTGRES_TRIGGER })
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        if m.get_database_backend() == DbBackend::Sqlite {
            db.execute_unprepared(
                "DROP TRIGGER port_tallies_insert; DROP TRIGGER port_tallies_delete; DROP TRIGGER port_tallies_update;",
            )
            .await?;
        } else {
            db.execute_unprepared("DROP TRIGGER port_tallies_follow ON ports; DROP FUNCTION port_tallies_follow();")
                .await?;
        }
        m.drop_table(Table::drop().table(PortTallies::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum PortTallies {
    Table,
    Id,
    Port,
    State,
    Hosts,
}
