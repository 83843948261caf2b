//! The monitored estate: networks, devices (by MAC), services (IP, protocol, port)
//! and passive DNS observations.

use async_graphql::{InputObject, MaybeUndefined};
use chrono::{DateTime, Utc};
use entities::{device, dns_record, network, service};
use sea_orm::sea_query::{Condition, Expr, Query, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde::Serialize;

use super::crud::{self, opt_text, req_text, set, set_opt};
use super::error::{DomainError, DomainResult};
use super::hosts::normalize_hostname;
use super::ip;
use super::ports::Protocol;
use super::query::{stored, BoolOp, EnumOp, IntOp, IpOp, TextOp, TimeOp};
use super::text::{self};
use super::values::{Cidr, IpAddr, MacAddr};

// ---- networks ----

/// Intrudect's new-device alert levels.
pub const ALERT_LEVELS: [i32; 4] = [0, 10, 20, 30];

/// Which networks: conditions on their fields, composed with `and`, `or` and `not`.
#[derive(InputObject, Serialize, Clone, Debug, Default)]
pub struct NetworkFilter {
    pub and: Option<Vec<NetworkFilter>>,
    pub or: Option<Vec<NetworkFilter>>,
    pub not: Option<Box<NetworkFilter>>,
    pub name: Option<TextOp>,
    /// The network as written (`10.0.0.0/24`).
    pub cidr: Option<TextOp>,
    pub description: Option<TextOp>,
    /// Contains this address.
    pub contains: Option<IpAddr>,
    /// Lies inside this network.
    pub within: Option<Cidr>,
    pub gateway_ip: Option<IpOp>,
    pub gateway_mac: Option<TextOp>,
    /// The new-device alert level: 0, 10, 20 or 30.
    pub alert_level: Option<IntOp>,
    pub created_at: Option<TimeOp>,
}

crate::where_impl!(NetworkFilter, network::Entity, |f, c| {
    use network::Column as C;
    c.on("name", &f.name, C::Name)?;
    c.on("cidr", &f.cidr, C::Cidr)?;
    c.on("description", &f.description, C::Description)?;
    if let Some(a) = &f.contains {
        let k = ip::to_key(a.0);
        c.sql(
            "contains",
            Condition::all().add(C::StartIp.lte(k.clone())).add(C::EndIp.gte(k)),
        )?;
    }
    if let Some(net) = &f.within {
        let (lo, hi) = ip::net_bounds(&net.0);
        c.sql("within", Condition::all().add(C::StartIp.gte(lo)).add(C::EndIp.lte(hi)))?;
    }
    c.on("gatewayIp", &f.gateway_ip, C::GatewayIp)?;
    c.on("gatewayMac", &stored(&f.gateway_mac, canonical_mac), C::GatewayMac)?;
    c.on("alertLevel", &f.alert_level, C::AlertLevel)?;
    c.on("createdAt", &f.created_at, C::CreatedAt)?;
});

crate::fields! {
    /// The fields networks sort, group and bucket by.
    NetworkField, NetworkOrder for network {
        /// The order of adding.
        Id => Id: Int,
        Name => Name: Text,
        /// By its first address (10.0.0.0/24 before 9.0.0.0/8 would surprise).
        Cidr => StartIp: Ip,
        GatewayIp => GatewayIp: Ip,
        GatewayMac => GatewayMac: Text,
        AlertLevel => AlertLevel: Int,
        CreatedAt => CreatedAt: Time,
    }
}

/// A MAC address in its stored form when it reads as one; else as given (it then
/// matches nothing, as a value that is no MAC is in no row).
fn canonical_mac(m: &str) -> String {
    m.parse::<MacAddr>()
        .map(|m| m.0)
        .unwrap_or_else(|_| m.trim().to_string())
}

/// The writable fields of a network; on update, an absent field is left as it is.
#[derive(InputObject, Clone, Debug, Default)]
pub struct NetworkInput {
    pub name: Option<String>,
    pub cidr: Option<Cidr>,
    pub gateway_ip: MaybeUndefined<IpAddr>,
    pub gateway_mac: MaybeUndefined<MacAddr>,
    /// New-device alert level: 0, 10, 20 or 30.
    pub alert_level: Option<i32>,
    pub description: MaybeUndefined<String>,
}

#[derive(InputObject, Clone, Debug)]
pub struct CreateNetworkInput {
    pub name: String,
    pub cidr: Cidr,
    #[graphql(flatten)]
    pub fields: NetworkInput,
}

fn apply_network(am: &mut network::ActiveModel, f: NetworkInput) -> DomainResult<()> {
    set(&mut am.name, req_text("name", f.name, 200)?);
    if let Some(net) = f.cidr {
        let (lo, hi) = ip::net_bounds(&net.0);
        am.cidr = Set(net.to_string());
        am.start_ip = Set(lo);
        am.end_ip = Set(hi);
    }
    set_opt(&mut am.gateway_ip, f.gateway_ip.map_value(|g| ip::to_key(g.0)));
    set_opt(&mut am.gateway_mac, f.gateway_mac.map_value(|m| m.0));
    if let Some(level) = f.alert_level {
        if !ALERT_LEVELS.contains(&level) {
            return Err(DomainError::bad("alertLevel", "must be 0, 10, 20 or 30"));
        }
        am.alert_level = Set(level);
    }
    set_opt(&mut am.description, opt_text("description", f.description, 10_000)?);
    if let (Some(Some(gw)), Some(lo), Some(hi)) = (
        am.gateway_ip.try_as_ref(),
        am.start_ip.try_as_ref(),
        am.end_ip.try_as_ref(),
    ) {
        if gw < lo || gw > hi {
            return Err(DomainError::bad("gatewayIp", "must be inside the network"));
        }
    }
    Ok(())
}

async fn cidr_taken(db: &impl ConnectionTrait, am: &network::ActiveModel) -> DomainResult<()> {
    if let Some(cidr) = am.cidr.try_as_ref() {
        let mut q = network::Entity::find().filter(network::Column::Cidr.eq(cidr.clone()));
        if let Some(id) = am.id.try_as_ref() {
            q = q.filter(network::Column::Id.ne(*id));
        }
        if q.count(db).await? > 0 {
            return Err(DomainError::Conflict(format!("the network {cidr} already exists")));
        }
    }
    Ok(())
}

pub async fn create_network(db: &impl ConnectionTrait, input: CreateNetworkInput) -> DomainResult<network::Model> {
    let mut am = network::ActiveModel {
        alert_level: Set(0),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    let mut f = input.fields;
    f.name = Some(input.name);
    f.cidr = Some(input.cidr);
    apply_network(&mut am, f)?;
    cidr_taken(db, &am).await?;
    let created = am.insert(db).await?;
    mark_gateways(db, [created.gateway_ip.clone()]).await?;
    Ok(created)
}

pub async fn update_network(db: &impl ConnectionTrait, id: i64, input: NetworkInput) -> DomainResult<network::Model> {
    let before = crud::find::<network::Entity>(db, "network", id).await?;
    let old_gateway = before.gateway_ip.clone();
    let mut am: network::ActiveModel = before.into();
    apply_network(&mut am, input)?;
    cidr_taken(db, &am).await?;
    let updated = am.update(db).await?;
    mark_gateways(db, [old_gateway, updated.gateway_ip.clone()]).await?;
    Ok(updated)
}

pub async fn delete_network(db: &impl ConnectionTrait, id: i64) -> DomainResult<()> {
    let gateway = crud::find::<network::Entity>(db, "network", id).await?.gateway_ip;
    crud::delete::<network::Entity>(db, "network", id).await?;
    mark_gateways(db, [gateway]).await
}

/// Whether some network's gateway is at `address`.
fn gateway_at(address: SimpleExpr) -> SimpleExpr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(network::Entity)
            .and_where(Expr::col((network::Entity, network::Column::GatewayIp)).eq(address))
            .to_owned(),
    )
}

