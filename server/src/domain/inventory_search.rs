//! Searching devices and networks as inventory consoles do (Intrudect): lists of
//! `LIKE` patterns meaning "any of", all given lists together, sorting by a column.

use async_graphql::{Enum, InputObject};
use entities::{device, network};
use sea_orm::sea_query::{Expr, Query, SimpleExpr};
use sea_orm::{EntityTrait, Order, QueryFilter, Select};

use super::error::DomainResult;
use super::patterns::{address, like};
use super::search::{all_of, any_of, cond, SortOrder};

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
