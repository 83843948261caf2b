//! Imports of real tools' output: nmap/masscan XML, Zeek conn and dns logs (TSV or
//! JSON lines), Suricata EVE alerts. Each format is a streaming parser in its own
//! module; a parser runs on a blocking thread and hands records in batches through a
//! bounded channel to [`write`], which writes them in multi-row statements inside one
//! transaction: an import lands whole or not at all, and memory stays flat whatever the
//! file's size.

pub mod bounds;
mod indexes;
pub mod ipdr;
pub mod nmap;
pub mod provenance;
pub mod suricata;
pub mod write;
pub mod zeek;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};

use async_graphql::{Enum, SimpleObject};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::domain::audit;
use crate::domain::error::{DomainError, DomainResult};

/// Records handed from a parser to the writer at once.
pub const BATCH: usize = 1000;

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// nmap `-oX` output, or masscan's XML.
    Nmap,
    /// Zeek `conn.log` or `dns.log`, TSV or JSON lines.
    Zeek,
    /// Suricata `eve.json`: alerts (other events are skipped and counted).
    Suricata,
    /// IPDR records in CSV with Trisul's column names ([`ipdr`]).
    Ipdr,
}

impl Format {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "nmap" | "masscan" => Some(Self::Nmap),
            "zeek" => Some(Self::Zeek),
            "suricata" => Some(Self::Suricata),
            "ipdr" => Some(Self::Ipdr),
            _ => None,
        }
    }
}

/// What an import is told besides its input.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Where the data comes from (a scan's source label, a sensor's name).
    pub source: Option<String>,
    pub categories: Vec<String>,
    /// The IPDR context records go to (`default` unless named; created if new).
    pub context: Option<String>,
    /// The timezone of times written without an offset (IPDR CSV); UTC unless given.
    pub timezone: Option<chrono_tz::Tz>,
    /// Who imports (none at the terminal), and through what: for the import's record.
    pub user_id: Option<i64>,
    pub via: provenance::Via,
    /// Records that cannot be read are left out, counted and listed (the first
    /// [`BAD_LISTED`]), instead of failing the import. Zeek, Suricata and IPDR only:
    /// an XML file is one document.
    pub skip_bad_records: bool,
}

/// Bad records a summary lists (all are counted).
pub const BAD_LISTED: usize = 20;

/// The reason a bad record is counted under.
const BAD_RECORD: &str = "bad record";

/// A record left out for what is wrong with it (`--skip-bad-records`).
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct BadRecord {
    pub file: String,
    /// `line 12`
    pub location: String,
    pub reason: String,
}

/// Why a file could not be read: where, and what is wrong there.
#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    /// `line 12`, `byte 5120, in host #3` …
    pub location: String,
    pub reason: String,
}

impl ParseError {
    pub fn new(location: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            location: location.into(),
            reason: reason.into(),
        }
    }
}

#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct SkipReason {
    pub reason: String,
    pub count: u64,
}

/// The kinds of object an import writes, in the order summaries list them.
#[derive(Enum, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ImportedKind {
    Hosts,
    /// Hosts first seen as the end of a flow (or an alert).
    HostsFromFlows,
    Ports,
    Flows,
    DnsRecords,
    Alerts,
    IpdrRecords,
}

impl ImportedKind {
    /// As a summary line says it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Hosts => "hosts",
            Self::HostsFromFlows => "hosts from flow ends",
            Self::Ports => "ports",
            Self::Flows => "flows",
            Self::DnsRecords => "DNS records",
            Self::Alerts => "alerts",
            Self::IpdrRecords => "IPDR records",
        }
    }
}

/// What an import did to one kind of object.
#[derive(SimpleObject, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[graphql(name = "ImportCount")]
pub struct KindCount {
    pub kind: ImportedKind,
    /// Objects created.
    pub added: u64,
    /// Objects that existed and were brought up to date.
    pub updated: u64,
    /// Records whose object was already there, as imported before: left as it was.
    pub unchanged: u64,
}