/// Sets `is_gateway` of the devices last seen at `addresses` (gateways that came or went).
async fn mark_gateways<const N: usize>(db: &impl ConnectionTrait, addresses: [Option<Vec<u8>>; N]) -> DomainResult<()> {
    let addresses: Vec<Vec<u8>> = addresses.into_iter().flatten().collect();
    if addresses.is_empty() {
        return Ok(());
    }
    device::Entity::update_many()
        .col_expr(
            device::Column::IsGateway,
            gateway_at(Expr::col((device::Entity, device::Column::LastIp)).into()),
        )
        .filter(device::Column::LastIp.is_in(addresses))
        .exec(db)
        .await?;
    Ok(())
}

/// Whether a device at `address` is a gateway ([`gateway_at`], asked alone).
async fn is_gateway(db: &impl ConnectionTrait, address: Option<&Vec<u8>>) -> DomainResult<bool> {
    let Some(a) = address else { return Ok(false) };
    let q = Query::select().expr(gateway_at(Expr::val(a.clone()).into())).to_owned();
    let row = db.query_one(db.get_database_backend().build(&q)).await?;
    Ok(row.map(|r| r.try_get_by_index::<bool>(0)).transpose()?.unwrap_or(false))
}

// ---- devices ----

/// Which devices: conditions on their fields, composed with `and`, `or` and `not`.
#[derive(InputObject, Serialize, Clone, Debug, Default)]
pub struct DeviceFilter {
    pub and: Option<Vec<DeviceFilter>>,
    pub or: Option<Vec<DeviceFilter>>,
    pub not: Option<Box<DeviceFilter>>,
    /// The MAC address; `eq`, `ne`, `in` and `notIn` take any common notation.
    pub mac: Option<TextOp>,
    /// The address it was last seen at.
    pub ip: Option<IpOp>,
    /// `eq`, `ne`, `in` and `notIn` compare lower case, without a trailing dot.
    pub hostname: Option<TextOp>,
    pub friendly_name: Option<TextOp>,
    pub vendor: Option<TextOp>,
    pub first_seen: Option<TimeOp>,
    pub last_seen: Option<TimeOp>,
    /// Whether the last address is a network's gateway.
    pub is_gateway: Option<BoolOp>,
}

