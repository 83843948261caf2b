//! Intrudect's public API (`/api/v1`, ../shared/specs/intrudect-public-api.txt):
//! bare JSON objects, `{"error": "..."}` on failure, Bearer API tokens, integer IDs,
//! local times (`YYYY-MM-DD HH:MM:SS`) in `PIVOT_TIMEZONE`.
//!
//! | Method      | Path                            | Needs          | Runs                      |
//! |-------------|---------------------------------|----------------|---------------------------|
//! | GET         | /api/v1/about                   | (a token)      | systemInfo                |
//! | GET         | /api/v1/devices                 | devices read   | devices (numbered)        |
//! | POST        | /api/v1/devices/search          | devices read   | devices (numbered)        |
//! | PATCH, PUT  | /api/v1/devices/{id}            | devices write  | node + updateDevice       |
//! | GET         | /api/v1/networks                | networks read  | networks (walked)         |
//! | POST        | /api/v1/networks/search         | networks read  | networks (walked)         |
//! | POST        | /api/v1/networks                | networks write | createNetwork (201)       |
//! | PATCH, PUT  | /api/v1/networks/{id}           | networks write | updateNetwork             |
//! | DELETE      | /api/v1/networks/{id}           | networks write | node + deleteNetwork      |
//! | GET         | /api/v1/networkalerts           | alerts read    | alerts (numbered)         |
//! | POST        | /api/v1/networkalerts/search    | alerts read    | alerts (numbered)         |
//! | DELETE      | /api/v1/networkalerts/{id}      | alerts write   | node + deleteAlert        |
//! | GET         | /api/v1/serveralerts            | alerts read    | alerts (numbered)         |
//! | POST        | /api/v1/serveralerts/search     | alerts read    | alerts (numbered)         |
//! | DELETE      | /api/v1/serveralerts/{id}       | alerts write   | node + deleteAlert        |
//! | POST        | /api/v1/data/export             | data read      | export, streamed ZIP      |
//! | POST        | /api/v1/data/delete             | data write     | deleteAlerts/Flows/Dns…   |
//! | GET         | /api/v1/services                | devices read   | services, grouped         |
//! | POST        | /api/v1/services/search         | devices read   | services, grouped         |
//! | POST        | /api/v1/services                | devices write  | createService (201)       |
//! | PATCH, PUT  | /api/v1/services/{id}           | devices write  | updateService             |
//! | DELETE      | /api/v1/services/{id}           | devices write  | node + deleteService      |
//! | PATCH       | /api/v1/services/{id}/authorize | devices write  | updateService(authorized) |
//! | POST        | /api/v1/services/authorize      | devices write  | authorizeService          |
//!
//! The spec names the paths of the service list and search only; the others follow
//! the other datasets' pattern. Services need Intrudect's devices permission, as the
//! spec's table says (and Pivot's services capability, which the resolvers check).
//!
//! How Intrudect's model maps onto Pivot's graph:
//! - Network and server alerts are Pivot alerts of kind `network` and `server`; the
//!   agent is the alert's sensor (Pivot keeps no separate agent names, so `agent_name`
//!   repeats it); a server alert's title is the alert's title and its log `line` the
//!   alert's message. Levels are severities: 10 = INFO or NOTICE, 20 = WARNING,
//!   30 = ERROR and above; filtering by a level matches the severities it stands for.
//! - Devices keep their last address only, so the `ipcount` sorts sort by it.
//! - `pcap_id` is the alert's packet capture (`Alert.pcap`, made by importers from the
//!   packet a sensor logged; downloaded from `/alerts/{id}/pcap`), null without one. The
//!   capture belongs to its alert: deleting the alert deletes it in the same statement.
//! - Data management: DNS metadata is Pivot's passive DNS (names, types, answers), which
//!   records no client or resolver, so its `source`/`destination` filters are refused;
//!   TCP metadata is flows (no GeoIP: `geoip` is refused); Pivot records no DHCP or
//!   HTTP metadata, so those export as header-only CSVs and delete nothing. Pivot keeps
//!   no 15-minute aggregates, so there is nothing to rebuild after a deletion.
//! - `about`: network alerts count as the alerts table, TCP records as flows; Pivot holds
//!   no DHCP or HTTP records, Tor relay or MISP feeds, so those read as empty. Per-table
//!   sizes are null on SQLite (see `systemInfo`).