/// What an import did.
#[derive(SimpleObject, Clone, Debug, Default)]
#[graphql(name = "ImportSummary", complex)]
pub struct Summary {
    /// Records read from the input.
    pub read: u64,
    /// Objects created (hosts, ports, flows, DNS records, alerts …).
    pub inserted: u64,
    /// Objects that existed and were brought up to date.
    pub updated: u64,
    /// Records already there, as imported before: left as they were.
    pub unchanged: u64,
    /// Records left out, with why.
    pub skipped: u64,
    pub skipped_because: Vec<SkipReason>,
    /// What changed, per kind of object.
    pub counts: Vec<KindCount>,
    /// With `skipBadRecords`: the first bad records left out, where and why (all are
    /// counted in `skipped`, as `bad record`).
    pub bad_records: Vec<BadRecord>,
    /// The imports recorded, one per file (`imports` in the graph).
    #[graphql(skip)]
    pub imports: Vec<i64>,
    /// Files skipped as imported whole before: the earlier imports.
    #[graphql(skip)]
    pub already_imported: Vec<i64>,
    /// What to say of each file skipped.
    #[graphql(skip)]
    pub notices: Vec<String>,
    #[graphql(skip)]
    reasons: BTreeMap<String, u64>,
    #[graphql(skip)]
    kinds: BTreeMap<ImportedKind, (u64, u64, u64)>,
}

impl Summary {
    pub fn skip(&mut self, reason: impl Into<String>) {
        self.skipped += 1;
        *self.reasons.entry(reason.into()).or_default() += 1;
    }

    /// Records left out because they could not be read.
    pub fn bad_count(&self) -> u64 {
        self.reasons.get(BAD_RECORD).copied().unwrap_or(0)
    }

    /// Objects of `kind` added.
    pub fn added(&self, kind: ImportedKind) -> u64 {
        self.kinds.get(&kind).map_or(0, |c| c.0)
    }

    /// Counts a record left out for what is wrong with it; lists the first ones.
    pub(crate) fn bad(&mut self, file: &str, e: ParseError) {
        self.skip(BAD_RECORD);
        if self.bad_records.len() < BAD_LISTED {
            self.bad_records.push(BadRecord {
                file: file.to_string(),
                location: e.location,
                reason: e.reason,
            });
        }
    }

    /// Counts objects of `kind` added, updated, and found as they were.
    pub fn tally(&mut self, kind: ImportedKind, added: u64, updated: u64, unchanged: u64) {
        if added + updated + unchanged == 0 {
            return;
        }
        let e = self.kinds.entry(kind).or_default();
        e.0 += added;
        e.1 += updated;
        e.2 += unchanged;
    }

    /// Adds what another input did.
    fn merge(&mut self, other: Summary) {
        self.read += other.read;
        let room = BAD_LISTED.saturating_sub(self.bad_records.len());
        self.bad_records.extend(other.bad_records.into_iter().take(room));
        self.skipped += other.skipped;
        for (reason, n) in other.reasons {
            *self.reasons.entry(reason).or_default() += n;
        }
        for (kind, (a, u, n)) in other.kinds {
            self.tally(kind, a, u, n);
        }
    }

    /// Totals and lists made from the tallies.
    fn finish(mut self) -> Self {
        self.skipped_because = self
            .reasons
            .iter()
            .map(|(reason, &count)| SkipReason {
                reason: reason.clone(),
                count,
            })
            .collect();
        self.counts = self
            .kinds
            .iter()
            .map(|(&kind, &(added, updated, unchanged))| KindCount {
                kind,
                added,
                updated,
                unchanged,
            })
            .collect();
        self.inserted = self.counts.iter().map(|c| c.added).sum();
        self.updated = self.counts.iter().map(|c| c.updated).sum();
        self.unchanged = self.counts.iter().map(|c| c.unchanged).sum();
        self
    }
}

