//! Hosts and ports: every filter, pagination both ways, mutations and their errors.

use serde_json::{json, Value};
use tests::{both_dbs, s, TestApp};

const CREATE_HOST: &str = "mutation($i: CreateHostInput!) { createHost(input: $i) { id ip hostnames } }";
const CREATE_PORT: &str = "mutation($i: CreatePortInput!) { createPort(input: $i) { id } }";

async fn host(app: &TestApp, input: Value) -> String {
    s(&app.data(CREATE_HOST, json!({ "i": input })).await["createHost"]["id"])
}

async fn port(app: &TestApp, host: &str, port: i32, state: &str, service: &str, product: &str) {
    let i = json!({"hostId": host, "port": port, "protocol": "TCP", "state": state,
                   "serviceName": service, "serviceProduct": product});
    app.data(CREATE_PORT, json!({ "i": i })).await;
}

/// The addresses of the hosts matching `filter`, in order.
async fn ips(app: &TestApp, filter: Value) -> Vec<String> {
    let d = app
        .data(
            "query($f: HostFilter) { hosts(filter: $f) { nodes { ip } } }",
            json!({ "f": filter }),
        )
        .await;
    d["hosts"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| s(&n["ip"]))
        .collect()
}

async fn seed(app: &TestApp) {
    let a = host(
        app,
        json!({"ip": "10.0.0.1", "hostnames": ["Web.Example.com."], "country": "fr", "asn": 64500,
        "categories": ["dmz"], "firstSeen": "2026-01-01T00:00:00Z", "lastSeen": "2026-01-10T00:00:00Z"}),
    )
    .await;
    port(app, &a, 22, "open", "ssh", "OpenSSH").await;
    port(app, &a, 80, "open", "http", "nginx").await;
    let b = host(
        app,
        json!({"ip": "10.0.0.2", "hostnames": ["db.internal"], "country": "DE", "asn": 64501}),
    )
    .await;
    port(app, &b, 5432, "closed", "postgresql", "PostgreSQL").await;
    host(
        app,
        json!({"ip": "192.168.1.5", "country": "FR",
        "firstSeen": "2026-01-20T00:00:00Z", "lastSeen": "2026-02-01T00:00:00Z"}),
    )
    .await;
    host(app, json!({"ip": "2001:db8::1", "hostnames": ["v6.example.com"]})).await;
}

