//! Data management: the datasets an operator exports (a ZIP of one CSV per dataset,
//! streamed in batches so that memory stays flat) or deletes (one transaction), with
//! one filter model for both — a time range and a sensor common to all, and what each
//! dataset adds.

use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use async_graphql::{Enum, InputObject};
use chrono::{DateTime, Utc};
use entities::{alert, case_alert, dns_record, flow};
use sea_orm::sea_query::{ColumnRef, Condition, Expr, IntoColumnRef, Order, SelectStatement};
use sea_orm::{
    ColumnTrait, ColumnType, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Select,
};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

use super::about::max_id;
use super::alert_log::{self, Change};
use super::alerts::{AlertFilter, Severity};
use super::error::{DomainError, DomainResult};
use super::flows::FlowFilter;
use super::inventory::DnsRecordFilter;
use super::ip;
use super::query;
use super::tenancy::Scope;
use super::values::Instant;
use crate::auth::permissions::{Capability, Level};
use crate::auth::principal::Principal;

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataSet {
    /// Alerts of kind `network`.
    NetworkAlerts,
    /// Alerts of kind `server` (syslog).
    SyslogAlerts,
    /// Passive DNS records.
    DnsMetadata,
    /// Flows.
    TcpMetadata,
    /// DHCP leases: Pivot records none, so this is always empty.
    DhcpMetadata,
    /// HTTP requests: Pivot records none, so this is always empty.
    HttpMetadata,
}

impl DataSet {
    /// What the rows are guarded by besides the data capability (which moves rows in
    /// bulk): alerts or flows; `None` for the datasets Pivot records nothing in.
    pub fn capability(self) -> Option<Capability> {
        match self {
            Self::NetworkAlerts | Self::SyslogAlerts => Some(Capability::Alerts),
            Self::DnsMetadata | Self::TcpMetadata => Some(Capability::Flows),
            Self::DhcpMetadata | Self::HttpMetadata => None,
        }
    }

    /// Why `p` may not move the rows of `sets` at `level` (the data capability aside).
    pub fn refusal(sets: &[DataSet], p: &Principal, level: Level) -> Option<String> {
        sets.iter().find_map(|set| {
            let cap = set.capability().filter(|c| !p.can(*c, level))?;
            let what = if level == Level::Read { "read" } else { "write" };
            Some(format!("{} {what} access is needed for {}", cap.name(), set.label()))
        })
    }

