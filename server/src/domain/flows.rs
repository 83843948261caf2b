//! Flows between addresses. Both ends of a flow are hosts: creating a flow creates
//! the host rows it names, so `Flow.src` and `Flow.dst` always resolve.

use async_graphql::{InputObject, MaybeUndefined};
use chrono::{DateTime, Utc};
use entities::flow;
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, TransactionTrait};
use serde::Serialize;

use super::crud::{self, opt_text, set, set_opt};
use super::error::{DomainError, DomainResult};
use super::filters::{in_cidr, ip_eq, Filter, TimeRange};
use super::hosts;
use super::ip;
use super::ports::Protocol;
use super::text;
use super::values::{Cidr, IpAddr};

#[derive(InputObject, Serialize, Clone, Debug, Default)]
pub struct FlowFilter {
    /// Either end is this address.
    pub host: Option<IpAddr>,
    /// Either end is inside this network.
    pub cidr: Option<Cidr>,
    pub src: Option<IpAddr>,
    pub dst: Option<IpAddr>,
    /// Either port is this one.
    pub port: Option<i32>,
    pub dst_port: Option<i32>,
    pub protocol: Option<Protocol>,
    /// Application (layer 7) protocol, case-insensitive.
    pub application: Option<String>,
    pub sensor: Option<String>,
    /// Started within this range.
    pub time: Option<TimeRange>,
}

impl Filter for FlowFilter {
    fn condition(&self) -> DomainResult<Condition> {
        let (src, dst) = ((flow::Entity, flow::Column::SrcIp), (flow::Entity, flow::Column::DstIp));
        let mut c = Condition::all();
        if let Some(h) = &self.host {
            c = c.add(Condition::any().add(ip_eq(src, h)).add(ip_eq(dst, h)));
        }
        if let Some(n) = &self.cidr {
            c = c.add(Condition::any().add(in_cidr(src, n)).add(in_cidr(dst, n)));
        }
        if let Some(h) = &self.src {
            c = c.add(ip_eq(src, h));
        }
        if let Some(h) = &self.dst {
            c = c.add(ip_eq(dst, h));
        }
        if let Some(p) = self.port {
            let p = text::port("filter.port", p)?;
            c = c.add(
                Condition::any()
                    .add(flow::Column::SrcPort.eq(p))
                    .add(flow::Column::DstPort.eq(p)),
            );
        }
        if let Some(p) = self.dst_port {
            c = c.add(flow::Column::DstPort.eq(text::port("filter.dstPort", p)?));
        }
        if let Some(p) = self.protocol {
            c = c.add(flow::Column::Protocol.eq(p.as_str()));
        }
        if let Some(a) = &self.application {
            c = c.add(flow::Column::Application.eq(a.trim().to_lowercase()));
        }
        if let Some(s) = &self.sensor {
            c = c.add(flow::Column::Sensor.eq(s.trim()));
        }
        if let Some(t) = &self.time {
            t.validate("filter.time")?;
            c = c.add(t.condition((flow::Entity, flow::Column::StartedAt)));
        }
        Ok(c)
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
