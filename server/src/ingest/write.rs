//! The bulk path of imports, in one place: batches of parsed records become
//! multi-row statements inside the import's transaction. Rows that may already exist
//! (hosts, ports, DNS records) are looked up once per batch, not once per record.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use entities::{
    alert, alert_pcap, dns_record, flow, host, host_import, host_script, hostname, ipdr_context, ipdr_record, os_match,
    port, port_sighting, scan, script_result, trace_hop,
};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    FromQueryResult, IdenStatic, IntoActiveModel, QueryFilter, QuerySelect, QueryTrait, Statement, Value,
};
use tokio::sync::mpsc;

use super::indexes::Deferred;
use super::{ipdr, nmap, suricata, zeek, Batch, ImportedKind, Options, Summary};
use crate::domain::alert_log::{self, Change};
use crate::domain::error::{DomainError, DomainResult};
use crate::domain::ipdr as domain_ipdr;
use crate::domain::{hosts, ip, pcaps, text};

/// Rows per multi-row statement: far below the bind-parameter limits (SQLite 32,766,
/// PostgreSQL 65,535) for tables of up to 30 columns.
const ROWS: usize = 1000;

/// Captures per statement: at most 4 MiB of packets at a time.
const PCAPS_PER_STATEMENT: usize = 16;

/// The multi-row `INSERT` statements for `rows`, [`ROWS`] rows each, built one at a
/// time as they are asked for (rows given lazily are made then too).
struct Inserts<I: Iterator>
where
    I::Item: ActiveModelTrait,
{
    rows: std::iter::Peekable<I>,
    backend: DbBackend,
    on_conflict: Option<OnConflict>,
}

impl<I, A> Inserts<I>
where
    I: Iterator<Item = A>,
    A: ActiveModelTrait + Send,
    <A::Entity as EntityTrait>::Model: sea_orm::IntoActiveModel<A>,
{
    fn new(tx: &DatabaseTransaction, rows: impl IntoIterator<IntoIter = I>) -> Self {
        Self {
            rows: rows.into_iter().peekable(),
            backend: tx.get_database_backend(),
            on_conflict: None,
        }
    }

    fn next(&mut self) -> Option<Statement> {
        self.rows.peek()?;
        let mut insert = <A::Entity as EntityTrait>::insert_many(self.rows.by_ref().take(ROWS)).into_query();
        if let Some(c) = &self.on_conflict {
            insert.on_conflict(c.clone());
        }
        Some(self.backend.build(&insert))
    }

    /// Runs every statement, building the next one while the database executes the
    /// current one: building takes about as long as executing, so this overlaps them.
    /// Returns the rows written (fewer than given where a conflict left one out).
    async fn run(mut self, tx: &DatabaseTransaction) -> DomainResult<u64> {
        let mut next = self.next();
        let mut written = 0;
        while let Some(statement) = next {
            let (done, built) = futures_util::join!(tx.execute(statement), async { self.next() });
            written += done?.rows_affected();
            next = built;
        }
        Ok(written)
    }
}

async fn insert_all<A>(tx: &DatabaseTransaction, rows: impl IntoIterator<Item = A>) -> DomainResult<u64>
where
    A: ActiveModelTrait + Send,
    <A::Entity as EntityTrait>::Model: sea_orm::IntoActiveModel<A>,
{
    insert_chunks(tx, rows, None).await
}

/// Inserts `rows` in statements of [`ROWS`] rows, with `on_conflict` if given; returns
/// the rows written.
async fn insert_chunks<A>(
    tx: &DatabaseTransaction,
    rows: impl IntoIterator<Item = A>,
    on_conflict: Option<OnConflict>,
) -> DomainResult<u64>
where
    A: ActiveModelTrait + Send,
    <A::Entity as EntityTrait>::Model: sea_orm::IntoActiveModel<A>,
{
    let mut inserts = Inserts::new(tx, rows);
    inserts.on_conflict = on_conflict;
    inserts.run(tx).await
}

/// An id read back.
#[derive(FromQueryResult)]
struct InsertedId {
    id: i64,
}

/// Ids for `n` new rows of `table`, given out before the rows are written so that
/// nothing has to be read back (`RETURNING` hands each row across sqlx's SQLite
/// worker thread: measured, a third of that thread's work in a scan import).
/// On SQLite the import's transaction holds the database's one write lock from its
/// first write to its commit, so the ids after the largest ever used stay free; on
/// PostgreSQL the table's sequence hands them out, as it would to the rows themselves.
async fn new_ids(tx: &DatabaseTransaction, table: &str, n: usize) -> DomainResult<Vec<i64>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let backend = tx.get_database_backend();
    let sql = if backend == DbBackend::Sqlite {
        crate::db::write_lock(tx).await?;
        // AUTOINCREMENT never reuses an id: the sequence may be ahead of the largest row.
        format!(
            "SELECT max(coalesce((SELECT max(id) FROM \"{table}\"), 0), \
             coalesce((SELECT seq FROM sqlite_sequence WHERE name = '{table}'), 0)) AS id"
        )
    } else {
        format!("SELECT nextval(pg_get_serial_sequence('{table}', 'id')) AS id FROM generate_series(1, {n})")
    };
    let ids = InsertedId::find_by_statement(Statement::from_string(backend, sql))
        .all(tx)
        .await?
        .into_iter()
        .map(|r| r.id);
    Ok(if backend == DbBackend::Sqlite {
        let last = ids.max().unwrap_or(0);
        (last + 1..=last + n as i64).collect()
    } else {
        ids.collect()
    })
}