    /// The CSV's name inside an export (Intrudect's entry names).
    pub fn entry(self) -> &'static str {
        match self {
            Self::NetworkAlerts => "networkalerts.csv",
            Self::SyslogAlerts => "syslogalerts.csv",
            Self::DnsMetadata => "metadata_dns.csv",
            Self::TcpMetadata => "metadata_connections.csv",
            Self::DhcpMetadata => "dhcpflow.csv",
            Self::HttpMetadata => "httpflow.csv",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::NetworkAlerts => "network alerts",
            Self::SyslogAlerts => "syslog alerts",
            Self::DnsMetadata => "DNS metadata",
            Self::TcpMetadata => "TCP metadata",
            Self::DhcpMetadata => "DHCP metadata",
            Self::HttpMetadata => "HTTP metadata",
        }
    }

    /// The CSV's columns, the rows' ID first (exports read in ID order); none for the
    /// datasets Pivot records nothing in (their CSVs are a header).
    fn columns(self) -> Vec<Exported> {
        use Field::*;
        let (alert, dns, flow) = (Exported::of::<A>, Exported::of::<D>, Exported::of::<F>);
        use {alert::Column as A, dns_record::Column as D, flow::Column as F};
        match self {
            Self::NetworkAlerts => vec![
                alert("id", A::Id, Int),
                alert("timestamp", A::OccurredAt, Time),
                alert("agent", A::Sensor, Text),
                alert("src_mac", A::SrcMac, Text),
                alert("dst_mac", A::DstMac, Text),
                alert("src_ip", A::SrcIp, Addr),
                alert("dst_ip", A::DstIp, Addr),
                alert("src_port", A::SrcPort, Int),
                alert("dst_port", A::DstPort, Int),
                alert("level", A::Severity, Band),
                alert("type", A::AlertType, Text),
                alert("subject", A::Title, Text),
                alert("message", A::Message, Text),
            ],
            Self::SyslogAlerts => vec![
                alert("id", A::Id, Int),
                alert("timestamp", A::OccurredAt, Time),
                alert("agent", A::Sensor, Text),
                alert("hostname", A::Hostname, Text),
                alert("level", A::Severity, Band),
                alert("type", A::AlertType, Text),
                alert("title", A::Title, Text),
                alert("line", A::Message, Text),
            ],
            Self::DnsMetadata => vec![
                dns("id", D::Id, Int),
                dns("first_seen", D::FirstSeen, Time),
                dns("last_seen", D::LastSeen, Time),
                dns("agent", D::Sensor, Text),
                dns("query", D::Name, Text),
                dns("qtype", D::Rtype, Text),
                dns("answer", D::Value, Text),
                dns("ip", D::Ip, Addr),
                dns("count", D::Count, Int),
            ],
            Self::TcpMetadata => vec![
                flow("id", F::Id, Int),
                flow("timestamp", F::StartedAt, Time),
                flow("end", F::EndedAt, Time),
                flow("agent", F::Sensor, Text),
                flow("src_ip", F::SrcIp, Addr),
                flow("src_port", F::SrcPort, Int),
                flow("dst_ip", F::DstIp, Addr),
                flow("dst_port", F::DstPort, Int),
                flow("proto", F::Protocol, Text),
                flow("application", F::Application, Text),
                flow("src_bytes", F::SrcBytes, Int),
                flow("dst_bytes", F::DstBytes, Int),
                flow("src_packets", F::SrcPackets, Int),
                flow("dst_packets", F::DstPackets, Int),
                flow("state", F::State, Text),
                flow("uid", F::Uid, Text),
            ],
            Self::DhcpMetadata | Self::HttpMetadata => vec![],
        }
    }
}

/// Which rows of the datasets: the common part applies to every dataset, each
/// dataset's filter (the query model's, as its listing takes) to it alone.
#[derive(InputObject, Clone, Debug, Default)]
pub struct DataFilter {
    /// At or after.
    pub from: Option<Instant>,
    /// At or before (inclusive).
    pub to: Option<Instant>,
    pub sensor: Option<String>,
    /// Further conditions on network alerts (time, sensor and kind come from above).
    pub network_alerts: Option<AlertFilter>,
    pub syslog_alerts: Option<AlertFilter>,
    pub dns: Option<DnsRecordFilter>,
    pub connections: Option<FlowFilter>,
}

/// Every condition given (none: every row).
fn all_of<const N: usize>(parts: [Option<Condition>; N]) -> Condition {
    parts.into_iter().flatten().fold(Condition::all(), Condition::add)
}

fn cond(e: sea_orm::sea_query::SimpleExpr) -> Condition {
    Condition::all().add(e)
}

/// Rows read per statement while exporting or deleting.
const BATCH: u64 = 5000;

impl DataFilter {
    fn validate(&self) -> DomainResult<()> {
        match (self.from, self.to) {
            (Some(f), Some(t)) if f > t => Err(DomainError::bad("from", "must not be after to")),
            _ => Ok(()),
        }
    }

    fn alerts(
        &self,
        kind: &str,
        extra: &Option<AlertFilter>,
        newest: Option<i64>,
    ) -> DomainResult<Select<alert::Entity>> {
        use alert::Column as C;
        let path = if kind == "network" {
            "filter.networkAlerts"
        } else {
            "filter.syslogAlerts"
        };
        let parts = [
            Some(cond(C::Kind.eq(kind))),
            self.from.map(|t| cond(C::OccurredAt.gte(t))),
            self.to.map(|t| cond(C::OccurredAt.lte(t))),
            self.sensor.as_ref().map(|s| cond(C::Sensor.eq(s.trim()))),
            newest.map(|n| cond(C::Id.lte(n))),
            extra
                .as_ref()
                .map(|f| query::condition(f, &Scope::default(), path))
                .transpose()?,
        ];
        Ok(alert::Entity::find().filter(all_of(parts)))
    }