both_dbs!(host_filters, |app: TestApp| async move {
    seed(&app).await;
    assert_eq!(ips(&app, json!(null)).await.len(), 4);
    assert_eq!(ips(&app, json!({"ip": {"eq": "10.0.0.1"}})).await, ["10.0.0.1"]);
    assert_eq!(
        ips(&app, json!({"ip": {"within": ["10.0.0.0/24"]}})).await,
        ["10.0.0.1", "10.0.0.2"]
    );
    assert_eq!(
        ips(&app, json!({"ip": {"within": ["0.0.0.0/0"]}})).await.len(),
        3,
        "a v4 CIDR never matches v6 hosts"
    );
    assert_eq!(
        ips(&app, json!({"ip": {"within": ["2001:db8::/32"]}})).await,
        ["2001:db8::1"]
    );
    assert_eq!(
        ips(
            &app,
            json!({"ip": {"range": {"from": "10.0.0.2", "to": "192.168.1.5"}}})
        )
        .await,
        ["10.0.0.2", "192.168.1.5"]
    );
    assert_eq!(
        ips(&app, json!({"ports": {"port": {"eq": 22}, "state": {"eq": "open"}}})).await,
        ["10.0.0.1"]
    );
    assert!(
        ips(&app, json!({"ports": {"port": {"eq": 5432}, "state": {"eq": "open"}}}))
            .await
            .is_empty(),
        "closed ports do not count"
    );
    assert_eq!(
        ips(
            &app,
            json!({"ports": {"service": {"like": "SSH"}, "state": {"eq": "open"}}})
        )
        .await,
        ["10.0.0.1"]
    );
    assert_eq!(
        ips(&app, json!({"ports": {"product": {"like": "openssh"}}})).await,
        ["10.0.0.1"]
    );
    assert_eq!(
        ips(&app, json!({"ports": {"product": {"like": "%SSH%"}}})).await,
        ["10.0.0.1"]
    );
    assert_eq!(
        ips(&app, json!({"hostnames": {"name": {"like": "%.example.com"}}})).await,
        ["10.0.0.1", "2001:db8::1"]
    );
    assert_eq!(
        ips(&app, json!({"hostnames": {"name": {"eq": "db.internal"}}})).await,
        ["10.0.0.2"]
    );
    assert_eq!(
        ips(&app, json!({"country": {"like": "fr"}})).await,
        ["10.0.0.1", "192.168.1.5"]
    );
    assert_eq!(ips(&app, json!({"asn": {"eq": 64501}})).await, ["10.0.0.2"]);
    assert_eq!(ips(&app, json!({"category": "dmz"})).await, ["10.0.0.1"]);
    let seen = json!({"firstSeen": {"lt": "2026-01-25T00:00:00Z"}, "lastSeen": {"gte": "2026-01-15T00:00:00Z"}});
    assert_eq!(ips(&app, seen).await, ["192.168.1.5"]);
    assert_eq!(
        ips(
            &app,
            json!({"country": {"eq": "FR"}, "ports": {"port": {"eq": 80}, "state": {"eq": "open"}}})
        )
        .await,
        ["10.0.0.1"],
        "criteria combine"
    );

    // host(ip:) and the names, normalised.
    let d = app
        .data(
            r#"{ host(ip: "10.0.0.1") { hostnames openPortCount categories geo { country asn } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        d["host"],
        json!({"hostnames": ["web.example.com"], "openPortCount": 2, "categories": ["dmz"],
        "geo": {"country": "FR", "asn": 64500}})
    );
    let d = app.data(r#"{ host(ip: "10.9.9.9") { id } }"#, json!({})).await;
    assert_eq!(d["host"], Value::Null);

    // Port filters on the host edge.
    let q = r#"query($f: PortFilter) { host(ip: "10.0.0.1") { ports(filter: $f) { totalCount nodes { port serviceName } } } }"#;
    let d = app.data(q, json!({"f": {"service": {"eq": "http"}}})).await;
    assert_eq!(
        d["host"]["ports"],
        json!({"totalCount": 1, "nodes": [{"port": 80, "serviceName": "http"}]})
    );
    let d = app
        .data(q, json!({"f": {"state": {"eq": "open"}, "protocol": {"eq": "TCP"}}}))
        .await;
    assert_eq!(d["host"]["ports"]["totalCount"], 2);

    // Bad filter values are input errors.
    app.expect_error(
        "BAD_USER_INPUT",
        "{ hosts(filter: {ip: {eq: \"10.0.0.300\"}}) { totalCount } }",
        json!({}),
    )
    .await;
    app.expect_error(
        "BAD_USER_INPUT",
        "{ hosts(filter: {ip: {within: [\"10.0.0.0/33\"]}}) { totalCount } }",
        json!({}),
    )
    .await;
    app.expect_error(
        "BAD_USER_INPUT",
        "{ hosts(filter: {ports: {port: {eq: 70000}}}) { totalCount } }",
        json!({}),
    )
    .await;
    let m = app
        .expect_error(
            "BAD_USER_INPUT",
            r#"{ hosts(filter: {ip: {range: {from: "10.0.0.9", to: "10.0.0.1"}}}) { totalCount } }"#,
            json!({}),
        )
        .await;
    assert!(m.contains("filter.ip.range"), "{m}");
    app.expect_error(
        "BAD_USER_INPUT",
        r#"{ hosts(filter: {lastSeen: {gte: "yesterday"}}) { totalCount } }"#,
        json!({}),
    )
    .await;
});

both_dbs!(pagination_both_ways, |app: TestApp| async move {
    for i in 1..=7 {
        host(&app, json!({ "ip": format!("10.1.0.{i}") })).await;
    }
    let page = "query($first: Int, $after: String, $last: Int, $before: String) {
        hosts(first: $first, after: $after, last: $last, before: $before, filter: {ip: {within: [\"10.1.0.0/24\"]}}) {
            totalCount edges { cursor node { ip } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";
    // Forward, three at a time.
    let (mut seen, mut after) = (Vec::new(), Value::Null);
    for round in 0.. {
        let d = app.data(page, json!({"first": 3, "after": after})).await;
        let c = &d["hosts"];
        assert_eq!(c["totalCount"], 7);
        seen.extend(c["edges"].as_array().unwrap().iter().map(|e| s(&e["node"]["ip"])));
        assert_eq!(c["pageInfo"]["hasPreviousPage"], json!(round > 0));
        if c["pageInfo"]["hasNextPage"] == json!(false) {
            break;
        }
        after = c["pageInfo"]["endCursor"].clone();
    }
    let all: Vec<String> = (1..=7).map(|i| format!("10.1.0.{i}")).collect();
    assert_eq!(seen, all, "no host skipped or repeated going forward");
    // Backward, three at a time.
    let (mut back, mut before) = (Vec::new(), Value::Null);
    loop {
        let d = app.data(page, json!({"last": 3, "before": before})).await;
        let c = &d["hosts"];
        let mut chunk: Vec<String> = c["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| s(&e["node"]["ip"]))
            .collect();
        chunk.append(&mut back);
        back = chunk;
        if c["pageInfo"]["hasPreviousPage"] == json!(false) {
            break;
        }
        before = c["pageInfo"]["startCursor"].clone();
    }
    assert_eq!(back, all, "no host skipped or repeated going backward");
    // The default page and the cap.
    let d = app.data("{ hosts { nodes { ip } } }", json!({})).await;
    assert_eq!(d["hosts"]["nodes"].as_array().unwrap().len(), 7);
    app.expect_error("BAD_USER_INPUT", "{ hosts(first: 1001) { totalCount } }", json!({}))
        .await;
    app.expect_error("BAD_USER_INPUT", "{ hosts(first: -1) { totalCount } }", json!({}))
        .await;
    app.expect_error(
        "BAD_USER_INPUT",
        "{ hosts(first: 1, last: 1) { totalCount } }",
        json!({}),
    )
    .await;
    app.expect_error(
        "BAD_USER_INPUT",
        "{ hosts(after: \"bm9wZQ\") { totalCount } }",
        json!({}),
    )
    .await;
    // Edge connections page too.
    let h = host(&app, json!({"ip": "10.2.0.1"})).await;
    for p in [21, 22, 23, 25, 80] {
        port(&app, &h, p, "open", "x", "y").await;
    }
    let q = "query($after: String) { host(ip: \"10.2.0.1\") { ports(first: 2, after: $after) {
        totalCount nodes { port } pageInfo { hasNextPage endCursor } } } }";
    let (mut ports, mut after) = (Vec::new(), Value::Null);
    loop {
        let d = app.data(q, json!({"after": after})).await;
        let c = &d["host"]["ports"];
        assert_eq!(c["totalCount"], 5);
        ports.extend(
            c["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["port"].as_i64().unwrap()),
        );
        if c["pageInfo"]["hasNextPage"] == json!(false) {
            break;
        }
        after = c["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(ports, [21, 22, 23, 25, 80]);
});

both_dbs!(host_and_port_mutations, |app: TestApp| async move {
    let id = host(&app, json!({"ip": "::ffff:10.3.0.1", "hostnames": ["a.example"]})).await;
    let d = app
        .data(
            "query($id: ID!) { node(id: $id) { id ... on Host { ip hostnames } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(d["node"]["ip"], "10.3.0.1", "IPv4-mapped addresses are stored as IPv4");
    // Duplicates conflict; bad values name their field.
    app.expect_error("CONFLICT", CREATE_HOST, json!({"i": {"ip": "10.3.0.1"}}))
        .await;
    app.expect_error("BAD_USER_INPUT", CREATE_HOST, json!({"i": {"ip": "not-an-ip"}}))
        .await;
    let m = app
        .expect_error(
            "BAD_USER_INPUT",
            CREATE_HOST,
            json!({"i": {"ip": "10.3.0.2", "country": "FRA"}}),
        )
        .await;
    assert!(m.starts_with("country"), "{m}");
    app.expect_error(
        "BAD_USER_INPUT",
        CREATE_HOST,
        json!({"i": {"ip": "10.3.0.2", "latitude": 91.0}}),
    )
    .await;
    app.expect_error(
        "BAD_USER_INPUT",
        CREATE_HOST,
        json!({"i": {"ip": "10.3.0.2", "mac": "zz:zz"}}),
    )
    .await;
    app.expect_error(
        "BAD_USER_INPUT",
        CREATE_HOST,
        json!({"i": {"ip": "10.3.0.2", "hostnames": ["bad name"]}}),
    )
    .await;
    app.expect_error(
        "BAD_USER_INPUT",
        CREATE_HOST,
        json!({"i": {"ip": "10.3.0.2", "unknownField": 1}}),
    )
    .await;
    // Nothing of the failed creations was written.
    assert_eq!(
        app.data("{ hosts { totalCount } }", json!({})).await["hosts"]["totalCount"],
        1
    );

    // Update: replace names, set and clear values.
    let upd = "mutation($id: ID!, $i: HostInput!) { updateHost(id: $id, input: $i) { hostnames os mac geo { city } } }";
    let d = app.data(upd, json!({"id": id, "i": {"hostnames": ["b.example", "c.example"], "os": "Linux", "mac": "aa-bb-cc-dd-ee-ff", "city": "Lyon"}})).await;
    assert_eq!(
        d["updateHost"],
        json!({"hostnames": ["b.example", "c.example"], "os": "Linux", "mac": "AA:BB:CC:DD:EE:FF", "geo": {"city": "Lyon"}})
    );
    let d = app.data(upd, json!({"id": id, "i": {"os": null}})).await;
    assert_eq!(d["updateHost"]["os"], Value::Null);
    assert_eq!(d["updateHost"]["mac"], "AA:BB:CC:DD:EE:FF", "absent fields are kept");
    let missing = "SG9zdDo5OTk"; // Host:999
    app.expect_error("NOT_FOUND", upd, json!({"id": missing, "i": {}}))
        .await;
    app.expect_error("BAD_USER_INPUT", upd, json!({"id": "UG9ydDox", "i": {}}))
        .await; // a Port ID
    app.expect_error("BAD_USER_INPUT", upd, json!({"id": "garbage", "i": {}}))
        .await;

    // Ports: validation, update, and deletion with their host.
    app.expect_error(
        "BAD_USER_INPUT",
        CREATE_PORT,
        json!({"i": {"hostId": id, "port": 70000, "protocol": "TCP"}}),
    )
    .await;
    app.expect_error(
        "NOT_FOUND",
        CREATE_PORT,
        json!({"i": {"hostId": missing, "port": 22, "protocol": "TCP"}}),
    )
    .await;
    app.expect_error(
        "BAD_USER_INPUT",
        CREATE_PORT,
        json!({"i": {"hostId": id, "port": 22, "protocol": "SMTP"}}),
    )
    .await;
    let p = s(&app
        .data(CREATE_PORT, json!({"i": {"hostId": id, "port": 22, "protocol": "TCP"}}))
        .await["createPort"]["id"]);
    app.expect_error(
        "CONFLICT",
        CREATE_PORT,
        json!({"i": {"hostId": id, "port": 22, "protocol": "TCP"}}),
    )
    .await;
    let d = app.data("mutation($id: ID!) { updatePort(id: $id, input: {state: \"filtered\", serviceName: \"SSH\"}) { state serviceName host { ip } } }", json!({"id": p})).await;
    assert_eq!(
        d["updatePort"],
        json!({"state": "filtered", "serviceName": "ssh", "host": {"ip": "10.3.0.1"}})
    );
    let d = app
        .data("mutation($id: ID!) { deleteHost(id: $id) }", json!({"id": id}))
        .await;
    assert_eq!(d["deleteHost"], id);
    let d = app
        .data(
            "query($a: ID!, $b: ID!) { nodes(ids: [$a, $b]) { id } }",
            json!({"a": id, "b": p}),
        )
        .await;
    assert_eq!(d["nodes"], json!([null, null]), "the host and its ports are gone");
    app.expect_error(
        "NOT_FOUND",
        "mutation($id: ID!) { deleteHost(id: $id) }",
        json!({"id": id}),
    )
    .await;
});
