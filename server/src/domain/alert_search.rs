//! Searching alerts the way alert tables of sensors do (Intrudect's network and server
//! alerts): lists of values meaning "any of", `LIKE` patterns over addresses, MACs and
//! device names, inclusive time bounds, sorting by a column and collapsing to the
//! newest alert per source, destination or pair.

use async_graphql::{Enum, InputObject};
use entities::{alert, device};
use sea_orm::sea_query::{Condition, Expr, Query, SimpleExpr};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Select};

use super::alerts::Severity;
use super::error::{DomainError, DomainResult};
use super::filters::contains;
use super::patterns::{self, is_address_pattern};
use super::search::{all_of, any_of, values};
use super::values::Instant;

#[derive(InputObject, Clone, Debug, Default)]
pub struct AlertSearch {
    /// Any of these kinds (`network`, `server`, ...).
    pub kinds: Option<Vec<String>>,
    /// Occurred at or after.
    pub from: Option<Instant>,
    /// Occurred at or before (inclusive).
    pub to: Option<Instant>,
    /// Reported by any of these sensors.
    pub sensors: Option<Vec<String>>,
    pub severities: Option<Vec<Severity>>,
    #[graphql(name = "types")]
    pub alert_types: Option<Vec<String>>,
    /// None of these types.
    pub exclude_types: Option<Vec<String>>,
    /// The source address or MAC, or the name of the device at the source, matches any
    /// of these `LIKE` patterns (`%`, `_`; see `patterns`).
    pub source: Option<Vec<String>>,
    /// Like `source`, for the destination.
    pub destination: Option<Vec<String>>,
    pub dst_ports: Option<Vec<i32>>,
    /// Any of these is in the title or the message, or is the destination address
    /// (`10.0.0.5`) or address and port (`10.0.0.5:443`).
    pub search: Option<Vec<String>>,
    /// The hostname a server alert came from matches any of these `LIKE` patterns.
    pub hostnames: Option<Vec<String>>,
    /// The title matches any of these `LIKE` patterns.
    pub titles: Option<Vec<String>>,
    /// Any of these is in the message.
    pub message_contains: Option<Vec<String>>,
    /// Only the newest alert of each group.
    pub unique: Option<AlertGrouping>,
}

/// Groups whose newest alert a search keeps.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertGrouping {
    /// Source address and MAC.
    Source,
    /// Destination address and MAC.
    Destination,
    /// Destination address and port.
    DestinationPort,
    /// Source and destination addresses.
    Pair,
}

/// One end of an alert (its address and MAC columns) matching a user's value.
fn endpoint(field: &str, ip: alert::Column, mac: alert::Column, value: &str) -> DomainResult<Condition> {
    let v = value.trim();
    if v.is_empty() {
        return Err(DomainError::bad(field, "values must not be empty"));
    }
    if is_address_pattern(v) {
        return patterns::address((alert::Entity, ip), field, v);
    }
    // A MAC, or the hostname or friendly name of a device: its last address or MAC.
    let named = Condition::any()
        .add(patterns::like((device::Entity, device::Column::Hostname), v))
        .add(patterns::like((device::Entity, device::Column::FriendlyName), v));
    let devices = |col: device::Column| {
        Query::select()
            .column(col)
            .from(device::Entity)
            .cond_where(named.clone())
            .to_owned()
    };
    Ok(Condition::any()
        .add(patterns::like((alert::Entity, mac), v))
        .add(Expr::col((alert::Entity, ip)).in_subquery(devices(device::Column::LastIp)))
        .add(Expr::col((alert::Entity, mac)).in_subquery(devices(device::Column::Mac))))
}