/// What an import's writer keeps from one input to the next.
pub struct Writer {
    known: KnownHosts,
    flow_indexes: Deferred,
    ipdr_indexes: Deferred,
    /// Records written so far, by the tables they went into.
    grown: BTreeMap<&'static str, u64>,
    /// Alerts created, logged for live subscribers at the end.
    alerts: Vec<i64>,
    /// The IPDR context of the import, once looked up.
    context: Option<i64>,
    /// The import (one file) being written, which its objects name.
    import: Option<i64>,
}

impl Default for Writer {
    fn default() -> Self {
        Self::new()
    }
}

impl Writer {
    /// Records after which a table's planner statistics are renewed before commit.
    const ANALYZE_AFTER: u64 = 10_000;

    pub fn new() -> Self {
        Self {
            known: KnownHosts::default(),
            flow_indexes: Deferred::new("flows"),
            ipdr_indexes: Deferred::new("ipdr_records"),
            grown: BTreeMap::new(),
            alerts: Vec::new(),
            context: None,
            import: None,
        }
    }

    /// The next file's objects name the import `id`; the hosts it writes about are
    /// linked to it afresh.
    pub fn start(&mut self, id: i64) {
        self.import = Some(id);
        self.known = KnownHosts::default();
    }

    fn grew(&mut self, tables: &[&'static str], records: usize) {
        for t in tables {
            *self.grown.entry(t).or_default() += records as u64;
        }
    }

    /// Writes what the parser of one input sends until it is done.
    pub async fn run(
        &mut self,
        tx: &DatabaseTransaction,
        options: &Options,
        file: &str,
        mut batches: mpsc::Receiver<Batch>,
        summary: &mut Summary,
        progress: &(dyn Fn(u64) + Sync),
    ) -> DomainResult<()> {
        let mut scan: Option<(i64, Option<DateTime<Utc>>)> = None;
        let mut next = batches.recv().await;
        while let Some(batch) = next.take() {
            match batch {
                Batch::Scan(info) => scan = Some(new_scan(tx, options, info, self.import).await?),
                Batch::ScanFinished(at) => {
                    if let (Some((id, _)), Some(at)) = (scan, at) {
                        scan::Entity::update_many()
                            .col_expr(scan::Column::EndedAt, at.into())
                            .filter(scan::Column::Id.eq(id))
                            .exec(tx)
                            .await?;
                    }
                }
                Batch::Hosts(records) => {
                    summary.read += records.len() as u64;
                    self.grew(&["hosts", "hostnames", "ports", "port_sightings"], records.len());
                    write_hosts(tx, scan, records, self.import, summary).await?;
                }
                Batch::Flows(records) => {
                    summary.read += records.len() as u64;
                    self.grew(&["flows", "hosts"], records.len());
                    self.flow_indexes.before_insert(tx, records.len() as u64).await?;
                    write_flows(tx, options, records, self.import, &mut self.known, summary).await?;
                }
                Batch::Dns(records) => {
                    summary.read += records.len() as u64;
                    self.grew(&["dns_records"], records.len());
                    write_dns(tx, options, records, summary).await?;
                }
                Batch::Alerts(records) => {
                    summary.read += records.len() as u64;
                    self.grew(&["alerts"], records.len());
                    // Alerts look up their flows: by index.
                    self.flow_indexes.restore(tx).await?;
                    let ids = write_alerts(tx, options, records, self.import, summary).await?;
                    self.alerts.extend(ids);
                }
                Batch::Ipdr(records) => {
                    if self.context.is_none() {
                        self.context = Some(ipdr_context(tx, options).await?);
                    }
                    next = self.write_ipdr(tx, records, &mut batches, summary, progress).await?;
                    continue;
                }
                Batch::Skipped(reasons) => {
                    summary.read += reasons.len() as u64;
                    reasons.into_iter().for_each(|r| summary.skip(r));
                }
                Batch::Bad(records) => {
                    summary.read += records.len() as u64;
                    records.into_iter().for_each(|e| summary.bad(file, e));
                }
            }
            progress(summary.read);
            next = batches.recv().await;
        }
        Ok(())
    }

    /// Writes IPDR batches, `first` and those that follow it, into the import's
    /// context; returns the first batch of another kind, if one comes. Each batch's
    /// statement is built, and the next batch received, while the one before runs: the
    /// parser and the building share one core while SQLite works on the other. The
    /// context's longest span is raised once, at the end (lookups reach back that far).
    async fn write_ipdr(
        &mut self,
        tx: &DatabaseTransaction,
        first: Vec<ipdr::Record>,
        batches: &mut mpsc::Receiver<Batch>,
        summary: &mut Summary,
        progress: &(dyn Fn(u64) + Sync),
    ) -> DomainResult<Option<Batch>> {
        let context = self.context.expect("looked up before the first batch");
        let backend = tx.get_database_backend();
        let mut longest = 0.0_f64;
        let mut next = Some(first);
        let mut running: Option<(u64, Statement)> = None;
        let mut other = None;
        while next.is_some() || running.is_some() {
            let indexes = &mut self.ipdr_indexes;
            let run = async {
                if let Some((rows, statement)) = running.take() {
                    indexes.before_insert(tx, rows).await?;
                    let written = tx.execute(statement).await?.rows_affected();
                    return Ok::<_, DomainError>(Some((rows, written)));
                }
                Ok(None)
            };
            let build = async {
                let Some(records) = next.take() else {
                    return Ok(None);
                };
                let rows = records.len() as u64;
                longest = records.iter().filter_map(ipdr::Record::span).fold(longest, f64::max);
                let statement = ipdr_insert(backend, context, records);
                Ok(Some((rows, statement, batches.recv().await)))
            };
            // A failed statement ends the import at once, without waiting for a batch.
            let (ran, built) = futures_util::try_join!(run, build)?;
            if let Some((rows, written)) = ran {
                // Records already there (the same record imported before) are left out.
                summary.tally(ImportedKind::IpdrRecords, written, 0, rows - written);
            }
            if let Some((rows, statement, received)) = built {
                summary.read += rows;
                self.grew(&["ipdr_records"], rows as usize);
                progress(summary.read);
                running = Some((rows, statement));
                match received {
                    Some(Batch::Ipdr(records)) => next = Some(records),
                    received => other = received,
                }
            }
        }
        if longest > 0.0 {
            ipdr_context::Entity::update_many()
                .col_expr(ipdr_context::Column::LongestSeconds, Expr::value(longest))
                .filter(ipdr_context::Column::Id.eq(context))
                .filter(ipdr_context::Column::LongestSeconds.lt(longest))
                .exec(tx)
                .await?;
        }
        Ok(other)
    }

    /// Completes what the inputs left to do at the end, before commit: indexes put off
    /// are built, and on PostgreSQL the statistics of the tables that grew much are
    /// renewed (in the transaction, so they land with the rows): the first queries after
    /// a bulk load would otherwise be planned for the table as it was, often empty.
    pub async fn finish(mut self, tx: &DatabaseTransaction) -> DomainResult<()> {
        self.flow_indexes.restore(tx).await?;
        self.ipdr_indexes.restore(tx).await?;
        let grown: Vec<&str> = self
            .grown
            .iter()
            .filter(|(_, n)| **n >= Self::ANALYZE_AFTER)
            .map(|(t, _)| *t)
            .collect();
        if tx.get_database_backend() == DbBackend::Postgres && !grown.is_empty() {
            tx.execute_unprepared(&format!("ANALYZE {}", grown.join(", "))).await?;
        }
        // Last: appending to the alert log serialises with other writers of alerts.
        alert_log::record(tx, Change::Created, &self.alerts).await?;
        Ok(())
    }
}

/// The context an IPDR import goes to, created if it is new (`context0` is `default`).
/// The `flows` context reads the flows table and takes no records.
async fn ipdr_context(tx: &DatabaseTransaction, options: &Options) -> DomainResult<i64> {
    let name = text::optional("context", options.context.as_deref(), 64)?;
    let name = domain_ipdr::canonical_name(name.as_deref()).to_string();
    // A concurrent import may create the same context: the name stays one row.
    ipdr_context::Entity::insert(ipdr_context::ActiveModel {
        name: Set(name.clone()),
        created_at: Set(Utc::now()),
        longest_seconds: Set(0.0),
        source: Set(domain_ipdr::SOURCE_RECORDS.into()),
        ..Default::default()
    })
    .on_conflict(OnConflict::column(ipdr_context::Column::Name).do_nothing().to_owned())
    .do_nothing()
    .exec(tx)
    .await?;
    let context = ipdr_context::Entity::find()
        .filter(ipdr_context::Column::Name.eq(&name))
        .one(tx)
        .await?
        .expect("inserted or there");
    if context.source != domain_ipdr::SOURCE_RECORDS {
        return Err(DomainError::bad(
            "context",
            format!("the {name} context reads {} and takes no IPDR records", context.source),
        ));
    }
    Ok(context.id)
}

/// The columns an IPDR import writes, in the order [`ipdr_insert`] gives their values.
const IPDR_COLUMNS: [ipdr_record::Column; 15] = {
    use ipdr_record::Column::*;
    [
        ContextId,
        Protocol,
        SrcIp,
        SrcPort,
        DstIp,
        DstPort,
        StartTime,
        EndTime,
        Duration,
        UserId,
        SubscriberId,
        NatIp,
        NatPort,
        DeviceIp,
        RecordKey,
    ]
};

// One batch is one statement: within SQLite's limit of bind parameters.
const _: () = assert!(super::BATCH * IPDR_COLUMNS.len() <= 32_766);

/// One multi-row `INSERT` of a batch of IPDR records, its values bound as they are:
/// this is the hottest import path (150,000 records/s is the target), and building it
/// through `ActiveModel`s and sea-query took a third of the import's time.
fn ipdr_insert(backend: DbBackend, context: i64, records: Vec<ipdr::Record>) -> Statement {
    assert!(
        (1..=super::BATCH).contains(&records.len()),
        "one batch: {}",
        records.len()
    );
    // A record imported before (the same context, start and key) is left out.
    let sql = format!(
        "INSERT INTO ipdr_records ({}) VALUES {} ON CONFLICT DO NOTHING",
        IPDR_COLUMNS.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", "),
        crate::db::placeholders(backend == DbBackend::Postgres, records.len(), IPDR_COLUMNS.len())
    );
    let mut values: Vec<Value> = Vec::with_capacity(records.len() * IPDR_COLUMNS.len());
    for r in records {
        let key = r.key();
        values.extend([
            context.into(),
            r.protocol.into(),
            ip::to_key(r.src).into(),
            r.src_port.into(),
            ip::to_key(r.dst).into(),
            r.dst_port.into(),
            r.start.into(),
            r.end.into(),
            r.duration.into(),
            r.user_id.into(),
            r.subscriber_id.into(),
            r.nat_ip.map(ip::to_key).into(),
            r.nat_port.into(),
            r.device_ip.map(ip::to_key).into(),
            key.into(),
        ]);
    }
    Statement::from_sql_and_values(backend, sql, values)
}

