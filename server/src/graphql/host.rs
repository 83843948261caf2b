//! Hosts and their edges to everything an investigator pivots to from an address.

use std::net::Ipv6Addr;
use std::sync::Arc;

use async_graphql::{Context, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entities::{host, hostname, note, port};
use sea_orm::sea_query::{Alias, Asterisk, Condition, Expr, Query, SelectStatement};
use sea_orm::ColumnTrait;

use super::alert::{Alert, AlertsOfHost};
use super::asset::{Asset, AssetsByIp};
use super::audit::write;
use super::case::{cases_by_id, Case, CaseLinksOfIoc};
use super::errors::Gql;
use super::flow::{Flow, FlowsOfHost};
use super::inventory::{device_of, network_of, services_of, Device, DnsOfHost, DnsRecord, Network, Service};
use super::ioc::{Ioc, IocsByValue};
use super::loaders::{loader, CountBy, EdgeKey, EdgeQuery, GroupBy, Paged};
use super::note::Note;
use super::pagination::{edge_connection, Conn, PageArgs};
use super::port::Port;
use crate::domain::alerts::AlertFilter;
use crate::domain::flows::FlowFilter;
use crate::domain::hosts::{self, CreateHostInput, HostField, HostFilter, HostInput, HostOrder};
use crate::domain::ids::{self, Kind};
use crate::domain::inventory::DnsRecordFilter;
use crate::domain::ports::PortFilter;
use crate::domain::values::IpAddr;
use crate::domain::{ip, text};
use crate::group;

group!(HostnamesOfHost, hostname::Entity, hostname::Column::HostId, i64);
group!(HostByIp, host::Entity, host::Column::Ip, Vec<u8>);
group!(
    NotesOfHost,
    note::Entity,
    note::Column::SubjectId,
    i64,
    Condition::all().add(note::Column::SubjectType.eq(Kind::Host.name()))
);

/// The ports of hosts, keyed by host id.
pub struct PortsOfHost;

impl Paged for PortsOfHost {
    type E = port::Entity;
    type Key = i64;
    fn base(keys: Vec<i64>) -> SelectStatement {
        Query::select()
            .column(Asterisk)
            .expr_as(Expr::col(port::Column::HostId), Alias::new("pk"))
            .from(port::Entity)
            .and_where(port::Column::HostId.is_in(keys))
            .to_owned()
    }
}

pub struct Host(pub host::Model);

impl Host {
    pub fn ip_addr(&self) -> std::net::IpAddr {
        ip::from_key(&self.0.ip).unwrap_or(std::net::IpAddr::V6(Ipv6Addr::UNSPECIFIED))
    }
}

/// Where a host is, as far as geolocation and routing data tell.
#[derive(SimpleObject)]
pub struct GeoInfo {
    /// ISO 3166 two-letter code.
    pub country: Option<String>,
    pub city: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub asn: Option<i64>,
    pub as_name: Option<String>,
}

#[Object]
impl Host {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Host, self.0.id)
    }
    async fn ip(&self) -> IpAddr {
        IpAddr(self.ip_addr())
    }
    async fn hostnames(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        let rows = loader::<GroupBy<HostnamesOfHost>>(ctx)
            .load_one(self.0.id)
            .await
            .gql()?;
        Ok(rows.unwrap_or_default().into_iter().map(|h| h.name).collect())
    }
    async fn mac(&self) -> Option<&str> {
        self.0.mac.as_deref()
    }
    /// The best OS guess of the latest scan (all of them: `osMatches`).
    async fn os(&self) -> Option<&str> {
        self.0.os.as_deref()
    }
    /// `up` or `down`, as the latest scan saw it.
    async fn status(&self) -> Option<&str> {
        self.0.status.as_deref()
    }
    /// The latest scan's OS guesses, most likely first.
    async fn os_matches(&self, ctx: &Context<'_>) -> Result<Vec<super::findings::OsMatch>> {
        super::findings::os_matches(ctx, self.0.id).await
    }
    /// The latest scan's host-level NSE scripts.
    async fn scripts(&self, ctx: &Context<'_>) -> Result<Vec<super::findings::HostScript>> {
        super::findings::scripts(ctx, self.0.id).await
    }
    /// The latest scan's traceroute towards this host, nearest hop first.
    async fn traceroute(&self, ctx: &Context<'_>) -> Result<Vec<super::findings::TraceHop>> {
        super::findings::traceroute(ctx, self.0.id).await
    }
    async fn first_seen(&self) -> Option<DateTime<Utc>> {
        self.0.first_seen
    }
    async fn last_seen(&self) -> Option<DateTime<Utc>> {
        self.0.last_seen
    }
    async fn geo(&self) -> Option<GeoInfo> {
        let h = &self.0;
        let any = h.country.is_some() || h.city.is_some() || h.latitude.is_some() || h.asn.is_some();
        any.then(|| GeoInfo {
            country: h.country.clone(),
            city: h.city.clone(),
            latitude: h.latitude,
            longitude: h.longitude,
            asn: h.asn,
            as_name: h.as_name.clone(),
        })
    }
    /// The imports that wrote about the host (scanned it, or saw it at a flow's end),
    /// oldest first.
    async fn imports(&self, ctx: &Context<'_>) -> Result<Vec<super::import::Import>> {
        super::import::imports_of_host(ctx, self.0.id).await
    }
    async fn categories(&self) -> Vec<String> {
        text::decode_tags(&self.0.categories)
    }
    async fn open_port_count(&self, ctx: &Context<'_>) -> Result<i64> {
        let query = Arc::new(EdgeQuery {
            fingerprint: "open".into(),
            condition: Condition::all().add(port::Column::State.eq("open")),
            after: None,
            limit: 0,
        });
        let n = loader::<CountBy<PortsOfHost>>(ctx)
            .load_one(EdgeKey {
                parent: self.0.id,
                query,
            })
            .await
            .gql()?;
        Ok(n.unwrap_or(0))
    }
    #[graphql(complexity = "super::pagination::cost(first, None, child_complexity)")]
    async fn ports(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<PortFilter>,
    ) -> Result<Conn<Port>> {
        edge_connection::<PortsOfHost, _, _>(ctx, self.0.id, filter, PageArgs::forward(first, after), Port).await
    }
    /// Flows with this host at either end.
    #[graphql(complexity = "super::pagination::cost(first, None, child_complexity)")]
    async fn flows(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<FlowFilter>,
    ) -> Result<Conn<Flow>> {
        let args = PageArgs::forward(first, after);
        edge_connection::<FlowsOfHost, _, _>(ctx, self.0.ip.clone(), filter, args, Flow).await
    }
    /// Alerts with this host as source or destination.
    #[graphql(complexity = "super::pagination::cost(first, None, child_complexity)")]
    async fn alerts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<AlertFilter>,
    ) -> Result<Conn<Alert>> {
        let args = PageArgs::forward(first, after);
        edge_connection::<AlertsOfHost, _, _>(ctx, self.0.ip.clone(), filter, args, Alert).await
    }
    /// IPDR records where this host's address appears (as source, destination, NAT or
    /// device address), in one context or every context of records the caller reaches,
    /// overlapping `window`.
    #[graphql(complexity = "super::pagination::cost(first, None, child_complexity)")]
    async fn ipdr_records(
        &self,
        ctx: &Context<'_>,
        context: Option<String>,
        window: Option<crate::domain::filters::TimeRange>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<super::ipdr::IpdrRecord>> {
        let args = PageArgs::forward(first, after);
        super::ipdr::records_of_host(ctx, self.0.ip.clone(), context, window, args).await
    }
    /// Notes written about this host.
    async fn notes(&self, ctx: &Context<'_>) -> Result<Vec<Note>> {
        let rows = loader::<GroupBy<NotesOfHost>>(ctx).load_one(self.0.id).await.gql()?;
        Ok(rows.unwrap_or_default().into_iter().map(Note).collect())
    }
    /// IOCs whose value is this host's address or one of its names.
    async fn iocs(&self, ctx: &Context<'_>) -> Result<Vec<Ioc>> {
        let names = loader::<GroupBy<HostnamesOfHost>>(ctx)
            .load_one(self.0.id)
            .await
            .gql()?
            .unwrap_or_default();
        let values = std::iter::once(ip::canonical(self.ip_addr())).chain(names.into_iter().map(|n| n.name));
        let found = loader::<GroupBy<IocsByValue>>(ctx).load_many(values).await.gql()?;
        let mut out: Vec<Ioc> = found.into_values().flatten().map(Ioc).collect();
        out.sort_by_key(|i| i.0.id);
        out.dedup_by_key(|i| i.0.id);
        Ok(out)
    }
    /// Case assets that name this host's address.
    async fn assets(&self, ctx: &Context<'_>) -> Result<Vec<Asset>> {
        let rows = loader::<GroupBy<AssetsByIp>>(ctx)
            .load_one(self.0.ip.clone())
            .await
            .gql()?;
        Ok(rows.unwrap_or_default().into_iter().map(Asset).collect())
    }
    /// Cases with an asset naming this host, or an IOC matching it.
    async fn cases(&self, ctx: &Context<'_>) -> Result<Vec<Case>> {
        let assets = loader::<GroupBy<AssetsByIp>>(ctx)
            .load_one(self.0.ip.clone())
            .await
            .gql()?
            .unwrap_or_default();
        let iocs = self.iocs(ctx).await?;
        let links = loader::<GroupBy<CaseLinksOfIoc>>(ctx)
            .load_many(iocs.iter().map(|i| i.0.id))
            .await
            .gql()?;
        let ids = assets
            .iter()
            .map(|a| a.case_id)
            .chain(links.into_values().flatten().map(|l| l.case_id));
        cases_by_id(ctx, ids).await
    }
    /// The device at this host: by MAC when known, else by last address.
    async fn device(&self, ctx: &Context<'_>) -> Result<Option<Device>> {
        device_of(ctx, self.0.mac.as_deref(), &self.0.ip).await
    }
    /// The most specific network containing this host.
    async fn network(&self, ctx: &Context<'_>) -> Result<Option<Network>> {
        network_of(ctx, &self.0.ip).await
    }
    async fn services(&self, ctx: &Context<'_>) -> Result<Vec<Service>> {
        services_of(ctx, &self.0.ip).await
    }
    /// Passive DNS records resolving to this host.
    #[graphql(complexity = "super::pagination::cost(first, None, child_complexity)")]
    async fn dns_records(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<DnsRecordFilter>,
    ) -> Result<Conn<DnsRecord>> {
        let args = PageArgs::forward(first, after);
        edge_connection::<DnsOfHost, _, _>(ctx, self.0.ip.clone(), filter, args, DnsRecord).await
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

#[derive(Default)]
pub struct HostQuery;

#[Object]
impl HostQuery {
    /// The host with this address, if Pivot knows it.
    async fn host(&self, ctx: &Context<'_>, ip: IpAddr) -> Result<Option<Host>> {
        let rows = loader::<GroupBy<HostByIp>>(ctx)
            .load_one(ip::to_key(ip.0))
            .await
            .gql()?;
        Ok(rows.and_then(|mut r| r.pop()).map(Host))
    }
}

crate::listing!(
    HostListing, Host, HostFilter, HostField, HostOrder, "HostAggregate",
    /// Hosts that meet `filter`, in `orderBy` order (ties by ID, the way the last field goes; by ID alone, the order
    /// in which Pivot learnt of them, without one); `last` pages from the end.
    hosts,
    /// Counts, groups and time buckets of the hosts that meet `filter`.
    hosts_aggregate,
);

#[derive(Default)]
pub struct HostMutation;

#[Object]
impl HostMutation {
    async fn create_host(&self, ctx: &Context<'_>, input: CreateHostInput) -> Result<Host> {
        write(ctx, move |tx| Box::pin(async move { hosts::create(tx, input).await }))
            .await
            .map(Host)
    }
    async fn update_host(&self, ctx: &Context<'_>, id: ID, input: HostInput) -> Result<Host> {
        let id = ids::decode("id", &id, Kind::Host).gql()?;
        write(ctx, move |tx| {
            Box::pin(async move { hosts::update(tx, id, input).await })
        })
        .await
        .map(Host)
    }
    /// Deletes a host with its names, ports and the notes about it.
    async fn delete_host(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let n = ids::decode("id", &id, Kind::Host).gql()?;
        write(ctx, move |tx| Box::pin(async move { hosts::delete(tx, n).await })).await?;
        Ok(id)
    }
}