/// An input, gzip-compressed or not (told by its first bytes, not its name), read
/// within [`bounds`]: records and decompression are bounded whatever the content.
pub fn open(input: impl Read + Send + 'static, records: bounds::Records) -> std::io::Result<Box<dyn BufRead + Send>> {
    let compressed = bounds::Counted::default();
    let mut input = BufReader::with_capacity(256 * 1024, bounds::Counting::new(input, compressed.clone()));
    let gzip = input.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    Ok(if gzip {
        let inflated = flate2::bufread::MultiGzDecoder::new(input);
        Box::new(BufReader::with_capacity(
            256 * 1024,
            bounds::Bounded::new(inflated, records, Some(compressed)),
        ))
    } else {
        Box::new(BufReader::with_capacity(
            256 * 1024,
            bounds::Bounded::new(input, records, None),
        ))
    })
}

/// A named input of an import.
pub struct Input {
    /// The file name, for messages and the import's record.
    pub name: String,
    /// A file on disk is fingerprinted before it is read; anything else (a pipe) as
    /// it is read.
    pub file: std::fs::File,
}

/// Imports the inputs in one transaction; `progress` is told how many records were
/// read so far. A parse error names the input, the place and the reason, and nothing
/// of the import is kept. A file imported whole before is skipped (the summary says
/// so); each other file is recorded as an import ([`provenance`]).
pub async fn import(
    db: &(impl TransactionTrait + sea_orm::ConnectionTrait),
    format: Format,
    inputs: Vec<Input>,
    options: &Options,
    progress: &(dyn Fn(u64) + Sync),
) -> DomainResult<Summary> {
    if options.skip_bad_records && format == Format::Nmap {
        return Err(DomainError::bad(
            "skipBadRecords",
            "applies to Zeek, Suricata and IPDR files: an XML file is one document, read whole or not at all",
        ));
    }
    if format == Format::Ipdr {
        crate::domain::ipdr::ensure_partitions(db, chrono::Utc::now()).await?;
    }
    let tx = db.begin().await?;
    let mut total = Summary::default();
    let mut writer = write::Writer::new();
    for Input { name, mut file } in inputs {
        let reading = format!("{name}: cannot read");
        let (file, known) = tokio::task::spawn_blocking(move || provenance::fingerprint(&mut file).map(|f| (file, f)))
            .await
            .map_err(|e| DomainError::bad("file", format!("{reading}: {e}")))?
            .map_err(|e| DomainError::bad("file", format!("{reading}: {e}")))?;
        if let Some(known) = &known {
            if let Some(earlier) = provenance::earlier(&tx, format, options, &known.sha256).await? {
                total.notices.push(provenance::already(&name, &earlier));
                total.already_imported.push(earlier.id);
                continue;
            }
        }
        let import_id = provenance::begin(&tx, format, &name, options).await?;
        writer.start(import_id);
        let (reader, hashing): (Box<dyn Read + Send>, _) = match known {
            Some(_) => (Box::new(file), None),
            None => {
                let (hashed, hashing) = provenance::Hashed::new(file);
                (Box::new(hashed), Some(hashing))
            }
        };
        let (sender, receiver) = mpsc::channel(4);
        let tz = options.timezone.unwrap_or(chrono_tz::UTC);
        let skip_bad = options.skip_bad_records;
        let parser = tokio::task::spawn_blocking(move || parse(format, tz, skip_bad, reader, sender));
        let base = total.read;
        let mut summary = Summary::default();
        let written = writer
            .run(&tx, options, &name, receiver, &mut summary, &|n| progress(base + n))
            .await;
        let parsed = parser
            .await
            .map_err(|e| DomainError::bad("file", format!("{name}: the reader stopped: {e}")))?;
        // A writer that failed stopped the parser: its own error says why. Otherwise a
        // parse error is the cause.
        written?;
        if let Err(e) = parsed {
            return Err(DomainError::bad(
                "file",
                format!("{name}: {}: {}", e.location, e.reason),
            ));
        }
        let fingerprint = known.unwrap_or_else(|| hashing.expect("hashed as read").fingerprint());
        let summary = summary.finish();
        provenance::finish(&tx, import_id, &name, &fingerprint, &summary).await?;
        total.merge(summary);
        total.imports.push(import_id);
    }
    writer.finish(&tx).await?;
    if options.via == provenance::Via::Cli {
        // At the terminal there is no mutation to audit: the import is its own event.
        let mut event = audit::Event::new(None, "import", None).detail(serde_json::json!({
            "via": "cli",
            "format": provenance::label(format),
            "source": options.source,
            "imports": total.imports,
            "alreadyImported": total.already_imported,
        }));
        if let Some(&first) = total.imports.first() {
            event = event.on(crate::domain::ids::Kind::Import, first);
        }
        audit::record(&tx, event).await?;
    }
    tx.commit().await?;
    let total = total.finish();
    if total.inserted + total.updated >= ANALYZE_AFTER {
        analyze(db, format).await;
    }
    if format == Format::Nmap {
        // The kept counts of hosts by port: one row per key again (an optimisation
        // only: the import has succeeded whatever this does).
        if let Err(e) = crate::domain::tallies::fold(db).await {
            tracing::warn!(error = %e, "folding the port tallies after an import");
        }
    }
    Ok(total)
}

