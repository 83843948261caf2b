//! What scans found beyond ports: when each port was seen (its history), host-level
//! NSE scripts, OS guesses and traceroute hops.

use async_graphql::{Context, Json, Object, Result};
use chrono::{DateTime, Utc};
use entities::{host_script, os_match, port_sighting, scan, trace_hop};

use super::errors::Gql;
use super::loaders::{loader, ById, GroupBy};
use super::port::Scan;
use crate::domain::ip;
use crate::domain::values::IpAddr;
use crate::group;

group!(
    SightingsOfPort,
    port_sighting::Entity,
    port_sighting::Column::PortId,
    i64
);
group!(ScriptsOfHost, host_script::Entity, host_script::Column::HostId, i64);
group!(OsMatchesOfHost, os_match::Entity, os_match::Column::HostId, i64);
group!(HopsOfHost, trace_hop::Entity, trace_hop::Column::HostId, i64);

async fn scan_of(ctx: &Context<'_>, id: Option<i64>) -> Result<Option<Scan>> {
    let Some(id) = id else { return Ok(None) };
    Ok(loader::<ById<scan::Entity>>(ctx).load_one(id).await.gql()?.map(Scan))
}

/// One time a scan saw a port, and the state it saw.
pub struct PortSighting(pub port_sighting::Model);

#[Object]
impl PortSighting {
    async fn seen_at(&self) -> DateTime<Utc> {
        self.0.seen_at
    }
    async fn state(&self) -> &str {
        &self.0.state
    }
    async fn scan(&self, ctx: &Context<'_>) -> Result<Option<Scan>> {
        scan_of(ctx, self.0.scan_id).await
    }
}

/// The output of one host-level NSE script (`hostscript`).
pub struct HostScript(pub host_script::Model);

#[Object]
impl HostScript {
    async fn script_id(&self) -> &str {
        &self.0.script_id
    }
    async fn output(&self) -> &str {
        &self.0.output
    }
    /// The script's structured output, when it has one.
    async fn data(&self) -> Option<Json<serde_json::Value>> {
        self.0.data.clone().map(Json)
    }
    async fn scan(&self, ctx: &Context<'_>) -> Result<Option<Scan>> {
        scan_of(ctx, self.0.scan_id).await
    }
}

/// An operating system a scan guessed for a host.
pub struct OsMatch(pub os_match::Model);

#[Object]
impl OsMatch {
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// How sure the scanner was, in percent.
    async fn accuracy(&self) -> i32 {
        self.0.accuracy
    }
    /// The OS classes of the match: `[{type, vendor, osfamily, osgen, accuracy, cpes}]`.
    async fn classes(&self) -> Option<Json<serde_json::Value>> {
        self.0.classes.clone().map(Json)
    }
}

/// One hop of a traceroute towards a host.
pub struct TraceHop(pub trace_hop::Model);

#[Object]
impl TraceHop {
    async fn ttl(&self) -> i32 {
        self.0.ttl
    }
    async fn ip(&self) -> Option<IpAddr> {
        self.0.ip.as_deref().and_then(ip::from_key).map(IpAddr)
    }
    /// Round-trip time in milliseconds.
    async fn rtt(&self) -> Option<f64> {
        self.0.rtt
    }
    async fn hostname(&self) -> Option<&str> {
        self.0.hostname.as_deref()
    }
}

pub async fn sightings(ctx: &Context<'_>, port_id: i64) -> Result<Vec<PortSighting>> {
    let mut rows = loader::<GroupBy<SightingsOfPort>>(ctx)
        .load_one(port_id)
        .await
        .gql()?
        .unwrap_or_default();
    rows.sort_by_key(|s| (s.seen_at, s.id));
    Ok(rows.into_iter().map(PortSighting).collect())
}

pub async fn scripts(ctx: &Context<'_>, host_id: i64) -> Result<Vec<HostScript>> {
    let rows = loader::<GroupBy<ScriptsOfHost>>(ctx).load_one(host_id).await.gql()?;
    Ok(rows.unwrap_or_default().into_iter().map(HostScript).collect())
}

pub async fn os_matches(ctx: &Context<'_>, host_id: i64) -> Result<Vec<OsMatch>> {
    let mut rows = loader::<GroupBy<OsMatchesOfHost>>(ctx)
        .load_one(host_id)
        .await
        .gql()?
        .unwrap_or_default();
    rows.sort_by_key(|o| (-o.accuracy, o.id));
    Ok(rows.into_iter().map(OsMatch).collect())
}

pub async fn traceroute(ctx: &Context<'_>, host_id: i64) -> Result<Vec<TraceHop>> {
    let mut rows = loader::<GroupBy<HopsOfHost>>(ctx)
        .load_one(host_id)
        .await
        .gql()?
        .unwrap_or_default();
    rows.sort_by_key(|h| h.ttl);
    Ok(rows.into_iter().map(TraceHop).collect())
}
