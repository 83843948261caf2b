//! Intrudect: Data management: exports and deletions of datasets.

use super::*;

pub(super) const DATA_EXPORT: &str = "query($tables: [ExportTable!]!, $timezone: String) { \
    r: export(tables: $tables, timezone: $timezone) { url } }";
/// One deletion, of the rows of one kind (none for the datasets Pivot records nothing in).
pub(super) const DATA_DELETE: &str = "mutation($alerts: Boolean!, $flows: Boolean!, $dns: Boolean!, \
    $alertFilter: AlertFilter = {}, $flowFilter: FlowFilter = {}, $dnsFilter: DnsRecordFilter = {}) { \
    a: deleteAlerts(filter: $alertFilter) @include(if: $alerts) { deletedRows } \
    f: deleteFlows(filter: $flowFilter) @include(if: $flows) { deletedRows } \
    d: deleteDnsRecords(filter: $dnsFilter) @include(if: $dns) { deletedRows } }";

/// Each dataset's filters: (key, its aliases and web form names, what it means in Pivot).
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Meaning {
    Source,
    Destination,
    SrcPort,
    DstPort,
    Level,
    Type,
    /// Network alerts' text search; syslog alerts' log line.
    Search,
    Hostname,
    Title,
    QueryName,
    QueryType,
    /// Accepted and checked, matching nothing Pivot holds (DHCP, HTTP).
    Empty,
    /// What Pivot does not record for the dataset: refused.
    Unsupported(&'static str),
}

/// Where a dataset's rows are in the graph.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Rows {
    /// Alerts of this kind.
    Alerts(&'static str),
    Flows,
    DnsRecords,
    /// Pivot records none: the CSV is its header, a deletion deletes nothing.
    Nothing,
}

/// One of Intrudect's datasets: its key and label, its CSV's name and columns (each
/// with the graph's field it holds), where its rows are, the prefix of its web form
/// names, and its filters (key, its aliases and web form names, what it means in Pivot).
pub(super) struct Dataset {
    key: &'static str,
    label: &'static str,
    entry: &'static str,
    columns: &'static [(&'static str, &'static str)],
    rows: Rows,
    form_prefix: &'static str,
    filters: &'static [(&'static [&'static str], Meaning)],
}

pub(super) const NO_CLIENT: Meaning = Meaning::Unsupported("Pivot's passive DNS records no client or resolver address");
pub(super) const NO_GEO: Meaning = Meaning::Unsupported("Pivot keeps no GeoIP data for flows");

pub(super) const DATASETS: [Dataset; 6] = {
    use Meaning::*;
    [
        Dataset {
            key: "network_alerts",
            label: "network alerts",
            entry: "networkalerts.csv",
            columns: &[
                ("id", "ID"),
                ("timestamp", "OCCURRED_AT"),
                ("agent", "SENSOR"),
                ("src_mac", "SRC_MAC"),
                ("dst_mac", "DST_MAC"),
                ("src_ip", "SRC_IP"),
                ("dst_ip", "DST_IP"),
                ("src_port", "SRC_PORT"),
                ("dst_port", "DST_PORT"),
                ("level", "SEVERITY"),
                ("type", "TYPE"),
                ("subject", "TITLE"),
                ("message", "MESSAGE"),
            ],
            rows: Rows::Alerts("network"),
            form_prefix: "na_",
            filters: &[
                (&["source", "na_srcip"], Source),
                (&["destination", "na_dstip"], Destination),
                (&["destination_port", "dst_port", "na_dport"], DstPort),
                (&["level", "na_level"], Level),
                (&["type", "alert_type", "na_type"], Type),
                (&["search", "na_search"], Search),
            ],
        },
        Dataset {
            key: "syslog_alerts",
            label: "syslog alerts",
            entry: "syslogalerts.csv",
            columns: &[
                ("id", "ID"),
                ("timestamp", "OCCURRED_AT"),
                ("agent", "SENSOR"),
                ("hostname", "HOSTNAME"),
                ("level", "SEVERITY"),
                ("type", "TYPE"),
                ("title", "TITLE"),
                ("line", "MESSAGE"),
            ],
            rows: Rows::Alerts("server"),
            form_prefix: "sl_",
            filters: &[
                (&["hostname", "sl_hostname"], Hostname),
                (&["level", "sl_level"], Level),
                (&["search", "line", "sl_search", "sl_line"], Search),
                (&["message", "sl_message"], Title),
            ],
        },
        Dataset {
            key: "dns_metadata",
            label: "DNS metadata",
            entry: "metadata_dns.csv",
            columns: &[
                ("id", "ID"),
                ("first_seen", "FIRST_SEEN"),
                ("last_seen", "LAST_SEEN"),
                ("agent", "SENSOR"),
                ("query", "NAME"),
                ("qtype", "TYPE"),
                ("answer", "VALUE"),
                ("ip", "IP"),
                ("count", "COUNT"),
            ],
            rows: Rows::DnsRecords,
            form_prefix: "dns_",
            filters: &[
                (&["source", "dns_srcip"], NO_CLIENT),
                (&["destination", "dns_dstip"], NO_CLIENT),
                (&["qtype", "dns_qtype"], QueryType),
                (&["query", "dns_query"], QueryName),
            ],
        },
        Dataset {
            key: "tcp_metadata",
            label: "TCP metadata",
            entry: "metadata_connections.csv",
            columns: &[
                ("id", "ID"),
                ("timestamp", "STARTED_AT"),
                ("end", "ENDED_AT"),
                ("agent", "SENSOR"),
                ("src_ip", "SRC"),
                ("src_port", "SRC_PORT"),
                ("dst_ip", "DST"),
                ("dst_port", "DST_PORT"),
                ("proto", "PROTOCOL"),
                ("application", "APPLICATION"),
                ("src_bytes", "SRC_BYTES"),
                ("dst_bytes", "DST_BYTES"),
                ("src_packets", "SRC_PACKETS"),
                ("dst_packets", "DST_PACKETS"),
                ("state", "STATE"),
                ("uid", "UID"),
            ],
            rows: Rows::Flows,
            form_prefix: "tcp_",
            filters: &[
                (&["source", "tcp_srcip"], Source),
                (&["destination", "tcp_dstip"], Destination),
                (&["source_port", "src_port", "tcp_sport"], SrcPort),
                (&["destination_port", "dst_port", "tcp_dport"], DstPort),
                (&["geoip", "tcp_geoip"], NO_GEO),
            ],
        },
        Dataset {
            key: "dhcp_metadata",
            label: "DHCP metadata",
            entry: "dhcpflow.csv",
            columns: &[
                ("timestamp", ""),
                ("agent", ""),
                ("mac", ""),
                ("ip", ""),
                ("hostname", ""),
            ],
            rows: Rows::Nothing,
            form_prefix: "dhcp_",
            filters: &[(
                &["mac", "dhcp_mac", "hostname", "dhcp_hostname", "ip", "dhcp_ip"],
                Empty,
            )],
        },
        Dataset {
            key: "http_metadata",
            label: "HTTP metadata",
            entry: "httpflow.csv",
            columns: &[
                ("timestamp", ""),
                ("agent", ""),
                ("src_ip", ""),
                ("src_port", ""),
                ("dst_ip", ""),
                ("dst_port", ""),
                ("host", ""),
                ("uri", ""),
                ("user_agent", ""),
            ],
            rows: Rows::Nothing,
            form_prefix: "http_",
            filters: &[(
                &[
                    "source",
                    "destination",
                    "source_port",
                    "src_port",
                    "destination_port",
                    "dst_port",
                    "host",
                    "uri",
                    "user_agent",
                    "http_srcip",
                    "http_dstip",
                    "http_sport",
                    "http_dport",
                    "http_host",
                    "http_uri",
                    "http_useragent",
                ],
                Empty,
            )],
        },
    ]
};

/// The dataset of `key`.
pub(super) fn dataset(key: &str) -> Result<&'static Dataset, Refusal> {
    DATASETS.iter().find(|d| d.key == key).ok_or_else(|| {
        let keys: Vec<&str> = DATASETS.iter().map(|d| d.key).collect();
        Refusal::bad(format!("unknown dataset {key:?}: one of {}", keys.join(", ")))
    })
}

impl Dataset {
    /// What filter `name` means for this dataset, and whether it is one of its web form
    /// names (which sit flat in `filters`, prefixed by their dataset).
    fn filter(&self, name: &str) -> Option<(Meaning, bool)> {
        let (_, meaning) = self.filters.iter().find(|(names, _)| names.contains(&name))?;
        Some((*meaning, name.starts_with(self.form_prefix)))
    }

    /// The meaning of `name` as one of this dataset's web form names.
    fn form_filter(&self, name: &str) -> Option<Meaning> {
        self.filter(name).filter(|(_, form)| *form).map(|(m, _)| m)
    }
}

/// A filter value as the web form sends it (a string or a number), or a list of them.
pub(super) fn strings(field: &str, v: &Value) -> Result<Vec<String>, Refusal> {
    let one = |v: &Value| match v {
        Value::String(s) => Ok(s.trim().to_string()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(Refusal::bad(format!("{field} must be a string or a number"))),
    };
    Ok(match v {
        Value::Null => vec![],
        Value::Array(list) => list.iter().map(one).collect::<Result<_, _>>()?,
        v => vec![one(v)?],
    }
    .into_iter()
    .filter(|s| !s.is_empty())
    .collect())
}

pub(super) fn ints(field: &str, values: &[String]) -> Result<Vec<i64>, Refusal> {
    values
        .iter()
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| Refusal::bad(format!("{field} must be a number, not {v:?}")))
        })
        .collect()
}