crate::where_impl!(DeviceFilter, device::Entity, |f, c| {
    use device::Column as C;
    c.on("mac", &stored(&f.mac, canonical_mac), C::Mac)?;
    c.on("ip", &f.ip, C::LastIp)?;
    c.on("hostname", &stored(&f.hostname, normalize_hostname), C::Hostname)?;
    c.on("friendlyName", &f.friendly_name, C::FriendlyName)?;
    c.on("vendor", &f.vendor, C::Vendor)?;
    c.on("firstSeen", &f.first_seen, C::FirstSeen)?;
    c.on("lastSeen", &f.last_seen, C::LastSeen)?;
    c.on("isGateway", &f.is_gateway, C::IsGateway)?;
});

crate::fields! {
    /// The fields devices sort, group and bucket by.
    DeviceField, DeviceOrder for device {
        /// The order of discovery.
        Id => Id: Int,
        Mac => Mac: Text,
        Ip => LastIp: Ip,
        Hostname => Hostname: Text,
        FriendlyName => FriendlyName: Text,
        Vendor => Vendor: Text,
        FirstSeen => FirstSeen: Time,
        LastSeen => LastSeen: Time,
        IsGateway => IsGateway: Bool,
    }
}

#[derive(InputObject, Clone, Debug, Default)]
pub struct DeviceInput {
    pub last_ip: MaybeUndefined<IpAddr>,
    pub hostname: MaybeUndefined<String>,
    pub friendly_name: MaybeUndefined<String>,
    pub vendor: MaybeUndefined<String>,
    pub first_seen: Option<DateTime<Utc>>,
    pub last_seen: Option<DateTime<Utc>>,
}

