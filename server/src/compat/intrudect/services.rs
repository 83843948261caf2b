//! Intrudect: Services.

use super::*;

macro_rules! service_fields {
    () => {
        "fragment S on Service { id ip port protocol name authorized firstSeen lastSeen }"
    };
}

pub(super) const SERVICE_SEARCH: &str = concat!(
    "query($filter: ServiceFilter, $order: [ServiceOrder!], $after: String) { ",
    "r: services(filter: $filter, orderBy: $order, first: 1000, after: $after) ",
    "{ pageInfo { hasNextPage endCursor } nodes { ...S } } } ",
    service_fields!()
);
pub(super) const CREATE_SERVICE: &str = concat!(
    "mutation($input: CreateServiceInput!) { r: createService(input: $input) { ...S } } ",
    service_fields!()
);
pub(super) const UPDATE_SERVICE: &str = concat!(
    "mutation($id: ID!, $input: ServiceInput!) { r: updateService(id: $id, input: $input) { ...S } } ",
    service_fields!()
);
pub(super) const SERVICE_BY_ID: &str = concat!("query($id: ID!) { r: node(id: $id) { ...S } } ", service_fields!());
pub(super) const DELETE_SERVICE: &str = "mutation($id: ID!) { r: deleteService(id: $id) }";
pub(super) const AUTHORIZE_SERVICE: &str = concat!(
    "mutation($ip: IpAddr!, $port: Int!, $protocol: Protocol!) { ",
    "r: authorizeService(ip: $ip, port: $port, protocol: $protocol) { ...S } } ",
    service_fields!()
);

pub(super) const SERVICE_FILTERS: &[&str] = &["service_ip", "ip", "proto", "service_port", "port", "authorized"];
pub(super) const SERVICE_SORTS: &[(&[&str], &str)] = &[
    (&["id"], "ID"),
    (&["service_ip", "ip"], "IP"),
    (&["proto", "protocol"], "PROTOCOL"),
    (&["service_port", "port"], "PORT"),
    (&["first_seen", "first"], "FIRST_SEEN"),
    (&["last_seen", "last"], "LAST_SEEN"),
];

/// `tcp` or `udp`, as GraphQL's `Protocol`.
pub(super) fn protocol(field: &str, p: &str) -> Result<&'static str, Refusal> {
    match p.trim().to_ascii_lowercase().as_str() {
        "tcp" => Ok("TCP"),
        "udp" => Ok("UDP"),
        _ => Err(Refusal::bad(format!("{field} must be tcp or udp, not {p:?}"))),
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct ServiceFilters {
    #[serde(alias = "ip")]
    service_ip: Option<Vec<String>>,
    proto: Option<Vec<String>>,
    #[serde(alias = "port")]
    service_port: Option<Vec<i32>>,
    authorized: Option<Vec<bool>>,
}

pub(super) fn service_vars(p: &Params, c: &Context) -> Result<Value, Refusal> {
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

/// A service as Intrudect shows it: missing text as `""`, the protocol in lower case,
/// times local.
#[derive(Serialize)]
pub(super) struct Service {
    id: Option<i64>,
    service_ip: String,
    service_port: i32,
    proto: String,
    name: String,
    authorized: bool,
    first_seen: String,
    last_seen: String,
}

/// The service the graph answered at `s`.
pub(super) fn service(s: &Value, tz: chrono_tz::Tz) -> Result<Service, Refusal> {
    let s: graph::Service = read_data(s)?;
    Ok(Service {
        id: number_of(&s.id),
        service_ip: s.ip.unwrap_or_default(),
        service_port: s.port,
        proto: s.protocol.to_ascii_lowercase(),
        name: s.name.unwrap_or_default(),
        authorized: s.authorized,
        first_seen: time::render(tz, s.first_seen.as_deref()),
        last_seen: time::render(tz, s.last_seen.as_deref()),
    })
}

/// One port of an address's group.
#[derive(Serialize)]
struct Port<'a> {
    id: Option<i64>,
    port: i32,
    proto: &'a str,
    authorized: bool,
    first_seen: &'a str,
    last_seen: &'a str,
}

/// The services of one address, as Intrudect groups them.
#[derive(Serialize)]
struct Group<'a> {
    service_ip: &'a str,
    name: &'a str,
    authorized: bool,
    first_seen: &'a str,
    last_seen: &'a str,
    tcp_ports: Vec<Port<'a>>,
    udp_ports: Vec<Port<'a>>,
}

