//! Intrudect's public API (`/api/v1`, ../shared/specs/intrudect-public-api.txt):
//! bare JSON objects, `{"error": "..."}` on failure, Bearer API tokens, integer IDs,
//! local times (`YYYY-MM-DD HH:MM:SS`) in `PIVOT_TIMEZONE`.
//!
//! | Method      | Path                            | Needs          | Runs                      |
//! |-------------|---------------------------------|----------------|---------------------------|
//! | GET         | /api/v1/about                   | (a token)      | systemInfo                |
//! | GET         | /api/v1/devices                 | devices read   | devices (numbered)        |
//! | POST        | /api/v1/devices/search          | devices read   | devices (numbered)        |
//! | PATCH, PUT  | /api/v1/devices/{id}            | devices write  | node + updateDevice       |
//! | GET         | /api/v1/networks                | networks read  | networks (walked)         |
//! | POST        | /api/v1/networks/search         | networks read  | networks (walked)         |
//! | POST        | /api/v1/networks                | networks write | createNetwork (201)       |
//! | PATCH, PUT  | /api/v1/networks/{id}           | networks write | updateNetwork             |
//! | DELETE      | /api/v1/networks/{id}           | networks write | node + deleteNetwork      |
//! | GET         | /api/v1/networkalerts           | alerts read    | alerts (numbered)         |
//! | POST        | /api/v1/networkalerts/search    | alerts read    | alerts (numbered)         |
//! | DELETE      | /api/v1/networkalerts/{id}      | alerts write   | node + deleteAlert        |
//! | GET         | /api/v1/serveralerts            | alerts read    | alerts (numbered)         |
//! | POST        | /api/v1/serveralerts/search     | alerts read    | alerts (numbered)         |
//! | DELETE      | /api/v1/serveralerts/{id}       | alerts write   | node + deleteAlert        |
//! | POST        | /api/v1/data/export             | data read      | export, streamed ZIP      |
//! | POST        | /api/v1/data/delete             | data write     | deleteAlerts/Flows/Dns…   |
//! | GET         | /api/v1/services                | devices read   | services, grouped         |
//! | POST        | /api/v1/services/search         | devices read   | services, grouped         |
//! | POST        | /api/v1/services                | devices write  | createService (201)       |
//! | PATCH, PUT  | /api/v1/services/{id}           | devices write  | updateService             |
//! | DELETE      | /api/v1/services/{id}           | devices write  | node + deleteService      |
//! | PATCH       | /api/v1/services/{id}/authorize | devices write  | updateService(authorized) |
//! | POST        | /api/v1/services/authorize      | devices write  | authorizeService          |
//!
//! The spec names the paths of the service list and search only; the others follow
//! the other datasets' pattern. Services need Intrudect's devices permission, as the
//! spec's table says (and Pivot's services capability, which the resolvers check).
//!
//! How Intrudect's model maps onto Pivot's graph:
//! - Network and server alerts are Pivot alerts of kind `network` and `server`; the
//!   agent is the alert's sensor (Pivot keeps no separate agent names, so `agent_name`
//!   repeats it); a server alert's title is the alert's title and its log `line` the
//!   alert's message. Levels are severities: 10 = INFO or NOTICE, 20 = WARNING,
//!   30 = ERROR and above; filtering by a level matches the severities it stands for.
//! - Devices keep their last address only, so the `ipcount` sorts sort by it.
//! - `pcap_id` is the alert's packet capture (`Alert.pcap`, made by importers from the
//!   packet a sensor logged; downloaded from `/alerts/{id}/pcap`), null without one. The
//!   capture belongs to its alert: deleting the alert deletes it in the same statement.
//! - Data management: DNS metadata is Pivot's passive DNS (names, types, answers), which
//!   records no client or resolver, so its `source`/`destination` filters are refused;
//!   TCP metadata is flows (no GeoIP: `geoip` is refused); Pivot records no DHCP or
//!   HTTP metadata, so those export as header-only CSVs and delete nothing. Pivot keeps
//!   no 15-minute aggregates, so there is nothing to rebuild after a deletion.
//! - `about`: network alerts count as the alerts table, TCP records as flows; Pivot holds
//!   no DHCP or HTTP records, Tor relay or MISP feeds, so those read as empty. Per-table
//!   sizes are null on SQLite (see `systemInfo`).

use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::patterns;
use super::time::{self, Bound, Precision};
use super::{listing_after, read, Answer, Call, Context, Dialect, Input, Paging, Params, Refusal, Reply, Route};
use crate::auth::principal::{self, Presented};
use crate::domain::access::{Capability, Level};
use crate::domain::ids::{self, Kind};

pub struct Intrudect;

impl Dialect for Intrudect {
    const NAME: &'static str = "intrudect";
    const MOUNT: &'static str = "/api/v1";

    // One row per route, as the table above: kept on one line each.
    #[rustfmt::skip]
    fn routes() -> Vec<Route> {
        use Capability::*;
        use Level::*;
        use Method as M;
        use Paging::*;
        vec![
            Route::new(M::GET, "/about", Input::Query, None, ABOUT, no_params, about),
            Route::new(M::GET, "/devices", Input::Query, Some((Devices, Read)), DEVICE_SEARCH, device_vars, devices).paging(Numbered),
            Route::new(M::POST, "/devices/search", Input::Json, Some((Devices, Read)), DEVICE_SEARCH, device_vars, devices).paging(Numbered),
            Route::new(M::PATCH, "/devices/{id}", Input::Json, Some((Devices, Write)), UPDATE_DEVICE, update_device, updated_device),
            Route::new(M::PUT, "/devices/{id}", Input::Json, Some((Devices, Write)), UPDATE_DEVICE, update_device, updated_device),
            Route::new(M::GET, "/networks", Input::Query, Some((Networks, Read)), NETWORK_SEARCH, network_vars, networks).paging(Every(listing_after)),
            Route::new(M::POST, "/networks/search", Input::Json, Some((Networks, Read)), NETWORK_SEARCH, network_vars, networks).paging(Every(listing_after)),
            Route::new(M::POST, "/networks", Input::Json, Some((Networks, Write)), CREATE_NETWORK, create_network, created_network),
            Route::new(M::PATCH, "/networks/{id}", Input::Json, Some((Networks, Write)), UPDATE_NETWORK, update_network, updated_network),
            Route::new(M::PUT, "/networks/{id}", Input::Json, Some((Networks, Write)), UPDATE_NETWORK, update_network, updated_network),
            Route::new(M::DELETE, "/networks/{id}", Input::Query, Some((Networks, Write)), DELETE_NETWORK, network_id, deleted_network)
                .before(NETWORK_BY_ID, exists),
            Route::new(M::GET, "/networkalerts", Input::Query, Some((Alerts, Read)), NETWORK_ALERT_SEARCH, network_alert_vars, network_alerts).paging(Numbered),
            Route::new(M::POST, "/networkalerts/search", Input::Json, Some((Alerts, Read)), NETWORK_ALERT_SEARCH, network_alert_vars, network_alerts).paging(Numbered),
            Route::new(M::DELETE, "/networkalerts/{id}", Input::Query, Some((Alerts, Write)), DELETE_ALERT, alert_id, deleted_network_alert)
                .before(NETWORK_ALERT_BY_ID, |v, _, _| of_kind(v, "network")),
            Route::new(M::GET, "/serveralerts", Input::Query, Some((Alerts, Read)), SERVER_ALERT_SEARCH, server_alert_vars, server_alerts).paging(Numbered),
            Route::new(M::POST, "/serveralerts/search", Input::Json, Some((Alerts, Read)), SERVER_ALERT_SEARCH, server_alert_vars, server_alerts).paging(Numbered),
            Route::new(M::DELETE, "/serveralerts/{id}", Input::Query, Some((Alerts, Write)), DELETE_ALERT, alert_id, deleted_server_alert)
                .before(SERVER_ALERT_BY_ID, |v, _, _| of_kind(v, "server")),
            Route::new(M::POST, "/data/export", Input::Json, Some((Data, Read)), DATA_EXPORT, export_vars, exported),
            Route::new(M::POST, "/data/delete", Input::Json, Some((Data, Write)), DATA_DELETE, delete_vars, deleted_data),
            Route::new(M::GET, "/services", Input::Query, Some((Devices, Read)), SERVICE_SEARCH, service_vars, services).paging(Every(listing_after)),
            Route::new(M::POST, "/services/search", Input::Json, Some((Devices, Read)), SERVICE_SEARCH, service_vars, services).paging(Every(listing_after)),
            Route::new(M::POST, "/services", Input::Json, Some((Devices, Write)), CREATE_SERVICE, create_service, created_service),
            Route::new(M::PATCH, "/services/{id}", Input::Json, Some((Devices, Write)), UPDATE_SERVICE, update_service, one_service),
            Route::new(M::PUT, "/services/{id}", Input::Json, Some((Devices, Write)), UPDATE_SERVICE, update_service, one_service),
            Route::new(M::DELETE, "/services/{id}", Input::Query, Some((Devices, Write)), DELETE_SERVICE, service_id, deleted_service)
                .before(SERVICE_BY_ID, exists),
            Route::new(M::PATCH, "/services/{id}/authorize", Input::Query, Some((Devices, Write)), UPDATE_SERVICE, authorize_by_id, one_service),
            Route::new(M::POST, "/services/authorize", Input::Json, Some((Devices, Write)), AUTHORIZE_SERVICE, authorize_by_fields, one_service),
        ]
    }