/// A data-management time (`YYYY-MM-DD`, `YYYY-MM-DD HH:MM` or `YYYY-MM-DD HH:MM:SS`);
/// a date-only `to` takes in the whole day.
pub(super) fn data_time(c: &Context, field: &str, v: &Value) -> Result<Option<String>, Refusal> {
    // A blank string is refused, not taken for no bound: a deletion would take more.
    match v {
        Value::Null => Ok(None),
        Value::String(s) if !s.trim().is_empty() => local_bound(
            c,
            field,
            Some(s),
            &[Precision::Day, Precision::Minute, Precision::Second],
        ),
        _ => Err(Refusal::bad(format!("{field} must be a date string"))),
    }
}

/// The `filters` object of a data request as the graph's filter of each of `sets`, in
/// their order (`Null` for a dataset Pivot records nothing in).
pub(super) fn data_filter(c: &Context, filters: &Value, sets: &[&str]) -> Result<Vec<Value>, Refusal> {
    let empty = Map::new();
    let f = match filters {
        Value::Object(f) => f,
        Value::Null => &empty,
        _ => return Err(Refusal::bad("filters must be an object")),
    };
    let from = data_time(c, "from", f.get("from").unwrap_or(&Value::Null))?;
    let to = data_time(c, "to", f.get("to").unwrap_or(&Value::Null))?;
    let instant = |t: &Option<String>| t.as_deref().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
    if let (Some(from), Some(to)) = (instant(&from), instant(&to)) {
        if from > to {
            return Err(Refusal::bad("from: must not be after to"));
        }
    }
    let agent = match (f.get("agent_id"), f.get("agent")) {
        (Some(a), _) | (None, Some(a)) => strings("agent_id", a)?.into_iter().next(),
        _ => None,
    };
    let sensor = agent.filter(|a| a != "all").map(|a| json!({ "eq": a }));
    // Every key must be known: common ones, dataset keys, or a dataset's filter (web form names).
    let named: Vec<&Dataset> = sets.iter().map(|k| dataset(k)).collect::<Result<_, _>>()?;
    for (k, v) in f {
        let common = ["from", "to", "agent", "agent_id"].contains(&k.as_str());
        let nested = DATASETS.iter().any(|d| d.key == k);
        let flat = DATASETS.iter().find(|d| d.form_filter(k).is_some());
        if !common && !nested && flat.is_none() {
            return Err(Refusal::bad(format!("unknown filter {k:?}")));
        }
        if nested && !v.is_object() {
            return Err(Refusal::bad(format!("filters.{k} must be an object")));
        }
        // A filter of a dataset this request does not name would be silently ignored:
        // for a deletion that means deleting more than asked.
        let owner = flat.map(|d| d.key).unwrap_or(k);
        if !common && !sets.contains(&owner) {
            return Err(Refusal::bad(format!(
                "filters.{k} does not apply to the datasets of this request ({})",
                sets.join(", ")
            )));
        }
    }
    let mut out = Vec::new();
    for set in named {
        let nested = f.get(set.key).and_then(Value::as_object);
        let mut given: Vec<(Meaning, String, Vec<String>)> = Vec::new();
        if let Some(n) = nested {
            for (k, v) in n {
                let Some((m, _)) = set.filter(k) else {
                    return Err(Refusal::bad(format!("unknown filter {}.{k}", set.key)));
                };
                let field = format!("{}.{k}", set.key);
                given.push((m, field.clone(), strings(&field, v)?));
            }
        }
        // Web form names sit flat in `filters`; only a dataset's own prefixed names apply to it.
        for (k, v) in f {
            if let Some(m) = set.form_filter(k) {
                given.push((m, k.clone(), strings(k, v)?));
            }
        }
        let mut all = Vec::new();
        let tcp = set.key == "tcp_metadata";
        for (meaning, field, values) in given {
            if values.is_empty() {
                continue;
            }
            let condition = match meaning {
                Meaning::Source if tcp => any_address("sources", "src", Some(values))?,
                Meaning::Destination if tcp => any_address("destinations", "dst", Some(values))?,
                Meaning::Source => any_endpoint("source", "src", Some(values))?,
                Meaning::Destination => any_endpoint("destination", "dst", Some(values))?,
                Meaning::SrcPort => one_of("srcPorts", "srcPort", Some(ints(&field, &values)?))?,
                Meaning::DstPort => one_of("dstPorts", "dstPort", Some(ints(&field, &values)?))?,
                Meaning::Level => levels(&Some(ints(&field, &values)?))?,
                Meaning::Type => one_of("types", "type", Some(values))?,
                Meaning::Search if set.key == "network_alerts" => any_term(Some(values))?,
                Meaning::Search => any_containing("messageContains", "message", Some(values))?,
                Meaning::Hostname => any_like("hostnames", "hostname", Some(values))?,
                Meaning::Title => any_like("titles", "title", Some(values))?,
                Meaning::QueryName => any_like("names", "name", Some(values))?,
                Meaning::QueryType => {
                    let upper = values.iter().map(|t| t.to_uppercase()).collect();
                    one_of("types", "type", Some(upper))?
                }
                Meaning::Empty => None,
                Meaning::Unsupported(why) => return Err(Refusal::bad(format!("{field}: {why}"))),
            };
            all.extend(condition);
        }
        // The time range: when an alert occurred, a flow started, a DNS record was seen.
        let range = |lower: &str, upper: &str| {
            let mut r = json!({});
            if let Some(t) = &from {
                r[lower] = json!({ "gte": t });
            }
            if let Some(t) = &to {
                r[upper] = json!({ "lte": t });
            }
            r
        };
        let mut filter = match set.rows {
            Rows::Alerts(kind) => {
                let mut r = json!({ "kind": { "eq": kind } });
                r["and"] = json!([range("occurredAt", "occurredAt")]);
                r
            }
            Rows::Flows => json!({ "and": [range("startedAt", "startedAt")] }),
            Rows::DnsRecords => json!({ "and": [range("lastSeen", "firstSeen")] }),
            Rows::Nothing => {
                out.push(Value::Null);
                continue;
            }
        };
        if let Some(sensor) = &sensor {
            filter["sensor"] = sensor.clone();
        }
        filter["and"].as_array_mut().expect("a list").extend(all);
        out.push(filter);
    }
    Ok(out)
}