use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::patterns;
use super::time::{self, Bound, Precision};
use super::{
    listing_after, read, read_data, Answer, Call, Context, Dialect, Input, Paging, Params, Refusal, Reply, Route,
};
use crate::auth::principal::{self, Presented};
use crate::domain::access::{Capability, Level};
use crate::domain::ids::{self, Kind};

// ---- operations ----

macro_rules! device_fields {
    () => {
        "fragment N on Device { id mac lastIp hostname friendlyName vendor network { name } isGateway firstSeen lastSeen }"
    };
}
macro_rules! network_fields {
    () => {
        "fragment N on Network { id name cidr gatewayIp gatewayMac alertLevel }"
    };
}
macro_rules! network_alert_fields {
    () => {
        "fragment N on Alert { id kind occurredAt sensor srcMac dstMac srcIp dstIp srcPort dstPort severity type title \
         message srcDevice { hostname friendlyName } dstDevice { hostname friendlyName } srcNetwork { name } \
         dstNetwork { name } pcap { id } }"
    };
}
macro_rules! server_alert_fields {
    () => {
        "fragment N on Alert { id kind occurredAt sensor hostname severity type title message }"
    };
}

/// A numbered page of a listing ([`Paging::Numbered`]): its variables and selection.
macro_rules! numbered {
    ($listing:literal, $filter:literal, $order:literal, $extra_vars:literal, $extra_args:literal) => {
        concat!(
            "query($filter: ",
            $filter,
            ", $order: [",
            $order,
            "!], ",
            $extra_vars,
            "$first: Int, $skip: Int, $after: String, $counted: Boolean = false) { ",
            "r: ",
            $listing,
            "(filter: $filter, orderBy: $order, ",
            $extra_args,
            "first: $first, skip: $skip, after: $after) ",
            "{ totalCount @include(if: $counted) pageInfo { endCursor } nodes { ...N } } } "
        )
    };
}

pub(super) const DEVICE_SEARCH: &str = concat!(
    numbered!("devices", "DeviceFilter", "DeviceOrder", "", ""),
    device_fields!()
);
pub(super) const UPDATE_DEVICE: &str = concat!(
    "mutation($id: ID!, $input: DeviceInput!) { r: updateDevice(id: $id, input: $input) { ...N } } ",
    device_fields!()
);
pub(super) const NETWORK_SEARCH: &str = concat!(
    "query($filter: NetworkFilter, $order: [NetworkOrder!], $after: String) { ",
    "r: networks(filter: $filter, orderBy: $order, first: 1000, after: $after) ",
    "{ pageInfo { hasNextPage endCursor } nodes { ...N } } } ",
    network_fields!()
);
pub(super) const CREATE_NETWORK: &str = concat!(
    "mutation($input: CreateNetworkInput!) { r: createNetwork(input: $input) { ...N } } ",
    network_fields!()
);
pub(super) const UPDATE_NETWORK: &str = concat!(
    "mutation($id: ID!, $input: NetworkInput!) { r: updateNetwork(id: $id, input: $input) { ...N } } ",
    network_fields!()
);
pub(super) const NETWORK_BY_ID: &str = concat!("query($id: ID!) { r: node(id: $id) { ...N } } ", network_fields!());
pub(super) const DELETE_NETWORK: &str = "mutation($id: ID!) { r: deleteNetwork(id: $id) }";
pub(super) const NETWORK_ALERT_SEARCH: &str = concat!(
    numbered!(
        "alerts",
        "AlertFilter",
        "AlertOrder",
        "$unique: [AlertField!], ",
        "distinctOn: $unique, "
    ),
    network_alert_fields!()
);
pub(super) const SERVER_ALERT_SEARCH: &str = concat!(
    numbered!("alerts", "AlertFilter", "AlertOrder", "", ""),
    server_alert_fields!()
);
pub(super) const NETWORK_ALERT_BY_ID: &str = concat!(
    "query($id: ID!) { r: node(id: $id) { ...N } } ",
    network_alert_fields!()
);
pub(super) const SERVER_ALERT_BY_ID: &str =
    concat!("query($id: ID!) { r: node(id: $id) { ...N } } ", server_alert_fields!());