#[derive(InputObject, Clone, Debug)]
pub struct CreateDeviceInput {
    pub mac: MacAddr,
    #[graphql(flatten)]
    pub fields: DeviceInput,
}

fn apply_device(am: &mut device::ActiveModel, f: DeviceInput) -> DomainResult<()> {
    set_opt(&mut am.last_ip, f.last_ip.map_value(|a| ip::to_key(a.0)));
    set_opt(
        &mut am.hostname,
        opt_text("hostname", f.hostname, 253)?.map_value(|h| normalize_hostname(&h)),
    );
    set_opt(&mut am.friendly_name, opt_text("friendlyName", f.friendly_name, 200)?);
    set_opt(&mut am.vendor, opt_text("vendor", f.vendor, 200)?);
    set(&mut am.first_seen, f.first_seen);
    set(&mut am.last_seen, f.last_seen);
    if let (Some(first), Some(last)) = (am.first_seen.try_as_ref(), am.last_seen.try_as_ref()) {
        if last < first {
            return Err(DomainError::bad("lastSeen", "must not be before firstSeen"));
        }
    }
    Ok(())
}

pub async fn create_device(db: &impl ConnectionTrait, input: CreateDeviceInput) -> DomainResult<device::Model> {
    let now = Utc::now();
    let mac = input.mac.0;
    if device::Entity::find()
        .filter(device::Column::Mac.eq(mac.clone()))
        .count(db)
        .await?
        > 0
    {
        return Err(DomainError::Conflict(format!("the device {mac} already exists")));
    }
    let mut am = device::ActiveModel {
        mac: Set(mac),
        first_seen: Set(now),
        last_seen: Set(now),
        ..Default::default()
    };
    apply_device(&mut am, input.fields)?;
    let address = am.last_ip.try_as_ref().cloned().flatten();
    am.is_gateway = Set(is_gateway(db, address.as_ref()).await?);
    Ok(am.insert(db).await?)
}

pub async fn update_device(db: &impl ConnectionTrait, id: i64, input: DeviceInput) -> DomainResult<device::Model> {
    let mut am: device::ActiveModel = crud::find::<device::Entity>(db, "device", id).await?.into();
    let renames = !input.hostname.is_undefined() || !input.friendly_name.is_undefined();
    apply_device(&mut am, input)?;
    // Names are how people tell devices apart: an edit may change them, not drop both.
    let named = |v: &sea_orm::ActiveValue<Option<String>>| v.try_as_ref().is_some_and(|n| n.is_some());
    if renames && !named(&am.hostname) && !named(&am.friendly_name) {
        return Err(DomainError::bad(
            "friendlyName",
            "a device keeps a hostname or a friendly name",
        ));
    }
    if am.last_ip.is_set() {
        let address = am.last_ip.try_as_ref().cloned().flatten();
        am.is_gateway = Set(is_gateway(db, address.as_ref()).await?);
    }
    Ok(am.update(db).await?)
}

pub async fn delete_device(db: &impl ConnectionTrait, id: i64) -> DomainResult<()> {
    crud::delete::<device::Entity>(db, "device", id).await
}

// ---- services ----

/// Which services: conditions on their fields, composed with `and`, `or` and `not`.
#[derive(InputObject, Serialize, Clone, Debug, Default)]
pub struct ServiceFilter {
    pub and: Option<Vec<ServiceFilter>>,
    pub or: Option<Vec<ServiceFilter>>,
    pub not: Option<Box<ServiceFilter>>,
    pub ip: Option<IpOp>,
    pub port: Option<IntOp>,
    pub protocol: Option<EnumOp<Protocol>>,
    pub name: Option<TextOp>,
    pub authorized: Option<BoolOp>,
    pub first_seen: Option<TimeOp>,
    pub last_seen: Option<TimeOp>,
}

