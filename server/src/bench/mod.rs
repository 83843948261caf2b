//! `pivot bench import`: import throughput (Zeek conn.log flows/s, nmap XML hosts/s) against a
//! raw baseline that inserts the same rows with prepared statements straight through
//! the database driver, the import's peak memory, and the latency of a nested GraphQL
//! query over the imported data — on SQLite and on PostgreSQL. Run it in release mode.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::json;

use crate::db::{self, placeholders};
use crate::domain::ip;
use crate::ingest::{self, Format, ImportedKind, Input, Options};

pub mod compat;
pub mod hostile;
pub mod ipdr;
pub mod iris;
pub mod live;
pub mod query;

pub struct BenchOptions {
    pub flows: usize,
    pub hosts: usize,
    /// Where generated files and SQLite databases go.
    pub dir: PathBuf,
    /// A PostgreSQL server (`postgres://user@host:port`) to create databases on.
    pub postgres: Option<String>,
}

pub(crate) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

/// The address of flow source / scanned host `i`: 10.0.0.0/8, so that both meet.
pub(crate) fn addr(i: usize) -> String {
    format!("10.{}.{}.{}", i / 62_500 % 256, i / 250 % 250, i % 250 + 1)
}

/// An IPDR CSV of `rows` records: subscribers [`addr`]`(0..50,000)` behind 256 NAT
/// addresses (100.64.0.x), from [`t0`] on, one every `step_ms` milliseconds (at 10 ms, a
/// day per 8.6 million), each up to 10 minutes long.
pub fn ipdr_csv(path: &Path, rows: usize, step_ms: f64) -> anyhow::Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(
        f,
        "Protocol,SrcIP,SrcPort,DestIP,DestPort,StartTime,EndTime,Duration,UserID,SubscriberID,NatIP,NatPort,DeviceIP"
    )?;
    let start = t0().timestamp_millis();
    for i in 0..rows {
        let at = DateTime::from_timestamp_millis(start + (i as f64 * step_ms) as i64).expect("in range");
        writeln!(
            f,
            "TCP,{},{},192.0.2.{},443,{},,{},user{},SUB-{:06},100.64.0.{},{},10.255.0.1",
            addr(i % 50_000),
            1024 + i % 60_000,
            1 + i % 200,
            at.format("%Y-%m-%d %H:%M:%S%.3f"),
            i % 600,
            i % 50_000,
            i % 50_000,
            i % 256,
            1024 + i % 64_000,
        )?;
    }
    f.flush()?;
    Ok(())
}

/// A Zeek conn.log (TSV) of `rows` connections from 50,000 sources in 10.0.0.0/8.
pub fn conn_log(path: &Path, rows: usize) -> anyhow::Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(
        f,
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn"
    )?;
    writeln!(f, "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\torig_pkts\tresp_pkts")?;
    writeln!(
        f,
        "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tcount\tcount"
    )?;
    let start = t0().timestamp();
    for i in 0..rows {
        writeln!(
            f,
            "{}.{:06}\tC{i:x}\t{}\t{}\t192.0.2.{}\t443\ttcp\tssl\t0.5\t{}\t{}\tSF\t5\t7",
            start + (i / 100) as i64,
            i % 1_000_000,
            addr(i % 50_000),
            1024 + i % 60000,
            1 + i % 200,
            100 + i % 1000,
            2000 + i % 5000,
        )?;
    }
    Ok(f.flush()?)
}

fn nmap_xml(path: &Path, hosts: usize) -> anyhow::Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    let start = t0().timestamp();
    writeln!(
        f,
        r#"<?xml version="1.0"?><nmaprun scanner="nmap" args="nmap -sV 10.0.0.0/8" start="{start}" version="7.94">"#
    )?;
    for i in 0..hosts {
        write!(
            f,
            r#"<host starttime="{start}" endtime="{}"><status state="up" reason="echo-reply"/><address addr="{}" addrtype="ipv4"/><hostnames><hostname name="h{i}.example.com" type="PTR"/></hostnames><ports>"#,
            start + 60,
            addr(i)
        )?;
        for p in [21, 22, 25, 53, 80, 110, 143, 443, 3306, 8080] {
            write!(
                f,
                r#"<port protocol="tcp" portid="{p}"><state state="open" reason="syn-ack"/><service name="svc{p}" product="Product {p}" version="1.{}" method="probed"><cpe>cpe:/a:vendor:product{p}:1</cpe></service></port>"#,
                i % 10
            )?;
        }
        writeln!(f, "</ports></host>")?;
    }
    writeln!(
        f,
        r#"<runstats><finished time="{}"/></runstats></nmaprun>"#,
        start + 3600
    )?;
    Ok(f.flush()?)
}

