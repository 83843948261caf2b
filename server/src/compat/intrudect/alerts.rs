//! Intrudect: Network and server alerts.

use super::*;

/// Intrudect's three-level scale, declared against the graph's severities: 10 for INFO
/// and NOTICE, 20 for WARNING, 30 for ERROR and worse.
pub(super) const LEVELS: [(&str, i64); 6] = [
    ("INFO", 10),
    ("NOTICE", 10),
    ("WARNING", 20),
    ("ERROR", 30),
    ("CRITICAL", 30),
    ("EMERGENCY", 30),
];

/// The severities an Intrudect level stands for (GraphQL's names).
pub(super) fn severities(level: i64) -> Result<Vec<Value>, Refusal> {
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
pub(super) fn level(severity: &str) -> i64 {
    LEVELS.iter().find(|(s, _)| *s == severity).map_or(30, |(_, l)| *l)
}

/// The severities the levels given stand for, as a condition.
pub(super) fn levels(given: &Option<Vec<i64>>) -> Result<Option<Value>, Refusal> {
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
pub(super) fn local_bound(
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
pub(super) fn alert_time(c: &Context, field: &str, v: &Option<String>) -> Result<Option<String>, Refusal> {
    local_bound(c, field, v.as_deref(), &[Precision::Minute])
}

pub(super) const NETWORK_ALERT_FILTERS: &[&str] = &[
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
pub(super) const NETWORK_ALERT_SORTS: &[(&[&str], &str)] = &[
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
pub(super) struct NetworkAlertFilters {
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

pub(super) fn network_alert_vars(p: &Params, c: &Context) -> Result<Value, Refusal> {
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
pub(super) fn trimmed(list: Option<Vec<String>>) -> Option<Vec<String>> {
    list.map(|l| l.into_iter().map(|v| v.trim().to_string()).collect())
}

/// The `from`/`to` of an alert search (inclusive, local `YYYY-MM-DD HH:MM`) as a
/// condition on the time an alert occurred.
pub(super) fn when(c: &Context, from: &Option<String>, to: &Option<String>) -> Result<Option<Value>, Refusal> {
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
pub(super) fn containing(text: &str) -> String {
    format!("%{}%", crate::domain::text::escape_like(text.trim()))
}

/// A list of values of one end of an alert (`side` is `src` or `dst`): address
/// patterns match its address; anything else its MAC, or the hostname or friendly
/// name of the device there (`LIKE` patterns).
pub(super) fn any_endpoint(name: &str, side: &str, list: Option<Vec<String>>) -> Result<Option<Value>, Refusal> {
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
pub(super) fn any_term(list: Option<Vec<String>>) -> Result<Option<Value>, Refusal> {
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
pub(super) fn is_public(ip: Option<&str>) -> bool {
    use std::net::IpAddr;
    let Some(ip) = ip.and_then(|s| s.parse::<IpAddr>().ok()) else {
        return false;
    };
    match ip {
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
    }
}

/// A network alert as Intrudect shows it: missing text as `""`, times local, the
/// severity as its level.
#[derive(Serialize)]
pub(super) struct NetworkAlert {
    id: Option<i64>,
    timestamp: String,
    agent: String,
    agent_name: String,
    src_mac: String,
    dst_mac: String,
    src_ip: String,
    dst_ip: String,
    src_port: Option<i32>,
    dst_port: Option<i32>,
    src_hostname: String,
    dst_hostname: String,
    level: i64,
    #[serde(rename = "type")]
    alert_type: String,
    subject: String,
    message: String,
    pcap_id: Option<i64>,
    src_device_name: String,
    dst_device_name: String,
    src_network_name: String,
    dst_network_name: String,
    is_src_public_ip: bool,
    is_dst_public_ip: bool,
}

pub(super) fn network_alert(a: graph::Alert, tz: chrono_tz::Tz) -> NetworkAlert {
    let names = |d: &Option<graph::DeviceNames>| {
        let d = d.as_ref();
        let hostname = d.and_then(|d| d.hostname.clone()).unwrap_or_default();
        let friendly = d.and_then(|d| d.friendly_name.clone()).unwrap_or_default();
        (hostname, friendly)
    };
    let ((src_hostname, src_device_name), (dst_hostname, dst_device_name)) =
        (names(&a.src_device), names(&a.dst_device));
    let network = |n: Option<graph::Named>| n.map(|n| n.name).unwrap_or_default();
    NetworkAlert {
        id: number_of(&a.id),
        timestamp: time::render(tz, a.occurred_at.as_deref()),
        agent: a.sensor.clone().unwrap_or_default(),
        agent_name: a.sensor.unwrap_or_default(),
        is_src_public_ip: is_public(a.src_ip.as_deref()),
        is_dst_public_ip: is_public(a.dst_ip.as_deref()),
        src_mac: a.src_mac.unwrap_or_default(),
        dst_mac: a.dst_mac.unwrap_or_default(),
        src_ip: a.src_ip.unwrap_or_default(),
        dst_ip: a.dst_ip.unwrap_or_default(),
        src_port: a.src_port,
        dst_port: a.dst_port,
        src_hostname,
        dst_hostname,
        level: level(&a.severity),
        alert_type: a.alert_type,
        subject: a.title,
        message: a.message.unwrap_or_default(),
        pcap_id: a.pcap.and_then(|p| number_of(&p.id)),
        src_device_name,
        dst_device_name,
        src_network_name: network(a.src_network),
        dst_network_name: network(a.dst_network),
    }
}

pub(super) fn network_alerts(a: Answer, _: &Params, c: &Context) -> Result<Reply, Refusal> {
    paged(&a, "network_alerts", |x| network_alert(x, c.timezone))
}

pub(super) fn alert_id(p: &Params, _: &Context) -> Result<Value, Refusal> {
    Ok(json!({ "id": path_id(p, Kind::Alert)? }))
}

pub(super) fn deleted_network_alert(a: Answer, _: &Params, c: &Context) -> Result<Reply, Refusal> {
    Ok(Reply::ok(
        json!({"deleted": true, "network_alert": network_alert(read_data(&a.prior["r"])?, c.timezone)}),
    ))
}

pub(super) const SERVER_ALERT_FILTERS: &[&str] = &[
    "from", "to", "agent", "agent_id", "hostname", "level", "type", "title", "message", "search", "line",
];
pub(super) const SERVER_ALERT_SORTS: &[(&[&str], &str)] = &[
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
pub(super) struct ServerAlertFilters {
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

pub(super) fn server_alert_vars(p: &Params, c: &Context) -> Result<Value, Refusal> {
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

/// A server alert (a syslog line) as Intrudect shows it.
#[derive(Serialize)]
pub(super) struct ServerAlert {
    id: Option<i64>,
    timestamp: String,
    agent: String,
    agent_name: String,
    hostname: String,
    level: i64,
    #[serde(rename = "type")]
    alert_type: String,
    title: String,
    line: String,
}

pub(super) fn server_alert(a: graph::Alert, tz: chrono_tz::Tz) -> ServerAlert {
    ServerAlert {
        id: number_of(&a.id),
        timestamp: time::render(tz, a.occurred_at.as_deref()),
        agent: a.sensor.clone().unwrap_or_default(),
        agent_name: a.sensor.unwrap_or_default(),
        hostname: a.hostname.unwrap_or_default(),
        level: level(&a.severity),
        alert_type: a.alert_type,
        title: a.title,
        line: a.message.unwrap_or_default(),
    }
}

pub(super) fn server_alerts(a: Answer, _: &Params, c: &Context) -> Result<Reply, Refusal> {
    paged(&a, "server_alerts", |x| server_alert(x, c.timezone))
}

pub(super) fn deleted_server_alert(a: Answer, _: &Params, c: &Context) -> Result<Reply, Refusal> {
    Ok(Reply::ok(
        json!({"deleted": true, "server_alert": server_alert(read_data(&a.prior["r"])?, c.timezone)}),
    ))
}
