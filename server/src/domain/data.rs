//! Data management: the datasets an operator exports (a ZIP of one CSV per dataset,
//! streamed in batches so that memory stays flat) or deletes (one transaction), with
//! one filter model for both — a time range and a sensor common to all, and what each
//! dataset adds.

use std::io::Write;
use std::sync::{Arc, Mutex};

use async_graphql::{Enum, InputObject};
use chrono::{DateTime, Utc};
use entities::{alert, dns_record, flow};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use tokio::sync::mpsc;

use super::alert_log::{self, Change};
use super::alert_search::AlertSearch;
use super::alerts::Severity;
use super::error::{DomainError, DomainResult};
use super::ip;
use super::patterns::{address, like};
use super::search::{all_of, any_of, cond, values};
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

    fn header(self) -> &'static [&'static str] {
        match self {
            Self::NetworkAlerts => &[
                "id",
                "timestamp",
                "agent",
                "src_mac",
                "dst_mac",
                "src_ip",
                "dst_ip",
                "src_port",
                "dst_port",
                "level",
                "type",
                "subject",
                "message",
            ],
            Self::SyslogAlerts => &["id", "timestamp", "agent", "hostname", "level", "type", "title", "line"],
            Self::DnsMetadata => &[
                "id",
                "first_seen",
                "last_seen",
                "agent",
                "query",
                "qtype",
                "answer",
                "ip",
                "count",
            ],
            Self::TcpMetadata => &[
                "id",
                "timestamp",
                "end",
                "agent",
                "src_ip",
                "src_port",
                "dst_ip",
                "dst_port",
                "proto",
                "application",
                "src_bytes",
                "dst_bytes",
                "src_packets",
                "dst_packets",
                "state",
                "uid",
            ],
            Self::DhcpMetadata => &["timestamp", "agent", "mac", "ip", "hostname"],
            Self::HttpMetadata => &[
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
        }
    }
}

/// Which rows of the datasets: the common part applies to every dataset, each
/// dataset's part to it alone.
#[derive(InputObject, Clone, Debug, Default)]
pub struct DataFilter {
    /// At or after.
    pub from: Option<DateTime<Utc>>,
    /// At or before (inclusive).
    pub to: Option<DateTime<Utc>>,
    pub sensor: Option<String>,
    /// Further conditions on network alerts (time, sensor and kind come from above).
    pub network_alerts: Option<AlertSearch>,
    pub syslog_alerts: Option<AlertSearch>,
    pub dns: Option<DnsSearch>,
    pub connections: Option<FlowSearch>,
}

/// Passive DNS records matching any value of every list given.
#[derive(InputObject, Clone, Debug, Default)]
pub struct DnsSearch {
    /// `LIKE` patterns of the queried name (`%.example.com`).
    pub names: Option<Vec<String>>,
    /// Record types (`A`, `MX` ...).
    pub types: Option<Vec<String>>,
}

/// Flows matching any value of every list given.
#[derive(InputObject, Clone, Debug, Default)]
pub struct FlowSearch {
    /// Address patterns (`10.0.0.%`) of the source.
    pub sources: Option<Vec<String>>,
    pub destinations: Option<Vec<String>>,
    pub src_ports: Option<Vec<i32>>,
    pub dst_ports: Option<Vec<i32>>,
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

    fn alerts(&self, kind: &str, extra: &Option<AlertSearch>) -> DomainResult<Select<alert::Entity>> {
        let mut s = extra.clone().unwrap_or_default();
        s.kinds = Some(vec![kind.into()]);
        s.from = self.from.or(s.from);
        s.to = self.to.or(s.to);
        if let Some(sensor) = &self.sensor {
            s.sensors = Some(vec![sensor.clone()]);
        }
        s.select()
    }