pub(crate) use crate::process::status_mib;

/// The peak resident memory of this process so far, in MiB.
fn peak_mib() -> Option<f64> {
    status_mib("self", "VmHWM:")
}

/// Resets the peak so that the next reading is the next phase's own (Linux).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

struct Backend {
    name: &'static str,
    /// A fresh, migrated database per call.
    fresh: Box<dyn Fn(&str) -> String>,
}

pub(crate) async fn open(url: &str, create_on: Option<&str>) -> anyhow::Result<DatabaseConnection> {
    if let Some(server) = create_on {
        let admin = Database::connect(format!("{server}/postgres")).await?;
        let name = url.rsplit('/').next().unwrap_or_default();
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await?;
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await?;
    }
    // The bench's own statements are not interactive: no statement timeout.
    let (conn, _) = db::connect(url, None).await?;
    db::migrate(&conn).await?;
    Ok(conn)
}

/// The application on the database at `url` (its background workers running) and an
/// API token of its first admin: what the REST benchmarks call through.
pub(crate) async fn app_at(url: &str) -> anyhow::Result<(axum::Router, String)> {
    let (router, token, _) = app_with_counter(url).await?;
    Ok((router, token))
}

/// As [`app_at`], with the counter of the SQL statements the application sends.
pub(crate) async fn app_with_counter(url: &str) -> anyhow::Result<(axum::Router, String, db::StatementCounter)> {
    let state = crate::state::AppState::start(crate::config::Config {
        database_url: url.into(),
        admin_password: Some("bench admin password".into()),
        ..Default::default()
    })
    .await?;
    let admin = crate::domain::users::by_name(state.db(), "admin").await?;
    let (_, token) = crate::domain::users::create_token(state.db(), admin.id, "bench", None).await?;
    let statements = state.statements().clone();
    Ok((crate::http::router(state), token, statements))
}

pub(crate) async fn import(
    conn: &DatabaseConnection,
    format: Format,
    path: &Path,
) -> anyhow::Result<(Duration, ingest::Summary)> {
    let started = Instant::now();
    let input = Input {
        name: path.display().to_string(),
        file: std::fs::File::open(path)?,
    };
    let summary = ingest::import(conn, format, vec![input], &Options::default(), &|_| {}).await?;
    Ok((started.elapsed(), summary))
}

/// Rows per statement of the raw baseline: what a careful hand-written bulk insert uses.
const RAW_ROWS: usize = 100;

/// The same flows, inserted with prepared multi-row statements through sqlx.
pub(crate) async fn raw_flows(conn: &DatabaseConnection, rows: usize) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let cols = "src_ip, dst_ip, src_port, dst_port, protocol, application, src_bytes, dst_bytes, src_packets, dst_packets, started_at, ended_at, sensor, uid, state";
    let pg = conn.get_database_backend() == sea_orm::DbBackend::Postgres;
    let statement = |n: usize| format!("INSERT INTO flows ({cols}) VALUES {}", placeholders(pg, n, 15));
    let full = statement(RAW_ROWS);
    macro_rules! insert_all {
        ($pool:expr) => {{
            let mut tx = $pool.begin().await?;
            let mut i = 0;
            while i < rows {
                let n = RAW_ROWS.min(rows - i);
                let sql = if n == RAW_ROWS { full.clone() } else { statement(n) };
                let mut q = sea_orm::sqlx::query(&sql);
                for j in i..i + n {
                    let at = t0() + chrono::Duration::seconds((j / 100) as i64);
                    q = q
                        .bind(ip::to_key(addr(j % 50_000).parse()?))
                        .bind(ip::to_key(format!("192.0.2.{}", 1 + j % 200).parse()?))
                        .bind((1024 + j % 60000) as i32)
                        .bind(443i32)
                        .bind("tcp")
                        .bind("ssl")
                        .bind((100 + j % 1000) as i64)
                        .bind((2000 + j % 5000) as i64)
                        .bind(5i64)
                        .bind(7i64)
                        .bind(at)
                        .bind(at + chrono::Duration::milliseconds(500))
                        .bind(None::<String>)
                        .bind(format!("C{j:x}"))
                        .bind("SF");
                }
                q.execute(&mut *tx).await?;
                i += n;
            }
            tx.commit().await?;
        }};
    }
    if pg {
        insert_all!(conn.get_postgres_connection_pool());
    } else {
        insert_all!(conn.get_sqlite_connection_pool());
    }
    Ok(started.elapsed())
}

