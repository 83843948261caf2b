//! `pivot import` as a user runs it: the real binary, a real file, a summary on
//! standard output, and no partial import when the process is killed half-way.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database, Statement};

use tests::pivot_binary as pivot;

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
        _ => {
            "SELECT indexname AS name FROM pg_indexes WHERE tablename = 'flows' \
             AND (indexname LIKE 'ix_%' OR indexname LIKE 'ux_%') ORDER BY indexname"
        }
    };
    let rows = db.query_all(Statement::from_string(backend, sql)).await.unwrap();
    rows.iter().map(|r| r.try_get::<String>("", "name").unwrap()).collect()
}

/// The unique one (a flow's identity: start, uid, sensor) is never put off.
const FLOW_INDEXES: [&str; 5] = [
    "ix_flows_dst_ip",
    "ix_flows_dst_port",
    "ix_flows_src_ip",
    "ix_flows_uid",
    "ux_flows_identity",
];

/// A large import builds the flows' indexes after writing (SQLite): they are all there
/// afterwards, and the planner uses them. The second log holds the first's 45,000
/// flows again, and 45,000 more: only those are added.
#[tokio::test]
async fn large_import_keeps_the_indexes() {
    let dir = temp_dir("indexes");
    let url = tests::migrated_sqlite(&dir);
    for rows in [45_000, 90_000] {
        let log = dir.join(format!("conn-{rows}.log"));
        conn_log(&log, rows);
        import_zeek(&log, &url);
        assert_eq!(count(&url, "flows").await, rows as i64);
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
    let url = tests::migrated_sqlite(&dir);
    let out = Command::new(pivot())
        .args(["import", "zeek"])
        .arg(&log)
        .args(["--source", "sensor-1", "--database", &url])
        .env("PIVOT_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    // The summary, per kind of object, the time it took, the database it went to:
    // nothing else (logs are on stderr). Hosts are the flows' distinct ends.
    let text = std::fs::read_to_string(&log).unwrap();
    let ends: std::collections::HashSet<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .flat_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            [f[2], f[4]]
        })
        .collect();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    assert_eq!(
        lines[0],
        format!(
            "read 250, inserted {}, updated 0, already there 0, skipped 0",
            250 + ends.len()
        )
    );
    assert_eq!(lines[1], format!("  hosts from flow ends +{}, flows +250", ends.len()));
    assert!(
        lines[2].starts_with("took ") && lines[2].ends_with(" records/s)"),
        "{stdout}"
    );
    assert_eq!(lines[3], format!("database: {url}"));
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
    killed_mid_import(&tests::migrated_sqlite(&dir), &dir).await;
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

/// `pivot import ipdr`: Trisul's columns in any order, gzip, contexts (created when new,
/// `context0` being `default`), local times in the given timezone; a bad row names its
/// line and keeps nothing.
async fn ipdr_import(url: &str, dir: &Path) {
    use std::io::Write as _;
    let run = |files: &[&Path], extra: &[&str]| {
        Command::new(pivot())
            .args(["import", "ipdr"])
            .args(files)
            .args(extra)
            .args(["--database", url])
            .env("PIVOT_LOG", "warn")
            .env_remove("PIVOT_TIMEZONE")
            .output()
            .unwrap()
    };
    let csv = "SubscriberID,Protocol,SrcIP,SrcPort,DestIP,DestPort,StartTime,EndTime,Duration,UserID,NatIP,NatPort,DeviceIP\n\
               SUB-001,TCP,192.168.1.100,54321,203.0.113.50,443,2026-04-01 10:30:15,2026-04-01 10:32:15,120,user123,100.64.0.1,10234,10.0.0.1\n\
               SUB-002,17,2001:db8::1,5353,2001:db8::2,53,2026-04-01 12:00:00,,45,,,,\n";
    let plain = dir.join("ipdr.csv");
    std::fs::write(&plain, csv).unwrap();
    let out = run(&[&plain], &["--context", "ipdr", "--timezone", "Europe/Paris"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().next(),
        Some("read 2, inserted 2, updated 0, already there 0, skipped 0")
    );
    let gz = dir.join("ipdr.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(csv.as_bytes()).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let out = run(&[&gz], &["--context", "context0"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let db = Database::connect(url).await.unwrap();
    let backend = db.get_database_backend();
    let rows = db
        .query_all(Statement::from_string(
            backend,
            "SELECT c.name, r.protocol, r.src_ip, r.nat_ip, r.nat_port, r.subscriber_id, r.start_time, r.end_time \
             FROM ipdr_records r JOIN ipdr_contexts c ON c.id = r.context_id ORDER BY c.name, r.id",
        ))
        .await
        .unwrap();
    /// Context, protocol, source, NAT address and port, subscriber.
    type Row = (String, String, Vec<u8>, Option<Vec<u8>>, Option<i32>, String);
    let got: Vec<Row> = rows
        .iter()
        .map(|r| {
            (
                r.try_get_by_index(0).unwrap(),
                r.try_get_by_index(1).unwrap(),
                r.try_get_by_index(2).unwrap(),
                r.try_get_by_index(3).unwrap(),
                r.try_get_by_index(4).unwrap(),
                r.try_get_by_index(5).unwrap(),
            )
        })
        .collect();
    let key = |a: &str| server::domain::ip::to_key(a.parse().unwrap());
    assert_eq!(got.len(), 4, "{got:?}");
    assert_eq!(
        got[0],
        (
            "default".to_string(),
            "TCP".to_string(),
            key("192.168.1.100"),
            Some(key("100.64.0.1")),
            Some(10234),
            "SUB-001".to_string()
        )
    );
    assert_eq!((got[1].1.as_str(), got[1].3.clone()), ("UDP", None));
    assert_eq!(got[2].0, "ipdr");
    // Paris is UTC+2 in April: 10:30:15 there, 08:30:15 UTC; without --timezone, UTC.
    let start = |i: usize| rows[i].try_get_by_index::<chrono::DateTime<chrono::Utc>>(6).unwrap();
    assert_eq!(start(2).to_rfc3339(), "2026-04-01T08:30:15+00:00");
    assert_eq!(start(0).to_rfc3339(), "2026-04-01T10:30:15+00:00");
    // No end time: the start plus the duration.
    let end = rows[3]
        .try_get_by_index::<Option<chrono::DateTime<chrono::Utc>>>(7)
        .unwrap();
    assert_eq!(end.unwrap().to_rfc3339(), "2026-04-01T10:00:45+00:00");

    // A bad row after 30,000 good ones (thirty batches written, SQLite's indexes put
    // off): its line, a failing exit code, nothing of the import kept — not even the
    // good file written before it, nor the context it created.
    let bad = dir.join("bad.csv");
    let mut body = String::from("Protocol,SrcIP,DestIP,StartTime,Duration\n");
    for i in 0..30_000 {
        body.push_str(&format!(
            "TCP,10.1.{}.{},10.0.0.2,2026-04-02 00:00:00,9000\n",
            i / 250,
            i % 250 + 1
        ));
    }
    body.push_str("TCP,192.168.1.999,10.0.0.2,2026-04-02 00:00:00,1\n");
    std::fs::write(&bad, body).unwrap();
    let out = run(&[&plain, &bad], &["--context", "other"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("nothing was imported")
            && stderr.contains("bad.csv: line 30002: SrcIP \"192.168.1.999\" is not an IP address"),
        "{stderr}"
    );
    assert_eq!(count(url, "ipdr_records").await, 4);
    let longest = db
        .query_all(Statement::from_string(
            backend,
            "SELECT longest_seconds FROM ipdr_contexts ORDER BY name",
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get_by_index::<f64>(0).unwrap())
        .collect::<Vec<_>>();
    assert_eq!(
        longest,
        [120.0, 0.0, 120.0],
        "default, flows, ipdr: the longest spans stay"
    );
    if backend == sea_orm::DbBackend::Sqlite {
        let indexes = db
            .query_all(Statement::from_string(
                backend,
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ipdr_records' AND sql IS NOT NULL",
            ))
            .await
            .unwrap();
        assert_eq!(
            indexes.len(),
            5,
            "the indexes dropped during the import came back with its rollback (and the unique one stayed)"
        );
    }
    assert_eq!(
        count(url, "ipdr_contexts").await,
        3,
        "the new context went with the import (default, flows and ipdr stay)"
    );
}

#[tokio::test]
async fn ipdr_import_sqlite() {
    let dir = temp_dir("ipdr-sqlite");
    ipdr_import(&tests::migrated_sqlite(&dir), &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn ipdr_import_postgres() {
    let db = tests::postgres_scratch().await;
    let dir = temp_dir("ipdr-postgres");
    ipdr_import(&db.url, &dir).await;
    // Range-partitioned by month: April 2026 is within the months every import makes
    // ready while it is within a year of now; after that, the DEFAULT partition holds it.
    use chrono::Datelike;
    let now = chrono::Utc::now();
    let months_since_april = now.year() * 12 + now.month0() as i32 - (2026 * 12 + 3);
    if (-1..=12).contains(&months_since_april) {
        assert_eq!(count(&db.url, "ipdr_records_p202604").await, 4);
        assert_eq!(count(&db.url, "ipdr_records_default").await, 0);
    } else {
        assert_eq!(count(&db.url, "ipdr_records_default").await, 4);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `pivot user`: `--database` is read after the subcommand as well as before it.
#[test]
fn user_commands_take_the_database_anywhere() {
    let dir = temp_dir("user-cli");
    let url = tests::migrated_sqlite(&dir);
    let run = |args: &[&str]| {
        let out = Command::new(pivot())
            .args(args)
            .env("PIVOT_LOG", "warn")
            .env_remove("PIVOT_DATABASE_URL")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    run(&["user", "--database", &url, "add", "vic", "--role", "viewer"]);
    assert!(run(&["user", "token", "vic", "--database", &url]).contains("pvt_"));
    assert!(run(&["user", "list", "--database", &url]).contains("vic"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `pivot ARGS` with `stdin` as standard input: (success, stdout, stderr).
fn cli(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> (bool, String, String) {
    use std::io::Write;
    let mut command = Command::new(pivot());
    command
        .args(args)
        .env_remove("PIVOT_LOG")
        .env_remove("PIVOT_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

// A command's result alone is on standard output; logs go to standard error, without
// colour when it is not a terminal, as text or JSON.
#[tokio::test]
async fn results_on_stdout_logs_on_stderr() {
    let dir = temp_dir("streams");
    let url = tests::migrated_sqlite(&dir);
    let db = ["--database", url.as_str()];
    let (ok, _, err) = cli(
        &[&["user", "add", "al", "--password-stdin"][..], &db].concat(),
        "a long enough password\n",
        &[],
    );
    assert!(ok, "{err}");
    // Even with every log on, the token is all a script captures.
    let (ok, out, err) = cli(
        &[&["user", "token", "al"][..], &db].concat(),
        "",
        &[("PIVOT_LOG", "debug")],
    );
    assert!(ok, "{err}");
    assert!(out.starts_with("pvt_") && out.trim().lines().count() == 1, "{out:?}");
    assert!(!err.contains('\u{1b}'), "colour on a pipe: {err:?}");
    // Other commands log only warnings by default: nothing to say here.
    let (ok, _, err) = cli(&[&["user", "list"][..], &db].concat(), "", &[]);
    assert!(ok && err.is_empty(), "{err:?}");
    // JSON lines for log shippers.
    let fresh = temp_dir("streams-json");
    let fresh_url = format!("sqlite://{}/pivot.db", fresh.display());
    let (ok, out, err) = cli(
        &["migrate", "--log-format", "json", "--database", &fresh_url],
        "",
        &[("PIVOT_LOG", "info")],
    );
    assert!(ok, "{err}");
    assert!(out.starts_with("database "), "{out}");
    let lines: Vec<&str> = err.lines().collect();
    assert!(!lines.is_empty());
    for line in &lines {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        assert!(v["level"].is_string(), "{line}");
    }
    // Migrations say one line, not one per migration.
    assert!(
        err.contains("applied 15 schema migrations") || err.contains("schema migrations"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&fresh);
}

// Only serve, migrate and demo create a database; any other command names the missing one.
#[tokio::test]
async fn commands_refuse_a_missing_database() {
    let dir = temp_dir("missing");
    let log = dir.join("conn.log");
    conn_log(&log, 10);
    let missing = dir.join("typo").join("pivot.db");
    let url = format!("sqlite://{}", missing.display());
    for args in [
        vec!["import", "zeek", log.to_str().unwrap(), "--database", &url],
        vec!["user", "list", "--database", &url],
        vec!["user", "token", "admin", "--database", &url],
        vec!["ipdr", "prune", "--before", "2026-01-01", "--database", &url],
    ] {
        let (ok, out, err) = cli(&args, "", &[]);
        assert!(!ok, "{args:?} succeeded: {out}");
        assert!(
            err.contains("no database at") && err.contains("typo/pivot.db"),
            "{args:?}: {err}"
        );
        assert!(!missing.exists(), "{args:?} created {}", missing.display());
    }
    // A port in use is named before anything is migrated (or created).
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let (ok, _, err) = cli(&["serve", "--listen", &address, "--database", &url], "", &[]);
    assert!(!ok && err.contains(&format!("cannot listen on {address}")), "{err}");
    assert!(!missing.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

// Users and their tokens from the terminal.
#[tokio::test]
async fn users_and_tokens_are_managed_from_the_cli() {
    let dir = temp_dir("users");
    let url = tests::migrated_sqlite(&dir);
    let db = ["--database", url.as_str()];
    let run = |args: &[&str], stdin: &str| {
        let (ok, out, err) = cli(&[args, &db].concat(), stdin, &[]);
        assert!(ok, "{args:?}: {err}");
        out
    };
    run(
        &["user", "add", "bo", "--role", "viewer", "--password-stdin"],
        "a long enough password\n",
    );
    let (ok, _, err) = cli(&[&["user", "add", "cy", "--role", "boss"][..], &db].concat(), "", &[]);
    assert!(!ok && err.contains("admin") && err.contains("viewer"), "{err}");
    let list = run(&["user", "list"], "");
    assert_eq!(list.lines().next(), Some("USERNAME\tROLE\tSTATE"));
    assert!(list.contains("bo\tviewer\tactive"), "{list}");
    let token = run(&["user", "token", "bo", "--label", "script"], "")
        .trim()
        .to_string();
    let tokens = run(&["user", "tokens", "bo"], "");
    assert_eq!(tokens.lines().next(), Some("ID\tLABEL\tCREATED\tEXPIRES\tREVOKED"));
    let row = tokens.lines().nth(1).expect("one token");
    assert!(row.contains("\tscript\t") && row.ends_with("\t-"), "{row}");
    assert!(!tokens.contains(&token), "the secret is never listed");
    let id = row.split('\t').next().unwrap();
    assert!(run(&["user", "revoke", "bo", id], "").starts_with("revoked token"));
    assert!(!run(&["user", "tokens", "bo"], "")
        .lines()
        .nth(1)
        .unwrap()
        .ends_with("\t-"));
    run(&["user", "passwd", "bo"], "another long password\n");
    let (ok, _, err) = cli(&[&["user", "passwd", "bo"][..], &db].concat(), "short\n", &[]);
    assert!(!ok && err.contains("password"), "{err}");
    assert_eq!(run(&["user", "deactivate", "bo"], "").trim(), "bo is inactive");
    assert!(run(&["user", "list"], "").contains("bo\tviewer\tinactive"));
    assert_eq!(
        run(&["user", "deactivate", "bo", "--activate"], "").trim(),
        "bo is active"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

// An unreachable database is said at once, with why.
#[tokio::test]
async fn an_unreachable_database_says_why() {
    let started = Instant::now();
    let (ok, _, err) = cli(
        &["migrate", "--database", "postgres://postgres@127.0.0.1:1/pivot"],
        "",
        &[],
    );
    assert!(!ok);
    assert!(
        err.contains("cannot reach the database") && err.contains("refused"),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}

// The server as an operator runs it: an access log line per request (no query string,
// the user), and its shutdown, on standard error; nothing on standard output.
#[tokio::test]
async fn serve_logs_access_and_shutdown() {
    let dir = temp_dir("serve-logs");
    let url = format!("sqlite://{}/pivot.db", dir.display());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let address = format!("127.0.0.1:{port}");
    let child = Command::new(pivot())
        .args(["serve", "--listen", &address, "--database", &url])
        .env_remove("PIVOT_LOG")
        .env("PIVOT_ADMIN_PASSWORD", "serve logs admin password")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Ready once it answers (it listens before its migrations run).
    let started = Instant::now();
    let health = format!("http://{address}/healthz");
    while !reqwest::get(&health).await.is_ok_and(|r| r.status().is_success()) {
        assert!(started.elapsed() < Duration::from_secs(30), "pivot serve did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (ok, token, err) = cli(&["user", "token", "admin", "--database", &url], "", &[]);
    assert!(ok, "{err}");
    let res = reqwest::Client::new()
        .post(format!("http://{address}/graphql?secret=not-logged"))
        .bearer_auth(token.trim())
        .json(&serde_json::json!({"query": "{ me { username } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let metrics = reqwest::get(format!("http://{address}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("pivot_http_requests_total{family=\"graphql\",status=\"2xx\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("pivot_db_pool_connections{state=\"idle\"}"),
        "{metrics}"
    );
    // SIGTERM, as service managers send it (Ctrl-C's SIGINT stops it the same way).
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
    let access = stderr
        .lines()
        .find(|l| l.contains("method=POST") && l.contains("path=\"/graphql\""))
        .unwrap_or_else(|| panic!("no access line in {stderr}"));
    assert!(
        access.contains("status=200") && access.contains("user=\"admin\""),
        "{access}"
    );
    assert!(!access.contains("secret"), "{access}");
    assert!(
        stderr.contains("shutting down") && stderr.contains("stopped"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

// An empty file imports nothing, successfully, and says so.
#[tokio::test]
async fn an_empty_file_warns() {
    let dir = temp_dir("empty");
    let url = tests::migrated_sqlite(&dir);
    let eve = dir.join("eve.json");
    std::fs::write(&eve, "").unwrap();
    let (ok, out, err) = cli(
        &["import", "suricata", eve.to_str().unwrap(), "--database", &url],
        "",
        &[],
    );
    assert!(ok, "{err}");
    assert!(out.starts_with("read 0, inserted 0"), "{out}");
    assert!(err.contains("held no records"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `pivot import FORMAT FILE… [extra] --database URL`: whether it succeeded, stdout, stderr.
/// With `pipe`, the file's bytes are written to its stdin through a pipe.
fn import_run(url: &str, format: &str, files: &[&Path], extra: &[&str], pipe: Option<&Path>) -> (bool, String, String) {
    use std::io::Write as _;
    let mut child = Command::new(pivot())
        .args(["import", format])
        .args(files)
        .args(extra)
        .args(["--database", url])
        .env("PIVOT_LOG", "warn")
        .env_remove("PIVOT_TIMEZONE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    if let Some(p) = pipe {
        stdin.write_all(&std::fs::read(p).unwrap()).unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Importing again never doubles: a file imported whole is skipped and says so (as
/// another name too), the same records in another file are left as they were and
/// counted, a pipe of a file imported before is refused with nothing changed; each
/// file is an `imports` row with its size and SHA-256, and the audit log has the import
/// `via: cli`.
async fn reimports_change_nothing(url: &str, dir: &Path) {
    use sha2::Digest;
    let (small, large) = (dir.join("conn-300.log"), dir.join("conn-600.log"));
    conn_log(&small, 300);
    conn_log(&large, 600); // the same 300 flows first, then 300 more
    let (ok, out, err) = import_run(url, "zeek", &[&small], &[], None);
    assert!(ok, "{err}");
    assert!(out.contains("flows +300"), "{out}");
    let (ok, out, err) = import_run(url, "zeek", &[&small], &[], None);
    assert!(ok, "{err}");
    assert!(
        out.starts_with(&format!("{}: already imported whole on ", small.display())) && out.contains("nothing changed"),
        "{out}"
    );
    assert!(out.contains("read 0, inserted 0"), "{out}");
    let copy = dir.join("copy.log");
    std::fs::copy(&small, &copy).unwrap();
    let (ok, out, _) = import_run(url, "zeek", &[&copy], &[], None);
    assert!(
        ok && out.contains(&format!("already imported whole as {} on", small.display())),
        "{out}"
    );
    let (ok, out, err) = import_run(url, "zeek", &[&large], &[], None);
    assert!(ok, "{err}");
    assert!(out.contains("flows +300 (300 already there)"), "{out}");
    assert_eq!(count(url, "flows").await, 600);
    // A pipe is hashed as it is read: the same content is found at the end, and refused.
    let (ok, _, err) = import_run(url, "zeek", &[Path::new("/dev/stdin")], &[], Some(&large));
    assert!(!ok && err.contains("/dev/stdin was already imported whole"), "{err}");
    assert_eq!(count(url, "flows").await, 600);

    // Suricata: the alerts of a file with one more line are there already.
    let eve = dir.join("eve.json");
    let mut bytes = tests::sample("suricata/eve.json");
    std::fs::write(&eve, &bytes).unwrap();
    let alerts = String::from_utf8(bytes.clone())
        .unwrap()
        .lines()
        .filter(|l| l.contains(r#""event_type":"alert""#))
        .count();
    assert!(import_run(url, "suricata", &[&eve], &[], None).0);
    bytes.extend_from_slice(b"\n");
    let eve2 = dir.join("eve-2.json");
    std::fs::write(&eve2, &bytes).unwrap();
    let (ok, out, _) = import_run(url, "suricata", &[&eve2], &[], None);
    assert!(
        ok && out.contains(&format!("alerts +0 ({alerts} already there)")),
        "{out}"
    );
    assert_eq!(count(url, "alerts").await, alerts as i64);

    // IPDR: the whole record is its identity.
    let csv = "SubscriberID,Protocol,SrcIP,SrcPort,DestIP,DestPort,StartTime,EndTime\n\
               S1,TCP,192.168.1.100,54321,203.0.113.50,443,2026-04-01 10:30:15,2026-04-01 10:32:15\n\
               S2,TCP,192.168.1.101,54321,203.0.113.50,443,2026-04-01 10:30:15,2026-04-01 10:32:15\n";
    let ipdr = dir.join("ipdr.csv");
    std::fs::write(&ipdr, csv).unwrap();
    assert!(import_run(url, "ipdr", &[&ipdr], &[], None).0);
    let ipdr2 = dir.join("ipdr-2.csv");
    std::fs::write(
        &ipdr2,
        format!("{csv}S3,TCP,192.168.1.100,54321,203.0.113.50,443,2026-04-01 10:30:15,2026-04-01 10:32:16\n"),
    )
    .unwrap();
    let (ok, out, err) = import_run(url, "ipdr", &[&ipdr2], &[], None);
    assert!(ok, "{err}");
    assert!(out.contains("IPDR records +1 (2 already there)"), "{out}");
    assert_eq!(count(url, "ipdr_records").await, 3);

    // nmap: imported whole before, so not even a new scan.
    let nmap = dir.join("nmap.xml");
    std::fs::write(&nmap, tests::fixture("nmap-localhost.xml")).unwrap();
    assert!(import_run(url, "nmap", &[&nmap], &[], None).0);
    let sightings = count(url, "port_sightings").await;
    let (ok, out, _) = import_run(url, "nmap", &[&nmap], &[], None);
    assert!(ok && out.contains("already imported whole"), "{out}");
    assert_eq!(
        (count(url, "scans").await, count(url, "port_sightings").await),
        (1, sightings)
    );

    // The record of each file read: name, size, hash, via the terminal.
    let db = Database::connect(url).await.unwrap();
    let backend = db.get_database_backend();
    let rows = db
        .query_all(Statement::from_string(
            backend,
            "SELECT file_name, size, sha256, via, user_id FROM imports ORDER BY id",
        ))
        .await
        .unwrap();
    let recorded: Vec<(String, i64, String, String, Option<i64>)> = rows
        .iter()
        .map(|r| {
            (
                r.try_get("", "file_name").unwrap(),
                r.try_get("", "size").unwrap(),
                r.try_get("", "sha256").unwrap(),
                r.try_get("", "via").unwrap(),
                r.try_get("", "user_id").unwrap(),
            )
        })
        .collect();
    let expected: Vec<(String, i64, String, String, Option<i64>)> = [&small, &large, &eve, &eve2, &ipdr, &ipdr2, &nmap]
        .iter()
        .map(|p| {
            let bytes = std::fs::read(p).unwrap();
            (
                p.display().to_string(),
                bytes.len() as i64,
                format!("{:x}", sha2::Sha256::digest(&bytes)),
                "cli".to_string(),
                None,
            )
        })
        .collect();
    assert_eq!(recorded, expected);
    let audited = db
        .query_all(Statement::from_string(
            backend,
            "SELECT detail FROM audit_events WHERE action = 'import' ORDER BY id",
        ))
        .await
        .unwrap();
    // Every run that did not fail, skipped files too.
    assert_eq!(audited.len(), 10);
    // JSON text on SQLite, jsonb on PostgreSQL.
    let detail: serde_json::Value = audited[0]
        .try_get::<serde_json::Value>("", "detail")
        .unwrap_or_else(|_| serde_json::from_str(&audited[0].try_get::<String>("", "detail").unwrap()).unwrap());
    assert_eq!(
        (&detail["via"], &detail["format"]),
        (&serde_json::json!("cli"), &serde_json::json!("zeek"))
    );
}

#[tokio::test]
async fn reimports_change_nothing_sqlite() {
    let dir = temp_dir("reimport-sqlite");
    reimports_change_nothing(&tests::migrated_sqlite(&dir), &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn reimports_change_nothing_postgres() {
    let db = tests::postgres_scratch().await;
    let dir = temp_dir("reimport-postgres");
    reimports_change_nothing(&db.url, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--skip-bad-records`: the lines that cannot be read are left out, counted and
/// listed with their line and reason; the good ones land. Without it, nothing does.
async fn bad_records_are_skipped_on_request(url: &str, dir: &Path) {
    let log = dir.join("conn-bad.log");
    let text = String::from_utf8(tests::sample("zeek/conn-bad.log")).unwrap();
    // The data rows, and which of them have a port that is not one (a 1-based line number).
    let rows: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#'))
        .map(|(i, l)| (i + 1, l))
        .collect();
    let bad: Vec<usize> = rows
        .iter()
        .filter(|(_, l)| l.split('\t').nth(3).unwrap().parse::<u16>().is_err())
        .map(|(n, _)| *n)
        .collect();
    assert!(!bad.is_empty() && bad.len() < rows.len());
    std::fs::write(&log, &text).unwrap();
    let (ok, _, err) = import_run(url, "zeek", &[&log], &[], None);
    assert!(!ok && err.contains(&format!("line {}", bad[0])), "{err}");
    assert_eq!(count(url, "flows").await, 0);

    let (ok, out, err) = import_run(url, "zeek", &[&log], &["--skip-bad-records"], None);
    assert!(ok, "{err}");
    let good = rows.len() - bad.len();
    assert!(
        out.starts_with(&format!("read {}, ", rows.len())) && out.contains(&format!("skipped {}", bad.len())),
        "{out}"
    );
    assert!(out.contains(&format!("flows +{good}")), "{out}");
    assert!(out.contains(&format!("  skipped {}: bad record", bad.len())), "{out}");
    assert!(
        out.contains(&format!(
            "  bad record: {}: line {}: id.orig_p \"notaport\" is not a port",
            log.display(),
            bad[0]
        )),
        "{out}"
    );
    assert_eq!(count(url, "flows").await, good as i64);
    // Not imported whole: it may be read again (once its lines are mended, say); the
    // flows it brought are there already.
    let (ok, out, err) = import_run(url, "zeek", &[&log], &["--skip-bad-records"], None);
    assert!(ok, "{err}");
    assert!(out.contains(&format!("flows +0 ({good} already there)")), "{out}");

    // Suricata: a truncated last line.
    let eve = dir.join("eve-bad.json");
    let text = String::from_utf8(tests::sample("suricata/eve-bad.json")).unwrap();
    std::fs::write(&eve, &text).unwrap();
    let lines = text.lines().count();
    let (ok, out, err) = import_run(url, "suricata", &[&eve], &["--skip-bad-records"], None);
    assert!(ok, "{err}");
    assert!(out.contains(&format!("alerts +{}", lines - 1)), "{out}");
    assert!(
        out.contains(&format!(
            "bad record: {}: line {lines}: not an EVE JSON event",
            eve.display()
        )),
        "{out}"
    );

    // An XML file is one document: the option is refused for it.
    let nmap = dir.join("nmap.xml");
    std::fs::write(&nmap, tests::fixture("nmap-localhost.xml")).unwrap();
    let (ok, _, err) = import_run(url, "nmap", &[&nmap], &["--skip-bad-records"], None);
    assert!(!ok && err.contains("an XML file is one document"), "{err}");
}

#[tokio::test]
async fn bad_records_are_skipped_on_request_sqlite() {
    let dir = temp_dir("bad-sqlite");
    bad_records_are_skipped_on_request(&tests::migrated_sqlite(&dir), &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn bad_records_are_skipped_on_request_postgres() {
    let db = tests::postgres_scratch().await;
    let dir = temp_dir("bad-postgres");
    bad_records_are_skipped_on_request(&db.url, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
}