pub(super) fn export_vars(p: &Params, c: &Context) -> Result<Value, Refusal> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        #[serde(alias = "tables")]
        datasets: Option<Vec<String>>,
        table: Option<String>,
        #[serde(default)]
        filters: Value,
    }
    let b: Body = read("export request", &p.body)?;
    let keys: Vec<String> = match (b.datasets, b.table) {
        (Some(d), _) if !d.is_empty() => d,
        (_, Some(t)) => vec![t],
        _ => return Err(Refusal::bad("name the datasets to export (datasets, tables or table)")),
    };
    let sets: Vec<&str> = keys.iter().map(String::as_str).collect();
    let filters = data_filter(c, &b.filters, &sets)?;
    let mut tables = Vec::new();
    for (key, filter) in sets.iter().zip(filters) {
        let set = dataset(key)?;
        let columns: Vec<Value> = set
            .columns
            .iter()
            .map(|(name, field)| {
                let mut column = json!({ "name": name, "field": field });
                if *field == "SEVERITY" {
                    column["rewrite"] = LEVELS
                        .iter()
                        .map(|(s, l)| json!({ "value": s, "written": l.to_string() }))
                        .collect();
                }
                column
            })
            .collect();
        let rows = match set.rows {
            Rows::Alerts(_) => json!({ "alerts": { "filter": filter, "columns": columns } }),
            Rows::Flows => json!({ "flows": { "filter": filter, "columns": columns } }),
            Rows::DnsRecords => json!({ "dnsRecords": { "filter": filter, "columns": columns } }),
            Rows::Nothing => json!({ "header": set.columns.iter().map(|(name, _)| name).collect::<Vec<_>>() }),
        };
        // A dataset named twice is exported once.
        if !tables.iter().any(|t: &Value| t["name"] == set.entry) {
            tables.push(json!({ "name": set.entry, "rows": rows }));
        }
    }
    Ok(json!({ "tables": tables, "timezone": c.timezone.name() }))
}

