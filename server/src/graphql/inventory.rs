//! Networks, devices, services and passive DNS records in the graph.

use std::collections::HashMap;

use async_graphql::{Context, Object, Result, ID};
use chrono::{DateTime, Utc};
use entities::{device, dns_record, network, service};
use sea_orm::sea_query::{Alias, Asterisk, Condition, Expr, Query, SelectStatement};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::audit::write;
use super::batching::BatchLoad;
use super::errors::Gql;
use super::flow::host_at;
use super::host::Host;
use super::loaders::{loader, GroupBy, LoadError, Paged};
use crate::domain::ids::{self, Kind};
use crate::domain::inventory::{
    self, CreateDeviceInput, CreateDnsRecordInput, CreateNetworkInput, CreateServiceInput, DeviceField, DeviceFilter,
    DeviceInput, DeviceOrder, DnsRecordField, DnsRecordFilter, DnsRecordInput, DnsRecordOrder, NetworkField,
    NetworkFilter, NetworkInput, NetworkOrder, ServiceField, ServiceFilter, ServiceInput, ServiceOrder,
};
use crate::domain::ip;
use crate::domain::ports::Protocol;
use crate::domain::values::IpAddr;
use crate::group;

group!(DeviceByMac, device::Entity, device::Column::Mac, String);
group!(DevicesByIp, device::Entity, device::Column::LastIp, Vec<u8>);
group!(ServicesByIp, service::Entity, service::Column::Ip, Vec<u8>);

/// The passive DNS records resolving to hosts, keyed by address.
pub struct DnsOfHost;

impl Paged for DnsOfHost {
    type E = dns_record::Entity;
    type Key = Vec<u8>;
    fn base(keys: Vec<Vec<u8>>) -> SelectStatement {
        Query::select()
            .column(Asterisk)
            .expr_as(Expr::col(dns_record::Column::Ip), Alias::new("pk"))
            .from(dns_record::Entity)
            .and_where(dns_record::Column::Ip.is_in(keys))
            .to_owned()
    }
}

/// The most specific network containing each address, in one statement.
pub struct NetworkContaining(pub DatabaseConnection);

impl NetworkContaining {
    /// Networks are seen by every user: no scope.
    pub fn new(db: DatabaseConnection, _scope: crate::domain::tenancy::Scope) -> Self {
        Self(db)
    }
}

impl BatchLoad for NetworkContaining {
    type Key = Vec<u8>;
    type Value = network::Model;

    async fn load(&self, keys: &[Vec<u8>]) -> Result<HashMap<Vec<u8>, network::Model>, LoadError> {
        let any = keys.iter().fold(Condition::any(), |c, k| {
            c.add(
                Condition::all()
                    .add(network::Column::StartIp.lte(k.clone()))
                    .add(network::Column::EndIp.gte(k.clone())),
            )
        });
        let nets = network::Entity::find().filter(any).all(&self.0).await?;
        let mut out = HashMap::new();
        for k in keys {
            // The narrowest range that holds the address: the highest start, then the lowest end.
            let best = nets
                .iter()
                .filter(|n| &n.start_ip <= k && &n.end_ip >= k)
                .max_by(|a, b| a.start_ip.cmp(&b.start_ip).then(b.end_ip.cmp(&a.end_ip)));
            if let Some(n) = best {
                out.insert(k.clone(), n.clone());
            }
        }
        Ok(out)
    }
}

fn addr(key: &[u8]) -> Option<IpAddr> {
    ip::from_key(key).map(IpAddr)
}

pub async fn network_of(ctx: &Context<'_>, key: &[u8]) -> Result<Option<Network>> {
    Ok(loader::<NetworkContaining>(ctx)
        .load_one(key.to_vec())
        .await
        .gql()?
        .map(Network))
}

/// The device at a host: by its MAC when known, else the device last seen at its address.
pub async fn device_of(ctx: &Context<'_>, mac: Option<&str>, key: &[u8]) -> Result<Option<Device>> {
    if let Some(mac) = mac {
        let by_mac = loader::<GroupBy<DeviceByMac>>(ctx)
            .load_one(mac.to_string())
            .await
            .gql()?;
        if let Some(d) = by_mac.and_then(|mut d| d.pop()) {
            return Ok(Some(Device(d)));
        }
    }
    let by_ip = loader::<GroupBy<DevicesByIp>>(ctx)
        .load_one(key.to_vec())
        .await
        .gql()?
        .unwrap_or_default();
    Ok(by_ip.into_iter().max_by_key(|d| (d.last_seen, d.id)).map(Device))
}

pub async fn services_of(ctx: &Context<'_>, key: &[u8]) -> Result<Vec<Service>> {
    let rows = loader::<GroupBy<ServicesByIp>>(ctx)
        .load_one(key.to_vec())
        .await
        .gql()?;
    Ok(rows.unwrap_or_default().into_iter().map(Service).collect())
}

