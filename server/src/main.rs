//! The `pivot` command: serve, migrate, print the schema, import files, manage users.

// The merged schema's futures are deeply nested types: release builds need more room.
#![recursion_limit = "256"]

// Rows cross from the database driver's worker thread to ours by the hundred thousand:
// with glibc's allocator an nmap import spent a third of its time in malloc and free.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};
use sea_orm::TransactionTrait;
use server::config::{Config, DEFAULT_DATABASE_URL};
use server::demo::{self, DemoOptions};
use server::domain::audit;
use server::domain::ids::Kind;
use server::domain::passwords;
use server::domain::users::{self, Role};
use server::http;
use server::state::{self, AppState};
use server::{db, graphql};

#[derive(Parser)]
#[command(
    name = "pivot",
    version,
    about = "Pivot: one GraphQL graph for network-security investigations",
    after_help = "`pivot bench <kind>`, listed last, measures Pivot itself (BENCHMARKS.md)."
)]
struct Cli {
    /// How log lines (on standard error) are written: text, or one JSON object a line
    /// for log shippers.
    #[arg(long, global = true, env = "PIVOT_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// Logs go to standard error, so that a command's result alone is on standard output
/// (`TOKEN=$(pivot user token admin)`); in colour only on a terminal, and never with
/// `NO_COLOR` set. `PIVOT_LOG` filters them; without it the server says what it does,
/// other commands only warn, and dependencies (each migration, each statement) only
/// warn too.
fn init_logging(format: LogFormat, serving: bool) {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let default = if serving {
        "info,sea_orm_migration=warn,sqlx=warn"
    } else {
        "warn"
    };
    let filter = std::env::var("PIVOT_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .and_then(|v| EnvFilter::try_new(v).ok())
        .unwrap_or_else(|| EnvFilter::new(default));
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => logs.json().init(),
        LogFormat::Text => logs.with_ansi(colour).init(),
    }
}

#[derive(clap::Args, Clone)]
struct DatabaseArg {
    /// sqlite://path/to/file.db or postgres://user@host/db
    // Global: `pivot user token NAME --database URL` reads as naturally as the
    // option before the subcommand.
    #[arg(long = "database", env = "PIVOT_DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    url: String,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve {
        /// The address and port to listen on.
        #[arg(long, env = "PIVOT_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        #[command(flatten)]
        database: DatabaseArg,
        /// On an empty database, first generate the demo investigation (`pivot demo`).
        #[arg(long)]
        demo: bool,
    },
    /// Generate a deterministic synthetic investigation into an empty database.
    Demo {
        /// How many hosts the scanned networks hold.
        #[arg(long, default_value_t = 200)]
        hosts: usize,
        /// The same seed gives the same data.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Measure Pivot (build with --release first): imports, live alerts, the REST
    /// dialects, IPDR, hostile files. Results go in BENCHMARKS.md.
    #[command(display_order = 100)]
    Bench {
        #[command(subcommand)]
        kind: BenchKind,
    },
    /// Bring the database schema up to date and exit.
    Migrate {
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Import files of a tool's output, all in one transaction: nmap (also masscan XML),
    /// zeek (conn.log and dns.log, TSV or JSON), suricata (eve.json) or ipdr (CSV with
    /// Trisul's column names). gzip is read as is.
    Import {
        /// nmap, masscan, zeek, suricata or ipdr
        format: String,
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
        /// Where the data comes from: a scan's source label, a sensor's name.
        #[arg(long)]
        source: Option<String>,
        /// A category for the scan (repeatable).
        #[arg(long = "category")]
        categories: Vec<String>,
        /// The IPDR context the records go to (created if new; `default` unless given).
        #[arg(long)]
        context: Option<String>,
        /// The timezone of IPDR times written without an offset (an IANA name; UTC unless given).
        #[arg(long, env = "PIVOT_TIMEZONE")]
        timezone: Option<String>,
        /// Leave out records that cannot be read (counted, the first 20 listed) instead of
        /// importing nothing: Zeek, Suricata and IPDR files.
        #[arg(long)]
        skip_bad_records: bool,
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// IPDR record upkeep.
    Ipdr {
        #[command(subcommand)]
        command: IpdrCommand,
    },
    /// Manage users and their API tokens.
    User {
        #[command(subcommand)]
        command: UserCommand,
        #[command(flatten)]
        database: DatabaseArg,
    },
}

/// The benchmarks: each builds its own data and databases (under --dir, and scratch
/// databases on --postgres) and prints a report.
#[derive(Subcommand)]
enum BenchKind {
    /// Measure import throughput (against a raw driver baseline), import memory and a
    /// nested query's latency, on SQLite and (with --postgres) PostgreSQL.
    Import {
        /// Flows of the generated Zeek conn.log.
        #[arg(long, default_value_t = 1_000_000)]
        flows: usize,
        /// Hosts of the generated nmap scan (ten ports each).
        #[arg(long, default_value_t = 50_000)]
        hosts: usize,
        /// Where generated files and SQLite databases go.
        #[arg(long, default_value = "data/bench")]
        dir: std::path::PathBuf,
        /// A PostgreSQL server to create scratch databases on, e.g. postgres://postgres@127.0.0.1:5432
        #[arg(long)]
        postgres: Option<String>,
    },
    /// Measure the REST compatibility routes over a million network alerts: Intrudect's
    /// alert search (three filters) and a full data export, on SQLite and (with --postgres)
    /// PostgreSQL.
    Compat {
        /// Network alerts the searches and the export run over.
        #[arg(long, default_value_t = 1_000_000)]
        alerts: usize,
        /// Search calls timed.
        #[arg(long, default_value_t = 50)]
        searches: usize,
        /// Where generated files and SQLite databases go.
        #[arg(long, default_value = "data/bench")]
        dir: std::path::PathBuf,
        /// A PostgreSQL server to create a scratch database on, e.g. postgres://postgres@127.0.0.1:5432
        #[arg(long)]
        postgres: Option<String>,
    },
    /// Measure DFIR-IRIS's long lists: a case's IOCs and every case, each as long as
    /// --rows, on SQLite and (with --postgres) PostgreSQL, with the statements a call sends.
    Iris {
        /// IOCs in one case, and cases in all.
        #[arg(long, default_value_t = 10_000)]
        rows: usize,
        /// Calls timed per list.
        #[arg(long, default_value_t = 50)]
        calls: usize,
        /// Where the SQLite database goes.
        #[arg(long, default_value = "data/bench")]
        dir: std::path::PathBuf,
        /// A PostgreSQL server to create a scratch database on, e.g. postgres://postgres@127.0.0.1:5432
        #[arg(long)]
        postgres: Option<String>,
    },
    /// Measure live alert delivery: WebSocket subscribers with mixed filters while alerts
    /// are created at a steady rate, on SQLite and (with --postgres) two replicas on one
    /// PostgreSQL database; and the memory of idle subscriptions.
    Live {
        /// WebSocket subscribers, each on a connection of its own.
        #[arg(long, default_value_t = 1000)]
        subscribers: usize,
        /// Alerts created per second.
        #[arg(long, default_value_t = 200)]
        rate: u32,
        /// How long alerts are created.
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// Analysts the subscribers belong to, each with a token of its own.
        #[arg(long, default_value_t = 10)]
        users: usize,
        /// Idle subscriptions whose memory is measured (0: skip).
        #[arg(long, default_value_t = 10_000)]
        idle: usize,
        /// Where the SQLite databases go.
        #[arg(long, default_value = "data/bench")]
        dir: std::path::PathBuf,
        /// A PostgreSQL server for the two-replica run, e.g. postgres://postgres@127.0.0.1:5432
        #[arg(long)]
        postgres: Option<String>,
    },
    /// Measure IPDR: the import of records spanning a month, and lookups of one address
    /// over one day, submit to COMPLETED through Trisul's API, on SQLite and (with
    /// --postgres) PostgreSQL.
    Ipdr {
        /// IPDR records generated and imported.
        #[arg(long, default_value_t = 10_000_000)]
        records: usize,
        /// Days the records span.
        #[arg(long, default_value_t = 30)]
        days: u32,
        /// Lookups timed per kind of address (subscriber, NAT).
        #[arg(long, default_value_t = 20)]
        queries: usize,
        /// Where generated files and SQLite databases go.
        #[arg(long, default_value = "data/bench")]
        dir: std::path::PathBuf,
        /// A PostgreSQL server to create a scratch database on, e.g. postgres://postgres@127.0.0.1:5432
        #[arg(long)]
        postgres: Option<String>,
    },
    /// Measure the query model under volume: a sorted, filtered page of alerts (first
    /// and deep), a groupBy of flows, a count of hosts by port, and the statement plan
    /// of every indexed filter field, on SQLite and (with --postgres) PostgreSQL.
    Query {
        /// Alerts seeded (those of `bench compat`).
        #[arg(long, default_value_t = 1_000_000)]
        alerts: usize,
        /// Flows seeded.
        #[arg(long, default_value_t = 1_000_000)]
        flows: usize,
        /// Hosts seeded, ten open ports each.
        #[arg(long, default_value_t = 5_000)]
        hosts: usize,
        /// Runs timed per query.
        #[arg(long, default_value_t = 50)]
        runs: usize,
        /// Where the SQLite database goes.
        #[arg(long, default_value = "data/bench")]
        dir: std::path::PathBuf,
        /// A PostgreSQL server to create a scratch database on, e.g. postgres://postgres@127.0.0.1:5432
        #[arg(long)]
        postgres: Option<String>,
    },
    /// Measure what hostile import files cost (gzip bombs, lines and fields far past
    /// any tool's): each refused, with the import's peak memory, beside a well-formed
    /// file, on SQLite and (with --postgres) PostgreSQL.
    Hostile {
        /// Flows of the well-formed Zeek log imported for scale.
        #[arg(long, default_value_t = 1_000_000)]
        flows: usize,
        /// Where the hostile files and SQLite databases go.
        #[arg(long, default_value = "data/bench")]
        dir: std::path::PathBuf,
        /// A PostgreSQL server to create scratch databases on, e.g. postgres://postgres@127.0.0.1:5432
        #[arg(long)]
        postgres: Option<String>,
    },
}

#[derive(Subcommand)]
enum IpdrCommand {
    /// Delete the records that started before a date (UTC): on PostgreSQL whole monthly
    /// partitions are dropped. Query results are copies and stay.
    Prune {
        /// YYYY-MM-DD, or an RFC 3339 instant.
        #[arg(long)]
        before: String,
        #[command(flatten)]
        database: DatabaseArg,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user. Without --password-stdin a random password is generated and printed once.
    Add {
        /// The username: letters, digits, '.', '_', '-' and '@'.
        name: String,
        /// What the user may do: admin (everything), analyst (reads and writes
        /// investigation data) or viewer (reads).
        #[arg(long, default_value = "analyst", value_parser = ["admin", "analyst", "viewer"])]
        role: String,
        /// Read the password from standard input (first line).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Create an API token for a user and print it (it is shown once).
    Token {
        /// The user the token acts as.
        name: String,
        /// What the token is for.
        #[arg(long, default_value = "cli")]
        label: String,
    },
    /// List the users: name, role, state.
    List,
    /// List a user's API tokens: id, label, created, expires, revoked (never the secrets).
    Tokens {
        /// The user whose tokens to list.
        name: String,
    },
    /// Revoke one of a user's API tokens (its id, from `pivot user tokens`).
    Revoke {
        /// The user the token belongs to.
        name: String,
        /// The token's id.
        token: i64,
    },
    /// Set a user's password, read from standard input (first line); every browser
    /// session of the user ends.
    Passwd {
        /// The user whose password to set.
        name: String,
        /// Revoke the user's API tokens too.
        #[arg(long)]
        revoke_tokens: bool,
    },
    /// Deactivate a user: it cannot sign in, its sessions end and its tokens stop
    /// working until it is reactivated (`--activate`).
    Deactivate {
        /// The user to deactivate.
        name: String,
        /// Reactivate the user instead.
        #[arg(long)]
        activate: bool,
    },
}

/// The positive number the environment variable `name` holds, if set.
fn positive(name: &str) -> anyhow::Result<Option<u64>> {
    match std::env::var(name) {
        Ok(v) => v
            .parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .map(Some)
            .ok_or_else(|| anyhow::anyhow!("{name} must be a positive number, not {v:?}")),
        Err(_) => Ok(None),
    }
}

/// Upload limits from `PIVOT_UPLOAD_MAX_FILE`, `PIVOT_UPLOAD_MAX_REQUEST` and
/// `PIVOT_UPLOAD_MAX_REQUEST_<ROLE>` (bytes, each positive).
fn upload_limits() -> anyhow::Result<server::config::UploadLimits> {
    let mut limits = server::config::UploadLimits::default();
    if let Some(n) = positive("PIVOT_UPLOAD_MAX_FILE")? {
        limits.file_bytes = n;
    }
    if let Some(n) = positive("PIVOT_UPLOAD_MAX_REQUEST")? {
        limits.request_bytes = n;
    }
    for role in [Role::Admin, Role::Analyst, Role::Viewer] {
        let name = format!("PIVOT_UPLOAD_MAX_REQUEST_{}", role.as_str().to_uppercase());
        if let Some(n) = positive(&name)? {
            limits.by_role.push((role, n));
        }
    }
    Ok(limits)
}

/// The IPDR workers' settings from `PIVOT_IPDR_WORKERS`, `PIVOT_IPDR_LEASE` (seconds)
/// and `PIVOT_IPDR_BATCH`; each positive.
fn ipdr_settings() -> anyhow::Result<server::jobs::ipdr::Settings> {
    let mut settings = server::jobs::ipdr::Settings::default();
    if let Some(n) = positive("PIVOT_IPDR_WORKERS")? {
        settings.workers = n as usize;
    }
    if let Some(n) = positive("PIVOT_IPDR_LEASE")? {
        settings.lease = std::time::Duration::from_secs(n);
    }
    if let Some(n) = positive("PIVOT_IPDR_BATCH")? {
        settings.batch = n;
    }
    Ok(settings)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One clear line for the person at the terminal, with its causes.
            eprintln!("pivot: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let serving = matches!(cli.command, None | Some(Command::Serve { .. }));
    init_logging(cli.log_format, serving);
    let command = cli.command.unwrap_or_else(|| Command::Serve {
        listen: std::env::var("PIVOT_LISTEN").unwrap_or_else(|_| "127.0.0.1:8080".into()),
        database: DatabaseArg {
            url: std::env::var("PIVOT_DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.into()),
        },
        demo: false,
    });
    match command {
        Command::Serve { listen, database, demo } => {
            let config = Config {
                database_url: database.url,
                admin_password: std::env::var("PIVOT_ADMIN_PASSWORD").ok().filter(|p| !p.is_empty()),
                secure_cookies: std::env::var("PIVOT_SECURE_COOKIES").is_ok_and(|v| matches!(v.as_str(), "1" | "true")),
                live_buffer: positive("PIVOT_LIVE_BUFFER")?.map_or(server::live::bus::BUFFER, |n| n as usize),
                live_log_keep: positive("PIVOT_LIVE_LOG_KEEP")?.unwrap_or(server::live::bus::KEEP),
                timezone: parse_timezone(std::env::var("PIVOT_TIMEZONE").ok())?.unwrap_or(chrono_tz::UTC),
                ipdr: ipdr_settings()?,
                uploads: upload_limits()?,
                public_url: std::env::var("PIVOT_PUBLIC_URL").ok().filter(|u| !u.is_empty()),
                metrics_token: std::env::var("PIVOT_METRICS_TOKEN").ok().filter(|t| !t.is_empty()),
                mounts: server::compat::mounts(&std::env::var("PIVOT_MOUNTS").unwrap_or_default())
                    .map_err(|e| anyhow::anyhow!("PIVOT_MOUNTS: {e}"))?,
                sockets_per_user: positive("PIVOT_WS_MAX_PER_USER")?
                    .map_or(server::config::SOCKETS_PER_USER, |n| n as usize),
                ..Config::default()
            };
            // The address first: a port in use is said before anything is migrated.
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
            let state = AppState::start(config.clone()).await?;
            if demo {
                if let Some(counts) = demo_data(state.db(), DemoOptions::default(), true).await? {
                    tracing::info!("{counts}");
                }
            }
            tracing::info!(
                "Pivot listening on http://{}/graphql (database {})",
                listener.local_addr()?,
                db::redact(&config.database_url)
            );
            http::serve(listener, state).await
        }
        Command::Demo { hosts, seed, database } => {
            let (conn, _) = db::connect(&database.url, None).await?;
            db::migrate(&conn).await?;
            state::first_admin(&conn, std::env::var("PIVOT_ADMIN_PASSWORD").ok().as_deref()).await?;
            if let Some(counts) = demo_data(&conn, DemoOptions { hosts, seed }, false).await? {
                println!("{counts}");
            }
            Ok(())
        }
        Command::Bench { kind } => bench(kind).await,
        Command::Ipdr {
            command: IpdrCommand::Prune { before, database },
        } => {
            let before = chrono::DateTime::parse_from_rfc3339(&before)
                .map(|t| t.with_timezone(&chrono::Utc))
                .or_else(|_| {
                    chrono::NaiveDate::parse_from_str(&before, "%Y-%m-%d")
                        .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
                })
                .map_err(|_| {
                    anyhow::anyhow!("--before {before:?} is not a date (YYYY-MM-DD) or an RFC 3339 instant")
                })?;
            db::require_existing(&database.url)?;
            let (conn, _) = db::connect(&database.url, None).await?;
            db::migrate(&conn).await?;
            let pruned = server::domain::ipdr::prune(&conn, before).await?;
            println!(
                "dropped {} monthly partitions, deleted {} records",
                pruned.partitions, pruned.records
            );
            Ok(())
        }
        Command::Migrate { database } => {
            let (conn, _) = db::connect(&database.url, None).await?;
            db::migrate(&conn).await?;
            println!("database {} is up to date", db::redact(&database.url));
            Ok(())
        }
        Command::Schema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Command::Import {
            format,
            files,
            source,
            categories,
            context,
            timezone,
            skip_bad_records,
            database,
        } => {
            let timezone = parse_timezone(timezone)?;
            let options = server::ingest::Options {
                source,
                categories,
                context,
                timezone,
                user_id: None,
                via: server::ingest::provenance::Via::Cli,
                skip_bad_records,
            };
            db::require_existing(&database.url)?;
            let (conn, _) = db::connect(&database.url, None).await?;
            db::migrate(&conn).await?;
            import_command(&conn, &format, files, options).await?;
            println!("database: {}", db::redact(&database.url));
            Ok(())
        }
        Command::User { command, database } => {
            db::require_existing(&database.url)?;
            let (conn, _) = db::connect(&database.url, None).await?;
            db::migrate(&conn).await?;
            user_command(&conn, command).await
        }
    }
}

/// Runs a benchmark and prints its report.
async fn bench(kind: BenchKind) -> anyhow::Result<()> {
    let report = match kind {
        BenchKind::Import {
            flows,
            hosts,
            dir,
            postgres,
        } => {
            server::bench::run(server::bench::BenchOptions {
                flows,
                hosts,
                dir,
                postgres,
            })
            .await?
        }
        BenchKind::Live {
            subscribers,
            rate,
            seconds,
            users,
            idle,
            dir,
            postgres,
        } => {
            server::bench::live::run(server::bench::live::LiveOptions {
                subscribers,
                rate,
                seconds,
                users,
                idle,
                dir,
                postgres,
            })
            .await?
        }
        BenchKind::Compat {
            alerts,
            searches,
            dir,
            postgres,
        } => {
            server::bench::compat::run(server::bench::compat::CompatOptions {
                alerts,
                searches,
                dir,
                postgres,
            })
            .await?
        }
        BenchKind::Iris {
            rows,
            calls,
            dir,
            postgres,
        } => {
            server::bench::iris::run(server::bench::iris::IrisOptions {
                rows,
                calls,
                dir,
                postgres,
            })
            .await?
        }
        BenchKind::Ipdr {
            records,
            days,
            queries,
            dir,
            postgres,
        } => {
            server::bench::ipdr::run(server::bench::ipdr::IpdrOptions {
                records,
                days,
                queries,
                dir,
                postgres,
            })
            .await?
        }
        BenchKind::Query {
            alerts,
            flows,
            hosts,
            runs,
            dir,
            postgres,
        } => {
            server::bench::query::run(server::bench::query::QueryOptions {
                alerts,
                flows,
                hosts,
                runs,
                dir,
                postgres,
            })
            .await?
        }
        BenchKind::Hostile { flows, dir, postgres } => {
            server::bench::hostile::run(server::bench::hostile::HostileOptions { flows, dir, postgres }).await?
        }
    };
    println!("{report}");
    Ok(())
}

/// A timezone setting (`PIVOT_TIMEZONE`, `--timezone`): an IANA name; none when blank.
fn parse_timezone(v: Option<String>) -> anyhow::Result<Option<chrono_tz::Tz>> {
    server::domain::ipdr::timezone("PIVOT_TIMEZONE", v.as_deref()).map_err(|e| anyhow::anyhow!("{e}"))
}

async fn import_command(
    db: &sea_orm::DatabaseConnection,
    format: &str,
    files: Vec<std::path::PathBuf>,
    options: server::ingest::Options,
) -> anyhow::Result<()> {
    use server::ingest::{self, Format, Input};
    let format = Format::parse(format)
        .ok_or_else(|| anyhow::anyhow!("unknown format {format:?}: nmap, masscan, zeek, suricata or ipdr"))?;
    let mut inputs = Vec::new();
    let mut size = 0;
    for path in &files {
        let file = std::fs::File::open(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        size += file.metadata().map(|m| m.len()).unwrap_or(0);
        inputs.push(Input {
            name: path.display().to_string(),
            file,
        });
    }
    // A spinner with the count on a terminal, for inputs large enough to take a while
    // (or of unknown size); nothing otherwise, nor when stderr is not a terminal.
    let bar = if size == 0 || size > PROGRESS_FROM {
        indicatif::ProgressBar::new_spinner()
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {pos} records read ({rate} records/s)")
            .expect("a valid progress template")
            // Whole records per second: indicatif's own `per_sec` shows four decimals.
            .with_key("rate", |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0}", s.per_sec());
            }),
    );
    let started = std::time::Instant::now();
    let summary = ingest::import(db, format, inputs, &options, &|n| bar.set_position(n))
        .await
        .map_err(|e| anyhow::anyhow!("nothing was imported: {e}"))?;
    server::live::bus::announce(db).await;
    bar.finish_and_clear();
    for notice in &summary.notices {
        println!("{notice}");
    }
    if summary.read == 0 && summary.already_imported.is_empty() {
        // An empty eve.json is most often the wrong file, or a sensor that logged nothing.
        let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
        tracing::warn!("{} held no records: nothing was imported", names.join(", "));
    }
    println!(
        "read {}, inserted {}, updated {}, already there {}, skipped {}",
        summary.read, summary.inserted, summary.updated, summary.unchanged, summary.skipped
    );
    if !summary.counts.is_empty() {
        println!("  {}", counts_line(&summary.counts));
    }
    for s in &summary.skipped_because {
        println!("  skipped {}: {}", s.count, s.reason);
    }
    for b in &summary.bad_records {
        println!("  bad record: {}: {}: {}", b.file, b.location, b.reason);
    }
    let took = started.elapsed().as_secs_f64();
    println!(
        "took {took:.2} s ({:.0} records/s)",
        summary.read as f64 / took.max(0.001)
    );
    Ok(())
}

/// Inputs above this many bytes get a progress spinner.
const PROGRESS_FROM: u64 = 4 << 20;

/// `hosts +1, ports +5 (2 updated), flows +199,990 (10 already there)`.
fn counts_line(counts: &[server::ingest::KindCount]) -> String {
    counts
        .iter()
        .map(|c| {
            let mut also = Vec::new();
            if c.updated > 0 {
                also.push(format!("{} updated", thousands(c.updated)));
            }
            if c.unchanged > 0 {
                also.push(format!("{} already there", thousands(c.unchanged)));
            }
            let also = if also.is_empty() {
                String::new()
            } else {
                format!(" ({})", also.join(", "))
            };
            format!("{} +{}{also}", c.kind.label(), thousands(c.added))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `1234567` → `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// Generates the demo investigation and says what it holds; `only_if_empty` skips a
/// database with data (then `None`).
async fn demo_data(
    db: &sea_orm::DatabaseConnection,
    options: DemoOptions,
    only_if_empty: bool,
) -> anyhow::Result<Option<String>> {
    use sea_orm::{EntityTrait, PaginatorTrait};
    if only_if_empty && entities::host::Entity::find().count(db).await? > 0 {
        return Ok(None);
    }
    let admin = users::by_name(db, users::ADMIN)
        .await
        .map_err(|e| anyhow::anyhow!("the demo data is entered as `admin`: {e}"))?;
    let counts = demo::generate(db, admin, options).await?;
    Ok(Some(format!(
        "demo investigation generated (seed {}): {}",
        options.seed,
        counts.join(", ")
    )))
}

/// An audit event for a change made at the terminal: no signed-in user, no address.
fn cli_event(action: &str) -> audit::Event {
    audit::Event::new(None, action, None).detail(serde_json::json!({ "via": "cli" }))
}

async fn user_command(db: &sea_orm::DatabaseConnection, command: UserCommand) -> anyhow::Result<()> {
    let fail = |e: server::domain::error::DomainError| anyhow::anyhow!("{e}");
    match command {
        UserCommand::Add {
            name,
            role,
            password_stdin,
        } => {
            let role = Role::parse(&role).ok_or_else(|| anyhow::anyhow!("role must be admin, analyst or viewer"))?;
            let (password, generated) = if password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                (line.trim_end_matches(['\r', '\n']).to_string(), false)
            } else {
                (passwords::random(), true)
            };
            let tx = db.begin().await?;
            let user = users::create(&tx, &name, role, &password).await.map_err(fail)?;
            audit::record(&tx, cli_event("createUser").on(Kind::User, user.id))
                .await
                .map_err(fail)?;
            tx.commit().await?;
            println!("added user {} ({})", user.username, user.role);
            if generated {
                println!("password: {password}\n(shown once: keep it safe)");
            }
        }
        UserCommand::Token { name, label } => {
            let user = users::by_name(db, &name).await.map_err(fail)?;
            let tx = db.begin().await?;
            let (token, secret) = users::create_token(&tx, user.id, &label, None).await.map_err(fail)?;
            let event = cli_event("createApiToken").on(Kind::ApiToken, token.id);
            audit::record(&tx, event).await.map_err(fail)?;
            tx.commit().await?;
            println!("{secret}");
        }
        UserCommand::List => {
            println!("USERNAME\tROLE\tSTATE");
            for u in users::list(db).await.map_err(fail)? {
                let state = if u.active { "active" } else { "inactive" };
                println!("{}\t{}\t{state}", u.username, u.role);
            }
        }
        UserCommand::Tokens { name } => {
            let user = users::by_name(db, &name).await.map_err(fail)?;
            println!("ID\tLABEL\tCREATED\tEXPIRES\tREVOKED");
            let when = |t: Option<chrono::DateTime<chrono::Utc>>| t.map_or("-".into(), |t| t.to_rfc3339());
            for t in users::tokens_of(db, user.id).await.map_err(fail)? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    t.id,
                    t.name,
                    t.created_at.to_rfc3339(),
                    when(t.expires_at),
                    when(t.revoked_at)
                );
            }
        }
        UserCommand::Revoke { name, token } => {
            let user = users::by_name(db, &name).await.map_err(fail)?;
            let tx = db.begin().await?;
            let revoked = users::revoke_token(&tx, Some(user.id), token).await.map_err(fail)?;
            audit::record(&tx, cli_event("revokeApiToken").on(Kind::ApiToken, revoked.id))
                .await
                .map_err(fail)?;
            tx.commit().await?;
            println!("revoked token {} ({}) of {}", revoked.id, revoked.name, user.username);
        }
        UserCommand::Passwd { name, revoke_tokens } => {
            let user = users::by_name(db, &name).await.map_err(fail)?;
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            let password = line.trim_end_matches(['\r', '\n']);
            let tx = db.begin().await?;
            users::reset_password(&tx, user.id, password, revoke_tokens)
                .await
                .map_err(fail)?;
            audit::record(&tx, cli_event("resetPassword").on(Kind::User, user.id))
                .await
                .map_err(fail)?;
            tx.commit().await?;
            println!("password of {} set; its sessions ended", user.username);
        }
        UserCommand::Deactivate { name, activate } => {
            let user = users::by_name(db, &name).await.map_err(fail)?;
            let input = users::UserInput {
                active: Some(activate),
                ..Default::default()
            };
            let tx = db.begin().await?;
            let user = users::update(&tx, user.id, input).await.map_err(fail)?;
            audit::record(&tx, cli_event("updateUser").on(Kind::User, user.id))
                .await
                .map_err(fail)?;
            tx.commit().await?;
            let state = if user.active { "active" } else { "inactive" };
            println!("{} is {state}", user.username);
        }
    }
    Ok(())
}
