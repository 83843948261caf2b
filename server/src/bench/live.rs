//! `pivot bench live`: live alert delivery under load. Real `pivot serve` processes
//! (one on SQLite; two replicas on one PostgreSQL database), real WebSocket clients:
//! subscribers with mixed filters while alerts are created through GraphQL mutations
//! at a steady rate. Reports delivered/expected, latency from the mutation's sending to
//! receipt (an upper bound of commit-to-receipt: it includes the mutation's own time)
//! and from the mutation's answer to receipt (a lower bound: the answer leaves after
//! the commit), how long mutations took to be answered, the servers' peak memory, and
//! the memory of idle subscriptions.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::domain::users;

pub struct LiveOptions {
    pub subscribers: usize,
    /// Alerts created per second.
    pub rate: u32,
    pub seconds: u64,
    /// Analysts the subscribers belong to, each with a token of its own (subscriber `i`
    /// is analyst `i % users`'s), so that rights-keyed groups are exercised.
    pub users: usize,
    /// Idle subscriptions whose memory is measured (0: skip).
    pub idle: usize,
    pub dir: PathBuf,
    pub postgres: Option<String>,
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The filters subscribers use, in turn: everything, WARNING or worse, host alerts, a /9.
const FILTERS: [&str; 4] = [
    "{}",
    r#"{"severity": {"gte": "WARNING"}}"#,
    r#"{"kind": {"eq": "host"}}"#,
    r#"{"host": {"within": ["10.0.0.0/9"]}}"#,
];
const SEVERITIES: [&str; 5] = ["INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL"];
const KINDS: [&str; 3] = ["host", "flow", "network"];

/// Alert `j` of the run, and whether filter `f` lets it through.
fn alert_input(j: u64) -> Value {
    json!({
        "kind": KINDS[(j % 3) as usize],
        "type": "bench",
        "severity": SEVERITIES[(j % 5) as usize],
        "title": format!("bench {j}"),
        "srcIp": format!("10.{}.0.1", j % 256),
    })
}

fn matches(f: usize, j: u64) -> bool {
    match f {
        0 => true,
        1 => j % 5 >= 2,
        2 => j.is_multiple_of(3),
        _ => j % 256 < 128,
    }
}

struct Server {
    child: Child,
    ws_url: String,
}

impl Server {
    /// `pivot serve` on `database`, once it accepts connections.
    async fn spawn(database: &str, port: u16) -> anyhow::Result<Self> {
        let child = Command::new(std::env::current_exe()?)
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--database",
                database,
            ])
            .env("PIVOT_LOG", "warn")
            // One user holds every idle subscription's connection.
            .env("PIVOT_WS_MAX_PER_USER", "1000000")
            .stdout(Stdio::null())
            .spawn()?;
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            anyhow::ensure!(started.elapsed() < Duration::from_secs(30), "pivot serve did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(Self {
            child,
            ws_url: format!("ws://127.0.0.1:{port}/graphql/ws"),
        })
    }

    /// Resident memory of the server now and at its peak, in MiB.
    fn memory(&self) -> (f64, f64) {
        let pid = self.child.id().to_string();
        let read = |key| super::status_mib(&pid, key).unwrap_or(0.0);
        (read("VmRSS:"), read("VmHWM:"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A graphql-transport-ws connection, acknowledged.
async fn connect(url: &str, token: &str) -> anyhow::Result<Socket> {
    let mut request = url.into_client_request()?;
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
    // A small read buffer, as the server has: tungstenite zero-fills its read buffer up
    // to that size (128 KiB by default) before every read, which made the load
    // generator the bottleneck of the machine it shares with the servers.
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default().read_buffer_size(4096);
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(request, Some(config), true).await?;
    let init = json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}")}});
    ws.send(Message::Text(init.to_string().into())).await?;
    match ws.next().await {
        Some(Ok(Message::Text(t))) if t.contains("connection_ack") => Ok(ws),
        other => anyhow::bail!("no connection_ack: {other:?}"),
    }
}

async fn subscribe(ws: &mut Socket, filter: &str) -> anyhow::Result<()> {
    let query = "subscription($f: AlertFilter) { alertCreated(filter: $f) { id title severity kind srcIp } }";
    let filter: Value = serde_json::from_str(filter)?;
    let message = json!({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": {"f": filter}}});
    ws.send(Message::Text(message.to_string().into())).await?;
    Ok(())
}

/// The number of the alert in an event's title.
fn stamp(text: &str) -> Option<usize> {
    let rest = &text[text.find("\"title\":\"bench ")? + 15..];
    rest[..rest.find('"')?].parse().ok()
}

/// The value at fraction `p` of `sorted` latencies (µs), in ms.
fn percentile(sorted: &[u32], p: f64) -> f64 {
    match sorted.len() {
        0 => 0.0,
        n => sorted[((n - 1) as f64 * p) as usize] as f64 / 1000.0,
    }
}

/// Opens `n` subscribed connections to `urls` in turn, with `tokens` in turn, 64 at a time.
async fn open_many(urls: &[String], tokens: &[String], n: usize) -> anyhow::Result<Vec<Socket>> {
    let opened = futures_util::stream::iter(0..n)
        .map(|i| {
            let url = urls[i % urls.len()].clone();
            let token = tokens[i % tokens.len()].clone();
            async move {
                let mut ws = connect(&url, &token).await?;
                subscribe(&mut ws, FILTERS[i % FILTERS.len()]).await?;
                anyhow::Ok(ws)
            }
        })
        .buffered(64)
        .collect::<Vec<_>>()
        .await;
    opened.into_iter().collect()
}

struct LoadResult {
    expected: u64,
    delivered: u64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    /// p50 and p99 from the mutation's answer to receipt.
    answered_p50_ms: f64,
    answered_p99_ms: f64,
    /// p99 of the mutations' own time, sending to answer (the commit is in it).
    mutation_p99_ms: f64,
    created: u64,
    /// The seconds of the run (from the first mutation) whose alerts took longest to
    /// arrive, with that worst latency in ms: where the tail comes from.
    slowest: Vec<(usize, f64)>,
}

/// Subscribers on `servers` (in turn, with `tokens` in turn) while alerts are created
/// at `rate` for `seconds` through mutations sent to the servers in turn (as `writer`).
async fn load(servers: &[Server], writer: &str, tokens: &[String], o: &LiveOptions) -> anyhow::Result<LoadResult> {
    let urls: Vec<String> = servers.iter().map(|s| s.ws_url.clone()).collect();
    let sockets = open_many(&urls, tokens, o.subscribers).await?;
    // Each subscription is registered on its first poll: let them all settle.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let epoch = Instant::now();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let readers: Vec<_> = sockets
        .into_iter()
        .map(|mut ws| {
            let mut stopped = stopped.clone();
            tokio::spawn(async move {
                // (alert, µs from the epoch) of each event received: u32s, for a
                // run of 71 minutes at most, keep 7 million receipts in 58 MB.
                let mut received: Vec<(u32, u32)> = Vec::new();
                loop {
                    let message = tokio::select! {
                        _ = stopped.changed() => break,
                        m = ws.next() => m,
                    };
                    match message {
                        Some(Ok(Message::Text(t))) => {
                            let now = epoch.elapsed().as_micros() as u64;
                            if let Some(j) = stamp(&t) {
                                received.push((j as u32, now as u32));
                            }
                        }
                        Some(Ok(_)) => {}
                        None | Some(Err(_)) => break,
                    }
                }
                let _ = ws.close(None).await;
                received
            })
        })
        .collect();

    // Writers: one connection per server; each tick sends one mutation.
    let mut writers = Vec::new();
    for url in &urls {
        writers.push(connect(url, writer).await?);
    }
    let total = o.rate as u64 * o.seconds;
    // When each mutation's answer arrived (µs from the epoch; 0: not yet).
    let answered: Arc<Vec<AtomicU64>> = Arc::new((0..total).map(|_| AtomicU64::new(0)).collect());
    let sent_at: Arc<Vec<AtomicU64>> = Arc::new((0..total).map(|_| AtomicU64::new(0)).collect());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let mut sinks = Vec::new();
    let mut acks = Vec::new();
    for ws in writers {
        let (sink, mut stream) = ws.split();
        sinks.push(sink);
        let answered = Arc::clone(&answered);
        acks.push(tokio::spawn(async move {
            while let Some(Ok(m)) = stream.next().await {
                let Message::Text(t) = m else { continue };
                if t.contains("errors") {
                    eprintln!("a mutation failed: {t}");
                } else if let Ok(m) = serde_json::from_str::<Value>(&t) {
                    let j = m["id"].as_str().and_then(|id| id.parse::<usize>().ok());
                    if let (Some(j), Some("next")) = (j, m["type"].as_str()) {
                        answered[j].store(epoch.elapsed().as_micros() as u64, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    let period = Duration::from_secs_f64(1.0 / o.rate as f64);
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let sending = Arc::clone(&sent_at);
    let sender = tokio::spawn(async move {
        for j in 0..total {
            tick.tick().await;
            let sent = epoch.elapsed().as_micros() as u64;
            sending[j as usize].store(sent, Ordering::Relaxed);
            let q = "mutation($i: CreateAlertInput!) { createAlert(input: $i) { id } }";
            let m = json!({"id": j.to_string(), "type": "subscribe",
                "payload": {"query": q, "variables": {"i": alert_input(j)}}});
            if tx.send(m.to_string()).is_err() {
                break;
            }
        }
    });
    let mut j = 0usize;
    while let Some(m) = rx.recv().await {
        let n = sinks.len();
        sinks[j % n].send(Message::Text(m.into())).await?;
        j += 1;
    }
    sender.await?;
    // Let the last alerts arrive, then stop the readers.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let _ = stop.send(true);
    let mut received: Vec<(u32, u32)> = Vec::new();
    for r in readers {
        received.extend(r.await?);
    }
    for s in &mut sinks {
        let _ = s.close().await;
    }
    for a in acks {
        a.abort();
    }
    let per_filter: Vec<u64> = (0..FILTERS.len())
        .map(|f| (0..total).filter(|&j| matches(f, j)).count() as u64)
        .collect();
    let expected: u64 = (0..o.subscribers).map(|i| per_filter[i % FILTERS.len()]).sum();
    let sent = |j: usize| sent_at[j].load(Ordering::Relaxed);
    let answer = |j: usize| Some(answered[j].load(Ordering::Relaxed)).filter(|&a| a > 0);
    let mut from_sending = Vec::with_capacity(received.len());
    let mut from_answer = Vec::with_capacity(received.len());
    // The worst latency from sending of the alerts sent in each second of the run.
    let mut worst: Vec<u32> = Vec::new();
    for &(j, at) in &received {
        let (j, at) = (j as usize, u64::from(at));
        let latency = at.saturating_sub(sent(j)) as u32;
        from_sending.push(latency);
        if let Some(a) = answer(j) {
            from_answer.push(at.saturating_sub(a) as u32);
        }
        let second = (sent(j) / 1_000_000) as usize;
        if worst.len() <= second {
            worst.resize(second + 1, 0);
        }
        worst[second] = worst[second].max(latency);
    }
    let mut mutation: Vec<u32> = (0..total as usize)
        .filter_map(|j| Some(answer(j)?.saturating_sub(sent(j)) as u32))
        .collect();
    for v in [&mut from_sending, &mut from_answer, &mut mutation] {
        v.sort_unstable();
    }
    Ok(LoadResult {
        expected,
        delivered: received.len() as u64,
        p50_ms: percentile(&from_sending, 0.5),
        p99_ms: percentile(&from_sending, 0.99),
        max_ms: percentile(&from_sending, 1.0),
        answered_p50_ms: percentile(&from_answer, 0.5),
        answered_p99_ms: percentile(&from_answer, 0.99),
        mutation_p99_ms: percentile(&mutation, 0.99),
        created: total,
        slowest: {
            let mut seconds: Vec<(usize, f64)> =
                worst.iter().enumerate().map(|(t, w)| (t, *w as f64 / 1000.0)).collect();
            seconds.sort_by(|a, b| b.1.total_cmp(&a.1));
            seconds.truncate(3);
            seconds
        },
    })
}

/// Memory of `n` idle subscriptions on `server`, in KiB each.
async fn idle(server: &Server, token: &str, n: usize) -> anyhow::Result<(f64, f64)> {
    let (before, _) = server.memory();
    let sockets = open_many(std::slice::from_ref(&server.ws_url), &[token.to_string()], n).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (after, _) = server.memory();
    drop(sockets);
    let per_kib = (after - before).max(0.0) * 1024.0 / n as f64;
    Ok((after - before, per_kib))
}

/// A token of the first admin of `url` (migrated, created if need be), and one token
/// for each of `analysts` new analysts.
async fn bench_tokens(url: &str, create_on: Option<&str>, analysts: usize) -> anyhow::Result<(String, Vec<String>)> {
    let conn = super::open(url, create_on).await?;
    crate::state::first_admin(&conn, Some("bench admin password")).await?;
    let admin = users::by_name(&conn, "admin").await?;
    let token = users::create_token(&conn, admin.id, "bench-live", None).await?.1;
    let mut tokens = Vec::new();
    for i in 0..analysts.max(1) {
        let user = users::create(
            &conn,
            &format!("analyst{i}"),
            users::Role::Analyst,
            "bench analyst password",
        )
        .await?;
        tokens.push(users::create_token(&conn, user.id, "bench-live", None).await?.1);
    }
    Ok((token, tokens))
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn slowest(notes: &mut String, backend: &str, r: &LoadResult) {
    let seconds: Vec<String> = r
        .slowest
        .iter()
        .map(|(t, ms)| format!("second {t} (max {ms:.0} ms)"))
        .collect();
    let _ = writeln!(notes, "{backend}: slowest seconds: {}", seconds.join(", "));
}

fn row(out: &mut String, backend: &str, r: &LoadResult, servers: &[Server]) {
    let memory: Vec<String> = servers.iter().map(|s| format!("{:.0}", s.memory().1)).collect();
    let _ = writeln!(
        out,
        "| {backend} | {} | {}/{} ({:.2} %) | {:.1} | {:.1} | {:.1} | {:.1} / {:.1} | {:.1} | {} |",
        r.created,
        r.delivered,
        r.expected,
        100.0 * r.delivered as f64 / r.expected.max(1) as f64,
        r.p50_ms,
        r.p99_ms,
        r.max_ms,
        r.answered_p50_ms,
        r.answered_p99_ms,
        r.mutation_p99_ms,
        memory.join(" + ")
    );
}

pub async fn run(o: LiveOptions) -> anyhow::Result<String> {
    std::fs::create_dir_all(&o.dir)?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "live alerts: {} subscribers of {} analysts (filters in turn: all, WARNING+, kind host, a /9), {} alerts/s for {} s\n",
        o.subscribers, o.users, o.rate, o.seconds
    );
    let _ = writeln!(
        out,
        "| backend | alerts | delivered/expected | p50 ms | p99 ms | max ms | from the answer: p50 / p99 ms | mutation p99 ms | server peak MiB |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|");

    let file = o.dir.join("live.db");
    let _ = std::fs::remove_file(&file);
    let sqlite = format!("sqlite://{}", file.display());
    let (token, tokens) = bench_tokens(&sqlite, None, o.users).await?;
    let server = Server::spawn(&sqlite, free_port()?).await?;
    let r = load(std::slice::from_ref(&server), &token, &tokens, &o).await?;
    row(&mut out, "SQLite, 1 server", &r, std::slice::from_ref(&server));
    let mut notes = String::new();
    slowest(&mut notes, "SQLite", &r);
    drop(server);

    if let Some(pg) = &o.postgres {
        let url = format!("{pg}/pivot_bench_live");
        let (token, tokens) = bench_tokens(&url, Some(pg), o.users).await?;
        let servers = vec![
            Server::spawn(&url, free_port()?).await?,
            Server::spawn(&url, free_port()?).await?,
        ];
        let r = load(&servers, &token, &tokens, &o).await?;
        row(&mut out, "PostgreSQL, 2 replicas", &r, &servers);
        slowest(&mut notes, "PostgreSQL", &r);
    }
    let _ = write!(out, "\n{notes}");

    if o.idle > 0 {
        let file = o.dir.join("idle.db");
        let _ = std::fs::remove_file(&file);
        let sqlite = format!("sqlite://{}", file.display());
        let (token, _) = bench_tokens(&sqlite, None, 0).await?;
        let server = Server::spawn(&sqlite, free_port()?).await?;
        let (mib, kib_each) = idle(&server, &token, o.idle).await?;
        let _ = writeln!(
            out,
            "\nidle: {} subscriptions (one per WebSocket) took {mib:.0} MiB of server memory: {kib_each:.1} KiB each, {:.0} per GiB",
            o.idle,
            1024.0 * 1024.0 / kib_each.max(0.001)
        );
    }
    Ok(out)
}
