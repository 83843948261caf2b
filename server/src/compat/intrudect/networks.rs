//! Intrudect: Networks.

use super::*;

pub(super) const NETWORK_FILTERS: &[&str] = &["name", "cidr", "gateway_ip", "gateway_mac", "alert"];
pub(super) const NETWORK_SORTS: &[(&[&str], &str)] = &[
    (&["id"], "ID"),
    (&["name"], "NAME"),
    (&["cidr"], "CIDR"),
    (&["gateway_ip"], "GATEWAY_IP"),
    (&["gateway_mac"], "GATEWAY_MAC"),
    (&["alert"], "ALERT_LEVEL"),
];

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct NetworkFilters {
    name: Option<Vec<String>>,
    cidr: Option<Vec<String>>,
    gateway_ip: Option<Vec<String>>,
    gateway_mac: Option<Vec<String>>,
    alert: Option<Vec<i32>>,
}

pub(super) fn network_vars(p: &Params, c: &Context) -> Result<Value, Refusal> {
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

/// A network as Intrudect shows it: a missing gateway as `""`.
#[derive(Serialize)]
pub(super) struct Network {
    id: Option<i64>,
    name: String,
    cidr: String,
    gateway_ip: String,
    gateway_mac: String,
    alert: i32,
}

/// The network the graph answered at `n`.
pub(super) fn network(n: &Value) -> Result<Network, Refusal> {
    let n: graph::Network = read_data(n)?;
    Ok(Network {
        id: number_of(&n.id),
        name: n.name,
        cidr: n.cidr,
        gateway_ip: n.gateway_ip.unwrap_or_default(),
        gateway_mac: n.gateway_mac.unwrap_or_default(),
        alert: n.alert_level,
    })
}

pub(super) fn networks(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    let rows: Vec<Network> = walked(&a)?.map(network).collect::<Result<_, _>>()?;
    Ok(Reply::ok(json!({ "networks": rows })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NetworkBody {
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

pub(super) fn create_network(p: &Params, _: &Context) -> Result<Value, Refusal> {
    let b: NetworkBody = read("network", &p.body)?;
    if b.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
        return Err(Refusal::bad("name is required"));
    }
    if b.cidr.as_deref().is_none_or(|c| c.trim().is_empty()) {
        return Err(Refusal::bad("cidr is required"));
    }
    Ok(json!({ "input": b.input() }))
}

pub(super) fn update_network(p: &Params, _: &Context) -> Result<Value, Refusal> {
    let b: NetworkBody = read("network", &p.body)?;
    let input = b.input();
    if input.is_empty() {
        return Err(Refusal::bad(
            "give at least one of name, cidr, gateway_ip, gateway_mac, alert",
        ));
    }
    Ok(json!({"id": path_id(p, Kind::Network)?, "input": input}))
}

pub(super) fn network_id(p: &Params, _: &Context) -> Result<Value, Refusal> {
    Ok(json!({ "id": path_id(p, Kind::Network)? }))
}

pub(super) fn created_network(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    Ok(Reply {
        status: StatusCode::CREATED,
        ..Reply::ok(json!({"network": network(&a.data["r"])?}))
    })
}

pub(super) fn updated_network(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    Ok(Reply::ok(json!({"network": network(&a.data["r"])?})))
}

pub(super) fn deleted_network(a: Answer, _: &Params, _: &Context) -> Result<Reply, Refusal> {
    Ok(Reply::ok(json!({"deleted": true, "network": network(&a.prior["r"])?})))
}