/// The rows a scan import writes — hosts, their names, ports and each port's sighting
/// (ids given) — inserted with prepared multi-row statements.
pub(crate) async fn raw_hosts(conn: &DatabaseConnection, hosts: usize) -> anyhow::Result<Duration> {
    const PORTS: [i32; 10] = [21, 22, 25, 53, 80, 110, 143, 443, 3306, 8080];
    let started = Instant::now();
    let pg = conn.get_database_backend() == sea_orm::DbBackend::Postgres;
    let params = |n: usize, per: usize| placeholders(pg, n, per);
    let at = t0() + chrono::Duration::seconds(60);
    macro_rules! insert_all {
        ($pool:expr) => {{
            let mut tx = $pool.begin().await?;
            let mut i = 0;
            while i < hosts {
                let n = RAW_ROWS.min(hosts - i);
                let sql = format!(
                    "INSERT INTO hosts (id, ip, status, os, first_seen, last_seen, categories, created_at, updated_at) VALUES {}",
                    params(n, 9)
                );
                let mut q = sea_orm::sqlx::query(&sql);
                for j in i..i + n {
                    q = q
                        .bind((j + 1) as i64)
                        .bind(ip::to_key(addr(j).parse()?))
                        .bind("up")
                        .bind(None::<String>)
                        .bind(at)
                        .bind(at)
                        .bind("")
                        .bind(at)
                        .bind(at);
                }
                q.execute(&mut *tx).await?;
                let sql = format!("INSERT INTO hostnames (host_id, name, source) VALUES {}", params(n, 3));
                let mut q = sea_orm::sqlx::query(&sql);
                for j in i..i + n {
                    q = q.bind((j + 1) as i64).bind(format!("h{j}.example.com")).bind("ptr");
                }
                q.execute(&mut *tx).await?;
                let sql = format!(
                    "INSERT INTO ports (id, host_id, port, protocol, state, reason, service_name, service_product, service_version, cpes, first_seen, last_seen) VALUES {}",
                    params(n * PORTS.len(), 12)
                );
                let mut q = sea_orm::sqlx::query(&sql);
                for j in i..i + n {
                    for (k, p) in PORTS.into_iter().enumerate() {
                        q = q
                            .bind((j * PORTS.len() + k + 1) as i64)
                            .bind((j + 1) as i64)
                            .bind(p)
                            .bind("tcp")
                            .bind("open")
                            .bind("syn-ack")
                            .bind(format!("svc{p}"))
                            .bind(format!("Product {p}"))
                            .bind(format!("1.{}", j % 10))
                            .bind(format!(",cpe:/a:vendor:product{p}:1,"))
                            .bind(at)
                            .bind(at);
                    }
                }
                q.execute(&mut *tx).await?;
                let sql = format!(
                    "INSERT INTO port_sightings (port_id, seen_at, state) VALUES {}",
                    params(n * PORTS.len(), 3)
                );
                let mut q = sea_orm::sqlx::query(&sql);
                for port_id in i * PORTS.len()..(i + n) * PORTS.len() {
                    q = q.bind((port_id + 1) as i64).bind(at).bind("open");
                }
                q.execute(&mut *tx).await?;
                if pg && i < ANALYZE_AT && i + n >= ANALYZE_AT {
                    // PostgreSQL keeps the plans of its foreign-key checks from the first
                    // batches: made for tables of a hundred rows, they read them whole, and
                    // a million hosts never load. Statistics taken once the tables have
                    // grown (this transaction's rows count) make it plan them again.
                    sea_orm::sqlx::query("ANALYZE hosts, hostnames, ports, port_sightings")
                        .execute(&mut *tx)
                        .await?;
                }
                i += n;
            }
            tx.commit().await?;
        }};
    }
    /// Hosts loaded before PostgreSQL's tables are analyzed.
    const ANALYZE_AT: usize = 10_000;
    if pg {
        insert_all!(conn.get_postgres_connection_pool());
    } else {
        insert_all!(conn.get_sqlite_connection_pool());
    }
    Ok(started.elapsed())
}

