//! Flows between addresses. Both ends of a flow are hosts: creating a flow creates
//! the host rows it names, so `Flow.src` and `Flow.dst` always resolve.

use async_graphql::{InputObject, MaybeUndefined};
use chrono::{DateTime, Utc};
use entities::flow;
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, TransactionTrait};
use serde::Serialize;

use super::crud::{self, opt_text, set, set_opt};
use super::error::{DomainError, DomainResult};
use super::hosts;
use super::ip;
use super::ports::Protocol;
use super::query::{EnumOp, IntOp, IpOp, TextOp, TimeOp};
use super::text;
use super::values::IpAddr;

/// Which flows: conditions on their fields, composed with `and`, `or` and `not`.
#[derive(InputObject, Serialize, Clone, Debug, Default)]
pub struct FlowFilter {
    pub and: Option<Vec<FlowFilter>>,
    pub or: Option<Vec<FlowFilter>>,
    pub not: Option<Box<FlowFilter>>,
    /// Either end meets it.
    pub host: Option<IpOp>,
    pub src: Option<IpOp>,
    pub dst: Option<IpOp>,
    /// Either port meets it.
    pub port: Option<IntOp>,
    pub src_port: Option<IntOp>,
    pub dst_port: Option<IntOp>,
    pub protocol: Option<EnumOp<Protocol>>,
    /// Application (layer 7) protocol, stored lower case.
    pub application: Option<TextOp>,
    pub src_bytes: Option<IntOp>,
    pub dst_bytes: Option<IntOp>,
    pub src_packets: Option<IntOp>,
    pub dst_packets: Option<IntOp>,
    pub started_at: Option<TimeOp>,
    pub ended_at: Option<TimeOp>,
    pub sensor: Option<TextOp>,
    /// The sensor's id of the connection (Zeek's uid).
    pub uid: Option<TextOp>,
    /// The connection state (Zeek's conn_state).
    pub state: Option<TextOp>,
}

crate::where_impl!(FlowFilter, flow::Entity, |f, c| {
    use flow::Column as F;
    c.on_any("host", &f.host, &[F::SrcIp, F::DstIp])?;
    c.on("src", &f.src, F::SrcIp)?;
    c.on("dst", &f.dst, F::DstIp)?;
    c.on_port("port", &f.port, &[F::SrcPort, F::DstPort])?;
    c.on_port("srcPort", &f.src_port, &[F::SrcPort])?;
    c.on_port("dstPort", &f.dst_port, &[F::DstPort])?;
    c.on("protocol", &f.protocol, F::Protocol)?;
    c.on("application", &f.application, F::Application)?;
    c.on("srcBytes", &f.src_bytes, F::SrcBytes)?;
    c.on("dstBytes", &f.dst_bytes, F::DstBytes)?;
    c.on("srcPackets", &f.src_packets, F::SrcPackets)?;
    c.on("dstPackets", &f.dst_packets, F::DstPackets)?;
    c.on("startedAt", &f.started_at, F::StartedAt)?;
    c.on("endedAt", &f.ended_at, F::EndedAt)?;
    c.on("sensor", &f.sensor, F::Sensor)?;
    c.on("uid", &f.uid, F::Uid)?;
    c.on("state", &f.state, F::State)?;
});

crate::fields! {
    /// The fields flows sort, group and bucket by.
    FlowField, FlowOrder for flow {
        /// The order of arrival.
        Id => Id: Int,
        Src => SrcIp: Ip,
        Dst => DstIp: Ip,
        SrcPort => SrcPort: Int,
        DstPort => DstPort: Int,
        Protocol => Protocol: Text,
        Application => Application: Text,
        SrcBytes => SrcBytes: Int,
        DstBytes => DstBytes: Int,
        SrcPackets => SrcPackets: Int,
        DstPackets => DstPackets: Int,
        StartedAt => StartedAt: Time,
        EndedAt => EndedAt: Time,
        Sensor => Sensor: Text,
        State => State: Text,
        Uid => Uid: Text,
    }
}

