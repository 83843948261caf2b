//! Data in bulk: exports (a ZIP of CSV tables, each of the rows one filter selects,
//! streamed in batches so that memory stays flat) and deletions (one transaction). The
//! filters are the query model's, as the listings take them; the caller names each
//! table, its columns and the field each one holds.

use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use async_graphql::{InputObject, OneofObject};
use chrono::{DateTime, Utc};
use entities::{alert, case_alert};
use sea_orm::sea_query::{ColumnRef, Condition, Expr, IntoColumnRef, Order, SelectStatement};
use sea_orm::{
    ColumnTrait, ColumnType, ConnectionTrait, DatabaseConnection, EntityName, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Select,
};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

use super::about::max_id;
use super::alert_log::{self, Change};
use super::alerts::{AlertField, AlertFilter};
use super::crud::id_column;
use super::error::{DomainError, DomainResult};
use super::flows::{FlowField, FlowFilter};
use super::inventory::{DnsRecordField, DnsRecordFilter};
use super::ip;
use super::query::{self, Fields, Shown, Where};
use super::tenancy::Scope;
use crate::domain::access::Principal;
use crate::domain::access::{Capability, Level};

/// Why `p` may not move rows guarded by `caps` at `level` (the data capability, which
/// moves rows in bulk, aside): what each row is stays guarded by its own capability.
pub fn refusal(caps: impl IntoIterator<Item = Capability>, p: &Principal, level: Level) -> Option<String> {
    let cap = caps.into_iter().find(|c| !p.can(*c, level))?;
    let what = if level == Level::Read { "read" } else { "write" };
    Some(format!("{} {what} access is needed", cap.name()))
}

/// A value written instead of another, in one column of an export.
#[derive(InputObject, Clone, Debug)]
pub struct Rewrite {
    /// The value as the export would write it.
    pub value: String,
    /// What to write instead.
    pub written: String,
}

