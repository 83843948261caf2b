//! Intrudect: Devices.

use super::*;

pub(super) const DEVICE_FILTERS: &[&str] = &["ip", "mac", "vendor", "hostname", "friendly_name"];
pub(super) const DEVICE_SORTS: &[(&[&str], &str)] = &[
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
pub(super) struct DeviceFilters {
    mac: Option<Vec<String>>,
    ip: Option<Vec<String>>,
    vendor: Option<Vec<String>>,
    hostname: Option<Vec<String>>,
    friendly_name: Option<Vec<String>>,
}

pub(super) fn device_vars(p: &Params, c: &Context) -> Result<Value, Refusal> {
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

/// A device as Intrudect shows it: missing text as `""`, times local.
#[derive(Serialize)]
pub(super) struct Device {
    id: Option<i64>,
    mac: String,
    last_ip: String,
    hostname: String,
    friendly_name: String,
    vendor: String,
    network: String,
    is_gateway: bool,
    first_seen: String,
    last_seen: String,
}

pub(super) fn device(d: graph::Device, tz: chrono_tz::Tz) -> Device {
    Device {
        id: number_of(&d.id),
        mac: d.mac,
        last_ip: d.last_ip.unwrap_or_default(),
        hostname: d.hostname.unwrap_or_default(),
        friendly_name: d.friendly_name.unwrap_or_default(),
        vendor: d.vendor.unwrap_or_default(),
        network: d.network.map(|n| n.name).unwrap_or_default(),
        is_gateway: d.is_gateway,
        first_seen: time::render(tz, d.first_seen.as_deref()),
        last_seen: time::render(tz, d.last_seen.as_deref()),
    }
}

pub(super) fn devices(a: Answer, _: &Params, c: &Context) -> Result<Reply, Refusal> {
    paged(&a, "devices", |d| device(d, c.timezone))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DeviceUpdate {
    hostname: Option<String>,
    friendly_name: Option<String>,
}

pub(super) fn update_device(p: &Params, _: &Context) -> Result<Value, Refusal> {
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

pub(super) fn updated_device(a: Answer, _: &Params, c: &Context) -> Result<Reply, Refusal> {
    let d: graph::Device = read_data(&a.data["r"])?;
    Ok(Reply::ok(json!({"device": device(d, c.timezone)})))
}