pub(super) const DELETE_ALERT: &str = "mutation($id: ID!) { r: deleteAlert(id: $id) }";

mod about;
mod alerts;
mod data;
mod devices;
mod networks;
mod params;
mod services;

use about::*;
use alerts::*;
use data::*;
use devices::*;
use networks::*;
use params::*;
use services::*;

/// The graph's objects as the routes' fragments select them (the graph's names): the
/// routes moved to typed glue read them with `read_data`.
mod graph {
    use serde::Deserialize;

    #[derive(Deserialize)]
    pub struct Named {
        pub name: String,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Device {
        pub id: String,
        pub mac: String,
        pub last_ip: Option<String>,
        pub hostname: Option<String>,
        pub friendly_name: Option<String>,
        pub vendor: Option<String>,
        pub network: Option<Named>,
        pub is_gateway: bool,
        pub first_seen: Option<String>,
        pub last_seen: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Network {
        pub id: String,
        pub name: String,
        pub cidr: String,
        pub gateway_ip: Option<String>,
        pub gateway_mac: Option<String>,
        pub alert_level: i32,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct SystemInfo {
        pub version: String,
        pub runtime_memory_bytes: i64,
        pub database: Database,
        pub schema_health: SchemaHealth,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Database {
        pub size_bytes: i64,
        pub tables: Vec<Table>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Table {
        pub name: String,
        pub row_count: i64,
        pub size_bytes: Option<i64>,
        pub first_record_at: Option<String>,
        pub last_record_at: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct SchemaHealth {
        pub is_healthy: bool,
        pub tables: Vec<TableHealth>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct TableHealth {
        pub name: String,
        pub missing_indexes: Vec<String>,
        pub extra_indexes: Vec<String>,
        pub wrong_index_columns: Vec<String>,
        pub is_healthy: bool,
    }

    #[derive(Deserialize)]
    pub struct Url {
        pub url: String,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Deletion {
        pub deleted_rows: i64,
    }

    #[derive(Deserialize, Default)]
    pub struct Id {
        pub id: String,
    }

    #[derive(Deserialize, Default)]
    #[serde(rename_all = "camelCase")]
    pub struct DeviceNames {
        pub hostname: Option<String>,
        pub friendly_name: Option<String>,
    }

    /// An alert, as the network alert fragment selects it (the server alert fragment
    /// selects fewer fields: the others read as absent).
    #[derive(Deserialize, Default)]
    #[serde(rename_all = "camelCase", default)]
    pub struct Alert {
        pub id: String,
        pub occurred_at: Option<String>,
        pub sensor: Option<String>,
        pub hostname: Option<String>,
        pub src_mac: Option<String>,
        pub dst_mac: Option<String>,
        pub src_ip: Option<String>,
        pub dst_ip: Option<String>,
        pub src_port: Option<i32>,
        pub dst_port: Option<i32>,
        pub severity: String,
        #[serde(rename = "type")]
        pub alert_type: String,
        pub title: String,
        pub message: Option<String>,
        pub src_device: Option<DeviceNames>,
        pub dst_device: Option<DeviceNames>,
        pub src_network: Option<Named>,
        pub dst_network: Option<Named>,
        pub pcap: Option<Id>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Service {
        pub id: String,
        pub ip: Option<String>,
        pub port: i32,
        pub protocol: String,
        pub name: Option<String>,
        pub authorized: bool,
        pub first_seen: Option<String>,
        pub last_seen: Option<String>,
    }
}

pub struct Intrudect;

impl Dialect for Intrudect {
    const NAME: &'static str = "intrudect";
    const MOUNT: &'static str = "/api/v1";

    // One row per route, as the table above: kept on one line each.
    #[rustfmt::skip]
    fn routes() -> Vec<Route> {
        use Capability::*;
        use Level::*;
        use Method as M;
        use Paging::*;
        vec![
            Route::new(M::GET, "/about", Input::Query, None, ABOUT, no_params, about),
            Route::new(M::GET, "/devices", Input::Query, Some((Devices, Read)), DEVICE_SEARCH, device_vars, devices).paging(Numbered),
            Route::new(M::POST, "/devices/search", Input::Json, Some((Devices, Read)), DEVICE_SEARCH, device_vars, devices).paging(Numbered),
            Route::new(M::PATCH, "/devices/{id}", Input::Json, Some((Devices, Write)), UPDATE_DEVICE, update_device, updated_device),
            Route::new(M::PUT, "/devices/{id}", Input::Json, Some((Devices, Write)), UPDATE_DEVICE, update_device, updated_device),
            Route::new(M::GET, "/networks", Input::Query, Some((Networks, Read)), NETWORK_SEARCH, network_vars, networks).paging(Every(listing_after)),
            Route::new(M::POST, "/networks/search", Input::Json, Some((Networks, Read)), NETWORK_SEARCH, network_vars, networks).paging(Every(listing_after)),
            Route::new(M::POST, "/networks", Input::Json, Some((Networks, Write)), CREATE_NETWORK, create_network, created_network),
            Route::new(M::PATCH, "/networks/{id}", Input::Json, Some((Networks, Write)), UPDATE_NETWORK, update_network, updated_network),
            Route::new(M::PUT, "/networks/{id}", Input::Json, Some((Networks, Write)), UPDATE_NETWORK, update_network, updated_network),
            Route::new(M::DELETE, "/networks/{id}", Input::Query, Some((Networks, Write)), DELETE_NETWORK, network_id, deleted_network)
                .before(NETWORK_BY_ID, exists),
            Route::new(M::GET, "/networkalerts", Input::Query, Some((Alerts, Read)), NETWORK_ALERT_SEARCH, network_alert_vars, network_alerts).paging(Numbered),
            Route::new(M::POST, "/networkalerts/search", Input::Json, Some((Alerts, Read)), NETWORK_ALERT_SEARCH, network_alert_vars, network_alerts).paging(Numbered),
            Route::new(M::DELETE, "/networkalerts/{id}", Input::Query, Some((Alerts, Write)), DELETE_ALERT, alert_id, deleted_network_alert)
                .before(NETWORK_ALERT_BY_ID, |v, _, _| of_kind(v, "network")),
            Route::new(M::GET, "/serveralerts", Input::Query, Some((Alerts, Read)), SERVER_ALERT_SEARCH, server_alert_vars, server_alerts).paging(Numbered),
            Route::new(M::POST, "/serveralerts/search", Input::Json, Some((Alerts, Read)), SERVER_ALERT_SEARCH, server_alert_vars, server_alerts).paging(Numbered),
            Route::new(M::DELETE, "/serveralerts/{id}", Input::Query, Some((Alerts, Write)), DELETE_ALERT, alert_id, deleted_server_alert)
                .before(SERVER_ALERT_BY_ID, |v, _, _| of_kind(v, "server")),
            Route::new(M::POST, "/data/export", Input::Json, Some((Data, Read)), DATA_EXPORT, export_vars, exported),
            Route::new(M::POST, "/data/delete", Input::Json, Some((Data, Write)), DATA_DELETE, delete_vars, deleted_data),
            Route::new(M::GET, "/services", Input::Query, Some((Devices, Read)), SERVICE_SEARCH, service_vars, services).paging(Every(listing_after)),
            Route::new(M::POST, "/services/search", Input::Json, Some((Devices, Read)), SERVICE_SEARCH, service_vars, services).paging(Every(listing_after)),
            Route::new(M::POST, "/services", Input::Json, Some((Devices, Write)), CREATE_SERVICE, create_service, created_service),
            Route::new(M::PATCH, "/services/{id}", Input::Json, Some((Devices, Write)), UPDATE_SERVICE, update_service, one_service),
            Route::new(M::PUT, "/services/{id}", Input::Json, Some((Devices, Write)), UPDATE_SERVICE, update_service, one_service),
            Route::new(M::DELETE, "/services/{id}", Input::Query, Some((Devices, Write)), DELETE_SERVICE, service_id, deleted_service)
                .before(SERVICE_BY_ID, exists),
            Route::new(M::PATCH, "/services/{id}/authorize", Input::Query, Some((Devices, Write)), UPDATE_SERVICE, authorize_by_id, one_service),
            Route::new(M::POST, "/services/authorize", Input::Json, Some((Devices, Write)), AUTHORIZE_SERVICE, authorize_by_fields, one_service),
        ]
    }

    /// API tokens only: Intrudect's public API takes no session cookies.
    fn credentials(headers: &HeaderMap, _: &Params) -> Result<Presented, Refusal> {
        Ok(principal::authorization(headers))
    }

    fn unauthenticated(sent: bool, _: &Call) -> Refusal {
        let message = if sent {
            "invalid bearer token"
        } else {
            "missing bearer token"
        };
        Refusal::new(StatusCode::UNAUTHORIZED, message)
    }

    fn refuse(refusal: Refusal) -> Response {
        (refusal.status, axum::Json(json!({ "error": refusal.message }))).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_aliases_and_fallbacks() {
        assert_eq!(sort_field(DEVICE_SORTS, Some("LAST_IP"), "IP"), "IP");
        assert_eq!(sort_field(DEVICE_SORTS, Some("name"), "IP"), "FRIENDLY_NAME");
        assert_eq!(sort_field(DEVICE_SORTS, Some("nonsense"), "IP"), "IP");
        assert_eq!(sort_field(SERVER_ALERT_SORTS, Some("line"), "OCCURRED_AT"), "MESSAGE");
        assert_eq!(sort_order(Some("DESC"), "ASC"), "DESC");
        assert_eq!(sort_order(Some("sideways"), "DESC"), "DESC");
    }

    #[test]
    fn sorts_end_with_the_id_the_same_way() {
        let sort = SortBody {
            field: Some("source".into()),
            order: Some("asc".into()),
        };
        let by = |f: &str| json!({"field": f, "direction": "ASC"});
        assert_eq!(
            order(NETWORK_ALERT_SORTS, &sort, "OCCURRED_AT", "DESC"),
            json!([by("SRC_IP"), by("SRC_MAC"), by("ID")])
        );
        let sort = SortBody {
            field: Some("id".into()),
            order: None,
        };
        assert_eq!(
            order(NETWORK_ALERT_SORTS, &sort, "OCCURRED_AT", "DESC"),
            json!([{"field": "ID", "direction": "DESC"}])
        );
    }

    #[test]
    fn search_terms_are_matched_as_written() {
        assert_eq!(containing(" 50%_off\\ "), "%50\\%\\_off\\\\%");
    }

    #[test]
    fn levels_are_severity_bands() {
        for (severity, lvl) in [
            ("INFO", 10),
            ("NOTICE", 10),
            ("WARNING", 20),
            ("ERROR", 30),
            ("EMERGENCY", 30),
        ] {
            assert_eq!(level(severity), lvl);
            assert!(severities(lvl).unwrap().contains(&json!(severity)));
        }
        assert!(severities(40).is_err());
    }

    #[test]
    fn public_addresses() {
        assert!(is_public(Some("8.8.8.8")));
        assert!(!is_public(Some("10.0.0.25")));
        assert!(!is_public(Some("100.64.1.1")));
        assert!(!is_public(Some("fe80::1")));
        assert!(is_public(Some("2a00:1450::1")));
        assert!(!is_public(None));
    }
}
