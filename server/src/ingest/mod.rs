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
pub mod suricata;
pub mod write;
pub mod zeek;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};

use async_graphql::{Enum, SimpleObject};
use sea_orm::TransactionTrait;
use tokio::sync::mpsc;

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

/// What an import did.
#[derive(SimpleObject, Clone, Debug, Default)]
#[graphql(name = "ImportSummary")]
pub struct Summary {
    /// Records read from the input.
    pub read: u64,
    /// Objects created (hosts, ports, flows, DNS records, alerts …).
    pub inserted: u64,
    /// Objects that existed and were brought up to date.
    pub updated: u64,
    /// Records left out, with why.
    pub skipped: u64,
    pub skipped_because: Vec<SkipReason>,
    #[graphql(skip)]
    reasons: BTreeMap<String, u64>,
}

impl Summary {
    pub fn skip(&mut self, reason: impl Into<String>) {
        self.skipped += 1;
        *self.reasons.entry(reason.into()).or_default() += 1;
    }

    fn finish(mut self) -> Self {
        self.skipped_because = std::mem::take(&mut self.reasons)
            .into_iter()
            .map(|(reason, count)| SkipReason { reason, count })
            .collect();
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
    /// The file name, for messages.
    pub name: String,
    pub reader: Box<dyn Read + Send>,
}

/// Imports the inputs in one transaction; `progress` is told how many records were
/// read so far. A parse error names the input, the place and the reason, and nothing
/// of the import is kept.
pub async fn import(
    db: &(impl TransactionTrait + sea_orm::ConnectionTrait),
    format: Format,
    inputs: Vec<Input>,
    options: &Options,
    progress: &(dyn Fn(u64) + Sync),
) -> DomainResult<Summary> {
    if format == Format::Ipdr {
        crate::domain::ipdr::ensure_partitions(db, chrono::Utc::now()).await?;
    }
    let tx = db.begin().await?;
    let mut summary = Summary::default();
    let mut writer = write::Writer::new();
    for input in inputs {
        let name = input.name.clone();
        let (sender, receiver) = mpsc::channel(4);
        let tz = options.timezone.unwrap_or(chrono_tz::UTC);
        let parser = tokio::task::spawn_blocking(move || parse(format, tz, input.reader, sender));
        let written = writer.run(&tx, options, receiver, &mut summary, progress).await;
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
    }
    writer.finish(&tx).await?;
    tx.commit().await?;
    Ok(summary.finish())
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

fn parse(
    format: Format,
    tz: chrono_tz::Tz,
    reader: Box<dyn Read + Send>,
    sender: mpsc::Sender<Batch>,
) -> Result<(), ParseError> {
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
                zeek::Record::Flow(f) => flows.push(f),
                zeek::Record::Dns(d) => dns.push(d),
            })?;
            flows.flush()?;
            dns.flush()
        }
        Format::Suricata => {
            let mut alerts = Batcher::new(sender.clone(), Batch::Alerts);
            let mut skipped = Batcher::new(sender, Batch::Skipped);
            suricata::parse(input, |event| match event {
                suricata::Event::Alert(a) => alerts.push(a),
                suricata::Event::Other(kind) => skipped.push(format!("{kind} event")),
            })?;
            alerts.flush()?;
            skipped.flush()
        }
        Format::Ipdr => {
            let mut records = Batcher::new(sender, Batch::Ipdr);
            ipdr::parse(input, tz, |r| records.push(r))?;
            records.flush()
        }
    }
}