const NESTED: &str = r#"{ hosts(first: 100, filter: {ip: {within: ["10.0.0.0/16"]}}) { nodes { ip
    ports { nodes { port serviceName } } alerts(first: 10) { nodes { title } }
    flows(first: 10) { nodes { dstIp dstPort } } iocs { value } cases { name } } } }"#;

/// Median and 95th percentile of the nested query, in ms, over `runs` runs.
async fn nested_query(conn: &DatabaseConnection, runs: usize) -> anyhow::Result<(f64, f64)> {
    let runner = query::Runner::as_admin(conn).await?;
    // Some alerts, an IOC and a case naming the first hosts.
    let customer = runner
        .run("mutation { createCustomer(name: \"bench\") { id } }", json!({}))
        .await?;
    let customer = customer["createCustomer"]["id"].clone();
    let case = runner
        .run(
            "mutation($c: ID!) { createCase(input: {name: \"bench\", customerId: $c}) { id } }",
            json!({"c": customer}),
        )
        .await?;
    let case = case["createCase"]["id"].clone();
    for i in 0..100 {
        runner
            .run(
                "mutation($ip: IpAddr!, $v: String!, $c: ID!) {
                createAlert(input: {kind: \"host\", type: \"scan\", severity: WARNING, title: \"t\", srcIp: $ip}) { id }
                addIoc(input: {type: \"ip-src\", value: $v, caseIds: [$c]}) { id } }",
                json!({"ip": addr(i), "v": addr(i), "c": case}),
            )
            .await?;
    }
    let (median, p95, last) = runner.time(NESTED, json!({}), runs).await?;
    anyhow::ensure!(
        last["hosts"]["nodes"].as_array().map_or(0, Vec::len) == 100,
        "the nested query sees 100 hosts"
    );
    Ok((median, p95))
}

pub async fn run(opts: BenchOptions) -> anyhow::Result<String> {
    std::fs::create_dir_all(&opts.dir)?;
    let conn_path = opts.dir.join("conn.log");
    let nmap_path = opts.dir.join("scan.xml");
    let ipdr_path = opts.dir.join("ipdr.csv");
    conn_log(&conn_path, opts.flows)?;
    ipdr_csv(&ipdr_path, opts.flows, 10.0)?;
    nmap_xml(&nmap_path, opts.hosts)?;
    let size = |p: &Path| {
        std::fs::metadata(p)
            .map(|m| m.len() as f64 / 1_048_576.0)
            .unwrap_or(0.0)
    };
    let mut report = format!(
        "Inputs: a Zeek conn.log of {} flows ({:.0} MiB), an nmap XML of {} hosts × 10 ports ({:.0} MiB), \
         an IPDR CSV of as many records as flows ({:.0} MiB).\n\n\
         | backend | what | Pivot | raw baseline | Pivot / raw | import peak RSS |\n|---|---|---|---|---|---|\n",
        opts.flows,
        size(&conn_path),
        opts.hosts,
        size(&nmap_path),
        size(&ipdr_path)
    );
    let sqlite_dir = opts.dir.clone();
    let mut backends = vec![Backend {
        name: "SQLite",
        fresh: Box::new(move |name| format!("sqlite://{}/{name}.db", sqlite_dir.display())),
    }];
    if let Some(server) = opts.postgres.clone() {
        backends.push(Backend {
            name: "PostgreSQL",
            fresh: Box::new(move |name| format!("{server}/pivot_bench_{name}")),
        });
    }
    let mut latencies = String::new();
    for b in &backends {
        let create_on = (b.name == "PostgreSQL").then(|| opts.postgres.clone().unwrap());
        for f in ["flows", "flows_raw", "hosts", "hosts_raw", "ipdr"] {
            let _ = std::fs::remove_file(opts.dir.join(format!("{f}.db")));
        }
        // Flows.
        let conn = open(&(b.fresh)("flows"), create_on.as_deref()).await?;
        reset_peak();
        let (took, summary) = import(&conn, Format::Zeek, &conn_path).await?;
        let peak = peak_mib().map_or("?".into(), |m| format!("{m:.0} MiB"));
        anyhow::ensure!(
            summary.added(ImportedKind::Flows) as usize == opts.flows,
            "every flow was imported"
        );
        let raw_conn = open(&(b.fresh)("flows_raw"), create_on.as_deref()).await?;
        let raw = raw_flows(&raw_conn, opts.flows).await?;
        let (rate, raw_rate) = (
            opts.flows as f64 / took.as_secs_f64(),
            opts.flows as f64 / raw.as_secs_f64(),
        );
        writeln!(
            report,
            "| {} | Zeek conn.log | {:.0} flows/s | {:.0} flows/s | {:.2} | {peak} |",
            b.name,
            rate,
            raw_rate,
            rate / raw_rate
        )?;
        // Hosts, into a fresh database like the baseline's; then into the one that
        // holds the flows too, for the nested query.
        let scan_conn = open(&(b.fresh)("hosts"), create_on.as_deref()).await?;
        reset_peak();
        let (took, _) = import(&scan_conn, Format::Nmap, &nmap_path).await?;
        let peak = peak_mib().map_or("?".into(), |m| format!("{m:.0} MiB"));
        let hosts_conn = open(&(b.fresh)("hosts_raw"), create_on.as_deref()).await?;
        let raw = raw_hosts(&hosts_conn, opts.hosts).await?;
        let (rate, raw_rate) = (
            opts.hosts as f64 / took.as_secs_f64(),
            opts.hosts as f64 / raw.as_secs_f64(),
        );
        writeln!(
            report,
            "| {} | nmap XML | {:.0} hosts/s | {:.0} hosts/s | {:.2} | {peak} |",
            b.name,
            rate,
            raw_rate,
            rate / raw_rate
        )?;
        // IPDR records (no raw baseline: the target is absolute, 150,000 records/s).
        let ipdr_conn = open(&(b.fresh)("ipdr"), create_on.as_deref()).await?;
        reset_peak();
        let (took, summary) = import(&ipdr_conn, Format::Ipdr, &ipdr_path).await?;
        let peak = peak_mib().map_or("?".into(), |m| format!("{m:.0} MiB"));
        anyhow::ensure!(
            summary.added(ImportedKind::IpdrRecords) as usize == opts.flows,
            "every IPDR record was imported"
        );
        writeln!(
            report,
            "| {} | IPDR CSV | {:.0} records/s | — | — | {peak} |",
            b.name,
            opts.flows as f64 / took.as_secs_f64()
        )?;
        drop(ipdr_conn);
        import(&conn, Format::Nmap, &nmap_path).await?;
        let (median, p95) = nested_query(&conn, 50).await?;
        writeln!(latencies, "| {} | {median:.1} ms | {p95:.1} ms |", b.name)?;
        drop((conn, raw_conn, scan_conn, hosts_conn));
        if let Some(server) = &create_on {
            let admin = Database::connect(format!("{server}/postgres")).await?;
            for f in ["flows", "flows_raw", "hosts", "hosts_raw", "ipdr"] {
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS pivot_bench_{f} WITH (FORCE)"))
                    .await?;
            }
        }
    }
    write!(
        report,
        "\nNested GraphQL query (100 hosts → ports, alerts, flows(first: 10), IOCs, cases; in process, \
         50 runs) over the {} flows and {} hosts:\n\n| backend | median | p95 |\n|---|---|---|\n{latencies}",
        opts.flows, opts.hosts
    )?;
    Ok(report)
}
