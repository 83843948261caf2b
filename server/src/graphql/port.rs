//! Ports, their NSE script results, and scans.

use async_graphql::{Context, Object, Result, ID};
use chrono::{DateTime, Utc};
use entities::{port, scan, script_result};

use super::audit::write;
use super::errors::Gql;
use super::host::Host;
use super::loaders::{loader, ById, GroupBy};
use crate::domain::ids::{self, Kind};
use crate::domain::ports::{self, CreatePortInput, PortField, PortFilter, PortInput, PortOrder, Protocol};
use crate::domain::provenance::{ScanField, ScanFilter, ScanOrder};
use crate::group;

group!(ScriptsOfPort, script_result::Entity, script_result::Column::PortId, i64);

pub struct Port(pub port::Model);

#[Object]
impl Port {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Port, self.0.id)
    }
    async fn host(&self, ctx: &Context<'_>) -> Result<Host> {
        let host = loader::<ById<entities::host::Entity>>(ctx)
            .load_one(self.0.host_id)
            .await
            .gql()?;
        host.map(Host).ok_or_else(|| "the host of a port is gone".into())
    }
    async fn port(&self) -> i32 {
        self.0.port
    }
    async fn protocol(&self) -> Protocol {
        Protocol::parse(&self.0.protocol)
    }
    /// `open`, `closed`, `filtered` ...
    async fn state(&self) -> &str {
        &self.0.state
    }
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
    async fn service_name(&self) -> Option<&str> {
        self.0.service_name.as_deref()
    }
    async fn service_product(&self) -> Option<&str> {
        self.0.service_product.as_deref()
    }
    async fn service_version(&self) -> Option<&str> {
        self.0.service_version.as_deref()
    }
    async fn service_extra(&self) -> Option<&str> {
        self.0.service_extra.as_deref()
    }
    async fn scripts(&self, ctx: &Context<'_>) -> Result<Vec<ScriptResult>> {
        let rows = loader::<GroupBy<ScriptsOfPort>>(ctx).load_one(self.0.id).await.gql()?;
        Ok(rows.unwrap_or_default().into_iter().map(ScriptResult).collect())
    }
    async fn scan(&self, ctx: &Context<'_>) -> Result<Option<Scan>> {
        let Some(id) = self.0.scan_id else {
            return Ok(None);
        };
        Ok(loader::<ById<scan::Entity>>(ctx).load_one(id).await.gql()?.map(Scan))
    }
    async fn last_seen(&self) -> Option<DateTime<Utc>> {
        self.0.last_seen
    }
    async fn first_seen(&self) -> Option<DateTime<Utc>> {
        self.0.first_seen
    }
    /// CPEs of the service.
    async fn cpes(&self) -> Vec<String> {
        crate::domain::text::decode_tags(&self.0.cpes)
    }
    /// Every time a scan saw this port, oldest first, with the state it saw.
    async fn sightings(&self, ctx: &Context<'_>) -> Result<Vec<super::findings::PortSighting>> {
        super::findings::sightings(ctx, self.0.id).await
    }
}

/// The output of one NSE script on a port.
pub struct ScriptResult(pub script_result::Model);

#[Object]
impl ScriptResult {
    /// The script's name, e.g. `ssh-hostkey`.
    async fn script_id(&self) -> &str {
        &self.0.script_id
    }
    async fn output(&self) -> &str {
        &self.0.output
    }
    /// The script's structured output, when it has one.
    async fn data(&self) -> Option<async_graphql::Json<serde_json::Value>> {
        self.0.data.clone().map(async_graphql::Json)
    }
}

/// One scan run that was imported.
pub struct Scan(pub scan::Model);

#[Object]
impl Scan {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Scan, self.0.id)
    }
    /// The scanner: `nmap`, `masscan` ...
    async fn tool(&self) -> &str {
        &self.0.tool
    }
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }
    async fn args(&self) -> Option<&str> {
        self.0.args.as_deref()
    }
    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.0.started_at
    }
    async fn ended_at(&self) -> Option<DateTime<Utc>> {
        self.0.ended_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The import that brought it.
    async fn import(&self, ctx: &Context<'_>) -> Result<Option<super::import::Import>> {
        super::import::import_of(ctx, self.0.import_id).await
    }
    /// Where the scan came from (the label given at import).
    async fn source(&self) -> Option<&str> {
        self.0.source.as_deref()
    }
    async fn categories(&self) -> Vec<String> {
        crate::domain::text::decode_tags(&self.0.categories)
    }
}

crate::listing!(
    PortListing, Port, PortFilter, PortField, PortOrder, "PortAggregate",
    /// Ports of every host that meet `filter` (`{port: {eq: 3389}, state: {eq: "open"}}`),
    /// in `orderBy` order (ties by ID, the way the last field goes); `last` pages from the end.
    ports,
    /// Counts, groups and time buckets of the ports that meet `filter`.
    ports_aggregate,
);

crate::listing!(
    PortQuery, Scan, ScanFilter, ScanField, ScanOrder, "ScanAggregate",
    /// Imported scans that meet `filter`, in `orderBy` order (ties by ID, the way the last field goes; by ID alone,
    /// oldest first, without one); `last` pages from the end.
    scans,
    /// Counts, groups and time buckets of the scans that meet `filter`.
    scans_aggregate,
);

#[derive(Default)]
pub struct PortMutation;

#[Object]
impl PortMutation {
    async fn create_port(&self, ctx: &Context<'_>, input: CreatePortInput) -> Result<Port> {
        write(ctx, move |tx| Box::pin(async move { ports::create(tx, input).await }))
            .await
            .map(Port)
    }
    async fn update_port(&self, ctx: &Context<'_>, id: ID, input: PortInput) -> Result<Port> {
        let id = ids::decode("id", &id, Kind::Port).gql()?;
        write(ctx, move |tx| {
            Box::pin(async move { ports::update(tx, id, input).await })
        })
        .await
        .map(Port)
    }
    async fn delete_port(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let n = ids::decode("id", &id, Kind::Port).gql()?;
        write(ctx, move |tx| Box::pin(async move { ports::delete(tx, n).await })).await?;
        Ok(id)
    }
    /// Deletes a scan; the ports it saw stay.
    async fn delete_scan(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let n = ids::decode("id", &id, Kind::Scan).gql()?;
        write(ctx, move |tx| Box::pin(async move { ports::delete_scan(tx, n).await })).await?;
        Ok(id)
    }
}