/// Objects an import writes before the tables it filled are analyzed.
const ANALYZE_AFTER: u64 = 1000;

/// Fresh statistics for the tables an import of `format` filled, on PostgreSQL:
/// until autovacuum gets to them the planner takes them for nearly empty (counting
/// the hosts with port 22 open, 5,000 hosts: 8.8 ms read row by row, 1.8 ms from the
/// indexes once analyzed). SQLite's planner goes by its indexes and needs none.
async fn analyze(db: &impl sea_orm::ConnectionTrait, format: Format) {
    if db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return;
    }
    let tables = match format {
        Format::Nmap => "hosts, hostnames, ports, port_sightings, host_imports",
        Format::Zeek => "flows, dns_records",
        Format::Suricata => "alerts",
        Format::Ipdr => "ipdr_records",
    };
    // Statistics only help: an import that stored its rows has succeeded.
    if let Err(e) = db.execute_unprepared(&format!("ANALYZE {tables}")).await {
        tracing::warn!(error = %e, "analyzing after an import");
    }
}

/// A batch of parsed records of one kind.
pub enum Batch {
    Scan(nmap::ScanInfo),
    ScanFinished(Option<chrono::DateTime<chrono::Utc>>),
    Hosts(Vec<nmap::HostRecord>),
    Flows(Vec<zeek::Flow>),
    Dns(Vec<zeek::Dns>),
    Alerts(Vec<suricata::Alert>),
    Ipdr(Vec<ipdr::Record>),
    /// Records read and left out, with why.
    Skipped(Vec<String>),
    /// Records that could not be read, left out (`skip_bad_records`).
    Bad(Vec<ParseError>),
}

/// Sends batches of `T` as they fill up.
struct Batcher<T> {
    items: Vec<T>,
    wrap: fn(Vec<T>) -> Batch,
    sender: mpsc::Sender<Batch>,
}

impl<T> Batcher<T> {
    fn new(sender: mpsc::Sender<Batch>, wrap: fn(Vec<T>) -> Batch) -> Self {
        Self {
            items: Vec::with_capacity(BATCH),
            wrap,
            sender,
        }
    }

    fn push(&mut self, item: T) -> Result<(), ParseError> {
        self.items.push(item);
        if self.items.len() >= BATCH {
            self.flush()?;
        }
        Ok(())
    }

    fn send(&self, batch: Batch) -> Result<(), ParseError> {
        // The writer hung up: it failed, and says why itself.
        self.sender
            .blocking_send(batch)
            .map_err(|_| ParseError::new("", "the import was stopped"))
    }

    fn flush(&mut self) -> Result<(), ParseError> {
        if self.items.is_empty() {
            return Ok(());
        }
        let items = std::mem::replace(&mut self.items, Vec::with_capacity(BATCH));
        self.send((self.wrap)(items))
    }
}