pub struct Network(pub network::Model);

#[Object]
impl Network {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Network, self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn cidr(&self) -> &str {
        &self.0.cidr
    }
    async fn gateway_ip(&self) -> Option<IpAddr> {
        self.0.gateway_ip.as_deref().and_then(addr)
    }
    async fn gateway_mac(&self) -> Option<&str> {
        self.0.gateway_mac.as_deref()
    }
    /// New-device alert level: 0, 10, 20 or 30.
    async fn alert_level(&self) -> i32 {
        self.0.alert_level
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub struct Device(pub device::Model);

#[Object]
impl Device {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Device, self.0.id)
    }
    async fn mac(&self) -> &str {
        &self.0.mac
    }
    async fn last_ip(&self) -> Option<IpAddr> {
        self.0.last_ip.as_deref().and_then(addr)
    }
    async fn hostname(&self) -> Option<&str> {
        self.0.hostname.as_deref()
    }
    async fn friendly_name(&self) -> Option<&str> {
        self.0.friendly_name.as_deref()
    }
    async fn vendor(&self) -> Option<&str> {
        self.0.vendor.as_deref()
    }
    async fn first_seen(&self) -> DateTime<Utc> {
        self.0.first_seen
    }
    async fn last_seen(&self) -> DateTime<Utc> {
        self.0.last_seen
    }
    /// The network holding the device's last address.
    async fn network(&self, ctx: &Context<'_>) -> Result<Option<Network>> {
        match &self.0.last_ip {
            Some(k) => network_of(ctx, k).await,
            None => Ok(None),
        }
    }
    /// The host at the device's last address.
    async fn host(&self, ctx: &Context<'_>) -> Result<Option<Host>> {
        match &self.0.last_ip {
            Some(k) => host_at(ctx, k).await,
            None => Ok(None),
        }
    }
    /// Whether the device's last address is the gateway of a network. Gateway MACs do
    /// not count: routed traffic shows many remote addresses with the router's MAC.
    async fn is_gateway(&self) -> bool {
        self.0.is_gateway
    }
}

pub struct Service(pub service::Model);

#[Object]
impl Service {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Service, self.0.id)
    }
    async fn ip(&self) -> Option<IpAddr> {
        addr(&self.0.ip)
    }
    async fn port(&self) -> i32 {
        self.0.port
    }
    async fn protocol(&self) -> Protocol {
        Protocol::parse(&self.0.protocol)
    }
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }
    async fn authorized(&self) -> bool {
        self.0.authorized
    }
    async fn first_seen(&self) -> DateTime<Utc> {
        self.0.first_seen
    }
    async fn last_seen(&self) -> DateTime<Utc> {
        self.0.last_seen
    }
    async fn host(&self, ctx: &Context<'_>) -> Result<Option<Host>> {
        host_at(ctx, &self.0.ip).await
    }
    async fn device(&self, ctx: &Context<'_>) -> Result<Option<Device>> {
        device_of(ctx, None, &self.0.ip).await
    }
}

/// A passive DNS observation: `name` resolved to `value`.
pub struct DnsRecord(pub dns_record::Model);

#[Object]
impl DnsRecord {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::DnsRecord, self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    #[graphql(name = "type")]
    async fn rtype(&self) -> &str {
        &self.0.rtype
    }
    async fn value(&self) -> &str {
        &self.0.value
    }
    async fn first_seen(&self) -> DateTime<Utc> {
        self.0.first_seen
    }
    async fn last_seen(&self) -> DateTime<Utc> {
        self.0.last_seen
    }
    async fn count(&self) -> i64 {
        self.0.count
    }
    async fn sensor(&self) -> Option<&str> {
        self.0.sensor.as_deref()
    }
    /// The host an A/AAAA record resolves to.
    async fn host(&self, ctx: &Context<'_>) -> Result<Option<Host>> {
        match &self.0.ip {
            Some(k) => host_at(ctx, k).await,
            None => Ok(None),
        }
    }
}

crate::listing!(
    NetworkListing, Network, NetworkFilter, NetworkField, NetworkOrder, "NetworkAggregate",
    /// Networks that meet `filter`, in `orderBy` order (ties by ID, the way the last field goes; by ID alone, the
    /// order of adding, without one); `last` pages from the end.
    networks,
    /// Counts, groups and time buckets of the networks that meet `filter`.
    networks_aggregate,
);

crate::listing!(
    DeviceListing, Device, DeviceFilter, DeviceField, DeviceOrder, "DeviceAggregate",
    /// Devices that meet `filter`, in `orderBy` order (ties by ID, the way the last field goes; by ID alone, the order
    /// of discovery, without one); `last` pages from the end.
    devices,
    /// Counts, groups and time buckets of the devices that meet `filter`.
    devices_aggregate,
);