    fn flows(&self) -> DomainResult<Condition> {
        use flow::Column as C;
        let f = self.connections.clone().unwrap_or_default();
        let col = |c: C| (flow::Entity, c);
        let parts = [
            self.from.map(|t| cond(C::StartedAt.gte(t))),
            self.to.map(|t| cond(C::StartedAt.lte(t))),
            self.sensor.as_ref().map(|s| cond(C::Sensor.eq(s.trim()))),
            any_of("sources", &f.sources, |v| address(col(C::SrcIp), "sources", v))?,
            any_of("destinations", &f.destinations, |v| {
                address(col(C::DstIp), "destinations", v)
            })?,
            values("srcPorts", &f.src_ports)?.map(|p| cond(C::SrcPort.is_in(p.to_vec()))),
            values("dstPorts", &f.dst_ports)?.map(|p| cond(C::DstPort.is_in(p.to_vec()))),
        ];
        Ok(all_of(parts))
    }

    fn dns(&self) -> DomainResult<Condition> {
        use dns_record::Column as C;
        let f = self.dns.clone().unwrap_or_default();
        let parts = [
            self.from.map(|t| cond(C::LastSeen.gte(t))),
            self.to.map(|t| cond(C::FirstSeen.lte(t))),
            self.sensor.as_ref().map(|s| cond(C::Sensor.eq(s.trim()))),
            any_of("names", &f.names, |v| Ok(cond(like((dns_record::Entity, C::Name), v))))?,
            values("types", &f.types)?.map(|t| cond(C::Rtype.is_in(t.iter().map(|t| t.trim().to_uppercase())))),
        ];
        Ok(all_of(parts))
    }

