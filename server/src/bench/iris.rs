//! `pivot bench iris`: DFIR-IRIS's two long lists under volume — a case's IOCs
//! (`GET /iris/case/ioc/list`) and every case (`GET /iris/manage/cases/list`) — timed
//! over repeated calls (median and p95), with the SQL statements one call sends at two
//! list lengths: the same count, whatever the length (no statement per row). The
//! routes run in-process through the real router, as `bench compat` does.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use axum::body::Body;
use axum::http::Request;
use chrono::Utc;
use entities::{case, customer, ioc, ioc_case};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait, QueryOrder};
use tower::ServiceExt;

use super::open;

pub struct IrisOptions {
    /// IOCs in the big case, and cases in all.
    pub rows: usize,
    pub calls: usize,
    pub dir: PathBuf,
    pub postgres: Option<String>,
}

/// Rows per insert while seeding.
const BATCH: usize = 500;
/// The small list the statement count is compared with.
const SMALL: usize = 10;

/// One customer; `rows` cases (the first holds `rows` IOCs, the second `SMALL`).
async fn seed(conn: &DatabaseConnection, rows: usize) -> anyhow::Result<()> {
    let now = Utc::now();
    let c = customer::Entity::insert(customer::ActiveModel {
        name: Set("Bench customer".into()),
        created_at: Set(now),
        ..Default::default()
    })
    .exec(conn)
    .await?
    .last_insert_id;
    for start in (0..rows).step_by(BATCH) {
        let batch = (start..rows.min(start + BATCH)).map(|i| case::ActiveModel {
            name: Set(format!("Bench case {i}")),
            description: Set(format!("Case {i} of the IRIS bench")),
            soc_id: Set(Some(format!("SOC-{i}"))),
            status: Set(if i % 3 == 0 { "closed" } else { "open" }.into()),
            outcome: Set("unknown".into()),
            opened_at: Set(now),
            closed_at: Set((i % 3 == 0).then_some(now)),
            customer_id: Set(c),
            updated_at: Set(now),
            ..Default::default()
        });
        case::Entity::insert_many(batch).exec(conn).await?;
    }
    let cases: Vec<i64> = case::Entity::find()
        .order_by_asc(case::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    for (case_id, n) in [(cases[0], rows), (cases[1], SMALL)] {
        for start in (0..n).step_by(BATCH) {
            let batch = (start..n.min(start + BATCH)).map(|i| ioc::ActiveModel {
                ioc_type: Set(if i % 2 == 0 { "domain" } else { "ip-dst" }.into()),
                value: Set(if i % 2 == 0 {
                    format!("c{case_id}-{i}.evil.example.org")
                } else {
                    format!("10.{}.{}.{}", case_id % 250, (i / 250) % 250, i % 250)
                }),
                description: Set(Some(format!("IOC {i}"))),
                tags: Set("bench,ioc".into()),
                tlp: Set("amber".into()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            });
            ioc::Entity::insert_many(batch).exec(conn).await?;
        }
    }
    // The IOCs in the order they were made: the big case's, then the small one's.
    let iocs: Vec<i64> = ioc::Entity::find()
        .order_by_asc(ioc::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|i| i.id)
        .collect();
    let owner = |k: usize| if k < rows { cases[0] } else { cases[1] };
    for chunk in iocs.iter().enumerate().collect::<Vec<_>>().chunks(BATCH) {
        let links = chunk.iter().map(|(k, id)| ioc_case::ActiveModel {
            ioc_id: Set(**id),
            case_id: Set(owner(*k)),
        });
        ioc_case::Entity::insert_many(links).exec(conn).await?;
    }
    Ok(())
}

/// One call, answered whole: its body.
async fn call(router: &axum::Router, token: &str, path: &str) -> anyhow::Result<axum::body::Bytes> {
    let req = Request::get(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::empty())?;
    let res = router.clone().oneshot(req).await?;
    anyhow::ensure!(res.status() == 200, "{path} answered {}", res.status());
    Ok(axum::body::to_bytes(res.into_body(), usize::MAX).await?)
}

/// One call, its answer read: the rows listed (the IOC list's `ioc`, or the cases list
/// itself). Timed calls do not read their answers: that is the client's time.
async fn listed(router: &axum::Router, token: &str, path: &str) -> anyhow::Result<usize> {
    let v: serde_json::Value = serde_json::from_slice(&call(router, token, path).await?)?;
    anyhow::ensure!(v["status"] == "success", "{path}: {}", v["message"]);
    Ok(v["data"]["ioc"].as_array().or(v["data"].as_array()).map_or(0, Vec::len))
}

async fn backend(
    report: &mut String,
    name: &str,
    url: &str,
    create_on: Option<&str>,
    opts: &IrisOptions,
) -> anyhow::Result<()> {
    let conn = open(url, create_on).await?;
    let started = Instant::now();
    seed(&conn, opts.rows).await?;
    let seeded = started.elapsed().as_secs_f64();
    conn.execute_unprepared("ANALYZE").await?;
    conn.close().await?;
    let (router, token, statements) = super::app_with_counter(url).await?;
    let (big, small) = (1, 2);
    for (what, path, small_path) in [
        (
            "a case's IOCs",
            format!("/iris/case/ioc/list?cid={big}"),
            format!("/iris/case/ioc/list?cid={small}"),
        ),
        ("every case", "/iris/manage/cases/list".to_string(), String::new()),
    ] {
        let rows = listed(&router, &token, &path).await?;
        let mut times = Vec::with_capacity(opts.calls);
        for _ in 0..opts.calls {
            let started = Instant::now();
            call(&router, &token, &path).await?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        let (median, p95) = (times[times.len() / 2], times[times.len() * 95 / 100]);
        let before = statements.get();
        call(&router, &token, &path).await?;
        let at_size = statements.get() - before;
        // The same route on a short list (the IOC list of a case with a few IOCs).
        let short = if small_path.is_empty() {
            "—".to_string()
        } else {
            // Once to make that case the current one (a write), then counted.
            call(&router, &token, &small_path).await?;
            let before = statements.get();
            let n = listed(&router, &token, &small_path).await?;
            format!("{} ({n} rows)", statements.get() - before)
        };
        writeln!(
            report,
            "| {name} | {what} | {rows} rows | median {median:.1} ms, p95 {p95:.1} ms | {at_size} | {short} | seeded in {seeded:.1} s |"
        )?;
    }
    Ok(())
}

pub async fn run(opts: IrisOptions) -> anyhow::Result<String> {
    std::fs::create_dir_all(&opts.dir)?;
    let mut report = format!(
        "DFIR-IRIS lists over {} rows ({} calls each; statements: one call at that length, and on a short list).\n\n\
         | backend | list | length | time | statements | statements, short list | |\n|---|---|---|---|---|---|---|\n",
        opts.rows, opts.calls
    );
    for f in ["iris.db", "iris.db-wal", "iris.db-shm"] {
        let _ = std::fs::remove_file(opts.dir.join(f));
    }
    let sqlite = format!("sqlite://{}", opts.dir.join("iris.db").display());
    backend(&mut report, "SQLite", &sqlite, None, &opts).await?;
    if let Some(server) = &opts.postgres {
        let url = format!("{server}/pivot_bench_iris");
        backend(&mut report, "PostgreSQL", &url, Some(server), &opts).await?;
    }
    Ok(report)
}