    /// API tokens only: Intrudect's public API takes no session cookies.
    fn credentials(headers: &HeaderMap, _: &Params) -> Result<Presented, Refusal> {
        Ok(principal::authorization(headers))
    }

    fn unauthenticated(sent: bool, _: &Call) -> Refusal {
        let message = if sent {
            "invalid bearer token"
        } else {
            "missing bearer token"
        };
        Refusal::new(StatusCode::UNAUTHORIZED, message)
    }

    fn refuse(refusal: Refusal) -> Response {
        (refusal.status, axum::Json(json!({ "error": refusal.message }))).into_response()
    }
}

// ---- operations ----

macro_rules! device_fields {
    () => {
        "fragment N on Device { id mac lastIp hostname friendlyName vendor network { name } isGateway firstSeen lastSeen }"
    };
}
macro_rules! network_fields {
    () => {
        "fragment N on Network { id name cidr gatewayIp gatewayMac alertLevel }"
    };
}
macro_rules! network_alert_fields {
    () => {
        "fragment N on Alert { id kind occurredAt sensor srcMac dstMac srcIp dstIp srcPort dstPort severity type title \
         message srcDevice { hostname friendlyName } dstDevice { hostname friendlyName } srcNetwork { name } \
         dstNetwork { name } pcap { id } }"
    };
}
macro_rules! server_alert_fields {
    () => {
        "fragment N on Alert { id kind occurredAt sensor hostname severity type title message }"
    };
}

/// A numbered page of a listing ([`Paging::Numbered`]): its variables and selection.
macro_rules! numbered {
    ($listing:literal, $filter:literal, $order:literal, $extra_vars:literal, $extra_args:literal) => {
        concat!(
            "query($filter: ",
            $filter,
            ", $order: [",
            $order,
            "!], ",
            $extra_vars,
            "$first: Int, $skip: Int, $after: String, $counted: Boolean = false) { ",
            "r: ",
            $listing,
            "(filter: $filter, orderBy: $order, ",
            $extra_args,
            "first: $first, skip: $skip, after: $after) ",
            "{ totalCount @include(if: $counted) pageInfo { endCursor } nodes { ...N } } } "
        )
    };
}

const DEVICE_SEARCH: &str = concat!(
    numbered!("devices", "DeviceFilter", "DeviceOrder", "", ""),
    device_fields!()
);
const UPDATE_DEVICE: &str = concat!(
    "mutation($id: ID!, $input: DeviceInput!) { r: updateDevice(id: $id, input: $input) { ...N } } ",
    device_fields!()
);
const NETWORK_SEARCH: &str = concat!(
    "query($filter: NetworkFilter, $order: [NetworkOrder!], $after: String) { ",
    "r: networks(filter: $filter, orderBy: $order, first: 1000, after: $after) ",
    "{ pageInfo { hasNextPage endCursor } nodes { ...N } } } ",
    network_fields!()
);
const CREATE_NETWORK: &str = concat!(
    "mutation($input: CreateNetworkInput!) { r: createNetwork(input: $input) { ...N } } ",
    network_fields!()
);
const UPDATE_NETWORK: &str = concat!(
    "mutation($id: ID!, $input: NetworkInput!) { r: updateNetwork(id: $id, input: $input) { ...N } } ",
    network_fields!()
);
const NETWORK_BY_ID: &str = concat!("query($id: ID!) { r: node(id: $id) { ...N } } ", network_fields!());
const DELETE_NETWORK: &str = "mutation($id: ID!) { r: deleteNetwork(id: $id) }";
const NETWORK_ALERT_SEARCH: &str = concat!(
    numbered!(
        "alerts",
        "AlertFilter",
        "AlertOrder",
        "$unique: [AlertField!], ",
        "distinctOn: $unique, "
    ),
    network_alert_fields!()
);
const SERVER_ALERT_SEARCH: &str = concat!(
    numbered!("alerts", "AlertFilter", "AlertOrder", "", ""),
    server_alert_fields!()
);
const NETWORK_ALERT_BY_ID: &str = concat!(
    "query($id: ID!) { r: node(id: $id) { ...N } } ",
    network_alert_fields!()
);
const SERVER_ALERT_BY_ID: &str = concat!("query($id: ID!) { r: node(id: $id) { ...N } } ", server_alert_fields!());
const DELETE_ALERT: &str = "mutation($id: ID!) { r: deleteAlert(id: $id) }";

// ---- parameters ----

/// What a list endpoint (its query string: paging when `paged`, and sorting; a filter
/// belongs to the search endpoint) or its search endpoint (a JSON body) asks for —
/// the two share their variables.
struct Asked<F> {
    filters: F,
    page: Option<i64>,
    page_size: Option<i64>,
    sort: SortBody,
}

/// The body of a search endpoint.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Search<F> {
    filters: Option<F>,
    page: Option<i64>,
    page_size: Option<i64>,
    sort: Option<SortBody>,
}

fn asked<F: DeserializeOwned + Default>(
    p: &Params,
    c: &Context,
    endpoint: &str,
    paged: bool,
    filters: &[&str],
) -> Result<Asked<F>, Refusal> {
    let endpoint = format!("{}{endpoint}", c.mount);
    // List routes read no body; search routes always have one (`{}` when empty).
    if !p.body.is_null() {
        let s: Search<F> = read("search", &p.body)?;
        if !paged && (s.page.is_some() || s.page_size.is_some()) {
            return Err(Refusal::bad(format!(
                "{endpoint} is not paginated: drop page and page_size"
            )));
        }
        return Ok(Asked {
            filters: s.filters.unwrap_or_default(),
            page: s.page,
            page_size: s.page_size,
            sort: s.sort.unwrap_or_default(),
        });
    }
    let mut a = Asked {
        filters: F::default(),
        page: None,
        page_size: None,
        sort: SortBody::default(),
    };
    for (k, v) in &p.query {
        let int = |v: &str| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| Refusal::bad(format!("{k} must be an integer, not {v:?}")))
        };
        match k.as_str() {
            "page" if paged => a.page = Some(int(v)?),
            "page_size" if paged => a.page_size = Some(int(v)?),
            "sort" => a.sort.field = Some(v.clone()),
            "order" => a.sort.order = Some(v.clone()),
            k if filters.contains(&k) => {
                return Err(Refusal::bad(format!(
                    "filtering is not supported on GET {endpoint}: use POST {endpoint}/search with a JSON body"
                )))
            }
            k => return Err(Refusal::bad(format!("unknown query parameter {k:?}"))),
        }
    }
    Ok(a)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SortBody {
    field: Option<String>,
    order: Option<String>,
}

