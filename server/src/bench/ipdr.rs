//! `pivot bench ipdr`: IPDR at volume. Records over a month are imported (records/s),
//! then lookups of one address over one day run end to end through Trisul's API: `POST
//! /api/ipdr_query/new`, then `GET /api/ipdr_query/status` every millisecond until
//! COMPLETED (the workers run in the same process, as `pivot serve` runs them). Two
//! kinds of address: a subscriber's (10,000,000 records over 30 days: about 7 a day)
//! and a NAT address (about 1,300 a day). The routes run through the real router
//! (`tower::ServiceExt::oneshot`): everything but the socket.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use serde_json::{json, Value};
use tower::ServiceExt;

use super::{addr, import, ipdr_csv, open, t0};
use crate::ingest::Format;

pub struct IpdrOptions {
    pub records: usize,
    pub days: u32,
    /// Lookups timed per kind of address.
    pub queries: usize,
    pub dir: PathBuf,
    pub postgres: Option<String>,
}

async fn call(router: &axum::Router, method: &str, path: &str, body: &Value) -> anyhow::Result<Value> {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))?;
    let res = router.clone().oneshot(req).await?;
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await?;
    let value: Value = serde_json::from_slice(&bytes)?;
    anyhow::ensure!(status.is_success(), "{method} {path} answered {status}: {value}");
    Ok(value)
}

/// One lookup, submit to COMPLETED: its time and the rows it found.
async fn lookup(router: &axum::Router, token: &str, ip: &str, day: u32) -> anyhow::Result<(Duration, usize)> {
    let from = t0() + chrono::Duration::days(day as i64);
    let to = from + chrono::Duration::days(1) - chrono::Duration::seconds(1);
    let window = |t: chrono::DateTime<chrono::Utc>| t.format("%d-%m-%Y %H:%M:%S").to_string();
    let credentials = json!({"api_token": token, "username": "admin"});
    let mut body = credentials.clone();
    body["ip"] = json!(ip);
    body["from_time"] = json!(window(from));
    body["to_time"] = json!(window(to));
    let started = Instant::now();
    let submitted = call(router, "POST", "/api/ipdr_query/new", &body).await?;
    let mut status = credentials.clone();
    status["query_id"] = submitted["query_id"].clone();
    loop {
        let s = call(router, "GET", "/api/ipdr_query/status", &status).await?;
        if s["CurrentStatus"] == "COMPLETED" {
            break;
        }
        anyhow::ensure!(s["CurrentStatus"] != "CANCELED", "the query was canceled: {s}");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let took = started.elapsed();
    status["headers"] = json!(["StartTime"]);
    let result = call(router, "GET", "/api/ipdr_query/result", &status).await?;
    let rows = result["rows"].as_array().map_or(0, Vec::len);
    Ok((took, rows))
}

async fn backend(
    report: &mut String,
    name: &str,
    url: &str,
    create_on: Option<&str>,
    csv: &Path,
    opts: &IpdrOptions,
) -> anyhow::Result<()> {
    let conn = open(url, create_on).await?;
    let (took, summary) = import(&conn, Format::Ipdr, csv).await?;
    anyhow::ensure!(
        summary.added(crate::ingest::ImportedKind::IpdrRecords) as usize == opts.records,
        "every record was imported"
    );
    conn.close().await?;
    let (router, token) = super::app_at(url).await?;
    let mut cells = Vec::new();
    for kind in ["subscriber", "NAT"] {
        let mut times = Vec::with_capacity(opts.queries);
        let mut rows = 0;
        for q in 0..opts.queries {
            let ip = match kind {
                "subscriber" => addr(q * 7919 % 50_000),
                _ => format!("100.64.0.{}", q * 37 % 256),
            };
            let (t, n) = lookup(&router, &token, &ip, q as u32 % opts.days).await?;
            times.push(t.as_secs_f64() * 1000.0);
            rows += n;
        }
        times.sort_by(f64::total_cmp);
        let at = |p: usize| times[(times.len() * p / 100).min(times.len() - 1)];
        cells.push(format!(
            "{kind}: median {:.1} ms, p95 {:.1} ms, max {:.1} ms ({:.0} rows each)",
            at(50),
            at(95),
            times[times.len() - 1],
            rows as f64 / opts.queries as f64
        ));
    }
    writeln!(
        report,
        "| {name} | {:.0} records/s | {} | {} |",
        opts.records as f64 / took.as_secs_f64(),
        cells[0],
        cells[1]
    )?;
    Ok(())
}

pub async fn run(opts: IpdrOptions) -> anyhow::Result<String> {
    anyhow::ensure!(
        opts.records > 0 && opts.days > 0 && opts.queries > 0,
        "records, days and queries must be positive"
    );
    std::fs::create_dir_all(&opts.dir)?;
    let csv = opts.dir.join("ipdr-month.csv");
    let step_ms = opts.days as f64 * 86_400_000.0 / opts.records as f64;
    ipdr_csv(&csv, opts.records, step_ms)?;
    let mut report = format!(
        "{} IPDR records over {} days (50,000 subscribers behind 256 NAT addresses); {} lookups of one \
         address over one day per kind, submit to COMPLETED through Trisul's API.\n\n\
         | backend | import | subscriber lookups | NAT lookups |\n|---|---|---|---|\n",
        opts.records, opts.days, opts.queries
    );
    for f in ["ipdr-bench.db", "ipdr-bench.db-wal", "ipdr-bench.db-shm"] {
        let _ = std::fs::remove_file(opts.dir.join(f));
    }
    let sqlite = format!("sqlite://{}", opts.dir.join("ipdr-bench.db").display());
    backend(&mut report, "SQLite", &sqlite, None, &csv, &opts).await?;
    if let Some(server) = &opts.postgres {
        let url = format!("{server}/pivot_bench_ipdr");
        backend(&mut report, "PostgreSQL", &url, Some(server), &csv, &opts).await?;
    }
    Ok(report)
}
