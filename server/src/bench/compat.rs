//! `pivot bench compat`: the REST compatibility routes under data volume. A million
//! network alerts, then `POST /api/v1/networkalerts/search` with three filters (median
//! and p95 over repeated calls) and `POST /api/v1/data/export` of every row (rows/s,
//! and the memory the export added). The routes run in-process through the real
//! router (`tower::ServiceExt::oneshot`): everything but the socket.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use futures_util::StreamExt;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use tower::ServiceExt;

use super::{open, peak_mib, reset_peak, t0, RAW_ROWS};
use crate::db::placeholders;
use crate::domain::ip;

pub struct CompatOptions {
    pub alerts: usize,
    pub searches: usize,
    pub dir: PathBuf,
    pub postgres: Option<String>,
}

const TYPES: [&str; 5] = ["portscan", "newdevice", "arpspoof", "dnstunnel", "bruteforce"];

/// `rows` network alerts: sources over a /16, 5 types, 6 severities, a minute apart per 100.
pub(crate) async fn seed(conn: &DatabaseConnection, rows: usize) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let cols = "kind, alert_type, severity, score, title, message, occurred_at, src_ip, dst_ip, src_port, dst_port, \
                sensor, acknowledged, created_at, src_mac";
    let pg = conn.get_database_backend() == sea_orm::DbBackend::Postgres;
    let statement = |n: usize| format!("INSERT INTO alerts ({cols}) VALUES {}", placeholders(pg, n, 15));
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
                    let at = t0() + chrono::Duration::seconds((j / 100 * 60) as i64);
                    let src: std::net::IpAddr = format!("10.{}.{}.{}", j % 4, (j / 4) % 256, 1 + j % 250).parse()?;
                    q = q
                        .bind("network")
                        .bind(TYPES[j % 5])
                        .bind((j % 6) as i16)
                        .bind(50i32)
                        .bind(format!("Alert {j}"))
                        .bind("bench alert message")
                        .bind(at)
                        .bind(ip::to_key(src))
                        .bind(ip::to_key(format!("192.0.2.{}", 1 + j % 200).parse()?))
                        .bind((1024 + j % 60000) as i32)
                        .bind([22i32, 80, 443, 3389][j % 4])
                        .bind(format!("agent-{}", j % 3))
                        .bind(false)
                        .bind(at)
                        .bind(format!("02:00:00:00:{:02X}:{:02X}", (j / 256) % 256, j % 256));
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

const SEARCH: &str = r#"{"filters":{"level":[30],"source":["10.1.%"],"type":["portscan"]},"page":1,"page_size":25}"#;

async fn call(router: &axum::Router, token: &str, path: &str, body: &str) -> anyhow::Result<(u16, u64)> {
    let req = Request::post(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))?;
    let res = router.clone().oneshot(req).await?;
    let status = res.status().as_u16();
    let mut bytes = 0u64;
    let mut stream = res.into_body().into_data_stream();
    while let Some(chunk) = stream.next().await {
        bytes += chunk?.len() as u64;
    }
    Ok((status, bytes))
}

async fn backend(
    report: &mut String,
    name: &str,
    url: &str,
    create_on: Option<&str>,
    opts: &CompatOptions,
) -> anyhow::Result<()> {
    let conn = open(url, create_on).await?;
    let seeded = seed(&conn, opts.alerts).await?;
    conn.execute_unprepared("ANALYZE").await?;
    conn.close().await?;
    let (router, token) = super::app_at(url).await?;
    let (status, _) = call(&router, &token, "/api/v1/networkalerts/search", SEARCH).await?;
    anyhow::ensure!(status == 200, "the search answered {status}");
    let mut times = Vec::with_capacity(opts.searches);
    for _ in 0..opts.searches {
        let started = Instant::now();
        call(&router, &token, "/api/v1/networkalerts/search", SEARCH).await?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let (median, p95) = (times[times.len() / 2], times[times.len() * 95 / 100]);
    reset_peak();
    let before = peak_mib().unwrap_or(0.0);
    let started = Instant::now();
    let (status, bytes) = call(
        &router,
        &token,
        "/api/v1/data/export",
        r#"{"datasets":["network_alerts"]}"#,
    )
    .await?;
    let took = started.elapsed().as_secs_f64();
    anyhow::ensure!(status == 200, "the export answered {status}");
    let peak = peak_mib().unwrap_or(0.0);
    writeln!(
        report,
        "| {name} | {} alerts seeded in {:.1} s | search median {median:.1} ms, p95 {p95:.1} ms | export {:.0} rows/s ({:.0} MiB ZIP) | export peak RSS {peak:.0} MiB ({:+.0} MiB) |",
        opts.alerts,
        seeded.as_secs_f64(),
        opts.alerts as f64 / took,
        bytes as f64 / 1_048_576.0,
        peak - before,
    )?;
    Ok(())
}

pub async fn run(opts: CompatOptions) -> anyhow::Result<String> {
    std::fs::create_dir_all(&opts.dir)?;
    let mut report = format!(
        "Network alert search (`{SEARCH}`, {} calls) and a full export, over {} network alerts.\n\n\
         | backend | data | search | export | memory |\n|---|---|---|---|---|\n",
        opts.searches, opts.alerts
    );
    let sqlite = opts.dir.join("compat.db");
    for f in ["compat.db", "compat.db-wal", "compat.db-shm"] {
        let _ = std::fs::remove_file(opts.dir.join(f));
    }
    backend(
        &mut report,
        "SQLite",
        &format!("sqlite://{}", sqlite.display()),
        None,
        &opts,
    )
    .await?;
    if let Some(server) = &opts.postgres {
        let url = format!("{server}/pivot_bench_compat");
        backend(&mut report, "PostgreSQL", &url, Some(server), &opts).await?;
    }
    Ok(report)
}