/// The GraphQL sort field an alias of the dialect stands for; unknown ones fall back.
fn sort_field(aliases: &[(&[&str], &'static str)], given: Option<&str>, default: &'static str) -> &'static str {
    let given = given.unwrap_or_default().trim().to_ascii_lowercase();
    aliases
        .iter()
        .find(|(names, _)| names.contains(&given.as_str()))
        .map_or(default, |(_, f)| f)
}

fn sort_order(given: Option<&str>, default: &'static str) -> &'static str {
    match given.unwrap_or_default().trim().to_ascii_lowercase().as_str() {
        "asc" => "ASC",
        "desc" => "DESC",
        _ => default,
    }
}

/// The `orderBy` of a sort: the fields an alias stands for (`SRC_IP,SRC_MAC`), then the
/// ID the same way (Intrudect's order of rows with equal keys); `order` defaults to
/// `default_order`.
fn order(
    aliases: &[(&[&str], &'static str)],
    sort: &SortBody,
    default: &'static str,
    default_order: &'static str,
) -> Value {
    let fields = sort_field(aliases, sort.field.as_deref(), default);
    let direction = sort_order(sort.order.as_deref(), default_order);
    let by = |field: &str| json!({"field": field, "direction": direction});
    let mut list: Vec<Value> = fields.split(',').map(by).collect();
    if fields != "ID" {
        list.push(by("ID"));
    }
    Value::Array(list)
}

/// At most this many values in one list of a search.
const MAX_VALUES: usize = 100;

/// The values of a search's list `name`; an empty list is none.
fn listed<T>(name: &str, list: Option<Vec<T>>) -> Result<Option<Vec<T>>, Refusal> {
    match list {
        Some(v) if v.len() > MAX_VALUES => Err(Refusal::bad(format!("{name}: at most {MAX_VALUES} values"))),
        Some(v) if v.is_empty() => Ok(None),
        v => Ok(v),
    }
}

/// A list of `LIKE` patterns (`%`, `_`) on `field`: any of them.
fn any_like(name: &str, field: &str, list: Option<Vec<String>>) -> Result<Option<Value>, Refusal> {
    Ok(listed(name, list)?.map(|l| {
        let any: Vec<Value> = l.iter().map(|p| json!({ field: {"like": p.trim()} })).collect();
        json!({ "or": any })
    }))
}

/// A list of texts on `field`: any of them in it, as written.
fn any_containing(name: &str, field: &str, list: Option<Vec<String>>) -> Result<Option<Value>, Refusal> {
    Ok(listed(name, list)?.map(|l| {
        let any: Vec<Value> = l.iter().map(|v| json!({ field: {"like": containing(v)} })).collect();
        json!({ "or": any })
    }))
}

/// Exactly one of the values of a list, on `field`.
fn one_of<T: serde::Serialize>(name: &str, field: &str, list: Option<Vec<T>>) -> Result<Option<Value>, Refusal> {
    Ok(listed(name, list)?.map(|l| json!({ field: {"in": l} })))
}

/// A list of address patterns on `field`: whole addresses, or IPv4 `LIKE` patterns
/// (`10.0.0.%`), each the ranges of addresses whose dotted text it matches.
fn any_address(name: &str, field: &str, list: Option<Vec<String>>) -> Result<Option<Value>, Refusal> {
    let Some(list) = listed(name, list)? else {
        return Ok(None);
    };
    let mut any = Vec::new();
    for p in &list {
        any.extend(address(name, field, p)?);
    }
    Ok(Some(json!({ "or": any })))
}

/// The conditions on `field` that one address pattern stands for, any of them.
fn address(name: &str, field: &str, pattern: &str) -> Result<Vec<Value>, Refusal> {
    let ranges = patterns::address_ranges(pattern).map_err(|why| Refusal::bad(format!("{name}: {why}")))?;
    if ranges.is_empty() {
        // A pattern no address matches matches nothing.
        return Ok(vec![json!({ field: {"in": []} })]);
    }
    Ok(ranges
        .into_iter()
        .map(|(lo, hi)| {
            if lo == hi {
                json!({ field: {"eq": lo} })
            } else {
                json!({ field: {"range": {"from": lo, "to": hi}} })
            }
        })
        .collect())
}

/// Every one of the conditions given (none: every row).
fn every<const N: usize>(parts: [Option<Value>; N]) -> Value {
    json!({ "and": parts.into_iter().flatten().collect::<Vec<_>>() })
}

/// The most rows a search that is not paginated answers with: more is refused (an
/// answer cut short would read as complete).
const MAX_ROWS: usize = 10_000;

/// The rows of every page of a walked listing, in order.
fn walked(a: &Answer) -> Result<impl Iterator<Item = &Value>, Refusal> {
    let pages = || std::iter::once(&a.data).chain(&a.pages);
    let rows: usize = pages().map(|d| d["r"]["nodes"].as_array().map_or(0, Vec::len)).sum();
    if rows > MAX_ROWS {
        return Err(Refusal::bad(format!(
            "more than {MAX_ROWS} rows match: narrow the search"
        )));
    }
    Ok(pages().flat_map(|d| d["r"]["nodes"].as_array().into_iter().flatten()))
}

/// A path `{id}`: an integer, as Pivot's global ID of `kind`.
fn path_id(p: &Params, kind: Kind) -> Result<Value, Refusal> {
    let raw = p.path("id");
    let n = raw
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| Refusal::bad(format!("id must be a positive integer, not {raw:?}")))?;
    Ok(json!(ids::encode(kind, n).0))
}

/// The integer of a Pivot global ID.
fn int_id(id: &Value) -> Value {
    id.as_str()
        .and_then(|s| ids::decode_any("id", s).ok())
        .map_or(Value::Null, |(_, n)| json!(n))
}

/// A text field, `""` when absent.
fn text(v: &Value) -> Value {
    match v {
        Value::Null => json!(""),
        v => v.clone(),
    }
}

fn exists(prior: &Value, _: &Params, _: &Context) -> Result<(), Refusal> {
    if prior["r"].is_null() {
        return Err(Refusal::new(StatusCode::NOT_FOUND, "not found"));
    }
    Ok(())
}

fn of_kind(prior: &Value, kind: &str) -> Result<(), Refusal> {
    if prior["r"]["kind"] != kind {
        return Err(Refusal::new(StatusCode::NOT_FOUND, format!("{kind} alert not found")));
    }
    Ok(())
}

/// A numbered page ([`Paging::Numbered`]) of rows, under `key`.
fn paged(a: &Answer, key: &str, row: impl Fn(&Value) -> Value) -> Reply {
    let rows: Vec<Value> = a.data["r"]["nodes"]
        .as_array()
        .map(|n| n.iter().map(row).collect())
        .unwrap_or_default();
    let n = a.numbered.expect("a numbered route");
    Reply::ok(json!({
        key: rows,
        "page": n.page,
        "page_size": n.size,
        "total_rows": n.total_rows,
        "total_pages": n.total_pages,
    }))
}

// ---- about ----

const ABOUT: &str = "query { r: systemInfo { version runtimeMemoryBytes database { sizeBytes tables { name rowCount \
    rowCountIsEstimate sizeBytes firstRecordAt lastRecordAt } } schemaHealth { isHealthy tables { name missingIndexes \
    extraIndexes wrongIndexColumns isHealthy } } } }";

fn no_params(p: &Params, _: &Context) -> Result<Value, Refusal> {
    match p.query.first() {
        Some((k, _)) => Err(Refusal::bad(format!("unknown query parameter {k:?}"))),
        None => Ok(json!({})),
    }
}

fn about(a: Answer, _: &Params, c: &Context) -> Result<Reply, Refusal> {
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

// ---- devices ----

const DEVICE_FILTERS: &[&str] = &["ip", "mac", "vendor", "hostname", "friendly_name"];
const DEVICE_SORTS: &[(&[&str], &str)] = &[
    (&["last_ip", "lastip", "ip", "ipcount", "ip_count", "ip_history"], "IP"),
    (&["hostname"], "HOSTNAME"),
    (&["friendly_name", "name"], "FRIENDLY_NAME"),
    (&["mac"], "MAC"),
    (&["vendor"], "VENDOR"),
    (&["gateway", "is_gateway"], "IS_GATEWAY"),
    (&["first_seen", "first"], "FIRST_SEEN"),
    (&["last_seen", "last"], "LAST_SEEN"),
];

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DeviceFilters {
    mac: Option<Vec<String>>,
    ip: Option<Vec<String>>,
    vendor: Option<Vec<String>>,
    hostname: Option<Vec<String>>,
    friendly_name: Option<Vec<String>>,
}

fn device_vars(p: &Params, c: &Context) -> Result<Value, Refusal> {
    let Asked {
        filters: f,
        page,
        page_size,
        sort,
    } = asked::<DeviceFilters>(p, c, "/devices", true, DEVICE_FILTERS)?;
    let filter = every([
        any_like("macs", "mac", f.mac)?,
        any_address("ips", "ip", f.ip)?,
        any_like("vendors", "vendor", f.vendor)?,
        any_like("hostnames", "hostname", f.hostname)?,
        any_like("friendlyNames", "friendlyName", f.friendly_name)?,
    ]);
    Ok(json!({
        "filter": filter,
        "order": order(DEVICE_SORTS, &sort, "IP", "ASC"),
        "page": page,
        "pageSize": page_size,
    }))
}

fn device(d: &Value, tz: chrono_tz::Tz) -> Value {
    json!({
        "id": int_id(&d["id"]),
        "mac": d["mac"],
        "last_ip": text(&d["lastIp"]),
        "hostname": text(&d["hostname"]),
        "friendly_name": text(&d["friendlyName"]),
        "vendor": text(&d["vendor"]),
        "network": text(&d["network"]["name"]),
        "is_gateway": d["isGateway"],
        "first_seen": time::render(tz, d["firstSeen"].as_str()),
        "last_seen": time::render(tz, d["lastSeen"].as_str()),
    })
}

fn devices(a: Answer, _: &Params, c: &Context) -> Result<Reply, Refusal> {
    Ok(paged(&a, "devices", |d| device(d, c.timezone)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceUpdate {
    hostname: Option<String>,
    friendly_name: Option<String>,
}

fn update_device(p: &Params, _: &Context) -> Result<Value, Refusal> {
    let u: DeviceUpdate = read("device", &p.body)?;
    if u.hostname.is_none() && u.friendly_name.is_none() {
        return Err(Refusal::bad("give hostname or friendly_name"));
    }
    // An empty name clears it; the domain refuses to leave a device with neither.
    let name = |v: String| {
        if v.trim().is_empty() {
            Value::Null
        } else {
            Value::String(v)
        }
    };
    let mut input = Map::new();
    if let Some(h) = u.hostname {
        input.insert("hostname".into(), name(h));
    }
    if let Some(f) = u.friendly_name {
        input.insert("friendlyName".into(), name(f));
    }
    Ok(json!({"id": path_id(p, Kind::Device)?, "input": input}))
}

fn updated_device(a: Answer, _: &Params, c: &Context) -> Result<Reply, Refusal> {
    Ok(Reply::ok(json!({"device": device(&a.data["r"], c.timezone)})))
}

// ---- networks ----

const NETWORK_FILTERS: &[&str] = &["name", "cidr", "gateway_ip", "gateway_mac", "alert"];
const NETWORK_SORTS: &[(&[&str], &str)] = &[
    (&["id"], "ID"),
    (&["name"], "NAME"),
    (&["cidr"], "CIDR"),
    (&["gateway_ip"], "GATEWAY_IP"),
    (&["gateway_mac"], "GATEWAY_MAC"),
    (&["alert"], "ALERT_LEVEL"),
];

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct NetworkFilters {
    name: Option<Vec<String>>,
    cidr: Option<Vec<String>>,
    gateway_ip: Option<Vec<String>>,
    gateway_mac: Option<Vec<String>>,
    alert: Option<Vec<i32>>,
}

fn network_vars(p: &Params, c: &Context) -> Result<Value, Refusal> {
    let Asked { filters: f, sort, .. } = asked::<NetworkFilters>(p, c, "/networks", false, NETWORK_FILTERS)?;
    let filter = every([
        any_like("names", "name", f.name)?,
        any_like("cidrs", "cidr", f.cidr)?,
        any_address("gatewayIps", "gatewayIp", f.gateway_ip)?,
        any_like("gatewayMacs", "gatewayMac", f.gateway_mac)?,
        one_of("alertLevels", "alertLevel", f.alert)?,
    ]);
    Ok(json!({"filter": filter, "order": order(NETWORK_SORTS, &sort, "NAME", "ASC")}))
}

fn network(n: &Value) -> Value {
    json!({
        "id": int_id(&n["id"]),
        "name": n["name"],
        "cidr": n["cidr"],
        "gateway_ip": text(&n["gatewayIp"]),
        "gateway_mac": text(&n["gatewayMac"]),
        "alert": n["alertLevel"],
    })
}

fn networks(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let rows: Vec<Value> = walked(&a)?.map(network).collect();
    Ok(Reply::ok(json!({ "networks": rows })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NetworkBody {
    name: Option<String>,
    cidr: Option<String>,
    gateway_ip: Option<String>,
    gateway_mac: Option<String>,
    alert: Option<i32>,
}

impl NetworkBody {
    /// As a GraphQL input; empty gateway values clear them.
    fn input(self) -> Map<String, Value> {
        let mut m = Map::new();
        let optional = |v: Option<String>| {
            v.map(|s| {
                if s.trim().is_empty() {
                    Value::Null
                } else {
                    Value::String(s)
                }
            })
        };
        if let Some(n) = self.name {
            m.insert("name".into(), json!(n));
        }
        if let Some(c) = self.cidr {
            m.insert("cidr".into(), json!(c.trim()));
        }
        if let Some(g) = optional(self.gateway_ip) {
            m.insert("gatewayIp".into(), g);
        }
        if let Some(g) = optional(self.gateway_mac) {
            m.insert("gatewayMac".into(), g);
        }
        if let Some(a) = self.alert {
            m.insert("alertLevel".into(), json!(a));
        }
        m
    }
}

fn create_network(p: &Params, _: &Context) -> Result<Value, Refusal> {
    let b: NetworkBody = read("network", &p.body)?;
    if b.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
        return Err(Refusal::bad("name is required"));
    }
    if b.cidr.as_deref().is_none_or(|c| c.trim().is_empty()) {
        return Err(Refusal::bad("cidr is required"));
    }
    Ok(json!({ "input": b.input() }))
}

fn update_network(p: &Params, _: &Context) -> Result<Value, Refusal> {
    let b: NetworkBody = read("network", &p.body)?;
    let input = b.input();
    if input.is_empty() {
        return Err(Refusal::bad(
            "give at least one of name, cidr, gateway_ip, gateway_mac, alert",
        ));
    }
    Ok(json!({"id": path_id(p, Kind::Network)?, "input": input}))
}

fn network_id(p: &Params, _: &Context) -> Result<Value, Refusal> {
    Ok(json!({ "id": path_id(p, Kind::Network)? }))
}

fn created_network(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    Ok(Reply {
        status: StatusCode::CREATED,
        ..Reply::ok(json!({"network": network(&a.data["r"])}))
    })
}

fn updated_network(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    Ok(Reply::ok(json!({"network": network(&a.data["r"])})))
}

fn deleted_network(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    Ok(Reply::ok(json!({"deleted": true, "network": network(&a.prior["r"])})))
}

// ---- alerts ----

/// Intrudect's three-level scale, declared against the graph's severities: 10 for INFO
/// and NOTICE, 20 for WARNING, 30 for ERROR and worse.
const LEVELS: [(&str, i64); 6] = [
    ("INFO", 10),
    ("NOTICE", 10),
    ("WARNING", 20),
    ("ERROR", 30),
    ("CRITICAL", 30),
    ("EMERGENCY", 30),
];

/// The severities an Intrudect level stands for (GraphQL's names).
fn severities(level: i64) -> Result<Vec<Value>, Refusal> {
    if ![10, 20, 30].contains(&level) {
        return Err(Refusal::bad(format!("level must be 10, 20 or 30, not {level}")));
    }
    Ok(LEVELS
        .iter()
        .filter(|(_, l)| *l == level)
        .map(|(s, _)| json!(s))
        .collect())
}

/// The Intrudect level of a GraphQL severity.
fn level(severity: &Value) -> Value {
    let found = LEVELS.iter().find(|(s, _)| severity.as_str() == Some(s));
    json!(found.map_or(30, |(_, l)| *l))
}

/// The severities the levels given stand for, as a condition.
fn levels(given: &Option<Vec<i64>>) -> Result<Option<Value>, Refusal> {
    let Some(levels) = given.as_ref().filter(|l| !l.is_empty()) else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for l in levels {
        out.extend(severities(*l)?);
    }
    Ok(Some(json!({"severity": {"in": out}})))
}

/// A `from`/`to` filter (local time, written as precisely as `precisions` allow) as an
/// instant: `to` is an upper bound, anything else a lower one. Blank is none.
fn local_bound(
    c: &Context,
    field: &str,
    text: Option<&str>,
    precisions: &[Precision],
) -> Result<Option<String>, Refusal> {
    let bound = if field == "to" { Bound::Upper } else { Bound::Lower };
    text.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| time::parse(c.timezone, field, s, precisions, bound).map(|(t, _)| t))
        .transpose()
        .map_err(Refusal::bad)
}

/// A `from`/`to` filter of an alert search (`YYYY-MM-DD HH:MM`).
fn alert_time(c: &Context, field: &str, v: &Option<String>) -> Result<Option<String>, Refusal> {
    local_bound(c, field, v.as_deref(), &[Precision::Minute])
}

const NETWORK_ALERT_FILTERS: &[&str] = &[
    "from",
    "to",
    "agent",
    "agent_id",
    "level",
    "type",
    "type_mode",
    "source",
    "destination",
    "destination_port",
    "dst_port",
    "search",
    "unique",
];
const NETWORK_ALERT_SORTS: &[(&[&str], &str)] = &[
    (&["id"], "ID"),
    (&["timestamp", "first"], "OCCURRED_AT"),
    (&["agent"], "SENSOR"),
    (&["source"], "SRC_IP,SRC_MAC"),
    (&["destination"], "DST_IP,DST_MAC"),
    (&["src_ip"], "SRC_IP"),
    (&["dst_ip"], "DST_IP"),
    (&["dst_port"], "DST_PORT"),
    (&["type"], "TYPE"),
    (&["level"], "SEVERITY"),
    (&["subject"], "TITLE"),
    (&["message"], "MESSAGE"),
];

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct NetworkAlertFilters {
    from: Option<String>,
    to: Option<String>,
    #[serde(alias = "agent_id")]
    agent: Option<Vec<String>>,
    level: Option<Vec<i64>>,
    #[serde(rename = "type")]
    alert_type: Option<Vec<String>>,
    type_mode: Option<i64>,
    source: Option<Vec<String>>,
    destination: Option<Vec<String>>,
    #[serde(alias = "dst_port")]
    destination_port: Option<Vec<i32>>,
    search: Option<Vec<String>>,
    unique: Option<String>,
}

fn network_alert_vars(p: &Params, c: &Context) -> Result<Value, Refusal> {
    let Asked {
        filters: f,
        page,
        page_size: size,
        sort,
    } = asked::<NetworkAlertFilters>(p, c, "/networkalerts", true, NETWORK_ALERT_FILTERS)?;
    let (types, exclude) = match f.type_mode.unwrap_or(1) {
        1 => (f.alert_type, None),
        2 => (None, f.alert_type),
        m => {
            return Err(Refusal::bad(format!(
                "type_mode must be 1 (only these types) or 2 (all but these), not {m}"
            )))
        }
    };
    let unique = match f.unique.as_deref().map(|u| u.trim().to_ascii_lowercase()) {
        None => None,
        Some(u) if u.is_empty() => None,
        // Only the newest alert of each group.
        Some(u) => Some(match u.as_str() {
            "source" => json!(["SRC_IP", "SRC_MAC"]),
            "destination" => json!(["DST_IP", "DST_MAC"]),
            "destinationport" => json!(["DST_IP", "DST_PORT"]),
            "pair" => json!(["SRC_IP", "DST_IP"]),
            _ => {
                return Err(Refusal::bad(format!(
                    "unique must be source, destination, destinationport or pair, not {u:?}"
                )))
            }
        }),
    };
    let filter = every([
        Some(json!({"kind": {"eq": "network"}})),
        when(c, &f.from, &f.to)?,
        one_of("sensors", "sensor", trimmed(f.agent))?,
        levels(&f.level)?,
        one_of("types", "type", trimmed(types))?,
        listed("excludeTypes", trimmed(exclude))?.map(|t| json!({"type": {"notIn": t}})),
        any_endpoint("source", "src", f.source)?,
        any_endpoint("destination", "dst", f.destination)?,
        one_of("dstPorts", "dstPort", f.destination_port)?,
        any_term(f.search)?,
    ]);
    Ok(json!({
        "filter": filter,
        "order": order(NETWORK_ALERT_SORTS, &sort, "OCCURRED_AT", "DESC"),
        "unique": unique,
        "page": page,
        "pageSize": size,
    }))
}

/// Values with their spaces trimmed.
fn trimmed(list: Option<Vec<String>>) -> Option<Vec<String>> {
    list.map(|l| l.into_iter().map(|v| v.trim().to_string()).collect())
}

/// The `from`/`to` of an alert search (inclusive, local `YYYY-MM-DD HH:MM`) as a
/// condition on the time an alert occurred.
fn when(c: &Context, from: &Option<String>, to: &Option<String>) -> Result<Option<Value>, Refusal> {
    let (from, to) = (alert_time(c, "from", from)?, alert_time(c, "to", to)?);
    if let (Some(f), Some(t)) = (&from, &to) {
        let instant = |s: &str| chrono::DateTime::parse_from_rfc3339(s).ok();
        if instant(f) > instant(t) {
            return Err(Refusal::bad("from: must not be after to"));
        }
    }
    let mut range = Map::new();
    if let Some(f) = from {
        range.insert("gte".into(), json!(f));
    }
    if let Some(t) = to {
        range.insert("lte".into(), json!(t));
    }
    Ok((!range.is_empty()).then(|| json!({ "occurredAt": range })))
}

/// `LIKE` escaped: `text` matched as it is, anywhere in the value.
fn containing(text: &str) -> String {
    format!("%{}%", crate::domain::text::escape_like(text.trim()))
}

/// A list of values of one end of an alert (`side` is `src` or `dst`): address
/// patterns match its address; anything else its MAC, or the hostname or friendly
/// name of the device there (`LIKE` patterns).
fn any_endpoint(name: &str, side: &str, list: Option<Vec<String>>) -> Result<Option<Value>, Refusal> {
    let Some(list) = listed(name, list)? else {
        return Ok(None);
    };
    let (ip, mac, device) = (format!("{side}Ip"), format!("{side}Mac"), format!("{side}Device"));
    let mut any = Vec::new();
    for v in list.iter().map(|v| v.trim()) {
        if v.is_empty() {
            return Err(Refusal::bad(format!("{name}: values must not be empty")));
        }
        if patterns::is_address_pattern(v) {
            any.extend(address(name, &ip, v)?);
        } else {
            any.push(json!({ mac.as_str(): {"like": v} }));
            any.push(json!({ device.as_str(): {"or": [{"hostname": {"like": v}}, {"friendlyName": {"like": v}}]} }));
        }
    }
    Ok(Some(json!({ "or": any })))
}

/// A network alert search's terms: any of them in the title or the message, or the
/// destination address (`10.0.0.5`) or address and port (`10.0.0.5:443`).
fn any_term(list: Option<Vec<String>>) -> Result<Option<Value>, Refusal> {
    let Some(list) = listed("search", list)? else {
        return Ok(None);
    };
    let mut any = Vec::new();
    for v in list.iter().map(|v| v.trim()) {
        any.push(json!({"title": {"like": containing(v)}}));
        any.push(json!({"message": {"like": containing(v)}}));
        if let Ok(ip) = v.parse::<std::net::IpAddr>() {
            any.push(json!({"dstIp": {"eq": ip.to_string()}}));
        } else if let Ok(sock) = v.parse::<std::net::SocketAddr>() {
            any.push(json!({"dstIp": {"eq": sock.ip().to_string()}, "dstPort": {"eq": sock.port()}}));
        }
    }
    Ok(Some(json!({ "or": any })))
}

/// Whether an address is public: not private, loopback, link-local, unique-local,
/// documentation, CGNAT or unspecified.
fn is_public(ip: &Value) -> Value {
    use std::net::IpAddr;
    let Some(ip) = ip.as_str().and_then(|s| s.parse::<IpAddr>().ok()) else {
        return json!(false);
    };
    let public = match ip {
        IpAddr::V4(v) => {
            let [a, b, ..] = v.octets();
            !(v.is_private()
                || v.is_loopback()
                || v.is_link_local()
                || v.is_unspecified()
                || v.is_broadcast()
                || v.is_documentation()
                || v.is_multicast()
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v) => {
            let first = v.segments()[0];
            !(v.is_loopback()
                || v.is_unspecified()
                || v.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v.segments()[1] == 0x0db8)
        }
    };
    json!(public)
}

fn network_alert(a: &Value, tz: chrono_tz::Tz) -> Value {
    json!({
        "id": int_id(&a["id"]),
        "timestamp": time::render(tz, a["occurredAt"].as_str()),
        "agent": text(&a["sensor"]),
        "agent_name": text(&a["sensor"]),
        "src_mac": text(&a["srcMac"]),
        "dst_mac": text(&a["dstMac"]),
        "src_ip": text(&a["srcIp"]),
        "dst_ip": text(&a["dstIp"]),
        "src_port": a["srcPort"],
        "dst_port": a["dstPort"],
        "src_hostname": text(&a["srcDevice"]["hostname"]),
        "dst_hostname": text(&a["dstDevice"]["hostname"]),
        "level": level(&a["severity"]),
        "type": a["type"],
        "subject": a["title"],
        "message": text(&a["message"]),
        "pcap_id": int_id(&a["pcap"]["id"]),
        "src_device_name": text(&a["srcDevice"]["friendlyName"]),
        "dst_device_name": text(&a["dstDevice"]["friendlyName"]),
        "src_network_name": text(&a["srcNetwork"]["name"]),
        "dst_network_name": text(&a["dstNetwork"]["name"]),
        "is_src_public_ip": is_public(&a["srcIp"]),
        "is_dst_public_ip": is_public(&a["dstIp"]),
    })
}

fn network_alerts(a: Answer, _: &Params, c: &Context) -> Result<Reply, Refusal> {
    Ok(paged(&a, "network_alerts", |x| network_alert(x, c.timezone)))
}

fn alert_id(p: &Params, _: &Context) -> Result<Value, Refusal> {
    Ok(json!({ "id": path_id(p, Kind::Alert)? }))
}

fn deleted_network_alert(a: Answer, _: &Params, c: &Context) -> Result<Reply, Refusal> {
    Ok(Reply::ok(
        json!({"deleted": true, "network_alert": network_alert(&a.prior["r"], c.timezone)}),
    ))
}

const SERVER_ALERT_FILTERS: &[&str] = &[
    "from", "to", "agent", "agent_id", "hostname", "level", "type", "title", "message", "search", "line",
];
const SERVER_ALERT_SORTS: &[(&[&str], &str)] = &[
    (&["id"], "ID"),
    (&["timestamp"], "OCCURRED_AT"),
    (&["source", "hostname"], "HOSTNAME"),
    (&["agent"], "SENSOR"),
    (&["type"], "TYPE"),
    (&["title", "subject", "message"], "TITLE"),
    (&["level"], "SEVERITY"),
    (&["log", "line"], "MESSAGE"),
];

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ServerAlertFilters {
    from: Option<String>,
    to: Option<String>,
    #[serde(alias = "agent_id")]
    agent: Option<Vec<String>>,
    hostname: Option<Vec<String>>,
    level: Option<Vec<i64>>,
    #[serde(rename = "type")]
    alert_type: Option<Vec<String>>,
    #[serde(alias = "message")]
    title: Option<Vec<String>>,
    #[serde(alias = "line")]
    search: Option<Vec<String>>,
}

fn server_alert_vars(p: &Params, c: &Context) -> Result<Value, Refusal> {
    let Asked {
        filters: f,
        page,
        page_size: size,
        sort,
    } = asked::<ServerAlertFilters>(p, c, "/serveralerts", true, SERVER_ALERT_FILTERS)?;
    let filter = every([
        Some(json!({"kind": {"eq": "server"}})),
        when(c, &f.from, &f.to)?,
        one_of("sensors", "sensor", trimmed(f.agent))?,
        any_like("hostnames", "hostname", f.hostname)?,
        levels(&f.level)?,
        one_of("types", "type", trimmed(f.alert_type))?,
        any_like("titles", "title", f.title)?,
        any_containing("messageContains", "message", f.search)?,
    ]);
    Ok(json!({
        "filter": filter,
        "order": order(SERVER_ALERT_SORTS, &sort, "OCCURRED_AT", "DESC"),
        "page": page,
        "pageSize": size,
    }))
}

fn server_alert(a: &Value, tz: chrono_tz::Tz) -> Value {
    json!({
        "id": int_id(&a["id"]),
        "timestamp": time::render(tz, a["occurredAt"].as_str()),
        "agent": text(&a["sensor"]),
        "agent_name": text(&a["sensor"]),
        "hostname": text(&a["hostname"]),
        "level": level(&a["severity"]),
        "type": a["type"],
        "title": a["title"],
        "line": text(&a["message"]),
    })
}

fn server_alerts(a: Answer, _: &Params, c: &Context) -> Result<Reply, Refusal> {
    Ok(paged(&a, "server_alerts", |x| server_alert(x, c.timezone)))
}

fn deleted_server_alert(a: Answer, _: &Params, c: &Context) -> Result<Reply, Refusal> {
    Ok(Reply::ok(
        json!({"deleted": true, "server_alert": server_alert(&a.prior["r"], c.timezone)}),
    ))
}

// ---- data management ----

const DATA_EXPORT: &str = "query($tables: [ExportTable!]!, $timezone: String) { \
    r: export(tables: $tables, timezone: $timezone) { url } }";
/// One deletion, of the rows of one kind (none for the datasets Pivot records nothing in).
const DATA_DELETE: &str = "mutation($alerts: Boolean!, $flows: Boolean!, $dns: Boolean!, \
    $alertFilter: AlertFilter = {}, $flowFilter: FlowFilter = {}, $dnsFilter: DnsRecordFilter = {}) { \
    a: deleteAlerts(filter: $alertFilter) @include(if: $alerts) { deletedRows } \
    f: deleteFlows(filter: $flowFilter) @include(if: $flows) { deletedRows } \
    d: deleteDnsRecords(filter: $dnsFilter) @include(if: $dns) { deletedRows } }";

/// Each dataset's filters: (key, its aliases and web form names, what it means in Pivot).
#[derive(Clone, Copy, PartialEq)]
enum Meaning {
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
enum Rows {
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
struct Dataset {
    key: &'static str,
    label: &'static str,
    entry: &'static str,
    columns: &'static [(&'static str, &'static str)],
    rows: Rows,
    form_prefix: &'static str,
    filters: &'static [(&'static [&'static str], Meaning)],
}

const NO_CLIENT: Meaning = Meaning::Unsupported("Pivot's passive DNS records no client or resolver address");
const NO_GEO: Meaning = Meaning::Unsupported("Pivot keeps no GeoIP data for flows");

const DATASETS: [Dataset; 6] = {
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
fn dataset(key: &str) -> Result<&'static Dataset, Refusal> {
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
fn strings(field: &str, v: &Value) -> Result<Vec<String>, Refusal> {
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

fn ints(field: &str, values: &[String]) -> Result<Vec<i64>, Refusal> {
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
fn data_time(c: &Context, field: &str, v: &Value) -> Result<Option<String>, Refusal> {
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
fn data_filter(c: &Context, filters: &Value, sets: &[&str]) -> Result<Vec<Value>, Refusal> {
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

fn export_vars(p: &Params, c: &Context) -> Result<Value, Refusal> {
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

fn exported(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    Ok(Reply::download(a.data["r"]["url"].as_str().unwrap_or_default()))
}

fn delete_vars(p: &Params, c: &Context) -> Result<Value, Refusal> {
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

fn deleted_data(a: Answer, p: &Params, _: &Context) -> Result<Reply, Refusal> {
    let set = dataset(p.body["table"].as_str().unwrap_or_default())?;
    let r = &a.data;
    let deleted = [&r["a"], &r["f"], &r["d"]]
        .iter()
        .find_map(|d| d["deletedRows"].as_i64())
        .unwrap_or(0);
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

// ---- services ----

macro_rules! service_fields {
    () => {
        "fragment S on Service { id ip port protocol name authorized firstSeen lastSeen }"
    };
}

const SERVICE_SEARCH: &str = concat!(
    "query($filter: ServiceFilter, $order: [ServiceOrder!], $after: String) { ",
    "r: services(filter: $filter, orderBy: $order, first: 1000, after: $after) ",
    "{ pageInfo { hasNextPage endCursor } nodes { ...S } } } ",
    service_fields!()
);
const CREATE_SERVICE: &str = concat!(
    "mutation($input: CreateServiceInput!) { r: createService(input: $input) { ...S } } ",
    service_fields!()
);
const UPDATE_SERVICE: &str = concat!(
    "mutation($id: ID!, $input: ServiceInput!) { r: updateService(id: $id, input: $input) { ...S } } ",
    service_fields!()
);
const SERVICE_BY_ID: &str = concat!("query($id: ID!) { r: node(id: $id) { ...S } } ", service_fields!());
const DELETE_SERVICE: &str = "mutation($id: ID!) { r: deleteService(id: $id) }";
const AUTHORIZE_SERVICE: &str = concat!(
    "mutation($ip: IpAddr!, $port: Int!, $protocol: Protocol!) { ",
    "r: authorizeService(ip: $ip, port: $port, protocol: $protocol) { ...S } } ",
    service_fields!()
);

const SERVICE_FILTERS: &[&str] = &["service_ip", "ip", "proto", "service_port", "port", "authorized"];
const SERVICE_SORTS: &[(&[&str], &str)] = &[
    (&["id"], "ID"),
    (&["service_ip", "ip"], "IP"),
    (&["proto", "protocol"], "PROTOCOL"),
    (&["service_port", "port"], "PORT"),
    (&["first_seen", "first"], "FIRST_SEEN"),
    (&["last_seen", "last"], "LAST_SEEN"),
];

/// `tcp` or `udp`, as GraphQL's `Protocol`.
fn protocol(field: &str, p: &str) -> Result<&'static str, Refusal> {
    match p.trim().to_ascii_lowercase().as_str() {
        "tcp" => Ok("TCP"),
        "udp" => Ok("UDP"),
        _ => Err(Refusal::bad(format!("{field} must be tcp or udp, not {p:?}"))),
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ServiceFilters {
    #[serde(alias = "ip")]
    service_ip: Option<Vec<String>>,
    proto: Option<Vec<String>>,
    #[serde(alias = "port")]
    service_port: Option<Vec<i32>>,
    authorized: Option<Vec<bool>>,
}

fn service_vars(p: &Params, c: &Context) -> Result<Value, Refusal> {
    let Asked { filters: f, sort, .. } = asked::<ServiceFilters>(p, c, "/services", false, SERVICE_FILTERS)?;
    let protocols = f
        .proto
        .map(|list| list.iter().map(|p| protocol("proto", p)).collect::<Result<Vec<_>, _>>())
        .transpose()?;
    if let Some(p) = f.service_port.iter().flatten().find(|p| !(0..=65_535).contains(*p)) {
        return Err(Refusal::bad(format!("ports: {p} is not a port number (0-65535)")));
    }
    let filter = every([
        any_address("ips", "ip", f.service_ip)?,
        one_of("protocols", "protocol", protocols)?,
        one_of("ports", "port", f.service_port)?,
        listed("authorized", f.authorized)?.map(|l| {
            let any: Vec<Value> = l.iter().map(|a| json!({"authorized": {"eq": a}})).collect();
            json!({ "or": any })
        }),
    ]);
    Ok(json!({"filter": filter, "order": order(SERVICE_SORTS, &sort, "IP", "ASC")}))
}

fn service(s: &Value, tz: chrono_tz::Tz) -> Value {
    json!({
        "id": int_id(&s["id"]),
        "service_ip": text(&s["ip"]),
        "service_port": s["port"],
        "proto": s["protocol"].as_str().unwrap_or_default().to_ascii_lowercase(),
        "name": text(&s["name"]),
        "authorized": s["authorized"],
        "first_seen": time::render(tz, s["firstSeen"].as_str()),
        "last_seen": time::render(tz, s["lastSeen"].as_str()),
    })
}

/// Service rows grouped by address, in the order of each address's first row.
fn services(a: Answer, _: &Params, c: &Context) -> Result<Reply, Refusal> {
    let mut groups: Vec<(String, Vec<Value>)> = Vec::new();
    for row in walked(&a)?.map(|r| service(r, c.timezone)) {
        let ip = s_of(&row["service_ip"]);
        match groups.iter_mut().find(|(g, _)| *g == ip) {
            Some((_, rows)) => rows.push(row),
            None => groups.push((ip, vec![row])),
        }
    }
    let out: Vec<Value> = groups
        .into_iter()
        .map(|(ip, rows)| {
            let port = |r: &Value| {
                json!({"id": r["id"], "port": r["service_port"], "proto": r["proto"], "authorized": r["authorized"],
                       "first_seen": r["first_seen"], "last_seen": r["last_seen"]})
            };
            let of = |proto: &str| {
                rows.iter()
                    .filter(|r| r["proto"] == proto)
                    .map(port)
                    .collect::<Vec<_>>()
            };
            let times = |k: &str| rows.iter().map(|r| s_of(&r[k])).collect::<Vec<_>>();
            json!({
                "service_ip": ip,
                "name": rows.iter().map(|r| s_of(&r["name"])).find(|n| !n.is_empty()).unwrap_or_default(),
                "authorized": rows.iter().all(|r| r["authorized"] == true),
                // Local times of one format compare as text.
                "first_seen": times("first_seen").into_iter().min().unwrap_or_default(),
                "last_seen": times("last_seen").into_iter().max().unwrap_or_default(),
                "tcp_ports": of("tcp"),
                "udp_ports": of("udp"),
            })
        })
        .collect();
    Ok(Reply::ok(json!({ "services": out })))
}

fn s_of(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceBody {
    service_ip: Option<String>,
    service_port: Option<i32>,
    proto: Option<String>,
    name: Option<String>,
    first_seen: Option<String>,
    last_seen: Option<String>,
}

impl ServiceBody {
    fn input(self, c: &Context) -> Result<Map<String, Value>, Refusal> {
        let mut m = Map::new();
        let when = |field: &str, v: &str| {
            time::parse(c.timezone, field, v, &[Precision::Second], Bound::Lower)
                .map(|(t, _)| t)
                .map_err(Refusal::bad)
        };
        if let Some(ip) = self.service_ip {
            m.insert("ip".into(), json!(ip.trim()));
        }
        if let Some(p) = self.service_port {
            m.insert("port".into(), json!(p));
        }
        if let Some(p) = self.proto {
            m.insert("protocol".into(), json!(protocol("proto", &p)?));
        }
        if let Some(n) = self.name {
            m.insert("name".into(), if n.trim().is_empty() { Value::Null } else { json!(n) });
        }
        if let Some(t) = self.first_seen {
            m.insert("firstSeen".into(), json!(when("first_seen", &t)?));
        }
        if let Some(t) = self.last_seen {
            m.insert("lastSeen".into(), json!(when("last_seen", &t)?));
        }
        Ok(m)
    }
}

fn create_service(p: &Params, c: &Context) -> Result<Value, Refusal> {
    let b: ServiceBody = read("service", &p.body)?;
    for (given, name) in [
        (b.service_ip.is_some(), "service_ip"),
        (b.service_port.is_some(), "service_port"),
        (b.proto.is_some(), "proto"),
    ] {
        if !given {
            return Err(Refusal::bad(format!("{name} is required")));
        }
    }
    Ok(json!({ "input": b.input(c)? }))
}

fn update_service(p: &Params, c: &Context) -> Result<Value, Refusal> {
    let b: ServiceBody = read("service", &p.body)?;
    let input = b.input(c)?;
    if input.is_empty() {
        return Err(Refusal::bad(
            "give at least one of service_ip, service_port, proto, first_seen, last_seen",
        ));
    }
    Ok(json!({"id": path_id(p, Kind::Service)?, "input": input}))
}

fn service_id(p: &Params, _: &Context) -> Result<Value, Refusal> {
    Ok(json!({ "id": path_id(p, Kind::Service)? }))
}

fn authorize_by_id(p: &Params, _: &Context) -> Result<Value, Refusal> {
    Ok(json!({"id": path_id(p, Kind::Service)?, "input": {"authorized": true}}))
}

fn authorize_by_fields(p: &Params, _: &Context) -> Result<Value, Refusal> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        service_ip: String,
        service_port: i32,
        proto: String,
    }
    let b: Body = read("service", &p.body)?;
    Ok(json!({"ip": b.service_ip.trim(), "port": b.service_port, "protocol": protocol("proto", &b.proto)?}))
}

fn created_service(a: Answer, _: &Params, c: &Context) -> Result<Reply, Refusal> {
    Ok(Reply {
        status: StatusCode::CREATED,
        ..Reply::ok(json!({"service": service(&a.data["r"], c.timezone)}))
    })
}

fn one_service(a: Answer, _: &Params, c: &Context) -> Result<Reply, Refusal> {
    Ok(Reply::ok(json!({"service": service(&a.data["r"], c.timezone)})))
}

fn deleted_service(a: Answer, _: &Params, c: &Context) -> Result<Reply, Refusal> {
    Ok(Reply::ok(
        json!({"deleted": true, "service": service(&a.prior["r"], c.timezone)}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_aliases_and_fallbacks() {
        assert_eq!(sort_field(DEVICE_SORTS, Some("LAST_IP"), "IP"), "IP");
        assert_eq!(sort_field(DEVICE_SORTS, Some("name"), "IP"), "FRIENDLY_NAME");
        assert_eq!(sort_field(DEVICE_SORTS, Some("nonsense"), "IP"), "IP");
        assert_eq!(sort_field(SERVER_ALERT_SORTS, Some("line"), "OCCURRED_AT"), "MESSAGE");
        assert_eq!(sort_order(Some("DESC"), "ASC"), "DESC");
        assert_eq!(sort_order(Some("sideways"), "DESC"), "DESC");
    }

    #[test]
    fn sorts_end_with_the_id_the_same_way() {
        let sort = SortBody {
            field: Some("source".into()),
            order: Some("asc".into()),
        };
        let by = |f: &str| json!({"field": f, "direction": "ASC"});
        assert_eq!(
            order(NETWORK_ALERT_SORTS, &sort, "OCCURRED_AT", "DESC"),
            json!([by("SRC_IP"), by("SRC_MAC"), by("ID")])
        );
        let sort = SortBody {
            field: Some("id".into()),
            order: None,
        };
        assert_eq!(
            order(NETWORK_ALERT_SORTS, &sort, "OCCURRED_AT", "DESC"),
            json!([{"field": "ID", "direction": "DESC"}])
        );
    }

    #[test]
    fn search_terms_are_matched_as_written() {
        assert_eq!(containing(" 50%_off\\ "), "%50\\%\\_off\\\\%");
    }

    #[test]
    fn levels_are_severity_bands() {
        for (severity, lvl) in [
            ("INFO", 10),
            ("NOTICE", 10),
            ("WARNING", 20),
            ("ERROR", 30),
            ("EMERGENCY", 30),
        ] {
            assert_eq!(level(&json!(severity)), json!(lvl));
            assert!(severities(lvl).unwrap().contains(&json!(severity)));
        }
        assert!(severities(40).is_err());
    }

    #[test]
    fn public_addresses() {
        assert_eq!(is_public(&json!("8.8.8.8")), json!(true));
        assert_eq!(is_public(&json!("10.0.0.25")), json!(false));
        assert_eq!(is_public(&json!("100.64.1.1")), json!(false));
        assert_eq!(is_public(&json!("fe80::1")), json!(false));
        assert_eq!(is_public(&json!("2a00:1450::1")), json!(true));
        assert_eq!(is_public(&Value::Null), json!(false));
    }
}