/// A search term: text in the title or message, or the destination address (and port).
fn term(value: &str) -> DomainResult<Condition> {
    use alert::Column as C;
    let v = value.trim();
    let mut c = Condition::any()
        .add(contains((alert::Entity, C::Title), v))
        .add(contains((alert::Entity, C::Message), v));
    if let Ok(ip) = v.parse::<std::net::IpAddr>() {
        c = c.add(C::DstIp.eq(super::ip::to_key(ip)));
    } else if let Ok(sock) = v.parse::<std::net::SocketAddr>() {
        c = c.add(
            Condition::all()
                .add(C::DstIp.eq(super::ip::to_key(sock.ip())))
                .add(C::DstPort.eq(sock.port() as i32)),
        );
    }
    Ok(c)
}

impl AlertSearch {
    pub fn condition(&self) -> DomainResult<Condition> {
        use alert::Column as C;
        if let (Some(f), Some(t)) = (self.from, self.to) {
            if f > t {
                return Err(DomainError::bad("from", "must not be after to"));
            }
        }
        let is = |e: SimpleExpr| Some(Condition::all().add(e));
        let parts = [
            any_of("kinds", &self.kinds, |k| {
                Ok(Condition::all().add(C::Kind.eq(k.trim().to_lowercase())))
            })?,
            self.from.and_then(|f| is(C::OccurredAt.gte(f))),
            self.to.and_then(|t| is(C::OccurredAt.lte(t))),
            any_of("sensors", &self.sensors, |s| {
                Ok(Condition::all().add(C::Sensor.eq(s.trim())))
            })?,
            values("severities", &self.severities)?.and_then(|s| is(C::Severity.is_in(s.iter().map(|s| s.rank())))),
            values("types", &self.alert_types)?.and_then(|t| is(C::AlertType.is_in(t.iter().map(|t| t.trim())))),
            values("excludeTypes", &self.exclude_types)?
                .and_then(|t| is(C::AlertType.is_not_in(t.iter().map(|t| t.trim())))),
            any_of("source", &self.source, |v| endpoint("source", C::SrcIp, C::SrcMac, v))?,
            any_of("destination", &self.destination, |v| {
                endpoint("destination", C::DstIp, C::DstMac, v)
            })?,
            values("dstPorts", &self.dst_ports)?.and_then(|p| is(C::DstPort.is_in(p.to_vec()))),
            any_of("search", &self.search, |v| term(v))?,
            any_of("hostnames", &self.hostnames, |v| {
                Ok(Condition::all().add(patterns::like((alert::Entity, C::Hostname), v)))
            })?,
            any_of("titles", &self.titles, |v| {
                Ok(Condition::all().add(patterns::like((alert::Entity, C::Title), v)))
            })?,
            any_of("messageContains", &self.message_contains, |v| {
                Ok(Condition::all().add(contains((alert::Entity, C::Message), v)))
            })?,
        ];
        Ok(all_of(parts))
    }

    /// The alerts the search selects, before sorting and paging.
    pub fn select(&self) -> DomainResult<Select<alert::Entity>> {
        self.select_up_to(None)
    }

    /// [`AlertSearch::select`] over the alerts up to ID `newest` (an export's end): with
    /// `unique`, each group's newest alert is its newest up to there.
    pub fn select_up_to(&self, newest: Option<i64>) -> DomainResult<Select<alert::Entity>> {
        use alert::Column as C;
        let mut cond = Condition::all().add(self.condition()?);
        if let Some(newest) = newest {
            cond = cond.add(C::Id.lte(newest));
        }
        let Some(grouping) = self.unique else {
            return Ok(alert::Entity::find().filter(cond));
        };
        let keys: &[C] = match grouping {
            AlertGrouping::Source => &[C::SrcIp, C::SrcMac],
            AlertGrouping::Destination => &[C::DstIp, C::DstMac],
            AlertGrouping::DestinationPort => &[C::DstIp, C::DstPort],
            AlertGrouping::Pair => &[C::SrcIp, C::DstIp],
        };
        let newest = Query::select()
            .expr(Expr::col(C::Id).max())
            .from(alert::Entity)
            .cond_where(cond)
            .group_by_columns(keys.iter().copied())
            .to_owned();
        Ok(alert::Entity::find().filter(C::Id.in_subquery(newest)))
    }
}