    fn flows(&self) -> DomainResult<Condition> {
        use flow::Column as C;
        let parts = [
            self.from.map(|t| cond(C::StartedAt.gte(t))),
            self.to.map(|t| cond(C::StartedAt.lte(t))),
            self.sensor.as_ref().map(|s| cond(C::Sensor.eq(s.trim()))),
            self.connections
                .as_ref()
                .map(|f| query::condition(f, &Scope::default(), "filter.connections"))
                .transpose()?,
        ];
        Ok(all_of(parts))
    }

    fn dns(&self) -> DomainResult<Condition> {
        use dns_record::Column as C;
        let parts = [
            self.from.map(|t| cond(C::LastSeen.gte(t))),
            self.to.map(|t| cond(C::FirstSeen.lte(t))),
            self.sensor.as_ref().map(|s| cond(C::Sensor.eq(s.trim()))),
            self.dns
                .as_ref()
                .map(|f| query::condition(f, &Scope::default(), "filter.dns"))
                .transpose()?,
        ];
        Ok(all_of(parts))
    }

    /// Checks every condition the datasets would be read with, before anything runs.
    pub fn check(&self, sets: &[DataSet]) -> DomainResult<()> {
        self.validate()?;
        for set in sets {
            match set {
                DataSet::NetworkAlerts | DataSet::SyslogAlerts => drop(alerts_of(self, *set, None)?),
                DataSet::DnsMetadata => drop(self.dns()?),
                DataSet::TcpMetadata => drop(self.flows()?),
                DataSet::DhcpMetadata | DataSet::HttpMetadata => {}
            }
        }
        Ok(())
    }
}

// ---- deletion ----

/// Deletes the rows of `set` the filter selects, in batches (each statement stays
/// short) of the caller's transaction; returns how many. Alerts' case links go with them.
/// What a deletion did: rows deleted, and alerts kept because they are evidence in cases.
#[derive(Clone, Copy, Debug, Default)]
pub struct Deleted {
    pub rows: u64,
    pub kept_in_cases: u64,
}

/// Deletes the rows of `set` that `filter` selects. Alerts attached to cases are
/// evidence: they are kept and counted, unless `from_cases` deletes them too.
pub async fn delete(
    db: &impl ConnectionTrait,
    set: DataSet,
    filter: &DataFilter,
    from_cases: bool,
) -> DomainResult<Deleted> {
    filter.check(&[set])?;
    macro_rules! in_batches {
        ($select:expr, $entity:ty, $id:expr, $after_each:expr) => {{
            let mut deleted = 0u64;
            loop {
                // Each round deletes what it read: the next starts again from the top.
                let ids: Vec<i64> = $select
                    .clone()
                    .select_only()
                    .column($id)
                    .order_by_asc($id)
                    .limit(BATCH)
                    .into_tuple()
                    .all(db)
                    .await?;
                if ids.is_empty() {
                    break Ok(deleted);
                }
                <$entity>::delete_many().filter($id.is_in(ids.clone())).exec(db).await?;
                $after_each(ids.clone()).await?;
                deleted += ids.len() as u64;
            }
        }};
    }
    let nothing = |_: Vec<i64>| async { DomainResult::Ok(()) };
    // Alerts are logged as deleted, so that live subscribers hear of it.
    let logged = |ids: Vec<i64>| async move { alert_log::record(db, Change::Deleted, &ids).await };
    let rows = |rows| Deleted { rows, kept_in_cases: 0 };
    match set {
        DataSet::NetworkAlerts | DataSet::SyslogAlerts => {
            let mut select = alerts_of(filter, set, None)?;
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
            let deleted: DomainResult<u64> = in_batches!(select, alert::Entity, alert::Column::Id, logged);
            let deleted = deleted?;
            Ok(Deleted {
                rows: deleted,
                kept_in_cases,
            })
        }
        DataSet::TcpMetadata => {
            let select = flow::Entity::find().filter(filter.flows()?);
            in_batches!(select, flow::Entity, flow::Column::Id, nothing).map(rows)
        }
        DataSet::DnsMetadata => {
            let select = dns_record::Entity::find().filter(filter.dns()?);
            in_batches!(select, dns_record::Entity, dns_record::Column::Id, nothing).map(rows)
        }
        DataSet::DhcpMetadata | DataSet::HttpMetadata => Ok(rows(0)),
    }
}