crate::where_impl!(ServiceFilter, service::Entity, |f, c| {
    use service::Column as C;
    c.on("ip", &f.ip, C::Ip)?;
    c.on_port("port", &f.port, &[C::Port])?;
    c.on("protocol", &f.protocol, C::Protocol)?;
    c.on("name", &f.name, C::Name)?;
    c.on("authorized", &f.authorized, C::Authorized)?;
    c.on("firstSeen", &f.first_seen, C::FirstSeen)?;
    c.on("lastSeen", &f.last_seen, C::LastSeen)?;
});

crate::fields! {
    /// The fields services sort, group and bucket by.
    ServiceField, ServiceOrder for service {
        /// The order of discovery.
        Id => Id: Int,
        Ip => Ip: Ip,
        Port => Port: Int,
        Protocol => Protocol: Text,
        Name => Name: Text,
        Authorized => Authorized: Bool,
        FirstSeen => FirstSeen: Time,
        LastSeen => LastSeen: Time,
    }
}

#[derive(InputObject, Clone, Debug, Default)]
pub struct ServiceInput {
    pub ip: Option<IpAddr>,
    pub port: Option<i32>,
    /// TCP or UDP.
    pub protocol: Option<Protocol>,
    pub name: MaybeUndefined<String>,
    pub authorized: Option<bool>,
    pub first_seen: Option<DateTime<Utc>>,
    pub last_seen: Option<DateTime<Utc>>,
}

#[derive(InputObject, Clone, Debug)]
pub struct CreateServiceInput {
    pub ip: IpAddr,
    pub port: i32,
    /// TCP or UDP.
    pub protocol: Protocol,
    pub name: Option<String>,
    pub authorized: Option<bool>,
    /// Defaults to now.
    pub first_seen: Option<DateTime<Utc>>,
    /// Defaults to now.
    pub last_seen: Option<DateTime<Utc>>,
}

fn apply_service(am: &mut service::ActiveModel, f: ServiceInput) -> DomainResult<()> {
    if let Some(p) = f.protocol {
        if !matches!(p, Protocol::Tcp | Protocol::Udp) {
            return Err(DomainError::bad("protocol", "a service is TCP or UDP"));
        }
        am.protocol = Set(p.as_str().into());
    }
    set(&mut am.port, f.port.map(|p| text::port("port", p)).transpose()?);
    set(&mut am.ip, f.ip.map(|a| ip::to_key(a.0)));
    set_opt(&mut am.name, opt_text("name", f.name, 200)?);
    set(&mut am.authorized, f.authorized);
    set(&mut am.first_seen, f.first_seen);
    set(&mut am.last_seen, f.last_seen);
    if let (Some(first), Some(last)) = (am.first_seen.try_as_ref(), am.last_seen.try_as_ref()) {
        if last < first {
            return Err(DomainError::bad("lastSeen", "must not be before firstSeen"));
        }
    }
    Ok(())
}

/// The service at this address, protocol and port, other than `except`.
async fn service_at(
    db: &impl ConnectionTrait,
    am: &service::ActiveModel,
    except: Option<i64>,
) -> DomainResult<Option<service::Model>> {
    let (Some(ip), Some(port), Some(proto)) = (am.ip.try_as_ref(), am.port.try_as_ref(), am.protocol.try_as_ref())
    else {
        return Ok(None);
    };
    let mut q = service::Entity::find()
        .filter(service::Column::Ip.eq(ip.clone()))
        .filter(service::Column::Protocol.eq(proto.clone()))
        .filter(service::Column::Port.eq(*port));
    if let Some(id) = except {
        q = q.filter(service::Column::Id.ne(id));
    }
    Ok(q.one(db).await?)
}

fn taken(s: &service::Model) -> DomainError {
    let addr = ip::from_key(&s.ip).map(|a| a.to_string()).unwrap_or_default();
    DomainError::Conflict(format!("the service {addr}/{}/{} already exists", s.port, s.protocol))
}

