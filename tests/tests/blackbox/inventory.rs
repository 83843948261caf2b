//! Networks, devices, services and passive DNS: filters, host edges, mutations.

use serde_json::{json, Value};
use tests::{both_dbs, s, TestApp};

async fn id(app: &TestApp, mutation: &str, vars: Value) -> String {
    let d = app.data(mutation, vars).await;
    s(&d.as_object().unwrap().values().next().unwrap()["id"])
}

async fn names(app: &TestApp, query: &str, field: &str, filter: Value) -> Vec<String> {
    let d = app.data(query, json!({ "f": filter })).await;
    let conn = d.as_object().unwrap().values().next().unwrap();
    conn["nodes"].as_array().unwrap().iter().map(|n| s(&n[field])).collect()
}

const NET: &str = "mutation($i: CreateNetworkInput!) { createNetwork(input: $i) { id } }";
const DEV: &str = "mutation($i: CreateDeviceInput!) { createDevice(input: $i) { id } }";
const SVC: &str = "mutation($i: CreateServiceInput!) { createService(input: $i) { id } }";
const DNS: &str = "mutation($i: CreateDnsRecordInput!) { createDnsRecord(input: $i) { id } }";

both_dbs!(inventory_filters_and_host_edges, |app: TestApp| async move {
    id(
        &app,
        NET,
        json!({"i": {"name": "Office", "cidr": "10.0.0.0/16", "alertLevel": 20}}),
    )
    .await;
    id(&app, NET, json!({"i": {"name": "Office LAN", "cidr": "10.0.1.7/24", "gatewayIp": "10.0.1.1", "gatewayMac": "aa:bb:cc:dd:ee:01"}})).await;
    id(&app, NET, json!({"i": {"name": "Servers", "cidr": "192.168.0.0/24"}})).await;
    app.expect_error("CONFLICT", NET, json!({"i": {"name": "dup", "cidr": "10.0.1.0/24"}}))
        .await;
    app.expect_error(
        "BAD_USER_INPUT",
        NET,
        json!({"i": {"name": "x", "cidr": "10.9.0.0/24", "gatewayIp": "10.8.0.1"}}),
    )
    .await;
    app.expect_error(
        "BAD_USER_INPUT",
        NET,
        json!({"i": {"name": "x", "cidr": "10.9.0.0/24", "alertLevel": 15}}),
    )
    .await;
    app.expect_error(
        "BAD_USER_INPUT",
        NET,
        json!({"i": {"name": "x", "cidr": "10.9.0.0/99"}}),
    )
    .await;
    let q = "query($f: NetworkFilter) { networks(filter: $f) { nodes { name cidr } } }";
    assert_eq!(
        names(&app, q, "name", json!({"contains": "10.0.1.50"})).await,
        ["Office", "Office LAN"]
    );
    assert_eq!(
        names(&app, q, "cidr", json!({"within": "10.0.0.0/8"})).await,
        ["10.0.0.0/16", "10.0.1.0/24"]
    );
    assert_eq!(
        names(&app, q, "name", json!({"name": {"like": "office%"}})).await,
        ["Office", "Office LAN"]
    );
    assert_eq!(
        names(&app, q, "name", json!({"alertLevel": {"eq": 20}})).await,
        ["Office"]
    );

    let dev = id(
        &app,
        DEV,
        json!({"i": {"mac": "aa-bb-cc-dd-ee-ff", "lastIp": "10.0.1.50", "hostname": "WS-01",
        "friendlyName": "Alice laptop", "vendor": "Example Networks", "lastSeen": "2030-01-01T00:00:00Z"}}),
    )
    .await;
    id(
        &app,
        DEV,
        json!({"i": {"mac": "11:22:33:44:55:66", "lastIp": "192.168.0.10", "vendor": "Other"}}),
    )
    .await;
    app.expect_error("CONFLICT", DEV, json!({"i": {"mac": "AA:BB:CC:DD:EE:FF"}}))
        .await;
    app.expect_error("BAD_USER_INPUT", DEV, json!({"i": {"mac": "AA:BB:CC"}}))
        .await;
    app.expect_error("BAD_USER_INPUT", DEV, json!({"i": {"mac": "AA:BB:CC:00:00:01", "firstSeen": "2026-02-01T00:00:00Z", "lastSeen": "2026-01-01T00:00:00Z"}})).await;
    let q = "query($f: DeviceFilter) { devices(filter: $f) { nodes { mac } } }";
    assert_eq!(
        names(&app, q, "mac", json!({"mac": {"eq": "aabb.ccdd.eeff"}})).await,
        ["AA:BB:CC:DD:EE:FF"]
    );
    assert_eq!(
        names(&app, q, "mac", json!({"ip": {"eq": "192.168.0.10"}})).await,
        ["11:22:33:44:55:66"]
    );
    assert_eq!(
        names(&app, q, "mac", json!({"ip": {"within": ["10.0.0.0/8"]}})).await,
        ["AA:BB:CC:DD:EE:FF"]
    );
    assert_eq!(
        names(&app, q, "mac", json!({"vendor": {"like": "%example%"}})).await,
        ["AA:BB:CC:DD:EE:FF"]
    );
    assert_eq!(
        names(&app, q, "mac", json!({"hostname": {"like": "ws-%"}})).await,
        ["AA:BB:CC:DD:EE:FF"]
    );
    assert_eq!(
        names(&app, q, "mac", json!({"lastSeen": {"gte": "2029-01-01T00:00:00Z"}})).await,
        ["AA:BB:CC:DD:EE:FF"]
    );

    id(
        &app,
        SVC,
        json!({"i": {"ip": "10.0.1.50", "port": 443, "protocol": "TCP", "name": "Web"}}),
    )
    .await;
    id(
        &app,
        SVC,
        json!({"i": {"ip": "10.0.1.50", "port": 53, "protocol": "UDP", "authorized": true}}),
    )
    .await;
    app.expect_error(
        "CONFLICT",
        SVC,
        json!({"i": {"ip": "10.0.1.50", "port": 443, "protocol": "TCP"}}),
    )
    .await;
    app.expect_error(
        "BAD_USER_INPUT",
        SVC,
        json!({"i": {"ip": "10.0.1.50", "port": 1, "protocol": "ICMP"}}),
    )
    .await;
    app.expect_error(
        "BAD_USER_INPUT",
        SVC,
        json!({"i": {"ip": "10.0.1.50", "port": -1, "protocol": "TCP"}}),
    )
    .await;
    let q = "query($f: ServiceFilter) { services(filter: $f) { nodes { port } } }";
    let d = app.data(q, json!({"f": {"authorized": {"eq": true}}})).await;
    assert_eq!(d["services"]["nodes"], json!([{"port": 53}]));
    let d = app
        .data(
            q,
            json!({"f": {"ip": {"within": ["10.0.1.0/24"]}, "protocol": {"eq": "TCP"}, "name": {"like": "%we%"}}}),
        )
        .await;
    assert_eq!(d["services"]["nodes"], json!([{"port": 443}]));
    let d = app
        .data(q, json!({"f": {"ip": {"eq": "10.0.1.50"}, "port": {"eq": 53}}}))
        .await;
    assert_eq!(d["services"]["nodes"], json!([{"port": 53}]));

    id(
        &app,
        DNS,
        json!({"i": {"name": "WS-01.corp.example.", "type": "a", "value": "10.0.1.50",
        "firstSeen": "2026-01-01T00:00:00Z", "lastSeen": "2026-01-05T00:00:00Z", "count": 12, "sensor": "zeek"}}),
    )
    .await;
    id(
        &app,
        DNS,
        json!({"i": {"name": "www.corp.example", "type": "CNAME", "value": "WS-01.corp.example."}}),
    )
    .await;
    app.expect_error(
        "BAD_USER_INPUT",
        DNS,
        json!({"i": {"name": "x.example", "type": "A", "value": "2001:db8::1"}}),
    )
    .await;
    app.expect_error(
        "BAD_USER_INPUT",
        DNS,
        json!({"i": {"name": "x.example", "type": "A", "value": "not-an-ip"}}),
    )
    .await;
    let q = "query($f: DnsRecordFilter) { dnsRecords(filter: $f) { nodes { name } } }";
    assert_eq!(
        names(&app, q, "name", json!({"name": {"like": "%.corp.example"}})).await,
        ["ws-01.corp.example", "www.corp.example"]
    );
    assert_eq!(
        names(&app, q, "name", json!({"type": {"like": "cname"}})).await,
        ["www.corp.example"]
    );
    assert_eq!(
        names(&app, q, "name", json!({"value": {"eq": "ws-01.corp.example"}})).await,
        ["www.corp.example"]
    );
    assert_eq!(
        names(&app, q, "name", json!({"ip": {"eq": "10.0.1.50"}})).await,
        ["ws-01.corp.example"]
    );
    assert_eq!(
        names(
            &app,
            q,
            "name",
            json!({"ip": {"within": ["10.0.0.0/8"]}, "sensor": {"eq": "zeek"}})
        )
        .await,
        ["ws-01.corp.example"]
    );
    assert_eq!(
        names(
            &app,
            q,
            "name",
            json!({"firstSeen": {"lt": "2026-01-06T00:00:00Z"}, "lastSeen": {"gte": "2026-01-04T00:00:00Z"}})
        )
        .await,
        ["ws-01.corp.example"]
    );

    // The host pivots: device (by MAC, else address), most specific network, services, DNS.
    app.data("mutation { createHost(input: {ip: \"10.0.1.50\"}) { id } }", json!({}))
        .await;
    app.data(
        "mutation { createHost(input: {ip: \"192.168.0.10\", mac: \"AA:BB:CC:DD:EE:FF\"}) { id } }",
        json!({}),
    )
    .await;
    let q = r#"query($ip: IpAddr!) { host(ip: $ip) { device { mac network { name } host { ip } } network { name cidr gatewayIp gatewayMac }
        services { port protocol name } dnsRecords { totalCount nodes { name count } }
        cnames: dnsRecords(filter: {type: {eq: "CNAME"}}) { totalCount } } }"#;
    let d = app.data(q, json!({"ip": "10.0.1.50"})).await;
    assert_eq!(
        d["host"],
        json!({"device": {"mac": "AA:BB:CC:DD:EE:FF", "network": {"name": "Office LAN"}, "host": {"ip": "10.0.1.50"}},
        "network": {"name": "Office LAN", "cidr": "10.0.1.0/24", "gatewayIp": "10.0.1.1", "gatewayMac": "AA:BB:CC:DD:EE:01"},
        "services": [{"port": 443, "protocol": "TCP", "name": "Web"}, {"port": 53, "protocol": "UDP", "name": null}],
        "dnsRecords": {"totalCount": 1, "nodes": [{"name": "ws-01.corp.example", "count": 12}]},
        "cnames": {"totalCount": 0}})
    );
    let d = app.data(q, json!({"ip": "192.168.0.10"})).await;
    assert_eq!(
        d["host"]["device"]["mac"], "AA:BB:CC:DD:EE:FF",
        "the host's MAC wins over its address"
    );
    assert_eq!(d["host"]["network"]["name"], "Servers");

    // Updates and deletes.
    let d = app.data("mutation($id: ID!) { updateDevice(id: $id, input: {friendlyName: null, lastIp: \"192.168.0.11\"}) { friendlyName lastIp } }", json!({"id": dev})).await;
    assert_eq!(
        d["updateDevice"],
        json!({"friendlyName": null, "lastIp": "192.168.0.11"})
    );
    app.data("mutation($id: ID!) { deleteDevice(id: $id) }", json!({"id": dev}))
        .await;
    assert_eq!(
        app.data("{ devices { totalCount } }", json!({})).await["devices"]["totalCount"],
        1
    );
});
