//! Ports of hosts and the scans that saw them.

use async_graphql::{Enum, InputObject, MaybeUndefined, ID};
use chrono::{DateTime, Utc};
use entities::{host, port, scan};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait};
use serde::Serialize;

use super::crud::{self, opt_text, req_text, set, set_opt};
use super::error::DomainResult;
use super::hosts::HostFilter;
use super::ids::{self, Kind};
use super::query::{EnumOp, IntOp, TextOp, TimeOp};
use super::text::{self};

/// Transport protocols, stored lower case.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Protocol {
    Tcp,
    Udp,
    Icmp,
    Sctp,
    Other,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tcp => "tcp",
            Self::Udp => "udp",
            Self::Icmp => "icmp",
            Self::Sctp => "sctp",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s.to_ascii_lowercase().as_str() {
            "tcp" => Self::Tcp,
            "udp" => Self::Udp,
            "icmp" | "icmp6" | "ipv6-icmp" => Self::Icmp,
            "sctp" => Self::Sctp,
            _ => Self::Other,
        }
    }
}

/// Which ports: conditions on their fields and their host, composed with `and`, `or`
/// and `not`.
#[derive(InputObject, Serialize, Clone, Debug, Default)]
pub struct PortFilter {
    pub and: Option<Vec<PortFilter>>,
    pub or: Option<Vec<PortFilter>>,
    pub not: Option<Box<PortFilter>>,
    pub port: Option<IntOp>,
    pub protocol: Option<EnumOp<Protocol>>,
    /// `open`, `closed`, `filtered` ... (lower case).
    pub state: Option<TextOp>,
    pub reason: Option<TextOp>,
    /// The service name, lower case (`ssh`).
    pub service: Option<TextOp>,
    pub product: Option<TextOp>,
    pub version: Option<TextOp>,
    pub extra: Option<TextOp>,
    pub first_seen: Option<TimeOp>,
    pub last_seen: Option<TimeOp>,
    /// Its host meets it.
    pub host: Option<Box<HostFilter>>,
}

crate::where_impl!(PortFilter, port::Entity, |f, c| {
    use port::Column as P;
    c.on_port("port", &f.port, &[P::Port])?;
    c.on("protocol", &f.protocol, P::Protocol)?;
    c.on("state", &f.state, P::State)?;
    c.on("reason", &f.reason, P::Reason)?;
    c.on("service", &f.service, P::ServiceName)?;
    c.on("product", &f.product, P::ServiceProduct)?;
    c.on("version", &f.version, P::ServiceVersion)?;
    c.on("extra", &f.extra, P::ServiceExtra)?;
    c.on("firstSeen", &f.first_seen, P::FirstSeen)?;
    c.on("lastSeen", &f.last_seen, P::LastSeen)?;
    c.related("host", f.host.as_deref(), P::HostId, host::Column::Id)?;
});

crate::fields! {
    /// The fields ports sort, group and bucket by.
    PortField, PortOrder for port {
        Port => Port: Int,
        Protocol => Protocol: Text,
        State => State: Text,
        Service => ServiceName: Text,
        Product => ServiceProduct: Text,
        Version => ServiceVersion: Text,
        FirstSeen => FirstSeen: Time,
        LastSeen => LastSeen: Time,
    }
}

/// The writable fields of a port; on update, an absent field is left as it is.
#[derive(InputObject, Clone, Debug, Default)]
pub struct PortInput {
    pub state: Option<String>,
    pub reason: MaybeUndefined<String>,
    pub service_name: MaybeUndefined<String>,
    pub service_product: MaybeUndefined<String>,
    pub service_version: MaybeUndefined<String>,
    pub service_extra: MaybeUndefined<String>,
    pub last_seen: MaybeUndefined<DateTime<Utc>>,
}

#[derive(InputObject, Clone, Debug)]
pub struct CreatePortInput {
    pub host_id: ID,
    pub port: i32,
    pub protocol: Protocol,
    #[graphql(flatten)]
    pub fields: PortInput,
}

fn apply(am: &mut port::ActiveModel, f: PortInput) -> DomainResult<()> {
    set(&mut am.state, req_text("state", f.state, 32)?.map(|s| s.to_lowercase()));
    set_opt(&mut am.reason, opt_text("reason", f.reason, 64)?);
    set_opt(
        &mut am.service_name,
        opt_text("serviceName", f.service_name, 64)?.map_value(|s| s.to_lowercase()),
    );
    set_opt(
        &mut am.service_product,
        opt_text("serviceProduct", f.service_product, 200)?,
    );
    set_opt(
        &mut am.service_version,
        opt_text("serviceVersion", f.service_version, 200)?,
    );
    set_opt(&mut am.service_extra, opt_text("serviceExtra", f.service_extra, 500)?);
    set_opt(&mut am.last_seen, f.last_seen);
    Ok(())
}

pub async fn create(db: &impl ConnectionTrait, input: CreatePortInput) -> DomainResult<port::Model> {
    let host_id = ids::decode("hostId", &input.host_id, Kind::Host)?;
    crud::find::<host::Entity>(db, "host", host_id).await?;
    let mut am = port::ActiveModel {
        host_id: Set(host_id),
        port: Set(text::port("port", input.port)?),
        protocol: Set(input.protocol.as_str().into()),
        state: Set("open".into()),
        ..Default::default()
    };
    apply(&mut am, input.fields)?;
    Ok(am.insert(db).await?)
}

pub async fn update(db: &impl ConnectionTrait, id: i64, input: PortInput) -> DomainResult<port::Model> {
    let mut am: port::ActiveModel = crud::find::<port::Entity>(db, "port", id).await?.into();
    apply(&mut am, input)?;
    Ok(am.update(db).await?)
}

pub async fn delete(db: &impl ConnectionTrait, id: i64) -> DomainResult<()> {
    crud::delete::<port::Entity>(db, "port", id).await
}

/// Deletes a scan; the ports it saw stay, without their scan.
pub async fn delete_scan(db: &impl ConnectionTrait, id: i64) -> DomainResult<()> {
    crud::delete::<scan::Entity>(db, "scan", id).await
}
