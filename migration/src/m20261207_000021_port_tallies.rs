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
//! PostgreSQL triggers lock the ports' hosts first so that two transactions adding the
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

// PostgreSQL fires row triggers after the whole statement, each seeing every row the
// statement wrote (two ports of one host inserted at once would each see the other and
// neither count): its triggers tally each statement's rows at once (transition tables),
// which also costs imports, that insert ports by the thousand, far less. An update
// that moves no port to another key (most: `last_seen`) returns after one look. The
// statements that read `hosts` and `ports` are planned each time (`EXECUTE`): a plan
// kept from when an import's first batch found the tables empty scans them whole, and
// an import of a million hosts never ends.
const POSTGRES_TRIGGERS: &str = "
CREATE FUNCTION port_tallies_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE 'SELECT 1 FROM hosts WHERE id IN (SELECT host_id FROM new_rows) ORDER BY id FOR NO KEY UPDATE';
  EXECUTE 'INSERT INTO port_tallies (port, state, hosts)
    SELECT k.port, k.state, COUNT(*)
    FROM (SELECT host_id, port, state, COUNT(*) AS n FROM new_rows GROUP BY host_id, port, state) k
    WHERE (SELECT COUNT(*) FROM ports p
           WHERE p.port = k.port AND p.state = k.state AND p.host_id = k.host_id) = k.n
    GROUP BY k.port, k.state';
  RETURN NULL;
END $$;
CREATE FUNCTION port_tallies_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE 'SELECT 1 FROM hosts WHERE id IN (SELECT host_id FROM old_rows) ORDER BY id FOR NO KEY UPDATE';
  EXECUTE 'INSERT INTO port_tallies (port, state, hosts)
    SELECT k.port, k.state, -COUNT(*)
    FROM (SELECT DISTINCT host_id, port, state FROM old_rows) k
    WHERE NOT EXISTS (SELECT 1 FROM ports p
                      WHERE p.port = k.port AND p.state = k.state AND p.host_id = k.host_id)
    GROUP BY k.port, k.state';
  RETURN NULL;
END $$;
CREATE FUNCTION port_tallies_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n USING (id)
                 WHERE (o.host_id, o.port, o.state) IS DISTINCT FROM (n.host_id, n.port, n.state)) THEN
    RETURN NULL;
  END IF;
  EXECUTE 'SELECT 1 FROM hosts WHERE id IN (SELECT host_id FROM old_rows UNION SELECT host_id FROM new_rows)
    ORDER BY id FOR NO KEY UPDATE';
  -- Per key of a host: how many rows came (+) and went (-); it had the key before if
  -- it has more rows of it now than came, and has it now if any.
  EXECUTE 'WITH moved AS (
      SELECT o.host_id AS old_host, o.port AS old_port, o.state AS old_state, n.host_id, n.port, n.state
      FROM old_rows o JOIN new_rows n USING (id)
      WHERE (o.host_id, o.port, o.state) IS DISTINCT FROM (n.host_id, n.port, n.state)),
    k AS (
      SELECT host_id, port, state, SUM(d) AS net FROM (
        SELECT host_id, port, state, 1 AS d FROM moved
        UNION ALL SELECT old_host, old_port, old_state, -1 FROM moved) shifts
      GROUP BY host_id, port, state)
    INSERT INTO port_tallies (port, state, hosts)
    SELECT port, state, SUM(has - had) FROM (
      SELECT k.port, k.state, (c.n > 0)::int AS has, (c.n - k.net > 0)::int AS had
      FROM k CROSS JOIN LATERAL (SELECT COUNT(*) AS n FROM ports p
                                 WHERE p.port = k.port AND p.state = k.state AND p.host_id = k.host_id) c) t
    GROUP BY port, state HAVING SUM(has - had) <> 0';
  RETURN NULL;
END $$;
CREATE TRIGGER port_tallies_added AFTER INSERT ON ports
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION port_tallies_added();
CREATE TRIGGER port_tallies_removed AFTER DELETE ON ports
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION port_tallies_removed();
CREATE TRIGGER port_tallies_moved AFTER UPDATE ON ports
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION port_tallies_moved();
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
        db.execute_unprepared(if sqlite { SQLITE_TRIGGERS } else { POSTGRES_TRIGGERS })
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
            for name in ["added", "removed", "moved"] {
                db.execute_unprepared(&format!(
                    "DROP TRIGGER port_tallies_{name} ON ports; DROP FUNCTION port_tallies_{name}();"
                ))
                .await?;
            }
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