fn new_service(input: CreateServiceInput) -> DomainResult<service::ActiveModel> {
    // Omitted times are now, but never on the wrong side of the one given.
    let now = Utc::now();
    let first = input
        .first_seen
        .unwrap_or_else(|| input.last_seen.map_or(now, |l| l.min(now)));
    let last = input.last_seen.unwrap_or_else(|| first.max(now));
    let mut am = service::ActiveModel {
        authorized: Set(false),
        ..Default::default()
    };
    apply_service(
        &mut am,
        ServiceInput {
            ip: Some(input.ip),
            port: Some(input.port),
            protocol: Some(input.protocol),
            name: input.name.map_or(MaybeUndefined::Undefined, MaybeUndefined::Value),
            authorized: input.authorized,
            first_seen: Some(first),
            last_seen: Some(last),
        },
    )?;
    Ok(am)
}

pub async fn create_service(db: &impl ConnectionTrait, input: CreateServiceInput) -> DomainResult<service::Model> {
    let am = new_service(input)?;
    if let Some(s) = service_at(db, &am, None).await? {
        return Err(taken(&s));
    }
    Ok(am.insert(db).await?)
}

pub async fn update_service(db: &impl ConnectionTrait, id: i64, input: ServiceInput) -> DomainResult<service::Model> {
    let mut am: service::ActiveModel = crud::find::<service::Entity>(db, "service", id).await?.into();
    apply_service(&mut am, input)?;
    if let Some(s) = service_at(db, &am, Some(id)).await? {
        return Err(taken(&s));
    }
    Ok(am.update(db).await?)
}

/// Authorizes the service at an address, protocol and port, recording it first when it
/// was never seen (an allowed service is allowed before it shows up).
pub async fn authorize_service(
    db: &impl ConnectionTrait,
    ip: IpAddr,
    port: i32,
    protocol: Protocol,
) -> DomainResult<service::Model> {
    let am = new_service(CreateServiceInput {
        ip,
        port,
        protocol,
        name: None,
        authorized: Some(true),
        first_seen: None,
        last_seen: None,
    })?;
    match service_at(db, &am, None).await? {
        Some(existing) => {
            let mut am: service::ActiveModel = existing.into();
            am.authorized = Set(true);
            Ok(am.update(db).await?)
        }
        None => Ok(am.insert(db).await?),
    }
}

pub async fn delete_service(db: &impl ConnectionTrait, id: i64) -> DomainResult<()> {
    crud::delete::<service::Entity>(db, "service", id).await
}

// ---- passive DNS ----

/// Which DNS records: conditions on their fields, composed with `and`, `or` and `not`.
/// Names and name values are stored lower case without the final dot, types upper
/// case, addresses canonical.
#[derive(InputObject, Serialize, Clone, Debug, Default)]
pub struct DnsRecordFilter {
    pub and: Option<Vec<DnsRecordFilter>>,
    pub or: Option<Vec<DnsRecordFilter>>,
    pub not: Option<Box<DnsRecordFilter>>,
    pub name: Option<TextOp>,
    /// Record type: `A`, `AAAA`, `CNAME`, `MX` ...
    #[graphql(name = "type")]
    pub rtype: Option<TextOp>,
    pub value: Option<TextOp>,
    /// The address of an A/AAAA record.
    pub ip: Option<IpOp>,
    pub count: Option<IntOp>,
    pub sensor: Option<TextOp>,
    pub first_seen: Option<TimeOp>,
    pub last_seen: Option<TimeOp>,
}

crate::where_impl!(DnsRecordFilter, dns_record::Entity, |f, c| {
    use dns_record::Column as D;
    c.on("name", &f.name, D::Name)?;
    c.on("type", &f.rtype, D::Rtype)?;
    c.on("value", &f.value, D::Value)?;
    c.on("ip", &f.ip, D::Ip)?;
    c.on("count", &f.count, D::Count)?;
    c.on("sensor", &f.sensor, D::Sensor)?;
    c.on("firstSeen", &f.first_seen, D::FirstSeen)?;
    c.on("lastSeen", &f.last_seen, D::LastSeen)?;
});

