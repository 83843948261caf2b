//! Searching devices and networks as inventory consoles do (Intrudect): lists of
//! `LIKE` patterns meaning "any of", all given lists together, sorting by a column.

use async_graphql::{Enum, InputObject};
use entities::{device, network, service};
use sea_orm::sea_query::{Expr, Query, SimpleExpr};
use sea_orm::{ColumnTrait, EntityTrait, Order, QueryFilter, Select};

use super::error::DomainResult;
use super::patterns::{address, like};
use super::ports::Protocol;
use super::search::{all_of, any_of, cond, values, SortOrder};

#[derive(InputObject, Clone, Debug, Default)]
pub struct DeviceSearch {
    /// `LIKE` patterns (`%`, `_`) of each list: a device matches any value of every list given.
    pub macs: Option<Vec<String>>,
    /// Patterns of the last address (`10.0.0.%`).
    pub ips: Option<Vec<String>>,
    pub vendors: Option<Vec<String>>,
    pub hostnames: Option<Vec<String>>,
    pub friendly_names: Option<Vec<String>>,
}

impl DeviceSearch {
    pub fn select(&self) -> DomainResult<Select<device::Entity>> {
        use device::Column as C;
        let col = |c: C| (device::Entity, c);
        let parts = [
            any_of("macs", &self.macs, |v| Ok(cond(like(col(C::Mac), v))))?,
            any_of("ips", &self.ips, |v| address(col(C::LastIp), "ips", v))?,
            any_of("vendors", &self.vendors, |v| Ok(cond(like(col(C::Vendor), v))))?,
            any_of("hostnames", &self.hostnames, |v| Ok(cond(like(col(C::Hostname), v))))?,
            any_of("friendlyNames", &self.friendly_names, |v| {
                Ok(cond(like(col(C::FriendlyName), v)))
            })?,
        ];
        Ok(device::Entity::find().filter(all_of(parts)))
    }
}

/// Whether the device's last address is the gateway of a network (as a sort key).
pub fn is_gateway() -> SimpleExpr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(network::Entity)
            .and_where(
                Expr::col((network::Entity, network::Column::GatewayIp))
                    .equals((device::Entity, device::Column::LastIp)),
            )
            .to_owned(),
    )
}

#[derive(Enum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DeviceSortField {
    #[default]
    LastIp,
    Hostname,
    FriendlyName,
    Mac,
    Vendor,
    /// Whether the last address is a network's gateway.
    Gateway,
    FirstSeen,
    LastSeen,
}

#[derive(InputObject, Clone, Copy, Debug, Default)]
pub struct DeviceSort {
    pub field: DeviceSortField,
    #[graphql(default)]
    pub order: SortOrder,
}

impl DeviceSort {
    pub fn order(self) -> Vec<(SimpleExpr, Order)> {
        use device::Column as C;
        let key: SimpleExpr = match self.field {
            DeviceSortField::LastIp => Expr::col((device::Entity, C::LastIp)).into(),
            DeviceSortField::Hostname => Expr::col((device::Entity, C::Hostname)).into(),
            DeviceSortField::FriendlyName => Expr::col((device::Entity, C::FriendlyName)).into(),
            DeviceSortField::Mac => Expr::col((device::Entity, C::Mac)).into(),
            DeviceSortField::Vendor => Expr::col((device::Entity, C::Vendor)).into(),
            DeviceSortField::Gateway => is_gateway(),
            DeviceSortField::FirstSeen => Expr::col((device::Entity, C::FirstSeen)).into(),
            DeviceSortField::LastSeen => Expr::col((device::Entity, C::LastSeen)).into(),
        };
        vec![(key, self.order.order())]
    }
}

#[derive(InputObject, Clone, Debug, Default)]
pub struct NetworkSearch {
    /// `LIKE` patterns (`%`, `_`) of each list: a network matches any value of every list given.
    pub names: Option<Vec<String>>,
    pub cidrs: Option<Vec<String>>,
    /// Patterns of the gateway address.
    pub gateway_ips: Option<Vec<String>>,
    pub gateway_macs: Option<Vec<String>>,
    /// Exactly one of these new-device alert levels.
    pub alert_levels: Option<Vec<i32>>,
}