pub(super) fn exported(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let export: graph::Url = read_data(&a.data["r"])?;
    Ok(Reply::download(&export.url))
}

pub(super) fn delete_vars(p: &Params, c: &Context) -> Result<Value, Refusal> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        table: String,
        #[serde(default)]
        filters: Value,
    }
    let b: Body = read("delete request", &p.body)?;
    let set = dataset(&b.table)?;
    let filter = data_filter(c, &b.filters, &[b.table.as_str()])?.remove(0);
    let mut vars = json!({
        "alerts": matches!(set.rows, Rows::Alerts(_)),
        "flows": set.rows == Rows::Flows,
        "dns": set.rows == Rows::DnsRecords,
    });
    let key = match set.rows {
        Rows::Alerts(_) => "alertFilter",
        Rows::Flows => "flowFilter",
        Rows::DnsRecords => "dnsFilter",
        Rows::Nothing => return Ok(vars),
    };
    vars[key] = filter;
    Ok(vars)
}

pub(super) fn deleted_data(a: Answer, p: &Params, _: &Context) -> Result<Reply, Refusal> {
    let set = dataset(p.body["table"].as_str().unwrap_or_default())?;
    // The one deletion the route ran (none for a dataset Pivot records nothing in).
    #[derive(Deserialize)]
    struct Ran {
        a: Option<graph::Deletion>,
        f: Option<graph::Deletion>,
        d: Option<graph::Deletion>,
    }
    let ran: Ran = a.read()?;
    let deleted = [ran.a, ran.f, ran.d]
        .into_iter()
        .flatten()
        .map(|d| d.deleted_rows)
        .sum::<i64>();
    let mut body = json!({
        "table": set.key,
        "label": set.label,
        "deleted_rows": deleted,
    });
    match set.key {
        "network_alerts" => body["network_pcaps_deleted"] = json!(true),
        "dns_metadata" => body["dns_aggregates_rebuilt"] = json!(true),
        "tcp_metadata" => body["tcp_aggregates_rebuilt"] = json!(true),
        _ => {}
    }
    Ok(Reply::ok(body))
}
