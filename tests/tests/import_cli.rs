//! `pivot import` as a user runs it: the real binary, a real file, a summary on
//! standard output, and no partial import when the process is killed half-way.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database, Statement};

/// The `pivot` binary cargo built next to this test.
fn pivot() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    let bin = dir.join("pivot");
    assert!(
        bin.exists(),
        "the pivot binary is built beside the tests: {}",
        bin.display()
    );
    bin
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pivot-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn conn_log(path: &Path, rows: usize) {
    server::bench::conn_log(path, rows).expect("writing a conn.log");
}

async fn count(url: &str, table: &str) -> i64 {
    tests::rows_in(&Database::connect(url).await.unwrap(), table).await
}

/// `pivot import zeek LOG --database URL`, which must succeed.
fn import_zeek(log: &Path, url: &str) {
    let out = Command::new(pivot())
        .args(["import", "zeek"])
        .arg(log)
        .args(["--database", url])
        .env("PIVOT_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The secondary indexes of `flows`, by name.
async fn flow_indexes(url: &str) -> Vec<String> {
    let db = Database::connect(url).await.unwrap();
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'flows' AND sql IS NOT NULL ORDER BY name"
        }
        _ => "SELECT indexname AS name FROM pg_indexes WHERE tablename = 'flows' AND indexname LIKE 'ix_%' ORDER BY indexname",
    };
    let rows = db.query_all(Statement::from_string(backend, sql)).await.unwrap();
    rows.iter().map(|r| r.try_get::<String>("", "name").unwrap()).collect()
}

const FLOW_INDEXES: [&str; 5] = [
    "ix_flows_dst_ip",
    "ix_flows_dst_port",
    "ix_flows_src_ip",
    "ix_flows_started_at",
    "ix_flows_uid",
];

/// A large import builds the flows' indexes after writing (SQLite): they are all there
/// afterwards, and the planner uses them.
#[tokio::test]
async fn large_import_keeps_the_indexes() {
    let dir = temp_dir("indexes");
    let log = dir.join("conn.log");
    conn_log(&log, 45_000);
    let url = format!("sqlite://{}/pivot.db", dir.display());
    for expected in [45_000, 90_000] {
        import_zeek(&log, &url);
        assert_eq!(count(&url, "flows").await, expected);
        assert_eq!(flow_indexes(&url).await, FLOW_INDEXES);
    }
    let db = Database::connect(&url).await.unwrap();
    let plan = db
        .query_all(Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            "EXPLAIN QUERY PLAN SELECT id FROM flows WHERE src_ip = x'00000000000000000000ffff0a000001'",
        ))
        .await
        .unwrap();
    let detail: Vec<String> = plan
        .iter()
        .map(|r| r.try_get::<String>("", "detail").unwrap())
        .collect();
    assert!(detail.iter().any(|d| d.contains("ix_flows_src_ip")), "{detail:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn import_prints_a_summary() {
    let dir = temp_dir("summary");
    let log = dir.join("conn.log");
    conn_log(&log, 250);
    let url = format!("sqlite://{}/pivot.db", dir.display());
    let out = Command::new(pivot())
        .args(["import", "zeek"])
        .arg(&log)
        .args(["--source", "sensor-1", "--database", &url])
        .env("PIVOT_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.trim(), "read 250, inserted 250, updated 0, skipped 0");
    assert_eq!(count(&url, "flows").await, 250);

    // A bad file: a clear message, a failing exit code, nothing written.
    let bad = dir.join("bad.log");
    std::fs::write(&bad, "#fields\tts\tid.orig_h\n1.0\tnot-an-address\n").unwrap();
    let out = Command::new(pivot())
        .args(["import", "zeek"])
        .arg(&log)
        .arg(&bad)
        .args(["--database", &url])
        .env("PIVOT_LOG", "warn")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("nothing was imported") && stderr.contains("bad.log: line 2: id.orig_h \"not-an-address\""),
        "{stderr}"
    );
    assert_eq!(
        count(&url, "flows").await,
        250,
        "the good file of a failed import is not kept either"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Starts a large import, kills the process with SIGKILL while it runs, and checks that
/// the database holds nothing of it.
async fn killed_mid_import(url: &str, dir: &Path) {
    let log = dir.join("big.log");
    conn_log(&log, 1_000_000);
    let mut child = Command::new(pivot())
        .args(["import", "zeek"])
        .arg(&log)
        .args(["--database", url])
        .env("PIVOT_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Let it write for a while (schema migrations first, then the rows).
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(4) {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import ended before it was killed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(count(url, "flows").await, 0, "no flow of the killed import");
    assert_eq!(count(url, "hosts").await, 0, "no host of the killed import");
    assert_eq!(
        flow_indexes(url).await,
        FLOW_INDEXES,
        "indexes put off by the killed import are still there"
    );
}

#[tokio::test]
async fn killed_import_leaves_nothing_sqlite() {
    let dir = temp_dir("kill-sqlite");
    killed_mid_import(&format!("sqlite://{}/pivot.db", dir.display()), &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn killed_import_leaves_nothing_postgres() {
    let db = tests::postgres_scratch().await;
    let dir = temp_dir("kill-postgres");
    killed_mid_import(&db.url, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// A large import on PostgreSQL leaves the planner statistics of what it grew up to date
/// (an `ANALYZE` before commit), so queries right after it are planned for its rows.
#[tokio::test]
async fn large_import_renews_statistics_postgres() {
    let scratch = tests::postgres_scratch().await;
    let url = scratch.url.clone();
    let dir = temp_dir("analyze-postgres");
    let log = dir.join("conn.log");
    conn_log(&log, 12_000);
    import_zeek(&log, &url);
    let db = Database::connect(&url).await.unwrap();
    let row = db
        .query_one(Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT reltuples::bigint AS n FROM pg_class WHERE relname = 'flows'",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<i64>("", "n").unwrap(), 12_000, "flows were analyzed");
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
}
