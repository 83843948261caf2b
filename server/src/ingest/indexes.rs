//! Secondary indexes built after a large import instead of during it (SQLite).
//!
//! Keeping five indexes of `flows` (or four of `ipdr_records`) up to date row by row
//! costs more than twice the insert itself; building them once, sorted, at the end of a
//! large import is far cheaper. Whether it pays depends on how much the table already holds (a rebuild
//! reads the whole table), so the decision is adaptive: an import writes with the
//! indexes in place until it has added as many rows as the table held when it began
//! (and at least [`Deferred::AFTER`]), then drops them and builds them again from their
//! own stored definitions before the import commits. The total cost stays within a
//! small factor of the best choice made in hindsight.
//!
//! It is all inside the import's transaction: readers (WAL) keep seeing the committed
//! table with its indexes, and an import that fails or is killed rolls the drop back
//! with everything else. PostgreSQL is left alone: there `DROP INDEX` would lock every
//! reader of the table out until the import commits.

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, Statement};

use crate::domain::error::DomainResult;

/// The indexes of one table while an import writes to it.
pub struct Deferred {
    table: &'static str,
    state: State,
}

enum State {
    /// Not decided yet: rows the table held when the import began, rows added since.
    Watching { before: u64, added: u64 },
    /// Dropped: the statements that create them again.
    Dropped(Vec<String>),
    /// Kept (PostgreSQL, or built again because the import reads the table).
    Kept,
}

impl Deferred {
    /// Rows an import adds with the indexes in place before it may drop them: small
    /// imports never rebuild.
    pub const AFTER: u64 = 20_000;

    pub fn new(table: &'static str) -> Self {
        Self {
            table,
            state: State::Watching { before: 0, added: 0 },
        }
    }

    /// Called before `rows` more rows go into the table.
    pub async fn before_insert(&mut self, tx: &DatabaseTransaction, rows: u64) -> DomainResult<()> {
        let State::Watching { before, added } = &mut self.state else {
            return Ok(());
        };
        if tx.get_database_backend() != DbBackend::Sqlite {
            self.state = State::Kept;
            return Ok(());
        }
        if *added == 0 {
            // The largest id tells the table's size at no cost (ids only grow).
            let row = tx
                .query_one(Statement::from_string(
                    DbBackend::Sqlite,
                    format!("SELECT COALESCE(MAX(id), 0) AS n FROM {}", self.table),
                ))
                .await?;
            *before = row.map_or(Ok(0), |r| r.try_get::<i64>("", "n"))?.max(0) as u64;
        }
        *added += rows;
        if *added < Self::AFTER.max(*before) {
            return Ok(());
        }
        let rows = tx
            .query_all(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                // Indexes that back a constraint have no statement and stay; unique ones
                // stay too: they keep an import from writing a record twice.
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL \
                 AND sql NOT LIKE 'CREATE UNIQUE%'",
                [self.table.into()],
            ))
            .await?;
        let mut create = Vec::with_capacity(rows.len());
        for row in rows {
            let (name, sql): (String, String) = (row.try_get("", "name")?, row.try_get("", "sql")?);
            tx.execute_unprepared(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))
                .await?;
            create.push(sql);
        }
        self.state = State::Dropped(create);
        Ok(())
    }

    /// Builds what was dropped again: once the import has written everything, or
    /// before it reads the table (from then on the indexes are kept).
    pub async fn restore(&mut self, tx: &DatabaseTransaction) -> DomainResult<()> {
        if let State::Dropped(create) = &self.state {
            for sql in create {
                tx.execute_unprepared(sql).await?;
            }
            self.state = State::Kept;
        }
        Ok(())
    }
}