impl NetworkSearch {
    pub fn select(&self) -> DomainResult<Select<network::Entity>> {
        use network::Column as C;
        let col = |c: C| (network::Entity, c);
        let parts = [
            any_of("names", &self.names, |v| Ok(cond(like(col(C::Name), v))))?,
            any_of("cidrs", &self.cidrs, |v| Ok(cond(like(col(C::Cidr), v))))?,
            any_of("gatewayIps", &self.gateway_ips, |v| {
                address(col(C::GatewayIp), "gatewayIps", v)
            })?,
            any_of("gatewayMacs", &self.gateway_macs, |v| {
                Ok(cond(like(col(C::GatewayMac), v)))
            })?,
            values("alertLevels", &self.alert_levels)?.map(|l| cond(C::AlertLevel.is_in(l.to_vec()))),
        ];
        Ok(network::Entity::find().filter(all_of(parts)))
    }
}

#[derive(Enum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NetworkSortField {
    Id,
    #[default]
    Name,
    Cidr,
    GatewayIp,
    GatewayMac,
    AlertLevel,
}

#[derive(InputObject, Clone, Copy, Debug, Default)]
pub struct NetworkSort {
    pub field: NetworkSortField,
    #[graphql(default)]
    pub order: SortOrder,
}

impl NetworkSort {
    pub fn order(self) -> Vec<(SimpleExpr, Order)> {
        use network::Column as C;
        let c = match self.field {
            NetworkSortField::Id => C::Id,
            NetworkSortField::Name => C::Name,
            // By address, not text: 10.0.0.0/24 before 9.0.0.0/8 would surprise.
            NetworkSortField::Cidr => C::StartIp,
            NetworkSortField::GatewayIp => C::GatewayIp,
            NetworkSortField::GatewayMac => C::GatewayMac,
            NetworkSortField::AlertLevel => C::AlertLevel,
        };
        vec![(Expr::col((network::Entity, c)).into(), self.order.order())]
    }
}

#[derive(InputObject, Clone, Debug, Default)]
pub struct ServiceSearch {
    /// Patterns of the address (`10.0.0.%`); any of them.
    pub ips: Option<Vec<String>>,
    pub protocols: Option<Vec<Protocol>>,
    pub ports: Option<Vec<i32>>,
    pub authorized: Option<Vec<bool>>,
}

impl ServiceSearch {
    pub fn select(&self) -> DomainResult<Select<service::Entity>> {
        use service::Column as C;
        for p in self.ports.iter().flatten() {
            super::text::port("ports", *p)?;
        }
        let parts = [
            any_of("ips", &self.ips, |v| address((service::Entity, C::Ip), "ips", v))?,
            values("protocols", &self.protocols)?.map(|p| cond(C::Protocol.is_in(p.iter().map(|p| p.as_str())))),
            values("ports", &self.ports)?.map(|p| cond(C::Port.is_in(p.to_vec()))),
            values("authorized", &self.authorized)?.map(|a| cond(C::Authorized.is_in(a.to_vec()))),
        ];
        Ok(service::Entity::find().filter(all_of(parts)))
    }
}

#[derive(Enum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ServiceSortField {
    Id,
    #[default]
    Ip,
    Protocol,
    Port,
    FirstSeen,
    LastSeen,
}

#[derive(InputObject, Clone, Copy, Debug, Default)]
pub struct ServiceSort {
    pub field: ServiceSortField,
    #[graphql(default)]
    pub order: SortOrder,
}

impl ServiceSort {
    pub fn order(self) -> Vec<(SimpleExpr, Order)> {
        use service::Column as C;
        let c = match self.field {
            ServiceSortField::Id => C::Id,
            ServiceSortField::Ip => C::Ip,
            ServiceSortField::Protocol => C::Protocol,
            ServiceSortField::Port => C::Port,
            ServiceSortField::FirstSeen => C::FirstSeen,
            ServiceSortField::LastSeen => C::LastSeen,
        };
        vec![(Expr::col((service::Entity, c)).into(), self.order.order())]
    }
}
