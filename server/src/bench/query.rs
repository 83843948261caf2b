//! `pivot bench query`: the one query model under volume. A million alerts (those of
//! `bench compat`), a million flows and a scan of hosts with ten open ports each, then,
//! in process through the GraphQL schema (everything but HTTP): a filtered page of 50
//! alerts sorted by severity and time, the same twenty pages deeper (by keyset), a
//! `groupBy` of the flows by destination port, and the hosts with port 22 open counted —
//! each timed over repeated runs. And the statement plan of every filter field that has
//! an index, to show the index is used.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use async_graphql::InputType;
use entities::{alert, flow, host};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, QuerySelect, QueryTrait};
use serde_json::{json, Value};

use super::{open, raw_flows, raw_hosts};
use crate::domain::alerts::{AlertField, AlertFilter};
use crate::domain::flows::FlowFilter;
use crate::domain::hosts::HostFilter;
use crate::domain::query::order::Keyset;
use crate::domain::query::{self, OrderBy, SortDirection, Where};
use crate::domain::tallies;
use crate::domain::tenancy::Scope;
use crate::domain::users;
use crate::graphql::{self, Caller};

pub struct QueryOptions {
    pub alerts: usize,
    pub flows: usize,
    pub hosts: usize,
    pub runs: usize,
    pub dir: PathBuf,
    pub postgres: Option<String>,
}

const PAGE: &str = r#"query($after: String) { alerts(
    filter: {kind: {eq: "network"}, severity: {gte: WARNING}},
    orderBy: [{field: SEVERITY, direction: DESC}, {field: OCCURRED_AT, direction: DESC}],
    first: 50, after: $after) { nodes { id title severity occurredAt } pageInfo { endCursor } } }"#;
const GROUP: &str = "{ flowsAggregate { groupBy(field: DST_PORT, first: 10) { value count } } }";
const COUNT: &str = r#"{ hosts(filter: {ports: {port: {eq: 22}, state: {eq: "open"}}}) { totalCount } }"#;

/// Runs GraphQL operations as the administrator, in process.
pub(crate) struct Runner {
    schema: graphql::PivotSchema,
    conn: DatabaseConnection,
    caller: Caller,
}

impl Runner {
    /// The schema on `conn`, run as its administrator (made if missing).
    pub(crate) async fn as_admin(conn: &DatabaseConnection) -> anyhow::Result<Self> {
        users::ensure_admin(conn, Some("benchmark password")).await?;
        let admin = users::by_name(conn, users::ADMIN).await?;
        let schema = graphql::build(
            conn.clone(),
            crate::db::WriteGate::for_backend(conn),
            None,
            Default::default(),
            Default::default(),
            Default::default(),
        );
        Ok(Self {
            schema,
            conn: conn.clone(),
            caller: Caller::acting_as(admin),
        })
    }

    /// The data of an operation that must succeed.
    pub(crate) async fn run(&self, q: &str, v: Value) -> anyhow::Result<Value> {
        let request = async_graphql::Request::new(q).variables(async_graphql::Variables::from_json(v));
        let r = graphql::execute(&self.schema, &self.conn, &self.caller, request).await;
        anyhow::ensure!(r.errors.is_empty(), "{q}: {:?}", r.errors);
        Ok(r.data.into_json()?)
    }

