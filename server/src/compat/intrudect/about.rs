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

pub(super) fn about(a: Answer, _: &Params, c: &Context) -> Result<Reply, Refusal> {
    let r = &a.data["r"];
    let table = |name: &str| {
        r["database"]["tables"]
            .as_array()
            .and_then(|t| t.iter().find(|t| t["name"] == name))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let records = |t: Value, with_span: bool| {
        let mut m = json!({"row_count": t["rowCount"].as_i64().unwrap_or(0), "row_count_is_estimate": true});
        if with_span {
            let when = |k: &str| match t[k].as_str() {
                Some(s) => json!(time::render(c.timezone, Some(s))),
                None => Value::Null,
            };
            m["size_bytes"] = t["sizeBytes"].clone();
            m["first_record_at"] = when("firstRecordAt");
            m["last_record_at"] = when("lastRecordAt");
        }
        m
    };
    let feed = || json!({"last_updated_at": Value::Null, "size_bytes": 0});
    let health: Vec<Value> = r["schemaHealth"]["tables"]
        .as_array()
        .map(|t| {
            t.iter()
                .map(|h| {
                    json!({
                        "name": h["name"],
                        "missing_indexes": h["missingIndexes"],
                        "extra_indexes": h["extraIndexes"],
                        "wrong_index_cols": h["wrongIndexColumns"],
                        "is_healthy": h["isHealthy"],
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Reply::ok(json!({
        "version": r["version"],
        "runtime_memory_bytes": r["runtimeMemoryBytes"],
        "database": {
            "size_bytes": r["database"]["sizeBytes"],
            "network_alerts": records(table("alerts"), false),
            "tcp_records": records(table("flows"), true),
            "dns_records": records(table("dns_records"), true),
            "dhcp_records": records(Value::Null, true),
            "http_records": records(Value::Null, true),
            "tor_relays": feed(),
            "misp_ip_records": feed(),
            "misp_dns_records": feed(),
        },
        "schema_health": {"is_healthy": r["schemaHealth"]["isHealthy"], "tables": health},
    })))
}
