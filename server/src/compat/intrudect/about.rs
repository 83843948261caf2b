//! Intrudect: The sensor's self-description routes.

use super::*;

pub(super) const ABOUT: &str =
    "query { r: systemInfo { version runtimeMemoryBytes database { sizeBytes tables { name rowCount \
    rowCountIsEstimate sizeBytes firstRecordAt lastRecordAt } } schemaHealth { isHealthy tables { name missingIndexes \
    extraIndexes wrongIndexColumns isHealthy } } } }";

pub(super) fn no_params(p: &Params, _: &Context) -> Result<Value, Refusal> {
    match p.query.first() {
        Some((k, _)) => Err(Refusal::bad(format!("unknown query parameter {k:?}"))),
        None => Ok(json!({})),
    }
}

/// A dataset's records as `about` describes them; the span only where Intrudect gives one.
#[derive(Serialize)]
struct Records {
    row_count: i64,
    row_count_is_estimate: bool,
    #[serde(flatten)]
    span: Option<Span>,
}

#[derive(Serialize)]
struct Span {
    size_bytes: Option<i64>,
    first_record_at: Option<String>,
    last_record_at: Option<String>,
}

/// A threat feed Pivot keeps none of.
#[derive(Serialize)]
struct Feed {
    last_updated_at: Option<String>,
    size_bytes: i64,
}

const NO_FEED: Feed = Feed {
    last_updated_at: None,
    size_bytes: 0,
};

#[derive(Serialize)]
struct Health {
    name: String,
    missing_indexes: Vec<String>,
    extra_indexes: Vec<String>,
    wrong_index_cols: Vec<String>,
    is_healthy: bool,
}

pub(super) fn about(a: Answer, _: &Params, c: &Context) -> Result<Reply, Refusal> {
    let info: graph::SystemInfo = read_data(&a.data["r"])?;
    let table = |name: &str| info.database.tables.iter().find(|t| t.name == name);
    let records = |t: Option<&graph::Table>, with_span: bool| {
        let when = |at: &Option<String>| at.as_deref().map(|s| time::render(c.timezone, Some(s)));
        Records {
            row_count: t.map_or(0, |t| t.row_count),
            row_count_is_estimate: true,
            span: with_span.then(|| Span {
                size_bytes: t.and_then(|t| t.size_bytes),
                first_record_at: t.and_then(|t| when(&t.first_record_at)),
                last_record_at: t.and_then(|t| when(&t.last_record_at)),
            }),
        }
    };
    let health: Vec<Health> = info
        .schema_health
        .tables
        .iter()
        .map(|h| Health {
            name: h.name.clone(),
            missing_indexes: h.missing_indexes.clone(),
            extra_indexes: h.extra_indexes.clone(),
            wrong_index_cols: h.wrong_index_columns.clone(),
            is_healthy: h.is_healthy,
        })
        .collect();
    Ok(Reply::ok(json!({
        "version": info.version,
        "runtime_memory_bytes": info.runtime_memory_bytes,
        "database": {
            "size_bytes": info.database.size_bytes,
            "network_alerts": records(table("alerts"), false),
            "tcp_records": records(table("flows"), true),
            "dns_records": records(table("dns_records"), true),
            "dhcp_records": records(None, true),
            "http_records": records(None, true),
            "tor_relays": NO_FEED,
            "misp_ip_records": NO_FEED,
            "misp_dns_records": NO_FEED,
        },
        "schema_health": {"is_healthy": info.schema_health.is_healthy, "tables": health},
    })))
}