/// Service rows grouped by address, in the order of each address's first row.
pub(super) fn services(a: Answer, _: &Params, c: &Context) -> Result<Reply, Refusal> {
    let mut groups: Vec<(String, Vec<Service>)> = Vec::new();
    for row in walked(&a)? {
        let row = service(row, c.timezone)?;
        match groups.iter_mut().find(|(ip, _)| *ip == row.service_ip) {
            Some((_, rows)) => rows.push(row),
            None => groups.push((row.service_ip.clone(), vec![row])),
        }
    }
    let out: Vec<Group> = groups
        .iter()
        .map(|(ip, rows)| {
            let of = |proto: &str| {
                rows.iter()
                    .filter(|r| r.proto == proto)
                    .map(|r| Port {
                        id: r.id,
                        port: r.service_port,
                        proto: &r.proto,
                        authorized: r.authorized,
                        first_seen: &r.first_seen,
                        last_seen: &r.last_seen,
                    })
                    .collect()
            };
            Group {
                service_ip: ip,
                name: rows
                    .iter()
                    .map(|r| r.name.as_str())
                    .find(|n| !n.is_empty())
                    .unwrap_or_default(),
                authorized: rows.iter().all(|r| r.authorized),
                // Local times of one format compare as text.
                first_seen: rows.iter().map(|r| r.first_seen.as_str()).min().unwrap_or_default(),
                last_seen: rows.iter().map(|r| r.last_seen.as_str()).max().unwrap_or_default(),
                tcp_ports: of("tcp"),
                udp_ports: of("udp"),
            }
        })
        .collect();
    Ok(Reply::ok(json!({ "services": out })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ServiceBody {
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

pub(super) fn create_service(p: &Params, c: &Context) -> Result<Value, Refusal> {
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

pub(super) fn update_service(p: &Params, c: &Context) -> Result<Value, Refusal> {
    let b: ServiceBody = read("service", &p.body)?;
    let input = b.input(c)?;
    if input.is_empty() {
        return Err(Refusal::bad(
            "give at least one of service_ip, service_port, proto, first_seen, last_seen",
        ));
    }
    Ok(json!({"id": path_id(p, Kind::Service)?, "input": input}))
}

pub(super) fn service_id(p: &Params, _: &Context) -> Result<Value, Refusal> {
    Ok(json!({ "id": path_id(p, Kind::Service)? }))
}

pub(super) fn authorize_by_id(p: &Params, _: &Context) -> Result<Value, Refusal> {
    Ok(json!({"id": path_id(p, Kind::Service)?, "input": {"authorized": true}}))
}

pub(super) fn authorize_by_fields(p: &Params, _: &Context) -> Result<Value, Refusal> {
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

pub(super) fn created_service(a: Answer, _: &Params, c: &Context) -> Result<Reply, Refusal> {
    Ok(Reply {
        status: StatusCode::CREATED,
        ..Reply::ok(json!({"service": service(&a.data["r"], c.timezone)?}))
    })
}

pub(super) fn one_service(a: Answer, _: &Params, c: &Context) -> Result<Reply, Refusal> {
    Ok(Reply::ok(json!({"service": service(&a.data["r"], c.timezone)?})))
}

pub(super) fn deleted_service(a: Answer, _: &Params, c: &Context) -> Result<Reply, Refusal> {
    Ok(Reply::ok(
        json!({"deleted": true, "service": service(&a.prior["r"], c.timezone)?}),
    ))
}