macro_rules! rows_of {
    ($(#[$m:meta])* $rows:ident, $column:ident, $filter:ty, $field:ty) => {
        $(#[$m])*
        #[derive(InputObject, Clone, Debug)]
        pub struct $rows {
            /// Which rows (none: all of them).
            pub filter: Option<$filter>,
            pub columns: Vec<$column>,
        }

        /// One column of a table: its name in the header and the field it holds.
        #[derive(InputObject, Clone, Debug)]
        pub struct $column {
            pub name: String,
            pub field: $field,
            /// Values written otherwise (a severity as a number, say).
            #[graphql(default)]
            pub rewrite: Vec<Rewrite>,
        }

        impl $column {
            fn cell(&self) -> (String, Cell<$field>) {
                let rewrite = self.rewrite.iter().map(|r| (r.value.clone(), r.written.clone())).collect();
                (self.name.clone(), Cell { field: self.field, rewrite })
            }
        }
    };
}

rows_of! {
    /// Alerts, as the rows of a table.
    AlertRows, AlertColumn, AlertFilter, AlertField
}
rows_of! {
    /// Flows, as the rows of a table.
    FlowRows, FlowColumn, FlowFilter, FlowField
}
rows_of! {
    /// Passive DNS records, as the rows of a table.
    DnsRecordRows, DnsRecordColumn, DnsRecordFilter, DnsRecordField
}

/// What fills a table: rows of one kind, or none (the table is its header alone).
#[derive(OneofObject, Clone, Debug)]
pub enum ExportRows {
    Alerts(Box<AlertRows>),
    Flows(Box<FlowRows>),
    DnsRecords(Box<DnsRecordRows>),
    /// No rows, under this header.
    Header(Vec<String>),
}

/// One CSV of an export.
#[derive(InputObject, Clone, Debug)]
pub struct ExportTable {
    /// Its file name in the ZIP (`alerts.csv`).
    pub name: String,
    pub rows: ExportRows,
}

/// Rows read per statement while exporting or deleting.
const BATCH: u64 = 5000;

/// The most tables one export holds, and columns one table.
pub const MAX_TABLES: usize = 32;
pub const MAX_COLUMNS: usize = 64;

impl ExportTable {
    /// What its rows are guarded by besides the data capability.
    pub fn capability(&self) -> Option<Capability> {
        match self.rows {
            ExportRows::Alerts(_) => Some(Capability::Alerts),
            ExportRows::Flows(_) | ExportRows::DnsRecords(_) => Some(Capability::Flows),
            ExportRows::Header(_) => None,
        }
    }

    /// The table's header and how its rows are read: its filter compiled, its columns
    /// checked. `None` for a table of no rows.
    fn plan(&self, path: &str) -> DomainResult<(Vec<String>, Option<Plan>)> {
        fn of<W: Where, F: Fields<E = W::E>>(
            filter: &Option<W>,
            columns: Vec<(String, Cell<F>)>,
            path: &str,
        ) -> DomainResult<(Vec<String>, Option<Plan>)> {
            let at = format!("{path}.columns");
            if columns.is_empty() || columns.len() > MAX_COLUMNS {
                return Err(DomainError::bad(at, format!("name 1 to {MAX_COLUMNS} columns")));
            }
            let condition = match filter {
                Some(f) => query::condition(f, &Scope::default(), &format!("{path}.filter"))?,
                None => Condition::all(),
            };
            let (names, cells): (Vec<String>, Vec<Cell<F>>) = columns.into_iter().unzip();
            let id = id_column::<W::E>();
            let mut query = <W::E as EntityTrait>::find().filter(condition).into_query();
            query.clear_selects();
            // The ID first: batches follow each other by it.
            query.expr(Expr::col((W::E::default(), id)));
            query.exprs(cells.iter().map(|c| Expr::col((W::E::default(), c.field.column()))));
            let plan = Plan {
                query,
                table: W::E::default().table_name().to_string(),
                id: (W::E::default(), id).into_column_ref(),
                cells: cells.into_iter().map(|c| Box::new(c) as Box<dyn Written>).collect(),
            };
            Ok((names, Some(plan)))
        }
        let path = format!("{path}.rows");
        match &self.rows {
            ExportRows::Alerts(r) => of(&r.filter, r.columns.iter().map(AlertColumn::cell).collect(), &path),
            ExportRows::Flows(r) => of(&r.filter, r.columns.iter().map(FlowColumn::cell).collect(), &path),
            ExportRows::DnsRecords(r) => of(&r.filter, r.columns.iter().map(DnsRecordColumn::cell).collect(), &path),
            ExportRows::Header(names) if names.is_empty() || names.len() > MAX_COLUMNS => Err(DomainError::bad(
                format!("{path}.header"),
                format!("name 1 to {MAX_COLUMNS} columns"),
            )),
            ExportRows::Header(names) => Ok((names.clone(), None)),
        }
    }
}

/// Checks an export's tables before anything runs: their number, names and filters.
pub fn check(tables: &[ExportTable]) -> DomainResult<()> {
    if tables.is_empty() || tables.len() > MAX_TABLES {
        return Err(DomainError::bad("tables", format!("name 1 to {MAX_TABLES} tables")));
    }
    for (i, t) in tables.iter().enumerate() {
        let path = format!("tables.{i}");
        let name = t.name.trim();
        if name.is_empty() || name.len() > 255 || name.contains(['/', '\\']) || name.chars().any(char::is_control) {
            return Err(DomainError::bad(
                format!("{path}.name"),
                "a file name: 1 to 255 characters, no slash",
            ));
        }
        if tables[..i].iter().any(|o| o.name.trim() == name) {
            return Err(DomainError::bad(format!("{path}.name"), "another table has this name"));
        }
        t.plan(&path)?;
    }
    Ok(())
}

// ---- deletion ----

/// What a deletion did: rows deleted, and alerts kept because they are evidence in cases.
#[derive(Clone, Copy, Debug, Default)]
pub struct Deleted {
    pub rows: u64,
    pub kept_in_cases: u64,
}

/// Deletes the rows `select` reads, a batch of IDs per statement (each stays short), in
/// the caller's transaction; `after_each` hears of each batch.
async fn in_batches<E, A, F>(db: &impl ConnectionTrait, select: Select<E>, after_each: A) -> DomainResult<u64>
where
    E: EntityTrait,
    A: Fn(Vec<i64>) -> F,
    F: Future<Output = DomainResult<()>>,
{
    let id = id_column::<E>();
    let mut deleted = 0u64;
    loop {
        // Each round deletes what it read: the next starts again from the top.
        let ids: Vec<i64> = select
            .clone()
            .select_only()
            .column(id)
            .order_by_asc(id)
            .limit(BATCH)
            .into_tuple()
            .all(db)
            .await?;
        if ids.is_empty() {
            return Ok(deleted);
        }
        E::delete_many().filter(id.is_in(ids.clone())).exec(db).await?;
        deleted += ids.len() as u64;
        after_each(ids).await?;
    }
}

/// Deletes the alerts `filter` selects. Alerts attached to cases are evidence: they are
/// kept and counted, unless `from_cases` deletes them too. Live subscribers hear of it.
pub async fn delete_alerts(db: &impl ConnectionTrait, filter: &AlertFilter, from_cases: bool) -> DomainResult<Deleted> {
    let mut select = alert::Entity::find().filter(query::condition(filter, &Scope::default(), "filter")?);
    let mut kept_in_cases = 0;
    if !from_cases {
        let in_cases = || {
            alert::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(case_alert::Column::AlertId)
                    .from(case_alert::Entity)
                    .to_owned(),
            )
        };
        kept_in_cases = sea_orm::PaginatorTrait::count(select.clone().filter(in_cases()), db).await?;
        select = select.filter(Condition::all().add(in_cases()).not());
    }
    let logged = |ids: Vec<i64>| async move { alert_log::record(db, Change::Deleted, &ids).await };
    let rows = in_batches(db, select, logged).await?;
    Ok(Deleted { rows, kept_in_cases })
}

/// Deletes the rows of a kind without dependents (flows, DNS records) `filter` selects.
pub async fn delete_rows<W: Where>(db: &impl ConnectionTrait, filter: &W) -> DomainResult<u64> {
    let select = <W::E as EntityTrait>::find().filter(query::condition(filter, &Scope::default(), "filter")?);
    in_batches(db, select, |_| async { Ok(()) }).await
}

// ---- export ----

/// One column's field and the values it writes otherwise.
struct Cell<F> {
    field: F,
    rewrite: Vec<(String, String)>,
}

/// How a column's values are read and written.
trait Written: Send + Sync {
    fn write(&self, out: &mut String, row: &sea_orm::QueryResult, i: usize, tz: chrono_tz::Tz) -> DomainResult<()>;
}

impl<F: Fields> Written for Cell<F> {
    fn write(&self, out: &mut String, row: &sea_orm::QueryResult, i: usize, tz: chrono_tz::Tz) -> DomainResult<()> {
        let column = self.field.column();
        let shown = self.field.shown();
        let start = out.len();
        write_value(out, row, i, column.def().get_column_type(), shown, tz)?;
        if let Some((_, written)) = self.rewrite.iter().find(|(v, _)| *v == out[start..]) {
            out.truncate(start);
            out.push_str(written);
        } else if matches!(shown, Shown::Text) {
            neutralise(out, start);
        }
        Ok(())
    }
}

/// A `Write` whose bytes are taken out as they come (the ZIP writer owns it).
#[derive(Clone, Default)]
struct Pending(Arc<Mutex<Vec<u8>>>);

impl Write for Pending {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("not poisoned").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Pending {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().expect("not poisoned"))
    }
}