crate::fields! {
    /// The fields DNS records sort, group and bucket by.
    DnsRecordField, DnsRecordOrder for dns_record {
        /// The order of arrival.
        Id => Id: Int,
        Name => Name: Text,
        Type => Rtype: Text,
        Value => Value: Text,
        Ip => Ip: Ip,
        Count => Count: Int,
        Sensor => Sensor: Text,
        FirstSeen => FirstSeen: Time,
        LastSeen => LastSeen: Time,
    }
}

/// Addresses canonical, names lower case without the trailing dot.
fn dns_value(v: &str) -> String {
    match v.trim().parse::<IpAddr>() {
        Ok(a) => a.to_string(),
        Err(_) => normalize_hostname(v),
    }
}

#[derive(InputObject, Clone, Debug, Default)]
pub struct DnsRecordInput {
    pub first_seen: Option<DateTime<Utc>>,
    pub last_seen: Option<DateTime<Utc>>,
    /// How many times the answer was seen.
    pub count: Option<i64>,
    pub sensor: MaybeUndefined<String>,
}

#[derive(InputObject, Clone, Debug)]
pub struct CreateDnsRecordInput {
    pub name: String,
    #[graphql(name = "type")]
    pub rtype: String,
    pub value: String,
    #[graphql(flatten)]
    pub fields: DnsRecordInput,
}

fn apply_dns(am: &mut dns_record::ActiveModel, f: DnsRecordInput) -> DomainResult<()> {
    set(&mut am.first_seen, f.first_seen);
    set(&mut am.last_seen, f.last_seen);
    set(
        &mut am.count,
        f.count.map(|c| text::non_negative("count", c)).transpose()?,
    );
    set_opt(&mut am.sensor, opt_text("sensor", f.sensor, 128)?);
    if let (Some(first), Some(last)) = (am.first_seen.try_as_ref(), am.last_seen.try_as_ref()) {
        if last < first {
            return Err(DomainError::bad("lastSeen", "must not be before firstSeen"));
        }
    }
    Ok(())
}

pub async fn create_dns_record(
    db: &impl ConnectionTrait,
    input: CreateDnsRecordInput,
) -> DomainResult<dns_record::Model> {
    let rtype = text::required("type", &input.rtype, 16)?.to_uppercase();
    let value = dns_value(&text::required("value", &input.value, 4096)?);
    let address = match rtype.as_str() {
        "A" | "AAAA" => {
            let a = value.parse::<IpAddr>().map_err(|e| DomainError::bad("value", e))?;
            if (rtype == "A") != a.0.is_ipv4() {
                return Err(DomainError::bad(
                    "value",
                    format!("{value} is not an address for a {rtype} record"),
                ));
            }
            Some(ip::to_key(a.0))
        }
        _ => None,
    };
    let now = Utc::now();
    let mut am = dns_record::ActiveModel {
        name: Set(normalize_hostname(&text::required("name", &input.name, 253)?)),
        rtype: Set(rtype),
        value: Set(value),
        ip: Set(address),
        first_seen: Set(now),
        last_seen: Set(now),
        count: Set(1),
        ..Default::default()
    };
    apply_dns(&mut am, input.fields)?;
    Ok(am.insert(db).await?)
}

pub async fn update_dns_record(
    db: &impl ConnectionTrait,
    id: i64,
    input: DnsRecordInput,
) -> DomainResult<dns_record::Model> {
    let mut am: dns_record::ActiveModel = crud::find::<dns_record::Entity>(db, "DNS record", id).await?.into();
    apply_dns(&mut am, input)?;
    Ok(am.update(db).await?)
}

pub async fn delete_dns_record(db: &impl ConnectionTrait, id: i64) -> DomainResult<()> {
    crud::delete::<dns_record::Entity>(db, "DNS record", id).await
}