    /// Median and 95th percentile in ms over `runs` runs, and the last answer.
    pub(crate) async fn time(&self, q: &str, v: Value, runs: usize) -> anyhow::Result<(f64, f64, Value)> {
        let mut times = Vec::with_capacity(runs);
        let mut last = Value::Null;
        for _ in 0..runs.max(1) {
            let started = Instant::now();
            last = self.run(q, v.clone()).await?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        Ok((times[times.len() / 2], times[times.len() * 95 / 100], last))
    }
}

/// A filter of `W` from its GraphQL form.
fn filter<W: Where + InputType>(v: Value) -> anyhow::Result<W> {
    W::parse(Some(async_graphql::Value::from_json(v)?))
        .map_err(|e| anyhow::anyhow!("{}", e.into_server_error(Default::default()).message))
}

/// The plan of `select` as the database states it, one line per step.
async fn plan<E: EntityTrait>(conn: &DatabaseConnection, select: sea_orm::Select<E>) -> anyhow::Result<String> {
    let backend = conn.get_database_backend();
    let mut st = select.build(backend);
    let pg = backend == DbBackend::Postgres;
    st.sql = format!("{} {}", if pg { "EXPLAIN" } else { "EXPLAIN QUERY PLAN" }, st.sql);
    let rows = conn.query_all(st).await?;
    let lines: Vec<String> = rows
        .iter()
        .map(|r| {
            if pg {
                r.try_get_by_index::<String>(0).unwrap_or_default()
            } else {
                r.try_get::<String>("", "detail").unwrap_or_default()
            }
        })
        .map(|l| l.trim().to_string())
        .collect();
    Ok(lines.join("; "))
}

/// Whether a plan reads an index (SQLite's `USING INDEX`, `USING COVERING INDEX`,
/// `USING INTEGER PRIMARY KEY`; PostgreSQL's index and bitmap index scans).
fn uses_index(plan: &str) -> bool {
    [
        "USING INDEX",
        "USING COVERING INDEX",
        "USING INTEGER PRIMARY KEY",
        "Index Scan",
        "Index Only Scan",
        "Bitmap Index Scan",
    ]
    .iter()
    .any(|k| plan.contains(k))
}

async fn backend(
    report: &mut String,
    plans: &mut String,
    name: &str,
    url: &str,
    create_on: Option<&str>,
    opts: &QueryOptions,
) -> anyhow::Result<()> {
    let conn = open(url, create_on).await?;
    super::compat::seed(&conn, opts.alerts).await?;
    raw_flows(&conn, opts.flows).await?;
    raw_hosts(&conn, opts.hosts).await?;
    // As an import does when it finishes: the tallies folded and, on PostgreSQL only,
    // fresh statistics. Pivot never analyzes SQLite, whose planner goes by its indexes;
    // statistics there would plan `flows.dstPort = 22` as a scan, every flow of this
    // benchmark going to port 443.
    tallies::fold(&conn).await?;
    if conn.get_database_backend() == DbBackend::Postgres {
        conn.execute_unprepared("ANALYZE").await?;
    }
    let runner = Runner::as_admin(&conn).await?;

    let (page_med, page_p95, first) = runner.time(PAGE, json!({}), opts.runs).await?;
    anyhow::ensure!(
        first["alerts"]["nodes"].as_array().map_or(0, Vec::len) == 50,
        "a page of 50 alerts"
    );
    let mut after = first["alerts"]["pageInfo"]["endCursor"].clone();
    for _ in 0..19 {
        let d = runner.run(PAGE, json!({ "after": after })).await?;
        after = d["alerts"]["pageInfo"]["endCursor"].clone();
    }
    let (deep_med, deep_p95, _) = runner.time(PAGE, json!({ "after": after }), opts.runs).await?;
    let group_runs = (opts.runs / 5).max(3);
    let (group_med, group_p95, grouped) = runner.time(GROUP, json!({}), group_runs).await?;
    let top = &grouped["flowsAggregate"]["groupBy"][0];
    let (count_med, count_p95, counted) = runner.time(COUNT, json!({}), opts.runs).await?;
    anyhow::ensure!(
        counted["hosts"]["totalCount"] == json!(opts.hosts),
        "every host has port 22 open: {counted}"
    );
    writeln!(
        report,
        "| {name} | {page_med:.1} / {page_p95:.1} | {deep_med:.1} / {deep_p95:.1} | {group_med:.0} / {group_p95:.0} (top: port {} × {}) | {count_med:.1} / {count_p95:.1} ({} hosts) |",
        top["value"].as_str().unwrap_or("?"),
        top["count"],
        opts.hosts,
    )?;

    // The plans: the page's statement, and one per indexed filter field.
    let scope = Scope::default();
    let order = [
        OrderBy {
            field: AlertField::Severity,
            direction: SortDirection::Desc,
        },
        OrderBy {
            field: AlertField::OccurredAt,
            direction: SortDirection::Desc,
        },
    ];
    let page_filter: AlertFilter = filter(json!({"kind": {"eq": "network"}, "severity": {"gte": "WARNING"}}))?;
    let page = Keyset::new(&order)?.sort(
        alert::Entity::find().filter(query::condition(&page_filter, &scope, "filter")?),
        false,
    );
    let mut fields: Vec<(String, String)> = vec![("alerts page (above)".into(), plan(&conn, page.limit(51)).await?)];
    for (field, f) in [
        ("alerts.severity (1 in 6 rows)", json!({"severity": {"eq": "ERROR"}})),
        ("alerts.kind", json!({"kind": {"eq": "server"}})),
        (
            "alerts.occurredAt",
            json!({"occurredAt": {"gte": "2026-01-01T01:00:00Z", "lt": "2026-01-01T01:01:00Z"}}),
        ),
        ("alerts.srcIp", json!({"srcIp": {"within": ["10.1.7.0/28"]}})),
        ("alerts.dstIp", json!({"dstIp": {"eq": "192.0.2.7"}})),
    ] {
        let f: AlertFilter = filter(f)?;
        let s = alert::Entity::find()
            .filter(query::condition(&f, &scope, "filter")?)
            .limit(50);
        fields.push((field.into(), plan(&conn, s).await?));
    }
    for (field, f) in [
        ("flows.srcIp", json!({"src": {"eq": "10.0.0.9"}})),
        ("flows.dstIp", json!({"dst": {"within": ["192.0.2.4/30"]}})),
        ("flows.dstPort", json!({"dstPort": {"eq": 22}})),
        (
            "flows.startedAt",
            json!({"startedAt": {"gte": "2026-01-01T00:01:40Z", "lt": "2026-01-01T00:01:41Z"}}),
        ),
        ("flows.uid", json!({"uid": {"eq": "C2a"}})),
    ] {
        let f: FlowFilter = filter(f)?;
        let s = flow::Entity::find()
            .filter(query::condition(&f, &scope, "filter")?)
            .limit(50);
        fields.push((field.into(), plan(&conn, s).await?));
    }
    let f: HostFilter = filter(json!({"ports": {"port": {"eq": 22}, "state": {"eq": "open"}}}))?;
    let tally = f
        .tally()
        .ok_or_else(|| anyhow::anyhow!("the count's filter has a kept count"))?;
    fields.push((
        "hosts.ports (the count: the kept count)".into(),
        plan(&conn, tallies::statement(&tally)).await?,
    ));
    let s = host::Entity::find().filter(query::condition(&f, &scope, "filter")?);
    fields.push(("hosts.ports (the same hosts, listed)".into(), plan(&conn, s).await?));
    for (field, plan) in fields {
        let used = if uses_index(&plan) { "yes" } else { "**no**" };
        writeln!(plans, "| {name} | `{field}` | {used} | {} |", plan.replace('|', "\\|"))?;
    }
    conn.close().await?;
    Ok(())
}

pub async fn run(opts: QueryOptions) -> anyhow::Result<String> {
    std::fs::create_dir_all(&opts.dir)?;
    let mut report = format!(
        "{} alerts, {} flows, {} hosts × 10 open ports; {} runs each (the groupBy a fifth as many); \
         median / p95 in ms.\n\n\
         | backend | page of 50 alerts by severity, time | 21st page (keyset) | flows groupBy dstPort | hosts with 22 open: totalCount |\n\
         |---|---:|---:|---:|---:|\n",
        opts.alerts, opts.flows, opts.hosts, opts.runs
    );
    let mut plans = String::from("\n| backend | filter field | index used | plan |\n|---|---|---|---|\n");
    let sqlite = opts.dir.join("query.db");
    for f in ["query.db", "query.db-wal", "query.db-shm"] {
        let _ = std::fs::remove_file(opts.dir.join(f));
    }
    let url = format!("sqlite://{}", sqlite.display());
    backend(&mut report, &mut plans, "SQLite", &url, None, &opts).await?;
    if let Some(server) = &opts.postgres {
        let url = format!("{server}/pivot_bench_query");
        backend(&mut report, &mut plans, "PostgreSQL", &url, Some(server), &opts).await?;
    }
    report.push_str(&plans);
    Ok(report)
}