/// Where an export goes: chunks of the ZIP, as they are made.
pub type Chunks = mpsc::Sender<Result<Vec<u8>, std::io::Error>>;

fn export_error(e: impl std::fmt::Display) -> DomainError {
    DomainError::Db(sea_orm::DbErr::Custom(format!("writing the export: {e}")))
}

/// Writes the ZIP of `tables` to `out`, one CSV entry each, rows in ID order, times in
/// `tz`. Stops quietly when the receiver goes away (the client hung up).
pub async fn export(
    db: &DatabaseConnection,
    tables: &[ExportTable],
    tz: chrono_tz::Tz,
    out: Chunks,
) -> DomainResult<()> {
    use zip::write::SimpleFileOptions;
    check(tables)?;
    let pending = Pending::default();
    let mut zip = zip::ZipWriter::new_stream(pending.clone());
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1))
        // Entries may pass 4 GiB (ZIP64); it costs a few bytes per entry.
        .large_file(true);
    for (i, table) in tables.iter().enumerate() {
        let (names, plan) = table.plan(&format!("tables.{i}"))?;
        zip.start_file(table.name.trim(), options).map_err(export_error)?;
        let mut header = csv::Writer::from_writer(Vec::new());
        header.write_record(&names).map_err(export_error)?;
        zip.write_all(&header.into_inner().map_err(export_error)?)
            .map_err(export_error)?;
        let Some(mut plan) = plan else { continue };
        // The rows end at the newest one now: rows written while the export runs
        // neither join it nor keep it going.
        let newest = max_id(db, &plan.table).await?;
        plan.query.and_where(Expr::col(plan.id.clone()).lte(newest));
        let rows = Arc::new(Rows {
            plan,
            places: Arc::new(Semaphore::new(IN_FLIGHT)),
        });
        let mut next = Some(rows.read_ahead(db, 0, tz));
        while let Some(mut task) = next.take() {
            if out.is_closed() {
                // The client hung up (deflate may hold back output for several batches).
                return Ok(());
            }
            let batch = (&mut task.0)
                .await
                .map_err(|e| DomainError::Db(sea_orm::DbErr::Custom(format!("reading the export: {e}"))))??;
            // While this batch is deflated, the next is formatted and the one after it
            // read: the database (sqlx's SQLite worker threads), the readers and this
            // task run side by side.
            next = batch.next;
            zip.write_all(&batch.csv).map_err(export_error)?;
            let chunk = pending.take();
            if !chunk.is_empty() && out.send(Ok(chunk)).await.is_err() {
                return Ok(());
            }
        }
    }
    zip.finish().map_err(export_error)?;
    let _ = out.send(Ok(pending.take())).await;
    Ok(())
}

