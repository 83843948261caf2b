//! Flows, and the flows of a host (as source or destination).

use async_graphql::{Context, Object, Result, ID};
use chrono::{DateTime, Utc};
use entities::{alert, flow};
use sea_orm::sea_query::{Alias, Asterisk, Expr, Query, SelectStatement, UnionType};
use sea_orm::ColumnTrait;

use super::alert::Alert;
use super::audit::write;
use super::errors::Gql;
use super::host::{Host, HostByIp};
use super::loaders::{loader, GroupBy, Paged};
use crate::domain::flows::{self, CreateFlowInput, FlowField, FlowFilter, FlowInput, FlowOrder};
use crate::domain::ids::{self, Kind};
use crate::domain::ip;
use crate::domain::ports::Protocol;
use crate::domain::values::IpAddr;
use crate::group;

group!(AlertsOfFlow, alert::Entity, alert::Column::FlowId, i64);

/// Rows of a table with `src_ip`/`dst_ip`, keyed by either end: each row once per end
/// among `keys` (a flow from a host to itself counts once).
pub fn by_either_end<E: sea_orm::EntityTrait>(src: E::Column, dst: E::Column, keys: Vec<Vec<u8>>) -> SelectStatement {
    let side = |col: E::Column| {
        Query::select()
            .column(Asterisk)
            .expr_as(Expr::col(col), Alias::new("pk"))
            .from(E::default())
            .and_where(col.is_in(keys.clone()))
            .to_owned()
    };
    let mut out = side(src);
    let mut second = side(dst);
    second.and_where(Expr::col(src).ne(Expr::col(dst)));
    out.union(UnionType::All, second);
    out
}

/// The flows of hosts, keyed by address.
pub struct FlowsOfHost;

impl Paged for FlowsOfHost {
    type E = flow::Entity;
    type Key = Vec<u8>;
    fn base(keys: Vec<Vec<u8>>) -> SelectStatement {
        by_either_end::<flow::Entity>(flow::Column::SrcIp, flow::Column::DstIp, keys)
    }
}

pub struct Flow(pub flow::Model);

/// The host at `key`; flows and alerts create their hosts, so it exists unless deleted since.
pub async fn host_at(ctx: &Context<'_>, key: &[u8]) -> Result<Option<Host>> {
    let rows = loader::<GroupBy<HostByIp>>(ctx).load_one(key.to_vec()).await.gql()?;
    Ok(rows.and_then(|mut r| r.pop()).map(Host))
}

fn ip_of(key: &[u8]) -> IpAddr {
    IpAddr(ip::from_key(key).unwrap_or(std::net::Ipv6Addr::UNSPECIFIED.into()))
}

#[Object]
impl Flow {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Flow, self.0.id)
    }
    async fn src(&self, ctx: &Context<'_>) -> Result<Host> {
        host_at(ctx, &self.0.src_ip)
            .await?
            .ok_or_else(|| "the source host was deleted".into())
    }
    async fn dst(&self, ctx: &Context<'_>) -> Result<Host> {
        host_at(ctx, &self.0.dst_ip)
            .await?
            .ok_or_else(|| "the destination host was deleted".into())
    }
    async fn src_ip(&self) -> IpAddr {
        ip_of(&self.0.src_ip)
    }
    async fn dst_ip(&self) -> IpAddr {
        ip_of(&self.0.dst_ip)
    }
    async fn src_port(&self) -> Option<i32> {
        self.0.src_port
    }
    async fn dst_port(&self) -> Option<i32> {
        self.0.dst_port
    }
    async fn protocol(&self) -> Protocol {
        Protocol::parse(&self.0.protocol)
    }
    /// The sensor's id of the connection (Zeek's uid).
    async fn uid(&self) -> Option<&str> {
        self.0.uid.as_deref()
    }
    /// The connection's state as the sensor reports it (Zeek's conn_state: SF, S0, REJ …).
    async fn state(&self) -> Option<&str> {
        self.0.state.as_deref()
    }
    async fn application(&self) -> Option<&str> {
        self.0.application.as_deref()
    }
    async fn src_bytes(&self) -> i64 {
        self.0.src_bytes
    }
    async fn dst_bytes(&self) -> i64 {
        self.0.dst_bytes
    }
    async fn src_packets(&self) -> i64 {
        self.0.src_packets
    }
    async fn dst_packets(&self) -> i64 {
        self.0.dst_packets
    }
    async fn started_at(&self) -> DateTime<Utc> {
        self.0.started_at
    }
    async fn ended_at(&self) -> Option<DateTime<Utc>> {
        self.0.ended_at
    }
    /// The import that brought it, if it was imported.
    async fn import(&self, ctx: &Context<'_>) -> Result<Option<super::import::Import>> {
        super::import::import_of(ctx, self.0.import_id).await
    }
    async fn sensor(&self) -> Option<&str> {
        self.0.sensor.as_deref()
    }
    /// Alerts raised about this flow.
    async fn alerts(&self, ctx: &Context<'_>) -> Result<Vec<Alert>> {
        let rows = loader::<GroupBy<AlertsOfFlow>>(ctx).load_one(self.0.id).await.gql()?;
        Ok(rows.unwrap_or_default().into_iter().map(Alert).collect())
    }
}

crate::listing!(
    FlowQuery, Flow, FlowFilter, FlowField, FlowOrder, "FlowAggregate",
    /// Flows that meet `filter`, in `orderBy` order (ties by ID, the way the last field goes; by ID alone, the order
    /// of insertion, without one); `last` pages from the end.
    flows,
    /// Counts, groups and time buckets of the flows that meet `filter`.
    flows_aggregate,
);

#[derive(Default)]
pub struct FlowMutation;

#[Object]
impl FlowMutation {
    /// Records a flow; hosts for both ends are created when missing.
    async fn create_flow(&self, ctx: &Context<'_>, input: CreateFlowInput) -> Result<Flow> {
        write(ctx, move |tx| Box::pin(async move { flows::create(tx, input).await }))
            .await
            .map(Flow)
    }
    async fn update_flow(&self, ctx: &Context<'_>, id: ID, input: FlowInput) -> Result<Flow> {
        let id = ids::decode("id", &id, Kind::Flow).gql()?;
        write(ctx, move |tx| {
            Box::pin(async move { flows::update(tx, id, input).await })
        })
        .await
        .map(Flow)
    }
    async fn delete_flow(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let n = ids::decode("id", &id, Kind::Flow).gql()?;
        write(ctx, move |tx| Box::pin(async move { flows::delete(tx, n).await })).await?;
        Ok(id)
    }
}