/// The writable fields of a flow besides its endpoints; on update, an absent field
/// is left as it is.
#[derive(InputObject, Clone, Debug, Default)]
pub struct FlowInput {
    pub application: MaybeUndefined<String>,
    pub src_bytes: Option<i64>,
    pub dst_bytes: Option<i64>,
    pub src_packets: Option<i64>,
    pub dst_packets: Option<i64>,
    pub ended_at: MaybeUndefined<DateTime<Utc>>,
    pub sensor: MaybeUndefined<String>,
}

#[derive(InputObject, Clone, Debug)]
pub struct CreateFlowInput {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub src_port: Option<i32>,
    pub dst_port: Option<i32>,
    pub protocol: Protocol,
    pub started_at: DateTime<Utc>,
    #[graphql(flatten)]
    pub fields: FlowInput,
}

fn apply(am: &mut flow::ActiveModel, f: FlowInput) -> DomainResult<()> {
    set_opt(
        &mut am.application,
        opt_text("application", f.application, 64)?.map_value(|a| a.to_lowercase()),
    );
    set(
        &mut am.src_bytes,
        f.src_bytes.map(|v| text::non_negative("srcBytes", v)).transpose()?,
    );
    set(
        &mut am.dst_bytes,
        f.dst_bytes.map(|v| text::non_negative("dstBytes", v)).transpose()?,
    );
    set(
        &mut am.src_packets,
        f.src_packets.map(|v| text::non_negative("srcPackets", v)).transpose()?,
    );
    set(
        &mut am.dst_packets,
        f.dst_packets.map(|v| text::non_negative("dstPackets", v)).transpose()?,
    );
    set_opt(&mut am.ended_at, f.ended_at);
    set_opt(&mut am.sensor, opt_text("sensor", f.sensor, 128)?);
    if let (Some(start), Some(Some(end))) = (am.started_at.try_as_ref(), am.ended_at.try_as_ref()) {
        if end < start {
            return Err(DomainError::bad("endedAt", "must not be before startedAt"));
        }
    }
    Ok(())
}

pub async fn create(db: &impl TransactionTrait, input: CreateFlowInput) -> DomainResult<flow::Model> {
    let (src, dst) = (ip::to_key(input.src.0), ip::to_key(input.dst.0));
    let mut am = flow::ActiveModel {
        src_ip: Set(src.clone()),
        dst_ip: Set(dst.clone()),
        src_port: Set(input.src_port.map(|p| text::port("srcPort", p)).transpose()?),
        dst_port: Set(input.dst_port.map(|p| text::port("dstPort", p)).transpose()?),
        protocol: Set(input.protocol.as_str().into()),
        started_at: Set(input.started_at),
        src_bytes: Set(0),
        dst_bytes: Set(0),
        src_packets: Set(0),
        dst_packets: Set(0),
        ..Default::default()
    };
    apply(&mut am, input.fields)?;
    let tx = db.begin().await?;
    hosts::ensure(&tx, &[src, dst]).await?;
    let model = am.insert(&tx).await?;
    tx.commit().await?;
    Ok(model)
}

pub async fn update(db: &impl ConnectionTrait, id: i64, input: FlowInput) -> DomainResult<flow::Model> {
    let mut am: flow::ActiveModel = crud::find::<flow::Entity>(db, "flow", id).await?.into();
    apply(&mut am, input)?;
    Ok(am.update(db).await?)
}

pub async fn delete(db: &impl ConnectionTrait, id: i64) -> DomainResult<()> {
    crud::delete::<flow::Entity>(db, "flow", id).await
}

/// Flows with an end at `key`, as either source or destination.
pub fn touching(key: Vec<u8>) -> Condition {
    Condition::any()
        .add(Expr::col((flow::Entity, flow::Column::SrcIp)).eq(key.clone()))
        .add(Expr::col((flow::Entity, flow::Column::DstIp)).eq(key))
}