/// How one table's rows are read: the statement (the row's ID, then each column's
/// field), and how each column is written.
struct Plan {
    query: SelectStatement,
    table: String,
    id: ColumnRef,
    cells: Vec<Box<dyn Written>>,
}

/// A table's rows being read in batches by ID.
struct Rows {
    plan: Plan,
    places: Arc<Semaphore>,
}

/// One batch of rows, as CSV records, and the next batch being read.
struct Batch {
    csv: Vec<u8>,
    next: Option<Ahead>,
    /// Held until the batch is written out (see [`IN_FLIGHT`]).
    _held: OwnedSemaphorePermit,
}

/// Batches an export holds at most: one being deflated, one formatted, one read. A
/// reader waits for a place before it reads, so a slow client keeps memory flat.
const IN_FLIGHT: usize = 3;

/// A batch being read ahead, given up when the export stops first (an error, or the
/// client hung up): dropping a tokio task's handle would leave it running.
struct Ahead(tokio::task::JoinHandle<DomainResult<Batch>>);

impl Drop for Ahead {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Rows {
    /// Starts reading the batch after ID `after` on a task of its own.
    fn read_ahead(self: &Arc<Self>, db: &DatabaseConnection, after: i64, tz: chrono_tz::Tz) -> Ahead {
        let (db, rows) = (db.clone(), self.clone());
        // Boxed: the task starts the next one, and an async fn cannot contain itself.
        let task: Pin<Box<dyn Future<Output = DomainResult<Batch>> + Send>> =
            Box::pin(async move { rows.batch(&db, after, tz).await });
        Ahead(tokio::spawn(task))
    }