/// The alerts of an alert dataset the filter selects, up to ID `newest` if given.
fn alerts_of(filter: &DataFilter, set: DataSet, newest: Option<i64>) -> DomainResult<Select<alert::Entity>> {
    match set {
        DataSet::NetworkAlerts => filter.alerts("network", &filter.network_alerts, newest),
        _ => filter.alerts("server", &filter.syslog_alerts, newest),
    }
}

// ---- export ----

/// How an exported column is written.
#[derive(Clone, Copy)]
enum Field {
    Int,
    /// An `Int` of a 32-bit column (ports): PostgreSQL's driver reads each width as its
    /// own type. [`Exported::of`] tells them apart.
    Int32,
    Text,
    /// A time in the export's timezone.
    Time,
    /// An address key, written as the address.
    Addr,
    /// A severity rank, written as Intrudect's level (its band).
    Band,
}

/// One column of a CSV: its name, the table column it comes from, how it is written.
struct Exported {
    name: &'static str,
    column: ColumnRef,
    field: Field,
}

impl Exported {
    fn of<C: ColumnTrait>(name: &'static str, column: C, field: Field) -> Self {
        let field = match (field, column.def().get_column_type()) {
            (Field::Int, ColumnType::Integer) => Field::Int32,
            (field, _) => field,
        };
        Self {
            name,
            column: (column.entity_name(), column).into_column_ref(),
            field,
        }
    }
}