    /// Checks every condition the datasets would be read with, before anything runs.
    pub fn check(&self, sets: &[DataSet]) -> DomainResult<()> {
        self.validate()?;
        for set in sets {
            match set {
                DataSet::NetworkAlerts => drop(self.alerts("network", &self.network_alerts)?),
                DataSet::SyslogAlerts => drop(self.alerts("server", &self.syslog_alerts)?),
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
pub async fn delete(db: &impl ConnectionTrait, set: DataSet, filter: &DataFilter) -> DomainResult<u64> {
    filter.check(&[set])?;
    let unique = |s: &Option<AlertSearch>| s.as_ref().is_some_and(|s| s.unique.is_some());
    if unique(&filter.network_alerts) || unique(&filter.syslog_alerts) {
        // Each round would delete the newest of each group, then the next newest ...
        return Err(DomainError::bad(
            "filter.unique",
            "a deletion takes every matching row, not one per group",
        ));
    }
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
    match set {
        DataSet::NetworkAlerts | DataSet::SyslogAlerts => {
            let select = alerts_of(filter, set)?;
            in_batches!(select, alert::Entity, alert::Column::Id, logged)
        }
        DataSet::TcpMetadata => {
            let select = flow::Entity::find().filter(filter.flows()?);
            in_batches!(select, flow::Entity, flow::Column::Id, nothing)
        }
        DataSet::DnsMetadata => {
            let select = dns_record::Entity::find().filter(filter.dns()?);
            in_batches!(select, dns_record::Entity, dns_record::Column::Id, nothing)
        }
        DataSet::DhcpMetadata | DataSet::HttpMetadata => Ok(0),
    }
}

/// The alerts of an alert dataset the filter selects.
fn alerts_of(filter: &DataFilter, set: DataSet) -> DomainResult<Select<alert::Entity>> {
    match set {
        DataSet::NetworkAlerts => filter.alerts("network", &filter.network_alerts),
        _ => filter.alerts("server", &filter.syslog_alerts),
    }
}

// ---- export ----

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
    let zip_err =
        |e: zip::result::ZipError| DomainError::Db(sea_orm::DbErr::Custom(format!("writing the export: {e}")));
    let io_err = |e: std::io::Error| DomainError::Db(sea_orm::DbErr::Custom(format!("writing the export: {e}")));
    let csv_err = |e: csv::Error| DomainError::Db(sea_orm::DbErr::Custom(format!("writing the export: {e}")));
    for set in sets {
        zip.start_file(set.entry(), options).map_err(zip_err)?;
        let mut csv = csv::Writer::from_writer(&mut zip);
        csv.write_record(set.header()).map_err(csv_err)?;
        let rows_of = Rows::of(*set, filter)?.up_to_now(db).await?;
        let mut page = fetch(db, &rows_of, 0).await?;
        loop {
            // The next batch is read by a task of its own while this one is written:
            // the database, sqlx's SQLite worker thread (which waits for its rows to be
            // taken) and this task's formatting and deflating run side by side.
            let next = page.last_id().filter(|_| page.len() as u64 == BATCH).map(|id| {
                let (db, rows_of) = (db.clone(), rows_of.clone());
                Ahead(tokio::spawn(async move { fetch(&db, &rows_of, id).await }))
            });
            write_page(&page, tz, &mut csv)?;
            csv.flush().map_err(io_err)?;
            let chunk = pending.take();
            if !chunk.is_empty() && out.send(Ok(chunk)).await.is_err() {
                return Ok(());
            }
            match next {
                Some(mut task) => {
                    page = (&mut task.0)
                        .await
                        .map_err(|e| DomainError::Db(sea_orm::DbErr::Custom(format!("reading the export: {e}"))))??
                }
                None => break,
            }
        }
    }
    zip.finish().map_err(zip_err)?;
    let _ = out.send(Ok(pending.take())).await;
    Ok(())
}

/// A time as operators' tools write it: `YYYY-MM-DD HH:MM:SS` in their timezone (the
/// REST dialects render times the same way).
pub fn local_time(tz: chrono_tz::Tz, t: DateTime<Utc>) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string()
}

fn addr(key: Option<&[u8]>) -> String {
    key.and_then(ip::from_key).map(|a| a.to_string()).unwrap_or_default()
}

fn num<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// What an export of one dataset reads, its conditions built once.
#[derive(Clone)]
enum Rows {
    Alerts(DataSet, Select<alert::Entity>),
    Dns(Select<dns_record::Entity>),
    Flows(Select<flow::Entity>),
    None,
}

impl Rows {
    fn of(set: DataSet, filter: &DataFilter) -> DomainResult<Self> {
        Ok(match set {
            DataSet::NetworkAlerts | DataSet::SyslogAlerts => Self::Alerts(set, alerts_of(filter, set)?),
            DataSet::DnsMetadata => Self::Dns(dns_record::Entity::find().filter(filter.dns()?)),
            DataSet::TcpMetadata => Self::Flows(flow::Entity::find().filter(filter.flows()?)),
            DataSet::DhcpMetadata | DataSet::HttpMetadata => Self::None,
        })
    }
}

/// One batch of rows, as read.
enum Page {
    Alerts(DataSet, Vec<alert::Model>),
    Dns(Vec<dns_record::Model>),
    Flows(Vec<flow::Model>),
    None,
}

impl Page {
    fn len(&self) -> usize {
        match self {
            Self::Alerts(_, rows) => rows.len(),
            Self::Dns(rows) => rows.len(),
            Self::Flows(rows) => rows.len(),
            Self::None => 0,
        }
    }

    fn last_id(&self) -> Option<i64> {
        match self {
            Self::Alerts(_, rows) => rows.last().map(|r| r.id),
            Self::Dns(rows) => rows.last().map(|r| r.id),
            Self::Flows(rows) => rows.last().map(|r| r.id),
            Self::None => None,
        }
    }
}

/// A batch being read ahead, given up when the export stops first (an error, or the
/// client hung up): dropping a tokio task's handle would leave it running.
struct Ahead(tokio::task::JoinHandle<DomainResult<Page>>);

impl Drop for Ahead {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Rows {
    /// The same rows up to the newest one now: an export ends there, so rows written
    /// while it runs neither join it nor keep it going.
    async fn up_to_now(self, db: &impl ConnectionTrait) -> DomainResult<Self> {
        macro_rules! bound {
            ($select:expr, $entity:ty, $id:expr) => {{
                let newest: Option<Option<i64>> = <$entity>::find()
                    .select_only()
                    .expr(Expr::col($id).max())
                    .into_tuple()
                    .one(db)
                    .await?;
                $select.filter(Expr::col($id).lte(newest.flatten().unwrap_or(0)))
            }};
        }
        Ok(match self {
            Self::Alerts(set, select) => Self::Alerts(set, bound!(select, alert::Entity, alert::Column::Id)),
            Self::Dns(select) => Self::Dns(bound!(select, dns_record::Entity, dns_record::Column::Id)),
            Self::Flows(select) => Self::Flows(bound!(select, flow::Entity, flow::Column::Id)),
            Self::None => Self::None,
        })
    }
}

/// The batch of rows after ID `after`.
async fn fetch(db: &impl ConnectionTrait, rows_of: &Rows, after: i64) -> DomainResult<Page> {
    macro_rules! page {
        ($select:expr, $id:expr) => {
            $select
                .clone()
                .filter(Expr::col($id).gt(after))
                .order_by_asc($id)
                .limit(BATCH)
                .all(db)
                .await?
        };
    }
    Ok(match rows_of {
        Rows::Alerts(set, select) => Page::Alerts(*set, page!(select, alert::Column::Id)),
        Rows::Dns(select) => Page::Dns(page!(select, dns_record::Column::Id)),
        Rows::Flows(select) => Page::Flows(page!(select, flow::Column::Id)),
        Rows::None => Page::None,
    })
}

/// Writes a batch of rows into `csv`, times in `tz`.
fn write_page(page: &Page, tz: chrono_tz::Tz, csv: &mut csv::Writer<impl Write>) -> DomainResult<()> {
    let write = |csv: &mut csv::Writer<_>, row: Vec<String>| {
        csv.write_record(row)
            .map_err(|e| DomainError::Db(sea_orm::DbErr::Custom(e.to_string())))
    };
    match page {
        Page::Alerts(set, rows) => {
            for a in rows {
                let level = Severity::from_rank(a.severity).band().to_string();
                let (ts, agent) = (local_time(tz, a.occurred_at), a.sensor.clone().unwrap_or_default());
                let text = |v: &Option<String>| v.clone().unwrap_or_default();
                write(
                    csv,
                    match set {
                        DataSet::NetworkAlerts => vec![
                            a.id.to_string(),
                            ts,
                            agent,
                            text(&a.src_mac),
                            text(&a.dst_mac),
                            addr(a.src_ip.as_deref()),
                            addr(a.dst_ip.as_deref()),
                            num(a.src_port),
                            num(a.dst_port),
                            level,
                            a.alert_type.clone(),
                            a.title.clone(),
                            text(&a.message),
                        ],
                        _ => vec![
                            a.id.to_string(),
                            ts,
                            agent,
                            text(&a.hostname),
                            level,
                            a.alert_type.clone(),
                            a.title.clone(),
                            text(&a.message),
                        ],
                    },
                )?;
            }
        }
        Page::Dns(rows) => {
            for d in rows {
                write(
                    csv,
                    vec![
                        d.id.to_string(),
                        local_time(tz, d.first_seen),
                        local_time(tz, d.last_seen),
                        d.sensor.clone().unwrap_or_default(),
                        d.name.clone(),
                        d.rtype.clone(),
                        d.value.clone(),
                        addr(d.ip.as_deref()),
                        d.count.to_string(),
                    ],
                )?;
            }
        }
        Page::Flows(rows) => {
            for f in rows {
                write(
                    csv,
                    vec![
                        f.id.to_string(),
                        local_time(tz, f.started_at),
                        f.ended_at.map(|t| local_time(tz, t)).unwrap_or_default(),
                        f.sensor.clone().unwrap_or_default(),
                        addr(Some(&f.src_ip)),
                        num(f.src_port),
                        addr(Some(&f.dst_ip)),
                        num(f.dst_port),
                        f.protocol.clone(),
                        f.application.clone().unwrap_or_default(),
                        f.src_bytes.to_string(),
                        f.dst_bytes.to_string(),
                        f.src_packets.to_string(),
                        f.dst_packets.to_string(),
                        f.state.clone().unwrap_or_default(),
                        f.uid.clone().unwrap_or_default(),
                    ],
                )?;
            }
        }
        Page::None => {}
    }
    Ok(())
}