    /// The batch of rows after ID `after`, as CSV records with times in `tz`. Once its
    /// rows are read the next batch is asked for, so that the database reads it while
    /// these are formatted.
    async fn batch(self: &Arc<Self>, db: &DatabaseConnection, after: i64, tz: chrono_tz::Tz) -> DomainResult<Batch> {
        let held = self.places.clone().acquire_owned().await.expect("never closed");
        let plan = &self.plan;
        let mut query = plan.query.clone();
        query
            .and_where(Expr::col(plan.id.clone()).gt(after))
            .order_by(plan.id.clone(), Order::Asc)
            .limit(BATCH);
        let found = db.query_all(db.get_database_backend().build(&query)).await?;
        let next = match found.last() {
            Some(last) if found.len() as u64 == BATCH => Some(self.read_ahead(db, last.try_get_by_index(0)?, tz)),
            _ => None,
        };
        let mut csv = csv::Writer::from_writer(Vec::with_capacity(found.len() * 160));
        let mut field = String::new();
        for row in &found {
            for (i, cell) in plan.cells.iter().enumerate() {
                field.clear();
                cell.write(&mut field, row, i + 1, tz)?;
                csv.write_field(&field).map_err(export_error)?;
            }
            csv.write_record(None::<&[u8]>).map_err(export_error)?;
        }
        Ok(Batch {
            csv: csv.into_inner().map_err(export_error)?,
            next,
            _held: held,
        })
    }
}

/// Writes column `i` of `row`, of SQL type `sql`, into `out` as `shown` says (nothing
/// for NULL). PostgreSQL's driver reads each integer width as its own type.
fn write_value(
    out: &mut String,
    row: &sea_orm::QueryResult,
    i: usize,
    sql: &ColumnType,
    shown: Shown,
    tz: chrono_tz::Tz,
) -> DomainResult<()> {
    use std::fmt::Write as _;
    let int: Option<i64> = match sql {
        ColumnType::BigInteger => row.try_get_by_index::<Option<i64>>(i)?,
        ColumnType::Integer => row.try_get_by_index::<Option<i32>>(i)?.map(i64::from),
        ColumnType::SmallInteger => row.try_get_by_index::<Option<i16>>(i)?.map(i64::from),
        _ => None,
    };
    match shown {
        Shown::Int => {
            if let Some(n) = int {
                let _ = write!(out, "{n}");
            }
        }
        Shown::Named(name) => out.push_str(int.map(name).unwrap_or_default()),
        Shown::Text => out.push_str(
            row.try_get_by_index::<Option<String>>(i)?
                .as_deref()
                .unwrap_or_default(),
        ),
        Shown::Bool => {
            if let Some(b) = row.try_get_by_index::<Option<bool>>(i)? {
                out.push_str(if b { "true" } else { "false" });
            }
        }
        Shown::Ip => {
            if let Some(a) = row
                .try_get_by_index::<Option<Vec<u8>>>(i)?
                .as_deref()
                .and_then(ip::from_key)
            {
                let _ = write!(out, "{a}");
            }
        }
        Shown::Time => {
            if let Some(t) = row.try_get_by_index::<Option<DateTime<Utc>>>(i)? {
                push_local_time(out, tz, t);
            }
        }
    }
    Ok(())
}

/// Makes the text at `start..` of `out` a spreadsheet cell that cannot run: a value
/// that starts like a formula (`=`, `+`, `-`, `@`, a tab or a carriage return) gets a
/// leading `'` (OWASP's advice against CSV injection). Names and titles come from
/// monitored, possibly hostile hosts.
fn neutralise(out: &mut String, start: usize) {
    if out[start..].starts_with(['=', '+', '-', '@', '\t', '\r']) {
        out.insert(start, '\'');
    }
}

/// A time as operators' tools write it: `YYYY-MM-DD HH:MM:SS` in their timezone (the
/// REST dialects render times the same way).
pub fn local_time(tz: chrono_tz::Tz, t: DateTime<Utc>) -> String {
    let mut out = String::with_capacity(19);
    push_local_time(&mut out, tz, t);
    out
}

/// [`local_time`] into `out`, digit by digit: exports write millions of times, and
/// chrono's formatter interprets its format string on every call.
fn push_local_time(out: &mut String, tz: chrono_tz::Tz, t: DateTime<Utc>) {
    use chrono::{Datelike, Timelike};
    let local = t.with_timezone(&tz).naive_local();
    // Years of other widths, and leap seconds (`:60`), as chrono writes them.
    if !(0..=9999).contains(&local.year()) || local.nanosecond() >= 1_000_000_000 {
        out.push_str(&local.format("%Y-%m-%d %H:%M:%S").to_string());
        return;
    }
    let mut buf = *b"0000-00-00 00:00:00";
    for (n, end) in [
        (local.year() as u32, 4),
        (local.month(), 7),
        (local.day(), 10),
        (local.hour(), 13),
        (local.minute(), 16),
        (local.second(), 19),
    ] {
        let (mut n, mut at) = (n, end);
        while n > 0 {
            at -= 1;
            buf[at] = b'0' + (n % 10) as u8;
            n /= 10;
        }
    }
    out.push_str(std::str::from_utf8(&buf).expect("ASCII digits"));
}

#[cfg(test)]
mod cell_tests {
    #[test]
    fn formulas_are_neutralised() {
        for (raw, cell) in [
            ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
            ("+SUM(A1)", "'+SUM(A1)"),
            ("-1+2", "'-1+2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("evil.example", "evil.example"),
            ("", ""),
        ] {
            let mut out = String::from("kept");
            out.push_str(raw);
            super::neutralise(&mut out, 4);
            assert_eq!(out, format!("kept{cell}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn table(name: &str, rows: ExportRows) -> ExportTable {
        ExportTable {
            name: name.into(),
            rows,
        }
    }

    #[test]
    fn tables_are_checked_before_anything_runs() {
        let header = |n: &str| table(n, ExportRows::Header(vec!["a".into()]));
        assert!(check(&[header("a.csv"), header("b.csv")]).is_ok());
        for (tables, field) in [
            (vec![], "tables"),
            (vec![header("a.csv"), header(" a.csv")], "tables.1.name"),
            (vec![header("../a.csv")], "tables.0.name"),
            (vec![header("")], "tables.0.name"),
            (vec![table("x", ExportRows::Header(vec![]))], "tables.0.rows.header"),
            (
                vec![table(
                    "x",
                    ExportRows::Flows(Box::new(FlowRows {
                        filter: None,
                        columns: vec![],
                    })),
                )],
                "tables.0.rows.columns",
            ),
        ] {
            let e = check(&tables).unwrap_err();
            assert!(
                matches!(&e, DomainError::BadInput { field: f, .. } if f == field),
                "{e:?}"
            );
        }
    }

    #[test]
    fn local_times_are_written_as_chrono_writes_them() {
        let tz: chrono_tz::Tz = "Europe/Paris".parse().unwrap();
        for t in [
            Utc.with_ymd_and_hms(2026, 3, 29, 0, 59, 59).unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 29, 1, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(1999, 12, 31, 23, 0, 7).unwrap(),
            Utc.with_ymd_and_hms(9999, 12, 31, 22, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 30, 0).unwrap(),
            Utc.with_ymd_and_hms(5, 1, 2, 3, 4, 5).unwrap(),
        ] {
            for tz in [tz, chrono_tz::UTC] {
                let chrono = t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string();
                assert_eq!(local_time(tz, t), chrono, "{t} in {tz}");
            }
        }
    }
}
