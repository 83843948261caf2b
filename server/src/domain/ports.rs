//! Ports of hosts and the scans that saw them.

use async_graphql::{Enum, InputObject, MaybeUndefined, ID};
use chrono::{DateTime, Utc};
use entities::{host, port, scan};
use sea_orm::sea_query::Condition;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait};
use serde::Serialize;

use super::crud::{self, opt_text, req_text, set, set_opt};
use super::error::DomainResult;
use super::filters::{ilike, Filter};
use super::ids::{self, Kind};
use super::text::{self, wildcard_pattern};

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

#[derive(InputObject, Serialize, Clone, Debug, Default)]
pub struct PortFilter {
    pub port: Option<i32>,
    pub protocol: Option<Protocol>,
    /// `open`, `closed`, `filtered` ...
    pub state: Option<String>,
    pub service: Option<String>,
    /// Case-insensitive, `*` wildcards allowed.
    pub product: Option<String>,
}

impl Filter for PortFilter {
    fn condition(&self) -> DomainResult<Condition> {
        let mut c = Condition::all();
        if let Some(p) = self.port {
            c = c.add(port::Column::Port.eq(text::port("filter.port", p)?));
        }
        if let Some(p) = self.protocol {
            c = c.add(port::Column::Protocol.eq(p.as_str()));
        }
        if let Some(s) = &self.state {
            c = c.add(port::Column::State.eq(s.trim().to_lowercase()));
        }
        if let Some(s) = &self.service {
            c = c.add(port::Column::ServiceName.eq(s.trim().to_lowercase()));
        }
        if let Some(p) = &self.product {
            c = c.add(ilike(
                (port::Entity, port::Column::ServiceProduct),
                &wildcard_pattern(p.trim()),
            ));
        }
        Ok(c)
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