crate::listing!(
    ServiceListing, Service, ServiceFilter, ServiceField, ServiceOrder, "ServiceAggregate",
    /// Services that meet `filter`, in `orderBy` order (ties by ID, the way the last field goes; by ID alone, the
    /// order of discovery, without one); `last` pages from the end.
    services,
    /// Counts, groups and time buckets of the services that meet `filter`.
    services_aggregate,
);

crate::listing!(
    DnsRecordListing, DnsRecord, DnsRecordFilter, DnsRecordField, DnsRecordOrder, "DnsRecordAggregate",
    /// Passive DNS: which names resolved to what, when — the records that meet `filter`,
    /// in `orderBy` order (ties by ID, the way the last field goes); `last` pages from the end.
    dns_records,
    /// Counts, groups and time buckets of the DNS records that meet `filter`.
    dns_records_aggregate,
);

#[derive(Default)]
pub struct InventoryMutation;

#[Object]
impl InventoryMutation {
    /// CONFLICT when a network with the same CIDR exists.
    async fn create_network(&self, ctx: &Context<'_>, input: CreateNetworkInput) -> Result<Network> {
        write(ctx, move |tx| {
            Box::pin(async move { inventory::create_network(tx, input).await })
        })
        .await
        .map(Network)
    }
    async fn update_network(&self, ctx: &Context<'_>, id: ID, input: NetworkInput) -> Result<Network> {
        let id = ids::decode("id", &id, Kind::Network).gql()?;
        write(ctx, move |tx| {
            Box::pin(async move { inventory::update_network(tx, id, input).await })
        })
        .await
        .map(Network)
    }
    async fn delete_network(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let n = ids::decode("id", &id, Kind::Network).gql()?;
        write(ctx, move |tx| {
            Box::pin(async move { inventory::delete_network(tx, n).await })
        })
        .await?;
        Ok(id)
    }
    /// CONFLICT when a device with the same MAC exists.
    async fn create_device(&self, ctx: &Context<'_>, input: CreateDeviceInput) -> Result<Device> {
        write(ctx, move |tx| {
            Box::pin(async move { inventory::create_device(tx, input).await })
        })
        .await
        .map(Device)
    }
    async fn update_device(&self, ctx: &Context<'_>, id: ID, input: DeviceInput) -> Result<Device> {
        let id = ids::decode("id", &id, Kind::Device).gql()?;
        write(ctx, move |tx| {
            Box::pin(async move { inventory::update_device(tx, id, input).await })
        })
        .await
        .map(Device)
    }
    async fn delete_device(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let n = ids::decode("id", &id, Kind::Device).gql()?;
        write(ctx, move |tx| {
            Box::pin(async move { inventory::delete_device(tx, n).await })
        })
        .await?;
        Ok(id)
    }
    /// CONFLICT when the same address, protocol and port exist.
    async fn create_service(&self, ctx: &Context<'_>, input: CreateServiceInput) -> Result<Service> {
        write(ctx, move |tx| {
            Box::pin(async move { inventory::create_service(tx, input).await })
        })
        .await
        .map(Service)
    }
    async fn update_service(&self, ctx: &Context<'_>, id: ID, input: ServiceInput) -> Result<Service> {
        let id = ids::decode("id", &id, Kind::Service).gql()?;
        write(ctx, move |tx| {
            Box::pin(async move { inventory::update_service(tx, id, input).await })
        })
        .await
        .map(Service)
    }
    /// Authorizes the service at this address, port and protocol, recording it when it
    /// was never seen.
    async fn authorize_service(&self, ctx: &Context<'_>, ip: IpAddr, port: i32, protocol: Protocol) -> Result<Service> {
        write(ctx, move |tx| {
            Box::pin(async move { inventory::authorize_service(tx, ip, port, protocol).await })
        })
        .await
        .map(Service)
    }
    async fn delete_service(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let n = ids::decode("id", &id, Kind::Service).gql()?;
        write(ctx, move |tx| {
            Box::pin(async move { inventory::delete_service(tx, n).await })
        })
        .await?;
        Ok(id)
    }
    async fn create_dns_record(&self, ctx: &Context<'_>, input: CreateDnsRecordInput) -> Result<DnsRecord> {
        write(ctx, move |tx| {
            Box::pin(async move { inventory::create_dns_record(tx, input).await })
        })
        .await
        .map(DnsRecord)
    }
    async fn update_dns_record(&self, ctx: &Context<'_>, id: ID, input: DnsRecordInput) -> Result<DnsRecord> {
        let id = ids::decode("id", &id, Kind::DnsRecord).gql()?;
        write(ctx, move |tx| {
            Box::pin(async move { inventory::update_dns_record(tx, id, input).await })
        })
        .await
        .map(DnsRecord)
    }
    async fn delete_dns_record(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let n = ids::decode("id", &id, Kind::DnsRecord).gql()?;
        write(ctx, move |tx| {
            Box::pin(async move { inventory::delete_dns_record(tx, n).await })
        })
        .await?;
        Ok(id)
    }
}