impl DataSet {
    fn header(self) -> Vec<&'static str> {
        match self {
            Self::DhcpMetadata => vec!["timestamp", "agent", "mac", "ip", "hostname"],
            Self::HttpMetadata => vec![
                "timestamp",
                "agent",
                "src_ip",
                "src_port",
                "dst_ip",
                "dst_port",
                "host",
                "uri",
                "user_agent",
            ],
            _ => self.columns().iter().map(|c| c.name).collect(),
        }
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

/// Writes the ZIP of `sets` to `out`, one CSV entry per set, rows in ID order, times in
/// `tz`. Stops quietly when the receiver goes away (the client hung up).
pub async fn export(
    db: &DatabaseConnection,
    sets: &[DataSet],
    filter: &DataFilter,
    tz: chrono_tz::Tz,
    out: Chunks,
) -> DomainResult<()> {
    use zip::write::SimpleFileOptions;
    filter.check(sets)?;
    let pending = Pending::default();
    let mut zip = zip::ZipWriter::new_stream(pending.clone());
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1))
        // Entries may pass 4 GiB (ZIP64); it costs a few bytes per entry.
        .large_file(true);
    for set in sets {
        zip.start_file(set.entry(), options).map_err(export_error)?;
        let mut header = csv::Writer::from_writer(Vec::new());
        header.write_record(set.header()).map_err(export_error)?;
        zip.write_all(&header.into_inner().map_err(export_error)?)
            .map_err(export_error)?;
        let Some(rows) = Rows::of(db, *set, filter).await? else {
            continue;
        };
        let rows = Arc::new(rows);
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

/// What an export of one dataset reads: the exported columns of the rows the filter
/// selects (conditions built once), in batches by ID.
struct Rows {
    query: SelectStatement,
    id: ColumnRef,
    fields: Vec<Field>,
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
    /// `None` for the datasets Pivot records nothing in. The rows end at the newest one
    /// now: rows written while the export runs neither join it nor keep it going.
    async fn of(db: &impl ConnectionTrait, set: DataSet, filter: &DataFilter) -> DomainResult<Option<Self>> {
        fn rows<E: EntityTrait>(select: Select<E>, id: E::Column, set: DataSet) -> Rows {
            let columns = set.columns();
            let mut query = select.into_query();
            query.clear_selects();
            query.exprs(columns.iter().map(|c| Expr::col(c.column.clone())));
            Rows {
                query,
                id: (E::default(), id).into_column_ref(),
                fields: columns.iter().map(|c| c.field).collect(),
                places: Arc::new(Semaphore::new(IN_FLIGHT)),
            }
        }
        use {alert::Column as A, dns_record::Column as D, flow::Column as F};
        Ok(Some(match set {
            DataSet::NetworkAlerts | DataSet::SyslogAlerts => {
                let newest = max_id(db, "alerts").await?;
                rows(alerts_of(filter, set, Some(newest))?, A::Id, set)
            }
            DataSet::DnsMetadata => {
                let newest = max_id(db, "dns_records").await?;
                let select = dns_record::Entity::find()
                    .filter(filter.dns()?)
                    .filter(D::Id.lte(newest));
                rows(select, D::Id, set)
            }
            DataSet::TcpMetadata => {
                let newest = max_id(db, "flows").await?;
                rows(
                    flow::Entity::find().filter(filter.flows()?).filter(F::Id.lte(newest)),
                    F::Id,
                    set,
                )
            }
            DataSet::DhcpMetadata | DataSet::HttpMetadata => return Ok(None),
        }))
    }

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
        let mut query = self.query.clone();
        query
            .and_where(Expr::col(self.id.clone()).gt(after))
            .order_by(self.id.clone(), Order::Asc)
            .limit(BATCH);
        let found = db.query_all(db.get_database_backend().build(&query)).await?;
        let next = match found.last() {
            Some(last) if found.len() as u64 == BATCH => Some(self.read_ahead(db, last.try_get_by_index(0)?, tz)),
            _ => None,
        };
        let mut csv = csv::Writer::from_writer(Vec::with_capacity(found.len() * 160));
        let mut field = String::new();
        for row in &found {
            for (i, kind) in self.fields.iter().enumerate() {
                field.clear();
                write_field(&mut field, row, i, *kind, tz)?;
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

/// Writes column `i` of `row` into `out` as `kind` says (nothing for NULL).
fn write_field(
    out: &mut String,
    row: &sea_orm::QueryResult,
    i: usize,
    kind: Field,
    tz: chrono_tz::Tz,
) -> DomainResult<()> {
    use std::fmt::Write as _;
    let mut put = |v: &dyn std::fmt::Display| {
        let _ = write!(out, "{v}");
    };
    match kind {
        Field::Int => row.try_get_by_index::<Option<i64>>(i)?.iter().for_each(|v| put(v)),
        Field::Int32 => row.try_get_by_index::<Option<i32>>(i)?.iter().for_each(|v| put(v)),
        Field::Band => put(&Severity::from_rank(row.try_get_by_index::<i16>(i)?).band()),
        Field::Text => {
            if let Some(text) = row.try_get_by_index::<Option<String>>(i)? {
                push_cell_text(out, &text);
            }
        }
        Field::Addr => {
            if let Some(a) = row
                .try_get_by_index::<Option<Vec<u8>>>(i)?
                .as_deref()
                .and_then(ip::from_key)
            {
                put(&a);
            }
        }
        Field::Time => {
            if let Some(t) = row.try_get_by_index::<Option<DateTime<Utc>>>(i)? {
                push_local_time(out, tz, t);
            }
        }
    }
    Ok(())
}

/// Text as a spreadsheet cell that cannot run: a value that starts like a formula
/// (`=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'` (OWASP's advice
/// against CSV injection). Names and titles come from monitored, possibly hostile hosts.
fn push_cell_text(out: &mut String, text: &str) {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        out.push('\'');
    }
    out.push_str(text);
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
            let mut out = String::new();
            super::push_cell_text(&mut out, raw);
            assert_eq!(out, cell);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn exports_read_the_id_first() {
        // Batches follow each other by the last row's first column.
        for set in [
            DataSet::NetworkAlerts,
            DataSet::SyslogAlerts,
            DataSet::DnsMetadata,
            DataSet::TcpMetadata,
        ] {
            let columns = set.columns();
            assert_eq!(columns[0].name, "id", "{set:?}");
            assert!(matches!(columns[0].field, Field::Int), "{set:?}");
        }
        let ports = DataSet::TcpMetadata.columns();
        assert!(matches!(ports[5].field, Field::Int32), "ports are 32-bit columns");
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