async fn new_scan(
    tx: &DatabaseTransaction,
    options: &Options,
    info: nmap::ScanInfo,
    import: Option<i64>,
) -> DomainResult<(i64, Option<DateTime<Utc>>)> {
    let model = scan::ActiveModel {
        tool: Set(info.tool.clone()),
        name: Set(info.version.map(|v| format!("{} {v}", info.tool))),
        args: Set(info.args),
        started_at: Set(info.started_at),
        created_at: Set(Utc::now()),
        source: Set(text::optional("source", options.source.as_deref(), 128)?),
        categories: Set(text::encode_tags("categories", &options.categories)?),
        import_id: Set(import),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    Ok((model.id, info.started_at))
}

type PortKey = (i64, String, i32);

async fn ports_of(tx: &DatabaseTransaction, host_ids: &[i64]) -> DomainResult<HashMap<PortKey, port::Model>> {
    Ok(port::Entity::find()
        .filter(port::Column::HostId.is_in(host_ids.to_vec()))
        .all(tx)
        .await?
        .into_iter()
        .map(|p| ((p.host_id, p.protocol.clone(), p.port), p))
        .collect())
}

fn newer(seen: DateTime<Utc>, last: Option<DateTime<Utc>>) -> bool {
    last.is_none_or(|l| seen >= l)
}

/// Brings a known host up to date with what a scan saw (only a newer scan changes its
/// state; any scan may move its first sighting back).
async fn update_host(
    tx: &DatabaseTransaction,
    h: &host::Model,
    rec: &nmap::HostRecord,
    seen: DateTime<Utc>,
    newest: bool,
    now: DateTime<Utc>,
) -> DomainResult<Option<host::Model>> {
    let mut am: host::ActiveModel = h.clone().into();
    if newest {
        am.last_seen = Set(Some(seen));
        am.status = Set(rec.status.clone().or(h.status.clone()));
        if let Some(os) = rec.os.iter().max_by_key(|o| o.accuracy) {
            am.os = Set(Some(os.name.clone()));
        }
        if rec.mac.is_some() {
            am.mac = Set(rec.mac.clone());
        }
    }
    if h.first_seen.is_none_or(|f| seen < f) {
        am.first_seen = Set(Some(seen));
    }
    if !am.is_changed() {
        return Ok(None);
    }
    am.updated_at = Set(now);
    Ok(Some(am.update(tx).await?))
}

/// Hosts of a scan with their names, ports (and each port's sighting), scripts, OS
/// guesses and traceroute. What a newer scan already said is kept: an older scan
/// only adds to the ports' history.
async fn write_hosts(
    tx: &DatabaseTransaction,
    scan: Option<(i64, Option<DateTime<Utc>>)>,
    records: Vec<nmap::HostRecord>,
    import: Option<i64>,
    summary: &mut Summary,
) -> DomainResult<()> {
    let (scan_id, scan_at) = (scan.map(|s| s.0), scan.and_then(|s| s.1));
    let now = Utc::now();
    let keys: Vec<Vec<u8>> = records.iter().filter_map(|h| h.ip).map(ip::to_key).collect();
    // The batch's hosts as stored: read once, then kept up to date here as rows are
    // inserted (with the ids given them here) and updated, so that nothing is read back.
    let mut by_ip: HashMap<Vec<u8>, host::Model> = host::Entity::find()
        .filter(host::Column::Ip.is_in(keys))
        .all(tx)
        .await?
        .into_iter()
        .map(|h| (h.ip.clone(), h))
        .collect();
    let before: HashSet<Vec<u8>> = by_ip.keys().cloned().collect();
    let known_ids: Vec<i64> = by_ip.values().map(|h| h.id).collect();
    // Hosts not known yet are inserted whole, in one statement, from their newest
    // record in the batch; known ones are updated one by one below.
    let mut fresh: BTreeMap<Vec<u8>, (DateTime<Utc>, usize)> = BTreeMap::new();
    for (i, rec) in records.iter().enumerate() {
        let key = ip::to_key(rec.ip.expect("parsed hosts have an address"));
        if before.contains(&key) {
            continue;
        }
        let seen = rec.seen_at().or(scan_at).unwrap_or(now);
        let entry = fresh.entry(key).or_insert((seen, i));
        if seen >= records[entry.1].seen_at().or(scan_at).unwrap_or(now) {
            entry.1 = i;
        }
        entry.0 = entry.0.min(seen);
    }
    let mut new_hosts: Vec<host::Model> = fresh
        .values()
        .map(|&(first, i)| {
            let rec = &records[i];
            host::Model {
                id: 0,
                ip: ip::to_key(rec.ip.expect("parsed hosts have an address")),
                mac: rec.mac.clone(),
                os: rec.os.iter().max_by_key(|o| o.accuracy).map(|o| o.name.clone()),
                status: rec.status.clone(),
                first_seen: Some(first),
                last_seen: Some(rec.seen_at().or(scan_at).unwrap_or(now)),
                country: None,
                city: None,
                latitude: None,
                longitude: None,
                asn: None,
                as_name: None,
                categories: String::new(),
                created_at: now,
                updated_at: now,
            }
        })
        .collect();
    let ids = new_ids(tx, "hosts", new_hosts.len()).await?;
    for (h, id) in new_hosts.iter_mut().zip(ids) {
        h.id = id;
    }
    insert_all(tx, new_hosts.iter().cloned().map(IntoActiveModel::into_active_model)).await?;
    by_ip.extend(new_hosts.into_iter().map(|h| (h.ip.clone(), h)));
    // New hosts have no ports yet.
    let mut ports = if known_ids.is_empty() {
        HashMap::new()
    } else {
        ports_of(tx, &known_ids).await?
    };

    // masscan writes a host once per open port, so a batch may name a host, a port or
    // a name more than once: each is counted and inserted once.
    // Ordered maps, so that the same input gives the same row ids.
    let mut names = BTreeMap::new();
    let mut new_ports: BTreeMap<PortKey, port::ActiveModel> = BTreeMap::new();
    let mut counted = HashSet::new();
    let mut replaced_hosts = Vec::new();
    let (mut host_scripts, mut os_rows, mut hops) = (Vec::new(), Vec::new(), Vec::new());
    for rec in &records {
        let key = ip::to_key(rec.ip.expect("parsed hosts have an address"));
        let h = by_ip[&key].clone();
        let seen = rec.seen_at().or(scan_at).unwrap_or(now);
        if !counted.insert(key.clone()) {
            // Counted with its first record.
        } else if before.contains(&key) {
            summary.tally(ImportedKind::Hosts, 0, 1, 0);
        } else {
            summary.tally(ImportedKind::Hosts, 1, 0, 0);
        }
        let newest = newer(seen, h.last_seen);
        if !before.contains(&key) {
            // Inserted whole above: nothing to update, but its findings are the newest.
        } else if let Some(updated) = update_host(tx, &h, rec, seen, newest, now).await? {
            by_ip.insert(key, updated);
        }
        for (name, kind) in &rec.hostnames {
            let name = hosts::normalize_hostname(name);
            names.entry((h.id, name.clone())).or_insert(hostname::ActiveModel {
                host_id: Set(h.id),
                name: Set(name),
                source: Set(kind.to_lowercase()),
                ..Default::default()
            });
        }
        for p in &rec.ports {
            let port_key = (h.id, p.protocol.clone(), p.port);
            match ports.get(&port_key).cloned() {
                None => {
                    if let Some(pending) = new_ports.get(&port_key) {
                        // Seen before in this batch: the newer sighting describes it.
                        if pending.last_seen.try_as_ref().cloned().flatten() > Some(seen) {
                            continue;
                        }
                    } else {
                        summary.tally(ImportedKind::Ports, 1, 0, 0);
                    }
                    new_ports.insert(
                        port_key,
                        port::ActiveModel {
                            host_id: Set(h.id),
                            scan_id: Set(scan_id),
                            port: Set(p.port),
                            protocol: Set(p.protocol.clone()),
                            state: Set(p.state.clone()),
                            reason: Set(p.reason.clone()),
                            service_name: Set(p.service.clone()),
                            service_product: Set(p.product.clone()),
                            service_version: Set(p.version.clone()),
                            service_extra: Set(p.extra.clone()),
                            cpes: Set(text::encode_tags("cpes", &p.cpes)?),
                            first_seen: Set(Some(seen)),
                            last_seen: Set(Some(seen)),
                            ..Default::default()
                        },
                    );
                }
                Some(existing) => {
                    let mut am: port::ActiveModel = existing.clone().into();
                    if newer(seen, existing.last_seen) {
                        summary.tally(ImportedKind::Ports, 0, 1, 0);
                        am.scan_id = Set(scan_id);
                        am.state = Set(p.state.clone());
                        am.reason = Set(p.reason.clone());
                        am.service_name = Set(p.service.clone());
                        am.service_product = Set(p.product.clone());
                        am.service_version = Set(p.version.clone());
                        am.service_extra = Set(p.extra.clone());
                        am.cpes = Set(text::encode_tags("cpes", &p.cpes)?);
                        am.last_seen = Set(Some(seen));
                    }
                    if existing.first_seen.is_none_or(|f| seen < f) {
                        am.first_seen = Set(Some(seen));
                    }
                    if am.is_changed() {
                        ports.insert(port_key, am.update(tx).await?);
                    }
                }
            }
        }
        if newest && (!rec.scripts.is_empty() || !rec.os.is_empty() || !rec.hops.is_empty()) {
            replaced_hosts.push(h.id);
            for s in &rec.scripts {
                host_scripts.push(host_script::ActiveModel {
                    host_id: Set(h.id),
                    scan_id: Set(scan_id),
                    script_id: Set(s.id.clone()),
                    output: Set(s.output.clone()),
                    data: Set(s.data.clone()),
                    ..Default::default()
                });
            }
            for o in &rec.os {
                os_rows.push(os_match::ActiveModel {
                    host_id: Set(h.id),
                    scan_id: Set(scan_id),
                    name: Set(o.name.clone()),
                    accuracy: Set(o.accuracy),
                    classes: Set(Some(o.classes.clone())),
                    ..Default::default()
                });
            }
            for hop in &rec.hops {
                hops.push(trace_hop::ActiveModel {
                    host_id: Set(h.id),
                    scan_id: Set(scan_id),
                    ttl: Set(hop.ttl),
                    ip: Set(hop.ip.map(ip::to_key)),
                    rtt: Set(hop.rtt),
                    hostname: Set(hop.hostname.clone()),
                    ..Default::default()
                });
            }
        }
    }
    let same_name = OnConflict::columns([hostname::Column::HostId, hostname::Column::Name])
        .do_nothing()
        .to_owned();
    insert_chunks(tx, names.into_values(), Some(same_name)).await?;
    link_hosts(tx, import, by_ip.values().map(|h| h.id)).await?;
    // The id and last sighting of every port of the batch, for their sightings.
    let mut stored: HashMap<PortKey, (i64, Option<DateTime<Utc>>)> =
        ports.into_iter().map(|(k, p)| (k, (p.id, p.last_seen))).collect();
    let ids = new_ids(tx, "ports", new_ports.len()).await?;
    let mut rows = Vec::with_capacity(new_ports.len());
    for ((key, mut p), id) in new_ports.into_iter().zip(ids) {
        p.id = Set(id);
        stored.insert(key, (id, p.last_seen.try_as_ref().cloned().flatten()));
        rows.push(p);
    }
    insert_all(tx, rows).await?;
    // A newer scan's host-level findings replace the older ones.
    if !replaced_hosts.is_empty() {
        host_script::Entity::delete_many()
            .filter(host_script::Column::HostId.is_in(replaced_hosts.clone()))
            .exec(tx)
            .await?;
        os_match::Entity::delete_many()
            .filter(os_match::Column::HostId.is_in(replaced_hosts.clone()))
            .exec(tx)
            .await?;
        trace_hop::Entity::delete_many()
            .filter(trace_hop::Column::HostId.is_in(replaced_hosts))
            .exec(tx)
            .await?;
    }
    insert_all(tx, host_scripts).await?;
    insert_all(tx, os_rows).await?;
    insert_all(tx, hops).await?;

    // Every port seen gets a sighting; the newest scan's scripts replace a port's.
    let mut scripts = Vec::new();
    let mut rescripted = Vec::new();
    let port_of = |h: &host::Model, p: &nmap::PortRecord| stored[&(h.id, p.protocol.clone(), p.port)];
    for rec in &records {
        let h = &by_ip[&ip::to_key(rec.ip.expect("parsed hosts have an address"))];
        let seen = rec.seen_at().or(scan_at).unwrap_or(now);
        for p in rec.ports.iter().filter(|p| !p.scripts.is_empty()) {
            let (port_id, last_seen) = port_of(h, p);
            if last_seen == Some(seen) {
                rescripted.push(port_id);
                scripts.extend(p.scripts.iter().map(|s| script_result::ActiveModel {
                    port_id: Set(port_id),
                    script_id: Set(s.id.clone()),
                    output: Set(s.output.clone()),
                    data: Set(s.data.clone()),
                    ..Default::default()
                }));
            }
        }
    }
    // Made as they are written, while the previous statement runs. (Owned values: a
    // closure over borrowed records makes the import's future fail to be `Send`.)
    let mut seen_ports = Vec::new();
    for rec in &records {
        let h = &by_ip[&ip::to_key(rec.ip.expect("parsed hosts have an address"))];
        let seen = rec.seen_at().or(scan_at).unwrap_or(now);
        seen_ports.extend(rec.ports.iter().map(|p| (port_of(h, p).0, seen, p.state.clone())));
    }
    let sightings = seen_ports
        .into_iter()
        .map(move |(port_id, seen_at, state)| port_sighting::ActiveModel {
            port_id: Set(port_id),
            scan_id: Set(scan_id),
            seen_at: Set(seen_at),
            state: Set(state),
            ..Default::default()
        });
    insert_all(tx, sightings).await?;
    if !rescripted.is_empty() {
        script_result::Entity::delete_many()
            .filter(script_result::Column::PortId.is_in(rescripted))
            .exec(tx)
            .await?;
    }
    insert_all(tx, scripts).await?;
    Ok(())
}

/// Records that the import wrote about these hosts (each once).
async fn link_hosts(
    tx: &DatabaseTransaction,
    import: Option<i64>,
    hosts: impl Iterator<Item = i64>,
) -> DomainResult<()> {
    let Some(import) = import else { return Ok(()) };
    let rows = hosts.map(|host_id| host_import::ActiveModel {
        host_id: Set(host_id),
        import_id: Set(import),
    });
    let same = OnConflict::columns([host_import::Column::HostId, host_import::Column::ImportId])
        .do_nothing()
        .to_owned();
    insert_chunks(tx, rows.collect::<Vec<_>>(), Some(same)).await?;
    Ok(())
}

/// Addresses whose host row this import already made sure of: flows name the same
/// hosts again and again. Bounded, so that memory stays flat.
#[derive(Default)]
struct KnownHosts(HashSet<Vec<u8>>);

impl KnownHosts {
    const MAX: usize = 200_000;

    /// The addresses not known yet, now remembered.
    fn unknown(&mut self, keys: impl IntoIterator<Item = Vec<u8>>) -> Vec<Vec<u8>> {
        if self.0.len() > Self::MAX {
            self.0.clear();
        }
        keys.into_iter().filter(|k| self.0.insert(k.clone())).collect()
    }
}

async fn write_flows(
    tx: &DatabaseTransaction,
    options: &Options,
    records: Vec<zeek::Flow>,
    import: Option<i64>,
    known: &mut KnownHosts,
    summary: &mut Summary,
) -> DomainResult<()> {
    let sensor = text::optional("source", options.source.as_deref(), 128)?;
    let ends = known.unknown(records.iter().flat_map(|f| [ip::to_key(f.src), ip::to_key(f.dst)]));
    let new_hosts = hosts::ensure(tx, &ends).await?;
    summary.tally(ImportedKind::HostsFromFlows, new_hosts, 0, 0);
    if let (Some(import), false) = (import, ends.is_empty()) {
        link_ends(tx, import, &ends).await?;
    }
    let n = records.len() as u64;
    let rows = records.into_iter().map(|f| flow::ActiveModel {
        src_ip: Set(ip::to_key(f.src)),
        dst_ip: Set(ip::to_key(f.dst)),
        src_port: Set(f.src_port),
        dst_port: Set(f.dst_port),
        protocol: Set(f.protocol.as_str().into()),
        application: Set(f.service),
        src_bytes: Set(f.src_bytes),
        dst_bytes: Set(f.dst_bytes),
        src_packets: Set(f.src_packets),
        dst_packets: Set(f.dst_packets),
        started_at: Set(f.started_at),
        ended_at: Set(f
            .duration
            .map(|d| f.started_at + chrono::Duration::microseconds((d * 1e6).round() as i64))),
        sensor: Set(sensor.clone()),
        uid: Set(f.uid),
        state: Set(f.state),
        import_id: Set(import),
        ..Default::default()
    });
    // A flow imported before (the same start, uid and sensor) is left as it was.
    let added = insert_chunks(
        tx,
        rows.collect::<Vec<_>>(),
        Some(OnConflict::new().do_nothing().to_owned()),
    )
    .await?;
    summary.tally(ImportedKind::Flows, added, 0, n - added);
    Ok(())
}

/// Links the hosts at these addresses to the import, in one statement per thousand.
async fn link_ends(tx: &DatabaseTransaction, import: i64, ends: &[Vec<u8>]) -> DomainResult<()> {
    for chunk in ends.chunks(ROWS) {
        let select = sea_orm::sea_query::Query::select()
            .column(host::Column::Id)
            .expr(Expr::val(import))
            .from(host::Entity)
            .and_where(host::Column::Ip.is_in(chunk.to_vec()))
            .to_owned();
        let insert = sea_orm::sea_query::Query::insert()
            .into_table(host_import::Entity)
            .columns([host_import::Column::HostId, host_import::Column::ImportId])
            .select_from(select)
            .map_err(|e| DomainError::Db(sea_orm::DbErr::Custom(e.to_string())))?
            .on_conflict(
                OnConflict::columns([host_import::Column::HostId, host_import::Column::ImportId])
                    .do_nothing()
                    .to_owned(),
            )
            .to_owned();
        tx.execute(tx.get_database_backend().build(&insert)).await?;
    }
    Ok(())
}

/// The record type of one answer: addresses are A or AAAA whatever was asked; a
/// name given for an address query is the CNAME on the way.
fn answer_type(qtype: &str, answer: &str) -> (String, Option<Vec<u8>>) {
    match answer.parse::<IpAddr>() {
        Ok(a @ IpAddr::V4(_)) => ("A".into(), Some(ip::to_key(a))),
        Ok(a @ IpAddr::V6(_)) => ("AAAA".into(), Some(ip::to_key(a))),
        Err(_) if matches!(qtype, "A" | "AAAA") => ("CNAME".into(), None),
        Err(_) => (qtype.to_string(), None),
    }
}

struct Seen {
    ip: Option<Vec<u8>>,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    count: i64,
}

/// Passive DNS: one record per (name, type, answer) and sensor, with when it was
/// first and last seen and how often.
async fn write_dns(
    tx: &DatabaseTransaction,
    options: &Options,
    records: Vec<zeek::Dns>,
    summary: &mut Summary,
) -> DomainResult<()> {
    let sensor = text::optional("source", options.source.as_deref(), 128)?;
    let mut seen: BTreeMap<(String, String, String), Seen> = BTreeMap::new();
    for r in records {
        if r.query.is_empty() || r.answers.is_empty() {
            summary.skip("DNS query without an answer");
            continue;
        }
        for answer in r.answers {
            let (rtype, ip) = answer_type(&r.qtype, &answer);
            let e = seen.entry((r.query.clone(), rtype, answer)).or_insert(Seen {
                ip,
                first: r.at,
                last: r.at,
                count: 0,
            });
            e.first = e.first.min(r.at);
            e.last = e.last.max(r.at);
            e.count += 1;
        }
    }
    let names: Vec<String> = seen
        .keys()
        .map(|k| k.0.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let existing = dns_record::Entity::find()
        .filter(dns_record::Column::Name.is_in(names))
        .all(tx)
        .await?;
    for e in existing.into_iter().filter(|e| e.sensor == sensor) {
        let Some(s) = seen.remove(&(e.name.clone(), e.rtype.clone(), e.value.clone())) else {
            continue;
        };
        summary.tally(ImportedKind::DnsRecords, 0, 1, 0);
        let mut am: dns_record::ActiveModel = e.clone().into();
        am.first_seen = Set(e.first_seen.min(s.first));
        am.last_seen = Set(e.last_seen.max(s.last));
        am.count = Set(e.count + s.count);
        am.update(tx).await?;
    }
    summary.tally(ImportedKind::DnsRecords, seen.len() as u64, 0, 0);
    let rows = seen
        .into_iter()
        .map(|((name, rtype, value), s)| dns_record::ActiveModel {
            name: Set(name),
            rtype: Set(rtype),
            value: Set(value),
            ip: Set(s.ip),
            first_seen: Set(s.first),
            last_seen: Set(s.last),
            count: Set(s.count),
            sensor: Set(sensor.clone()),
            ..Default::default()
        });
    insert_all(tx, rows.collect::<Vec<_>>()).await?;
    Ok(())
}

/// Alerts, each linked to the flow it belongs to when that flow is known: the same
/// addresses, ports and protocol (either way round), running at the alert's time.
/// Writes alerts; returns their ids.
async fn write_alerts(
    tx: &DatabaseTransaction,
    options: &Options,
    records: Vec<suricata::Alert>,
    import: Option<i64>,
    summary: &mut Summary,
) -> DomainResult<Vec<i64>> {
    let source = text::optional("source", options.source.as_deref(), 128)?;
    let addresses: Vec<Vec<u8>> = records
        .iter()
        .flat_map(|a| [a.src, a.dst])
        .flatten()
        .map(ip::to_key)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let (first, last) = records
        .iter()
        .fold((None::<DateTime<Utc>>, None::<DateTime<Utc>>), |(f, l), a| {
            (
                Some(f.map_or(a.at, |f| f.min(a.at))),
                Some(l.map_or(a.at, |l| l.max(a.at))),
            )
        });
    let candidates = match (first, last) {
        (Some(first), Some(last)) if !addresses.is_empty() => {
            flow::Entity::find()
                .filter(flow::Column::SrcIp.is_in(addresses.clone()))
                .filter(flow::Column::DstIp.is_in(addresses))
                .filter(flow::Column::StartedAt.lte(last))
                .filter(flow::Column::StartedAt.gte(first - chrono::Duration::days(1)))
                .all(tx)
                .await?
        }
        _ => Vec::new(),
    };
    let flow_of = |a: &suricata::Alert| -> Option<i64> {
        let (src, dst) = (ip::to_key(a.src?), ip::to_key(a.dst?));
        candidates
            .iter()
            .find(|f| {
                let forward =
                    f.src_ip == src && f.dst_ip == dst && f.src_port == a.src_port && f.dst_port == a.dst_port;
                let backward =
                    f.src_ip == dst && f.dst_ip == src && f.src_port == a.dst_port && f.dst_port == a.src_port;
                (forward || backward)
                    && f.protocol == a.protocol.as_str()
                    && f.started_at <= a.at
                    && f.ended_at.is_none_or(|end| a.at <= end)
            })
            .map(|f| f.id)
    };
    let now = Utc::now();
    let ids = new_ids(tx, "alerts", records.len()).await?;
    let rows = records.iter().zip(&ids).map(|(a, &id)| {
        let message = match (a.signature_id, &a.action) {
            (Some(sid), Some(action)) => Some(format!("Suricata signature {sid}, action {action}")),
            (Some(sid), None) => Some(format!("Suricata signature {sid}")),
            _ => None,
        };
        alert::ActiveModel {
            id: Set(id),
            kind: Set("network".into()),
            alert_type: Set(a.category.clone().unwrap_or_else(|| "suricata".into())),
            severity: Set(a.severity.rank()),
            score: Set(a.severity.default_score()),
            title: Set(a.signature.clone()),
            message: Set(message),
            occurred_at: Set(a.at),
            src_ip: Set(a.src.map(ip::to_key)),
            dst_ip: Set(a.dst.map(ip::to_key)),
            src_port: Set(a.src_port),
            dst_port: Set(a.dst_port),
            flow_id: Set(flow_of(a)),
            sensor: Set(source.clone().or_else(|| a.sensor.clone())),
            acknowledged: Set(false),
            created_at: Set(now),
            import_id: Set(import),
            event_key: Set(Some(a.event_key())),
            ..Default::default()
        }
    });
    // An alert imported before (the same time, sensor and key) is left as it was; the
    // ids of those written say which came in.
    let added = insert_chunks(
        tx,
        rows.collect::<Vec<_>>(),
        Some(OnConflict::new().do_nothing().to_owned()),
    )
    .await?;
    summary.tally(ImportedKind::Alerts, added, 0, records.len() as u64 - added);
    let written: HashSet<i64> = if added == records.len() as u64 {
        ids.iter().copied().collect()
    } else {
        alert::Entity::find()
            .select_only()
            .column(alert::Column::Id)
            .filter(alert::Column::Id.is_in(ids.clone()))
            .into_tuple::<i64>()
            .all(tx)
            .await?
            .into_iter()
            .collect()
    };
    // The packet each alert was raised on, as a capture file the alert owns; a few per
    // statement, made as they are written: a capture may be 256 KiB, a batch of
    // alerts a thousand.
    let with_packet: Vec<usize> = (0..records.len())
        .filter(|&i| records[i].packet.is_some() && written.contains(&ids[i]))
        .collect();
    for chunk in with_packet.chunks(PCAPS_PER_STATEMENT) {
        let mut rows = Vec::with_capacity(chunk.len());
        for &i in chunk {
            let (a, p) = (&records[i], records[i].packet.as_ref().expect("chosen for its packet"));
            rows.push(alert_pcap::ActiveModel {
                alert_id: Set(ids[i]),
                packets: Set(1),
                bytes: Set(p.data.len() as i64),
                data: Set(pcaps::single_packet(p.linktype, a.at, &p.data)),
                created_at: Set(now),
                ..Default::default()
            });
        }
        insert_all(tx, rows).await?;
    }
    Ok(ids.into_iter().filter(|id| written.contains(id)).collect())
}