/// Reads a file of one record per line (JSON lines): `read` makes each non-blank line
/// a record or says what is wrong with it, and `sink` is handed that, with the line's
/// number (a line that is not UTF-8 is wrong too). An error reading stops.
pub(crate) fn each_line<T>(
    mut input: impl BufRead,
    mut sink: impl FnMut(Result<T, ParseError>) -> Result<(), ParseError>,
    mut read: impl FnMut(&str) -> Result<T, String>,
) -> Result<(), ParseError> {
    let mut buf = Vec::new();
    for n in 1.. {
        buf.clear();
        let got = input
            .read_until(b'\n', &mut buf)
            .map_err(|e| ParseError::new(format!("line {n}"), format!("cannot read: {e}")))?;
        if got == 0 {
            break;
        }
        let record = match std::str::from_utf8(&buf) {
            Ok(line) if line.trim().is_empty() => continue,
            Ok(line) => read(line.trim_end_matches(['\n', '\r'])),
            Err(e) => Err(format!("not UTF-8 text: {e}")),
        };
        sink(record.map_err(|reason| ParseError::new(format!("line {n}"), reason)))?;
    }
    Ok(())
}

/// Whether a CSV reader's error is one record's (a row of the wrong length, text that
/// is not UTF-8), after which reading goes on; any other stops reading.
fn record_level(e: &csv::Error) -> bool {
    matches!(
        e.kind(),
        csv::ErrorKind::UnequalLengths { .. } | csv::ErrorKind::Utf8 { .. }
    )
}

/// Records that cannot be read: each stops the import, or with `skip` goes to the
/// writer to be counted and listed.
struct BadRecords {
    skip: bool,
    batch: Batcher<ParseError>,
}

impl BadRecords {
    fn take(&mut self, e: ParseError) -> Result<(), ParseError> {
        if self.skip {
            self.batch.push(e)
        } else {
            Err(e)
        }
    }
}

fn parse(
    format: Format,
    tz: chrono_tz::Tz,
    skip_bad: bool,
    reader: Box<dyn Read + Send>,
    sender: mpsc::Sender<Batch>,
) -> Result<(), ParseError> {
    let mut bad = BadRecords {
        skip: skip_bad,
        batch: Batcher::new(sender.clone(), Batch::Bad),
    };
    let records = match format {
        Format::Nmap => bounds::Records::Markup,
        Format::Ipdr => bounds::Records::Csv,
        Format::Zeek | Format::Suricata => bounds::Records::Lines,
    };
    let input = open(reader, records).map_err(|e| ParseError::new("byte 0", format!("cannot read: {e}")))?;
    match format {
        Format::Nmap => {
            let mut hosts = Batcher::new(sender.clone(), Batch::Hosts);
            nmap::parse(input, |item| match item {
                nmap::Item::Scan(info) => hosts.send(Batch::Scan(info)),
                nmap::Item::Host(h) => hosts.push(h),
                nmap::Item::Finished(at) => {
                    hosts.flush()?;
                    hosts.send(Batch::ScanFinished(at))
                }
            })?;
            hosts.flush()
        }
        Format::Zeek => {
            let mut flows = Batcher::new(sender.clone(), Batch::Flows);
            let mut dns = Batcher::new(sender.clone(), Batch::Dns);
            zeek::parse(input, |record| match record {
                Ok(zeek::Record::Flow(f)) => flows.push(f),
                Ok(zeek::Record::Dns(d)) => dns.push(d),
                Err(e) => bad.take(e),
            })?;
            flows.flush()?;
            dns.flush()?;
            bad.batch.flush()
        }
        Format::Suricata => {
            let mut alerts = Batcher::new(sender.clone(), Batch::Alerts);
            let mut skipped = Batcher::new(sender, Batch::Skipped);
            suricata::parse(input, |event| match event {
                Ok(suricata::Event::Alert(a)) => alerts.push(*a),
                Ok(suricata::Event::Other(kind)) => skipped.push(format!("{kind} event")),
                Err(e) => bad.take(e),
            })?;
            alerts.flush()?;
            skipped.flush()?;
            bad.batch.flush()
        }
        Format::Ipdr => {
            let mut records = Batcher::new(sender, Batch::Ipdr);
            ipdr::parse(input, tz, |r| match r {
                Ok(r) => records.push(r),
                Err(e) => bad.take(e),
            })?;
            records.flush()?;
            bad.batch.flush()
        }
    }
}
