//! Intrudect's public API (/api/v1) against the request and response examples of
//! ../shared/specs/intrudect-public-api.txt, with its pagination, sorting, filter and
//! error rules; rows are the graph's own (created through GraphQL, seen through REST,
//! and back).

use serde_json::{json, Value};
use server::config::Config;
use server::domain::users::Role;
use tests::{both_dbs, s, TestApp};

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
    k.sort();
    k
}

async fn gql_id(app: &TestApp, mutation: &str, vars: Value) -> String {
    let d = app.data(mutation, vars).await;
    s(&d.as_object().unwrap().values().next().unwrap()["id"])
}

/// The spec's office: a LAN with its gateway, Alice's workstation and an RDP server.
async fn office(app: &TestApp) {
    let net = "mutation($i: CreateNetworkInput!) { createNetwork(input: $i) { id } }";
    gql_id(
        app,
        net,
        json!({"i": {"name": "Office LAN", "cidr": "10.0.0.0/24", "gatewayIp": "10.0.0.1", "alertLevel": 20}}),
    )
    .await;
    gql_id(app, net, json!({"i": {"name": "Server LAN", "cidr": "10.0.1.0/24"}})).await;
    let dev = "mutation($i: CreateDeviceInput!) { createDevice(input: $i) { id } }";
    let seen = json!({"firstSeen": "2026-06-01T09:15:00Z", "lastSeen": "2026-06-03T10:30:00Z"});
    for (mac, ip, host, vendor) in [
        ("AA:BB:CC:DD:EE:FF", "10.0.0.25", "workstation-01", "Example Networks"),
        ("11:22:33:44:55:66", "10.0.1.50", "server-01", "Servers Inc"),
        ("AA:BB:CC:00:00:01", "10.0.0.1", "router", "Routers Ltd"),
    ] {
        let mut i = json!({"mac": mac, "lastIp": ip, "hostname": host, "vendor": vendor});
        i.as_object_mut().unwrap().extend(seen.as_object().unwrap().clone());
        gql_id(app, dev, json!({ "i": i })).await;
    }
}

both_dbs!(devices, |app: TestApp| async move {
    office(&app).await;
    // The spec's list example.
    let (st, body) = app
        .rest(
            "GET",
            "/api/v1/devices?page=1&page_size=25&sort=hostname&order=asc",
            None,
        )
        .await;
    assert_eq!(st, 200, "{body}");
    // The whole answer, as the spec shapes it (reviewed against its example).
    insta::assert_json_snapshot!("devices_list", body, {".devices[].id" => "[id]"});
    assert_eq!(
        (
            body["page"].clone(),
            body["page_size"].clone(),
            body["total_rows"].clone(),
            body["total_pages"].clone()
        ),
        (json!(1), json!(25), json!(3), json!(1))
    );
    let hosts: Vec<String> = body["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| s(&d["hostname"]))
        .collect();
    assert_eq!(hosts, ["router", "server-01", "workstation-01"]);
    let ws = &body["devices"][2];
    assert!(ws["id"].is_i64());
    assert_eq!(ws["mac"], "AA:BB:CC:DD:EE:FF");
    assert_eq!(ws["last_ip"], "10.0.0.25");
    assert_eq!(ws["network"], "Office LAN");
    assert_eq!(ws["friendly_name"], "");
    assert_eq!(ws["is_gateway"], false);
    assert_eq!(ws["first_seen"], "2026-06-01 09:15:00");
    assert_eq!(ws["last_seen"], "2026-06-03 10:30:00");
    assert_eq!(
        body["devices"][0]["is_gateway"], true,
        "the router's address is the LAN's gateway"
    );
    let id = ws["id"].as_i64().unwrap();

    // The spec's update example, then its search example finds it.
    let (st, body) = app
        .rest(
            "PATCH",
            &format!("/api/v1/devices/{id}"),
            Some(r#"{"friendly_name":"Alice Laptop"}"#),
        )
        .await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["device"]["friendly_name"], "Alice Laptop");
    assert_eq!(body["device"]["hostname"], "workstation-01");
    let search = r#"{"filters":{"ip":["10.0.0.25"],"friendly_name":["Alice Laptop"]},"page":1,"page_size":25}"#;
    let (st, body) = app.rest("POST", "/api/v1/devices/search", Some(search)).await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["total_rows"], 1);
    assert_eq!(body["devices"][0]["id"], id);
    // The graph shows the same row.
    let d = app
        .data(
            "{ devices(filter: {mac: {eq: \"AA:BB:CC:DD:EE:FF\"}}) { nodes { friendlyName } } }",
            json!({}),
        )
        .await;
    assert_eq!(d["devices"]["nodes"][0]["friendlyName"], "Alice Laptop");
    // PUT behaves as PATCH.
    let (st, _) = app
        .rest("PUT", &format!("/api/v1/devices/{id}"), Some(r#"{"hostname":"ws-01"}"#))
        .await;
    assert_eq!(st, 200);

    // Wildcards: `%` any run, `_` one character; values of one list are any-of.
    let count = |b: &str| {
        let b = b.to_string();
        let app = &app;
        async move {
            let (st, body) = app.rest("POST", "/api/v1/devices/search", Some(&b)).await;
            assert_eq!(st, 200, "{b}: {body}");
            body["total_rows"].as_i64().unwrap()
        }
    };
    assert_eq!(count(r#"{"filters":{"ip":["10.0.0.%"]}}"#).await, 2);
    assert_eq!(count(r#"{"filters":{"ip":["10.0._.50"]}}"#).await, 1);
    assert_eq!(count(r#"{"filters":{"mac":["aa:bb:cc:%"]}}"#).await, 2);
    assert_eq!(count(r#"{"filters":{"vendor":["Example%","Servers%"]}}"#).await, 2);
    assert_eq!(
        count(r#"{"filters":{"vendor":["Example%"],"hostname":["server%"]}}"#).await,
        0
    );
    assert_eq!(count(r#"{}"#).await, 3);
    // A final lone backslash is literal (PostgreSQL refuses it as an escape).
    assert_eq!(count(r#"{"filters":{"hostname":["router\\"]}}"#).await, 0);
    let (st, b) = app
        .rest(
            "POST",
            "/api/v1/devices/search",
            Some(r#"{"filters":{"ip":["fe80::%"]}}"#),
        )
        .await;
    assert_eq!(st, 400, "{b}");
    assert!(s(&b["error"]).contains("IPv4"), "{b}");

    // Pagination: page 0 is page 1, 5000 rows are 1000, past the end is the last page.
    let (_, b) = app.rest("GET", "/api/v1/devices?page=0&page_size=5000", None).await;
    assert_eq!((b["page"].clone(), b["page_size"].clone()), (json!(1), json!(1000)));
    let (_, b) = app.rest("GET", "/api/v1/devices?page=9&page_size=2", None).await;
    assert_eq!((b["page"].clone(), b["total_pages"].clone()), (json!(2), json!(2)));
    assert_eq!(b["devices"].as_array().unwrap().len(), 1);
    // Unknown sort fields and orders fall back to last_ip ascending.
    let (_, b) = app
        .rest("GET", "/api/v1/devices?sort=shoe_size&order=sideways", None)
        .await;
    let ips: Vec<String> = b["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| s(&d["last_ip"]))
        .collect();
    assert_eq!(ips, ["10.0.0.1", "10.0.0.25", "10.0.1.50"]);
    let (_, b) = app
        .rest(
            "POST",
            "/api/v1/devices/search",
            Some(r#"{"sort":{"field":"last_seen","order":"desc"}}"#),
        )
        .await;
    assert_eq!(b["total_rows"], 3);

    // Refusals, all 400 with an error that says what is wrong.
    for (method, path, body, says) in [
        (
            "GET",
            "/api/v1/devices?ip=10.0.0.25",
            None,
            "POST /api/v1/devices/search",
        ),
        ("GET", "/api/v1/devices?page=two", None, "page must be an integer"),
        ("GET", "/api/v1/devices?colour=red", None, "colour"),
        (
            "POST",
            "/api/v1/devices/search",
            Some(r#"{"filters":{"ip":"10.0.0.25,10.0.0.26"}}"#),
            "filters.ip",
        ),
        (
            "POST",
            "/api/v1/devices/search",
            Some(r#"{"filters":{"ip":["10.0.0.25"]"#),
            "not valid JSON",
        ),
        ("POST", "/api/v1/devices/search", Some(r#"{"filter":{}}"#), "filter"),
        ("POST", "/api/v1/devices/search", Some(r#"{"page":"1"}"#), "page"),
        (
            "PATCH",
            &format!("/api/v1/devices/{id}"),
            Some("{}"),
            "hostname or friendly_name",
        ),
        (
            "PATCH",
            &format!("/api/v1/devices/{id}"),
            Some(r#"{"hostname":"","friendly_name":""}"#),
            "hostname or a friendly name",
        ),
        ("PATCH", "/api/v1/devices/x1", Some(r#"{"hostname":"a"}"#), "id"),
    ] {
        let (st, b) = app.rest(method, path, body).await;
        assert_eq!(st, 400, "{method} {path} {body:?}: {b}");
        assert!(s(&b["error"]).contains(says), "{method} {path}: {b}");
    }
    let (st, b) = app
        .rest("PATCH", "/api/v1/devices/999999", Some(r#"{"hostname":"a"}"#))
        .await;
    assert_eq!((st, keys(&b)), (404, vec!["error".to_string()]));
    // Nothing changed by the refused edits.
    let (_, b) = app
        .rest(
            "POST",
            "/api/v1/devices/search",
            Some(r#"{"filters":{"mac":["AA:BB:CC:DD:EE:FF"]}}"#),
        )
        .await;
    assert_eq!(
        (
            b["devices"][0]["hostname"].clone(),
            b["devices"][0]["friendly_name"].clone()
        ),
        (json!("ws-01"), json!("Alice Laptop"))
    );
});

both_dbs!(networks, |app: TestApp| async move {
    // The spec's create example.
    let create = r#"{"name":"Office LAN","cidr":"10.0.0.0/24","gateway_ip":"10.0.0.1","gateway_mac":"AA:BB:CC:DD:EE:FF","alert":20}"#;
    let (st, body) = app.rest("POST", "/api/v1/networks", Some(create)).await;
    assert_eq!(st, 201, "{body}");
    let n = &body["network"];
    insta::assert_json_snapshot!("network_created", body, {".network.id" => "[id]"});
    assert_eq!(
        (
            n["name"].clone(),
            n["cidr"].clone(),
            n["gateway_ip"].clone(),
            n["gateway_mac"].clone(),
            n["alert"].clone()
        ),
        (
            json!("Office LAN"),
            json!("10.0.0.0/24"),
            json!("10.0.0.1"),
            json!("AA:BB:CC:DD:EE:FF"),
            json!(20)
        )
    );
    let id = n["id"].as_i64().unwrap();
    // Normalised: a host address becomes its network, a MAC upper-case with colons;
    // empty gateway values are empty strings; alert defaults to 0.
    let (st, body) = app
        .rest(
            "POST",
            "/api/v1/networks",
            Some(r#"{"name":"Lab","cidr":"192.168.7.9/24","gateway_mac":"aa-bb-cc-00-11-22"}"#),
        )
        .await;
    assert_eq!(st, 201, "{body}");
    assert_eq!(
        (
            body["network"]["cidr"].clone(),
            body["network"]["gateway_mac"].clone(),
            body["network"]["gateway_ip"].clone(),
            body["network"]["alert"].clone()
        ),
        (json!("192.168.7.0/24"), json!("AA:BB:CC:00:11:22"), json!(""), json!(0))
    );
    // The graph has them.
    let d = app.data("{ networks { nodes { name gatewayMac } } }", json!({})).await;
    assert_eq!(d["networks"]["nodes"].as_array().unwrap().len(), 2);

    // List and the spec's search example.
    let (st, body) = app.rest("GET", "/api/v1/networks?sort=name&order=asc", None).await;
    assert_eq!(st, 200);
    assert_eq!(keys(&body), ["networks"]);
    let names: Vec<String> = body["networks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| s(&n["name"]))
        .collect();
    assert_eq!(names, ["Lab", "Office LAN"]);
    let (_, body) = app.rest("GET", "/api/v1/networks?sort=cidr&order=desc", None).await;
    assert_eq!(body["networks"][0]["name"], "Lab");
    let search = r#"{"filters":{"name":["Office%"],"alert":[20]},"sort":{"field":"cidr","order":"asc"}}"#;
    let (st, body) = app.rest("POST", "/api/v1/networks/search", Some(search)).await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["networks"].as_array().unwrap().len(), 1);
    assert_eq!(body["networks"][0]["id"], id);
    let (_, body) = app
        .rest(
            "POST",
            "/api/v1/networks/search",
            Some(r#"{"filters":{"gateway_ip":["10.0.0.%"]}}"#),
        )
        .await;
    assert_eq!(body["networks"].as_array().unwrap().len(), 1);
    let (_, body) = app
        .rest("POST", "/api/v1/networks/search", Some(r#"{"filters":{"alert":[30]}}"#))
        .await;
    assert_eq!(body["networks"].as_array().unwrap().len(), 0);

    // The spec's update example; PUT is the same.
    let (st, body) = app
        .rest("PATCH", &format!("/api/v1/networks/{id}"), Some(r#"{"alert":30}"#))
        .await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["network"]["alert"], 30);
    assert_eq!(body["network"]["gateway_ip"], "10.0.0.1");
    let (st, body) = app
        .rest("PUT", &format!("/api/v1/networks/{id}"), Some(r#"{"gateway_mac":""}"#))
        .await;
    assert_eq!((st, body["network"]["gateway_mac"].clone()), (200, json!("")));

    // Refusals.
    for (method, path, body, status) in [
        (
            "POST",
            "/api/v1/networks",
            r#"{"name":"Dup","cidr":"10.0.0.0/24"}"#,
            409,
        ),
        ("POST", "/api/v1/networks", r#"{"cidr":"10.9.0.0/24"}"#, 400),
        (
            "POST",
            "/api/v1/networks",
            r#"{"name":"Bad","cidr":"10.0.0.300/24"}"#,
            400,
        ),
        (
            "POST",
            "/api/v1/networks",
            r#"{"name":"Bad","cidr":"10.9.0.0/24","gateway_ip":"10.8.0.1"}"#,
            400,
        ),
        (
            "POST",
            "/api/v1/networks",
            r#"{"name":"Bad","cidr":"10.9.0.0/24","gateway_mac":"zz"}"#,
            400,
        ),
        (
            "POST",
            "/api/v1/networks",
            r#"{"name":"Bad","cidr":"10.9.0.0/24","alert":15}"#,
            400,
        ),
        (
            "POST",
            "/api/v1/networks",
            r#"{"name":"Bad","cidr":"10.9.0.0/24","colour":"red"}"#,
            400,
        ),
        (
            "POST",
            "/api/v1/networks",
            r#"{"name":"Bad","cidr":"10.9.0.0/24","alert":"20"}"#,
            400,
        ),
        ("PATCH", "/api/v1/networks/999999", r#"{"alert":10}"#, 404),
        ("PATCH", &format!("/api/v1/networks/{id}"), "{}", 400),
        ("PATCH", &format!("/api/v1/networks/{id}"), r#"{"name":""}"#, 400),
    ] {
        let (st, b) = app.rest(method, path, Some(body)).await;
        assert_eq!(st, status, "{method} {path} {body}: {b}");
        assert!(b["error"].is_string(), "{b}");
        // The dialect's clients never saw Pivot's GraphQL input types.
        let error = s(&b["error"]);
        assert!(
            !error.contains("Input") && !error.contains("occurred while parsing"),
            "{error}"
        );
    }
    let (st, _) = app.rest("GET", "/api/v1/networks?name=Lab", None).await;
    assert_eq!(st, 400);
    let (st, _) = app.rest("GET", "/api/v1/networks?page=1", None).await;
    assert_eq!(st, 400, "networks are not paginated");

    // The spec's delete example answers with the network as it was.
    let (st, body) = app.rest("DELETE", &format!("/api/v1/networks/{id}"), None).await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["deleted"], true);
    assert_eq!(
        (body["network"]["id"].clone(), body["network"]["alert"].clone()),
        (json!(id), json!(30))
    );
    let (st, _) = app.rest("DELETE", &format!("/api/v1/networks/{id}"), None).await;
    assert_eq!(st, 404);
    let (_, body) = app.rest("GET", "/api/v1/networks", None).await;
    assert_eq!(body["networks"].as_array().unwrap().len(), 1);
});

const ALERT: &str = "mutation($i: CreateAlertInput!) { createAlert(input: $i) { id } }";

/// The spec's network alert, two more, and a server alert.
async fn alerts(app: &TestApp) -> Vec<String> {
    office(app).await;
    let dev = "mutation($id: ID!, $i: DeviceInput!) { updateDevice(id: $id, input: $i) { id } }";
    let d = app
        .data(
            "{ devices(filter: {ip: {eq: \"10.0.0.25\"}}) { nodes { id } } }",
            json!({}),
        )
        .await;
    app.data(
        dev,
        json!({"id": d["devices"]["nodes"][0]["id"], "i": {"friendlyName": "Alice Laptop"}}),
    )
    .await;
    let d = app
        .data(
            "{ devices(filter: {ip: {eq: \"10.0.1.50\"}}) { nodes { id } } }",
            json!({}),
        )
        .await;
    app.data(
        dev,
        json!({"id": d["devices"]["nodes"][0]["id"], "i": {"friendlyName": "RDP Server"}}),
    )
    .await;
    let mut ids = Vec::new();
    for i in [
        json!({"kind": "network", "type": "portscan", "severity": "ERROR", "title": "Port scan detected",
               "message": "Example alert message", "occurredAt": "2026-06-03T10:30:00Z", "sensor": "agent-hash",
               "srcIp": "10.0.0.25", "dstIp": "10.0.1.50", "srcPort": 53000, "dstPort": 3389,
               "srcMac": "AA:BB:CC:DD:EE:FF", "dstMac": "11:22:33:44:55:66"}),
        json!({"kind": "network", "type": "newdevice", "severity": "WARNING", "title": "New device 10.0.0.99",
               "occurredAt": "2026-06-02T08:00:00Z", "sensor": "agent-hash", "srcIp": "10.0.0.99", "dstIp": "8.8.8.8",
               "dstPort": 53}),
        json!({"kind": "network", "type": "portscan", "severity": "NOTICE", "title": "Port scan detected",
               "message": "100% of ports_probed", "occurredAt": "2026-06-03T11:00:00Z", "sensor": "other-agent",
               "srcIp": "10.0.0.25", "dstIp": "10.0.1.50", "dstPort": 22}),
        json!({"kind": "server", "type": "auth", "severity": "WARNING", "title": "Failed password",
               "message": "sshd[100]: Failed password for root from 10.0.0.25", "occurredAt": "2026-06-03T10:30:00Z",
               "sensor": "agent-hash", "hostname": "server-01"}),
    ] {
        ids.push(gql_id(app, ALERT, json!({ "i": i })).await);
    }
    ids
}

fn ids_of(body: &Value, key: &str) -> Vec<i64> {
    body[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} in {body}"))
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect()
}

both_dbs!(network_alerts, |app: TestApp| async move {
    alerts(&app).await;
    // The spec's list example: newest first, network alerts only.
    let (st, body) = app
        .rest(
            "GET",
            "/api/v1/networkalerts?page=1&page_size=25&sort=timestamp&order=desc",
            None,
        )
        .await;
    assert_eq!(st, 200, "{body}");
    insta::assert_json_snapshot!("network_alerts_list", body, {
        ".network_alerts[].id" => "[id]",
        ".network_alerts[].pcap_id" => "[id]",
    });
    assert_eq!(body["total_rows"], 3);
    let a = &body["network_alerts"][1];
    for (k, v) in [
        ("timestamp", json!("2026-06-03 10:30:00")),
        ("agent", json!("agent-hash")),
        ("src_mac", json!("AA:BB:CC:DD:EE:FF")),
        ("dst_mac", json!("11:22:33:44:55:66")),
        ("src_ip", json!("10.0.0.25")),
        ("dst_ip", json!("10.0.1.50")),
        ("src_port", json!(53000)),
        ("dst_port", json!(3389)),
        ("src_hostname", json!("workstation-01")),
        ("dst_hostname", json!("server-01")),
        ("level", json!(30)),
        ("type", json!("portscan")),
        ("subject", json!("Port scan detected")),
        ("message", json!("Example alert message")),
        ("src_device_name", json!("Alice Laptop")),
        ("dst_device_name", json!("RDP Server")),
        ("src_network_name", json!("Office LAN")),
        ("dst_network_name", json!("Server LAN")),
        ("is_src_public_ip", json!(false)),
        ("is_dst_public_ip", json!(false)),
        ("pcap_id", Value::Null),
    ] {
        assert_eq!(a[k], v, "{k} of {a}");
    }
    let spec_id = a["id"].as_i64().unwrap();
    let newest = ids_of(&body, "network_alerts");
    assert_eq!(body["network_alerts"][2]["is_dst_public_ip"], true, "8.8.8.8");
    let (_, asc) = app
        .rest("GET", "/api/v1/networkalerts?sort=first&order=asc", None)
        .await;
    let mut reversed = newest.clone();
    reversed.reverse();
    assert_eq!(ids_of(&asc, "network_alerts"), reversed);
    // Unknown sort and order: timestamp, newest first.
    let (_, b) = app
        .rest("GET", "/api/v1/networkalerts?sort=nope&order=nope", None)
        .await;
    assert_eq!(ids_of(&b, "network_alerts"), newest);

    // The spec's search example, and each filter.
    let search = |body: &'static str| {
        let app = &app;
        async move {
            let (st, b) = app.rest("POST", "/api/v1/networkalerts/search", Some(body)).await;
            assert_eq!(st, 200, "{body}: {b}");
            ids_of(&b, "network_alerts")
        }
    };
    assert_eq!(
        search(r#"{"filters":{"level":[30],"source":["10.0.0.25"],"type":["portscan"]},"page":1,"page_size":25}"#)
            .await,
        [spec_id]
    );
    assert_eq!(
        search(r#"{"filters":{"from":"2026-06-03 00:00","to":"2026-06-04 00:00"}}"#)
            .await
            .len(),
        2
    );
    assert_eq!(
        search(r#"{"filters":{"from":"2026-06-03 10:30","to":"2026-06-03 10:30"}}"#).await,
        [spec_id],
        "bounds are inclusive"
    );
    assert_eq!(search(r#"{"filters":{"agent":["other-agent"]}}"#).await.len(), 1);
    assert_eq!(search(r#"{"filters":{"agent_id":["agent-hash"]}}"#).await.len(), 2);
    assert_eq!(search(r#"{"filters":{"level":[10,20]}}"#).await.len(), 2);
    assert_eq!(
        search(r#"{"filters":{"type":["portscan"],"type_mode":2}}"#).await.len(),
        1
    );
    assert_eq!(search(r#"{"filters":{"source":["10.0.0.%"]}}"#).await.len(), 3);
    assert_eq!(
        search(r#"{"filters":{"source":["aa:bb:cc:dd:ee:ff"]}}"#).await,
        [spec_id],
        "by MAC"
    );
    assert_eq!(
        search(r#"{"filters":{"source":["Alice%"]}}"#).await.len(),
        2,
        "by device name"
    );
    assert_eq!(
        search(r#"{"filters":{"destination":["server-01"]}}"#).await.len(),
        2,
        "by hostname"
    );
    assert_eq!(search(r#"{"filters":{"destination":["8.8.8.8"]}}"#).await.len(), 1);
    assert_eq!(search(r#"{"filters":{"destination_port":[3389, 22]}}"#).await.len(), 2);
    assert_eq!(search(r#"{"filters":{"dst_port":[53]}}"#).await.len(), 1);
    assert_eq!(search(r#"{"filters":{"search":["Port scan"]}}"#).await.len(), 2);
    assert_eq!(search(r#"{"filters":{"search":["10.0.1.50:3389"]}}"#).await, [spec_id]);
    // Outside the patterns, `%` and `_` are literal.
    assert_eq!(search(r#"{"filters":{"search":["100%"]}}"#).await.len(), 1);
    assert_eq!(search(r#"{"filters":{"search":["0%"]}}"#).await.len(), 1);
    assert_eq!(search(r#"{"filters":{"search":["s_p"]}}"#).await.len(), 1);
    assert_eq!(search(r#"{"filters":{"search":["rt_s"]}}"#).await.len(), 0);
    assert_eq!(
        search(r#"{"filters":{"unique":"pair"}}"#).await.len(),
        2,
        "the newest per source and destination"
    );
    assert_eq!(search(r#"{"filters":{"unique":"destinationport"}}"#).await.len(), 3);
    assert_eq!(
        search(r#"{"filters":{"source":["10.0.0.25"],"unique":"source"}}"#)
            .await
            .len(),
        2,
        "two MACs"
    );
    // Paging.
    let (_, b) = app
        .rest(
            "POST",
            "/api/v1/networkalerts/search",
            Some(r#"{"page":7,"page_size":2}"#),
        )
        .await;
    assert_eq!(
        (b["page"].clone(), b["total_pages"].clone(), b["total_rows"].clone()),
        (json!(2), json!(2), json!(3))
    );

    for (path, body, says) in [
        (
            "/api/v1/networkalerts/search",
            r#"{"filters":{"source":"10.0.0.25,10.0.0.26"}}"#,
            "filters.source",
        ),
        ("/api/v1/networkalerts/search", r#"{"filters":{"level":[45]}}"#, "level"),
        (
            "/api/v1/networkalerts/search",
            r#"{"filters":{"from":"2026-06-03"}}"#,
            "YYYY-MM-DD HH:MM",
        ),
        (
            "/api/v1/networkalerts/search",
            r#"{"filters":{"from":"2026-06-04 00:00","to":"2026-06-03 00:00"}}"#,
            "from",
        ),
        (
            "/api/v1/networkalerts/search",
            r#"{"filters":{"type_mode":3}}"#,
            "type_mode",
        ),
        (
            "/api/v1/networkalerts/search",
            r#"{"filters":{"unique":"everything"}}"#,
            "unique",
        ),
        (
            "/api/v1/networkalerts/search",
            r#"{"filters":{"source":["%1"]}}"#,
            "narrow",
        ),
        (
            "/api/v1/networkalerts/search",
            r#"{"filters":{"destination_port":["3389"]}}"#,
            "destination_port",
        ),
        (
            "/api/v1/networkalerts/search",
            r#"{"filters":{"severity":[30]}}"#,
            "severity",
        ),
    ] {
        let (st, b) = app.rest("POST", path, Some(body)).await;
        assert_eq!(st, 400, "{body}: {b}");
        assert!(s(&b["error"]).contains(says), "{body}: {b}");
    }
    let (st, b) = app.rest("GET", "/api/v1/networkalerts?level=30", None).await;
    assert_eq!(st, 400, "{b}");

    // The spec's delete example; a server alert is not a network alert.
    let (_, servers) = app.rest("GET", "/api/v1/serveralerts", None).await;
    let server_id = servers["server_alerts"][0]["id"].as_i64().unwrap();
    let (st, _) = app
        .rest("DELETE", &format!("/api/v1/networkalerts/{server_id}"), None)
        .await;
    assert_eq!(st, 404);
    let (st, body) = app
        .rest("DELETE", &format!("/api/v1/networkalerts/{spec_id}"), None)
        .await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["deleted"], true);
    assert_eq!(
        (
            body["network_alert"]["id"].clone(),
            body["network_alert"]["subject"].clone()
        ),
        (json!(spec_id), json!("Port scan detected"))
    );
    let (st, _) = app
        .rest("DELETE", &format!("/api/v1/networkalerts/{spec_id}"), None)
        .await;
    assert_eq!(st, 404);
    let d = app.data("{ alerts { totalCount } }", json!({})).await;
    assert_eq!(d["alerts"]["totalCount"], 3, "gone from the graph too");
});

both_dbs!(server_alerts, |app: TestApp| async move {
    alerts(&app).await;
    let (st, body) = app
        .rest(
            "GET",
            "/api/v1/serveralerts?page=1&page_size=25&sort=timestamp&order=desc",
            None,
        )
        .await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["total_rows"], 1);
    insta::assert_json_snapshot!("server_alerts_list", body, {".server_alerts[].id" => "[id]"});
    let a = &body["server_alerts"][0];
    for (k, v) in [
        ("timestamp", json!("2026-06-03 10:30:00")),
        ("agent", json!("agent-hash")),
        ("hostname", json!("server-01")),
        ("level", json!(20)),
        ("type", json!("auth")),
        ("title", json!("Failed password")),
        ("line", json!("sshd[100]: Failed password for root from 10.0.0.25")),
    ] {
        assert_eq!(a[k], v, "{k} of {a}");
    }
    let id = a["id"].as_i64().unwrap();
    // The spec's search example, and each filter.
    for (body, n) in [
        (
            r#"{"filters":{"level":[20],"type":["auth"],"search":["Failed password"]},"page":1,"page_size":25}"#,
            1,
        ),
        (
            r#"{"filters":{"from":"2026-06-03 00:00","to":"2026-06-04 00:00","agent":["agent-hash"],"hostname":["server-01"],"level":[20],"type":["auth"],"title":["Failed password"],"search":["root from 10.0.0.25"]}}"#,
            1,
        ),
        (r#"{"filters":{"hostname":["server-%"]}}"#, 1),
        (r#"{"filters":{"hostname":["server"]}}"#, 0),
        (r#"{"filters":{"title":["Failed%"]}}"#, 1),
        (r#"{"filters":{"message":["Failed"]}}"#, 0),
        (r#"{"filters":{"line":["root"]}}"#, 1),
        (r#"{"filters":{"level":[30]}}"#, 0),
        (r#"{"sort":{"field":"line","order":"asc"}}"#, 1),
    ] {
        let (st, b) = app.rest("POST", "/api/v1/serveralerts/search", Some(body)).await;
        assert_eq!(st, 200, "{body}: {b}");
        assert_eq!(b["total_rows"], n, "{body}: {b}");
    }
    let (st, _) = app.rest("GET", "/api/v1/serveralerts?hostname=server-01", None).await;
    assert_eq!(st, 400);
    let (st, body) = app.rest("DELETE", &format!("/api/v1/serveralerts/{id}"), None).await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(
        (body["deleted"].clone(), body["server_alert"]["id"].clone()),
        (json!(true), json!(id))
    );
    let (_, body) = app.rest("GET", "/api/v1/serveralerts", None).await;
    assert_eq!(body["total_rows"], 0);
});

both_dbs!(authentication_and_permissions, |app: TestApp| async move {
    office(&app).await;
    let (st, b) = app.rest_as(None, "GET", "/api/v1/devices", None).await;
    assert_eq!((st, keys(&b)), (401, vec!["error".to_string()]));
    let (st, _) = app.rest_as(Some("not-a-token"), "GET", "/api/v1/devices", None).await;
    assert_eq!(st, 401);
    // Unknown routes and methods under the prefix answer in the dialect's shape.
    let (st, b) = app.rest("GET", "/api/v1/nothing/here", None).await;
    assert_eq!((st, keys(&b)), (404, vec!["error".to_string()]));
    let (st, b) = app.rest("POST", "/api/v1/serveralerts", Some("{}")).await;
    assert_eq!((st, keys(&b)), (405, vec!["error".to_string()]));

    // A viewer reads everything of these but writes nothing: each write is 403 and changes nothing.
    let viewer = app.user("viewer", Role::Viewer, "").await;
    for path in [
        "/api/v1/devices",
        "/api/v1/networks",
        "/api/v1/networkalerts",
        "/api/v1/serveralerts",
    ] {
        let (st, b) = app.rest_as(Some(&viewer), "GET", path, None).await;
        assert_eq!(st, 200, "{path}: {b}");
    }
    for path in [
        "/api/v1/devices/search",
        "/api/v1/networks/search",
        "/api/v1/networkalerts/search",
        "/api/v1/serveralerts/search",
    ] {
        let (st, _) = app.rest_as(Some(&viewer), "POST", path, Some("{}")).await;
        assert_eq!(st, 200, "{path}");
    }
    let (_, devices) = app.rest("GET", "/api/v1/devices", None).await;
    let dev = devices["devices"][0]["id"].as_i64().unwrap();
    let (_, nets) = app.rest("GET", "/api/v1/networks", None).await;
    let net = nets["networks"][0]["id"].as_i64().unwrap();
    for (method, path, body) in [
        (
            "PATCH",
            format!("/api/v1/devices/{dev}"),
            Some(r#"{"friendly_name":"x"}"#),
        ),
        (
            "PUT",
            format!("/api/v1/devices/{dev}"),
            Some(r#"{"friendly_name":"x"}"#),
        ),
        (
            "POST",
            "/api/v1/networks".to_string(),
            Some(r#"{"name":"x","cidr":"10.7.0.0/16"}"#),
        ),
        ("PATCH", format!("/api/v1/networks/{net}"), Some(r#"{"alert":10}"#)),
        ("DELETE", format!("/api/v1/networks/{net}"), None),
        ("DELETE", "/api/v1/networkalerts/1".to_string(), None),
        ("DELETE", "/api/v1/serveralerts/1".to_string(), None),
    ] {
        let (st, b) = app.rest_as(Some(&viewer), method, &path, body).await;
        assert_eq!(st, 403, "{method} {path}: {b}");
        assert!(s(&b["error"]).contains("write"), "{b}");
    }
    let (_, after) = app.rest("GET", "/api/v1/networks", None).await;
    assert_eq!(after, nets);
    // An analyst writes.
    let analyst = app.user("analyst", Role::Analyst, "").await;
    let (st, _) = app
        .rest_as(
            Some(&analyst),
            "PATCH",
            &format!("/api/v1/networks/{net}"),
            Some(r#"{"alert":10}"#),
        )
        .await;
    assert_eq!(st, 200);
});

/// A dialect mounted elsewhere (`PIVOT_MOUNTS`) answers there, speaks of its paths
/// there, and is gone from its default place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dialects_answer_where_they_are_mounted() {
    let app = TestApp::sqlite_with(Config {
        mounts: server::compat::mounts("intrudect=/tools/intrudect/api/v1").unwrap(),
        ..Config::default()
    })
    .await;
    let (st, b) = app.rest("GET", "/tools/intrudect/api/v1/devices", None).await;
    assert_eq!((st, &b["total_rows"]), (200, &json!(0)), "{b}");
    let (st, b) = app
        .rest("GET", "/tools/intrudect/api/v1/devices?ip=10.0.0.1", None)
        .await;
    assert_eq!(st, 400);
    assert_eq!(
        b["error"],
        "filtering is not supported on GET /tools/intrudect/api/v1/devices: use POST /tools/intrudect/api/v1/devices/search with a JSON body"
    );
    let (st, b) = app.rest("GET", "/tools/intrudect/api/v1/nothing", None).await;
    assert_eq!(
        (st, &b["error"]),
        (404, &json!("not found")),
        "the dialect's own 404 under its mount"
    );
    let res = app
        .anonymous
        .get(app.url("/api/v1/devices"))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 404, "nothing at the default mount");
    // Trisul stays at its default mount.
    let (st, _) = app.rest("GET", "/api/ipdr_query/list", Some("{}")).await;
    assert_eq!(st, 401);
}

/// Local times are the configured timezone's, both ways.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn times_are_in_the_configured_timezone() {
    let app = TestApp::sqlite_with(Config {
        timezone: "Europe/Paris".parse().unwrap(),
        ..Config::default()
    })
    .await;
    alerts(&app).await;
    let (_, b) = app.rest("POST", "/api/v1/serveralerts/search", Some("{}")).await;
    assert_eq!(
        b["server_alerts"][0]["timestamp"], "2026-06-03 12:30:00",
        "10:30 UTC is 12:30 in Paris in June"
    );
    let (_, b) = app
        .rest(
            "POST",
            "/api/v1/serveralerts/search",
            Some(r#"{"filters":{"from":"2026-06-03 12:30","to":"2026-06-03 12:30"}}"#),
        )
        .await;
    assert_eq!(b["total_rows"], 1);
    let (_, b) = app
        .rest(
            "POST",
            "/api/v1/serveralerts/search",
            Some(r#"{"filters":{"to":"2026-06-03 12:29"}}"#),
        )
        .await;
    assert_eq!(b["total_rows"], 0);
    let (_, b) = app.rest("GET", "/api/v1/devices?sort=ip", None).await;
    assert_eq!(b["devices"][0]["first_seen"], "2026-06-01 11:15:00");
}

both_dbs!(about, |app: TestApp| async move {
    use sea_orm::ConnectionTrait;
    alerts(&app).await;
    let (st, b) = app.rest("GET", "/api/v1/about", None).await;
    assert_eq!(st, 200, "{b}");
    insta::assert_json_snapshot!("about", b, {
        ".version" => "[version]",
        ".runtime_memory_bytes" => "[bytes]",
        ".database.size_bytes" => "[bytes]",
        // Table sizes: PostgreSQL reports each table's, SQLite only the file's.
        ".database.*.size_bytes" => "[bytes]",
        ".database.*.row_count" => "[count]",
    });
    assert!(b["runtime_memory_bytes"].as_i64().unwrap() > 1 << 20);
    let db = &b["database"];
    assert!(db["size_bytes"].as_i64().unwrap() > 0);
    for k in [
        "network_alerts",
        "tcp_records",
        "dns_records",
        "dhcp_records",
        "http_records",
    ] {
        assert_eq!(db[k]["row_count_is_estimate"], true, "{k}: {db}");
        assert!(db[k]["row_count"].is_i64(), "{k}: {db}");
    }
    assert_eq!(
        db["network_alerts"]["row_count"], 4,
        "an estimate, exact on a fresh table"
    );
    let health = &b["schema_health"];
    assert_eq!(health["is_healthy"], true, "{health}");
    let alerts_table = health["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "alerts")
        .unwrap();
    assert_eq!(alerts_table["is_healthy"], true, "{alerts_table}");

    // A flow gives TCP records a time span; a lost index is reported.
    app.data(
        "mutation($i: CreateFlowInput!) { createFlow(input: $i) { id } }",
        json!({"i": {"src": "10.0.0.25", "dst": "10.0.1.50", "protocol": "TCP", "startedAt": "2026-06-01T00:00:00Z"}}),
    )
    .await;
    app.db.execute_unprepared("DROP INDEX ix_flows_dst_port").await.unwrap();
    let (_, b) = app.rest("GET", "/api/v1/about", None).await;
    assert_eq!(b["database"]["tcp_records"]["first_record_at"], "2026-06-01 00:00:00");
    assert_eq!(b["schema_health"]["is_healthy"], false);
    let flows = b["schema_health"]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "flows")
        .unwrap();
    assert_eq!(flows["missing_indexes"], json!(["ix_flows_dst_port"]));
    assert_eq!(flows["is_healthy"], false);
    // Any valid token will do; none will not.
    let viewer = app.user("viewer", Role::Viewer, "").await;
    assert_eq!(app.rest_as(Some(&viewer), "GET", "/api/v1/about", None).await.0, 200);
    assert_eq!(app.rest_as(None, "GET", "/api/v1/about", None).await.0, 401);
    assert_eq!(app.rest("GET", "/api/v1/about?verbose=1", None).await.0, 400);
});

both_dbs!(services, |app: TestApp| async move {
    // The spec's create example (201), and more ports of the same and another address.
    let create = r#"{"service_ip":"10.0.0.25","service_port":443,"proto":"tcp","first_seen":"2026-06-01 09:15:00","last_seen":"2026-06-03 10:30:00"}"#;
    let (st, b) = app.rest("POST", "/api/v1/services", Some(create)).await;
    assert_eq!(st, 201, "{b}");
    let svc = &b["service"];
    insta::assert_json_snapshot!("service_created", b, {".service.id" => "[id]"});
    assert_eq!(
        (
            svc["service_ip"].clone(),
            svc["service_port"].clone(),
            svc["proto"].clone(),
            svc["authorized"].clone()
        ),
        (json!("10.0.0.25"), json!(443), json!("tcp"), json!(false))
    );
    assert_eq!(
        (svc["first_seen"].clone(), svc["last_seen"].clone()),
        (json!("2026-06-01 09:15:00"), json!("2026-06-03 10:30:00"))
    );
    let https = svc["id"].as_i64().unwrap();
    for body in [
        r#"{"service_ip":"10.0.0.25","service_port":53,"proto":"udp","name":"Web Server","first_seen":"2026-05-30 00:00:00","last_seen":"2026-06-01 00:00:00"}"#,
        r#"{"service_ip":"10.0.0.7","service_port":22,"proto":"TCP"}"#,
    ] {
        let (st, b) = app.rest("POST", "/api/v1/services", Some(body)).await;
        assert_eq!(st, 201, "{body}: {b}");
    }
    // The graph has them, with the name.
    let d = app
        .data(
            "{ services(filter: {port: {eq: 53}}) { nodes { name protocol } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        d["services"]["nodes"][0],
        json!({"name": "Web Server", "protocol": "UDP"})
    );

    // The spec's list example: grouped by address.
    let (st, b) = app
        .rest("GET", "/api/v1/services?sort=service_ip&order=asc", None)
        .await;
    assert_eq!(st, 200, "{b}");
    let groups = b["services"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0]["service_ip"], "10.0.0.7", "by address, not text");
    let g = &groups[1];
    // A service created without times was first and last seen now.
    insta::assert_json_snapshot!("services_grouped", b, {
        ".**.id" => "[id]",
        ".**.first_seen" => "[time]",
        ".**.last_seen" => "[time]",
    });
    assert_eq!(
        (g["name"].clone(), g["authorized"].clone()),
        (json!("Web Server"), json!(false))
    );
    assert_eq!(
        (g["first_seen"].clone(), g["last_seen"].clone()),
        (json!("2026-05-30 00:00:00"), json!("2026-06-03 10:30:00"))
    );
    assert_eq!(
        g["tcp_ports"],
        json!([{"id": https, "port": 443, "proto": "tcp", "authorized": false,
        "first_seen": "2026-06-01 09:15:00", "last_seen": "2026-06-03 10:30:00"}])
    );
    assert_eq!(g["udp_ports"][0]["port"], 53);
    let (_, b) = app.rest("GET", "/api/v1/services?sort=ip&order=desc", None).await;
    assert_eq!(b["services"][0]["service_ip"], "10.0.0.25");

    // The spec's search example, and each filter.
    let count = |body: &'static str| {
        let app = &app;
        async move {
            let (st, b) = app.rest("POST", "/api/v1/services/search", Some(body)).await;
            assert_eq!(st, 200, "{body}: {b}");
            b["services"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g["tcp_ports"].as_array().unwrap().len() + g["udp_ports"].as_array().unwrap().len())
                .sum::<usize>()
        }
    };
    assert_eq!(
        count(r#"{"filters":{"service_ip":["10.0.0.%"],"proto":["tcp"],"authorized":[false]}}"#).await,
        2
    );
    assert_eq!(count(r#"{"filters":{"ip":["10.0.0.25"],"port":[443, 53]}}"#).await, 2);
    assert_eq!(count(r#"{"filters":{"proto":["UDP"]}}"#).await, 1);
    assert_eq!(count(r#"{"sort":{"field":"last_seen","order":"desc"}}"#).await, 3);

    // Authorize by ID, then by fields (a service never seen is recorded authorized).
    let (st, b) = app
        .rest("PATCH", &format!("/api/v1/services/{https}/authorize"), None)
        .await;
    assert_eq!((st, b["service"]["authorized"].clone()), (200, json!(true)), "{b}");
    let (st, b) = app
        .rest(
            "POST",
            "/api/v1/services/authorize",
            Some(r#"{"service_ip":"10.0.0.25","service_port":53,"proto":"udp"}"#),
        )
        .await;
    assert_eq!((st, b["service"]["authorized"].clone()), (200, json!(true)), "{b}");
    let (st, b) = app
        .rest(
            "POST",
            "/api/v1/services/authorize",
            Some(r#"{"service_ip":"10.0.0.99","service_port":8080,"proto":"tcp"}"#),
        )
        .await;
    assert_eq!(
        (st, b["service"]["service_ip"].clone()),
        (200, json!("10.0.0.99")),
        "{b}"
    );
    assert_eq!(count(r#"{"filters":{"authorized":[true]}}"#).await, 3);
    let (_, b) = app
        .rest(
            "POST",
            "/api/v1/services/search",
            Some(r#"{"filters":{"ip":["10.0.0.25"]}}"#),
        )
        .await;
    assert_eq!(
        b["services"][0]["authorized"], true,
        "every port of the address is authorized"
    );
    let d = app
        .data(
            "{ services(filter: {authorized: {eq: true}}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(d["services"]["totalCount"], 3, "authorisation is in the graph");

    // Update (PATCH and PUT), then delete with the row as it was.
    let (st, b) = app
        .rest(
            "PATCH",
            &format!("/api/v1/services/{https}"),
            Some(r#"{"service_ip":"10.0.0.26","service_port":8443,"proto":"tcp","last_seen":"2026-06-03 10:30:00"}"#),
        )
        .await;
    assert_eq!(st, 200, "{b}");
    assert_eq!(
        (b["service"]["service_ip"].clone(), b["service"]["service_port"].clone()),
        (json!("10.0.0.26"), json!(8443))
    );
    let (st, _) = app
        .rest(
            "PUT",
            &format!("/api/v1/services/{https}"),
            Some(r#"{"service_port":8444}"#),
        )
        .await;
    assert_eq!(st, 200);
    for (method, path, body, status) in [
        (
            "POST",
            "/api/v1/services".to_string(),
            Some(r#"{"service_ip":"10.0.0.7","service_port":22,"proto":"tcp"}"#),
            409,
        ),
        (
            "POST",
            "/api/v1/services".to_string(),
            Some(r#"{"service_ip":"10.0.0.7","proto":"tcp"}"#),
            400,
        ),
        (
            "POST",
            "/api/v1/services".to_string(),
            Some(r#"{"service_ip":"10.0.0.7","service_port":70000,"proto":"tcp"}"#),
            400,
        ),
        (
            "POST",
            "/api/v1/services".to_string(),
            Some(r#"{"service_ip":"10.0.0.7","service_port":1,"proto":"icmp"}"#),
            400,
        ),
        (
            "POST",
            "/api/v1/services".to_string(),
            Some(r#"{"service_ip":"nope","service_port":1,"proto":"tcp"}"#),
            400,
        ),
        (
            "POST",
            "/api/v1/services".to_string(),
            Some(r#"{"service_ip":"10.0.0.7","service_port":1,"proto":"tcp","first_seen":"yesterday"}"#),
            400,
        ),
        (
            "POST",
            "/api/v1/services".to_string(),
            Some(
                r#"{"service_ip":"10.0.0.7","service_port":1,"proto":"tcp","first_seen":"2026-06-03 00:00:00","last_seen":"2026-06-01 00:00:00"}"#,
            ),
            400,
        ),
        ("PATCH", format!("/api/v1/services/{https}"), Some("{}"), 400),
        (
            "PATCH",
            format!("/api/v1/services/{https}"),
            Some(r#"{"service_ip":"10.0.0.7","service_port":22}"#),
            409,
        ),
        (
            "PATCH",
            "/api/v1/services/999999".to_string(),
            Some(r#"{"service_port":1}"#),
            404,
        ),
        ("PATCH", "/api/v1/services/999999/authorize".to_string(), None, 404),
        (
            "POST",
            "/api/v1/services/search".to_string(),
            Some(r#"{"filters":{"proto":["icmp"]}}"#),
            400,
        ),
        (
            "POST",
            "/api/v1/services/search".to_string(),
            Some(r#"{"filters":{"service_ip":"10.0.0.7"}}"#),
            400,
        ),
        (
            "POST",
            "/api/v1/services/search".to_string(),
            Some(r#"{"page":1}"#),
            400,
        ),
        ("GET", "/api/v1/services?authorized=true".to_string(), None, 400),
        ("DELETE", "/api/v1/services/999999".to_string(), None, 404),
    ] {
        let (st, b) = app.rest(method, &path, body).await;
        assert_eq!(st, status, "{method} {path} {body:?}: {b}");
        assert!(b["error"].is_string(), "{b}");
    }
    let (st, b) = app.rest("DELETE", &format!("/api/v1/services/{https}"), None).await;
    assert_eq!(st, 200, "{b}");
    assert_eq!(
        (b["deleted"].clone(), b["service"]["service_port"].clone()),
        (json!(true), json!(8444))
    );
    assert_eq!(count("{}").await, 3);

    // Services need Intrudect's devices permission: a viewer reads, does not write.
    let viewer = app.user("viewer", Role::Viewer, "").await;
    assert_eq!(app.rest_as(Some(&viewer), "GET", "/api/v1/services", None).await.0, 200);
    for (method, path, body) in [
        (
            "POST",
            "/api/v1/services",
            Some(r#"{"service_ip":"10.0.0.8","service_port":1,"proto":"tcp"}"#),
        ),
        (
            "POST",
            "/api/v1/services/authorize",
            Some(r#"{"service_ip":"10.0.0.8","service_port":1,"proto":"tcp"}"#),
        ),
        ("DELETE", "/api/v1/services/1", None),
    ] {
        assert_eq!(
            app.rest_as(Some(&viewer), method, path, body).await.0,
            403,
            "{method} {path}"
        );
    }
    assert_eq!(count("{}").await, 3);
});

/// The CSV entries of a ZIP: name → rows (header first).
fn unzip(bytes: &[u8]) -> Vec<(String, Vec<Vec<String>>)> {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP");
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut text = String::new();
            f.read_to_string(&mut text).unwrap();
            let rows = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(text.as_bytes())
                .records()
                .map(|r| r.unwrap().iter().map(str::to_string).collect())
                .collect();
            (f.name().to_string(), rows)
        })
        .collect()
}

async fn post_raw(app: &TestApp, token: Option<&str>, path: &str, body: &str) -> (u16, String, Vec<u8>) {
    let mut req = app
        .anonymous
        .post(app.url(path))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ct, res.bytes().await.unwrap().to_vec())
}

both_dbs!(data_export_and_delete, |app: TestApp| async move {
    alerts(&app).await;
    let flow = "mutation($i: CreateFlowInput!) { createFlow(input: $i) { id } }";
    for (src, dport, at) in [
        ("10.0.0.25", 443, "2026-06-03T10:00:00Z"),
        ("10.0.0.26", 22, "2026-06-04T10:00:00Z"),
    ] {
        app.data(flow, json!({"i": {"src": src, "dst": "10.0.1.50", "dstPort": dport, "protocol": "TCP", "startedAt": at, "sensor": "agent-hash"}})).await;
    }
    let dns = "mutation($i: CreateDnsRecordInput!) { createDnsRecord(input: $i) { id } }";
    for name in ["www.example.com", "example.org"] {
        app.data(dns, json!({"i": {"name": name, "type": "A", "value": "192.0.2.1", "firstSeen": "2026-06-03T01:00:00Z", "lastSeen": "2026-06-03T02:00:00Z"}})).await;
    }

    // The spec's export example (a date-only `from`), and its request body example.
    let (st, ct, zip) = post_raw(
        &app,
        Some(&app.token),
        "/api/v1/data/export",
        r#"{"datasets":["dns_metadata"],"filters":{"from":"2026-06-03","dns_metadata":{"query":"%.example.com"}}}"#,
    )
    .await;
    assert_eq!(
        (st, ct.as_str()),
        (200, "application/zip"),
        "{}",
        String::from_utf8_lossy(&zip)
    );
    let entries = unzip(&zip);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].0, "metadata_dns.csv");
    assert_eq!(
        entries[0].1.len(),
        2,
        "a header and www.example.com: {:?}",
        entries[0].1
    );
    assert_eq!(entries[0].1[1][4], "www.example.com");
    let (st, _, zip) = post_raw(&app, Some(&app.token), "/api/v1/data/export", r#"{
        "datasets": ["network_alerts", "syslog_alerts"],
        "filters": {"from": "2026-06-03 00:00", "to": "2026-06-04 00:00", "agent_id": "agent-hash",
                    "network_alerts": {"search": "Port scan", "level": "30"}, "syslog_alerts": {"search": "Failed password"}}}"#).await;
    assert_eq!(st, 200);
    let entries = unzip(&zip);
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["networkalerts.csv", "syslogalerts.csv"]);
    let na = &entries[0].1;
    assert_eq!(
        na[0],
        [
            "id",
            "timestamp",
            "agent",
            "src_mac",
            "dst_mac",
            "src_ip",
            "dst_ip",
            "src_port",
            "dst_port",
            "level",
            "type",
            "subject",
            "message"
        ]
    );
    assert_eq!(na.len(), 2, "{na:?}");
    assert_eq!(
        &na[1][1..],
        [
            "2026-06-03 10:30:00",
            "agent-hash",
            "AA:BB:CC:DD:EE:FF",
            "11:22:33:44:55:66",
            "10.0.0.25",
            "10.0.1.50",
            "53000",
            "3389",
            "30",
            "portscan",
            "Port scan detected",
            "Example alert message"
        ]
    );
    assert_eq!(entries[1].1.len(), 2);
    assert_eq!(entries[1].1[1][7], "sshd[100]: Failed password for root from 10.0.0.25");
    // Every dataset, `tables` and `table`, web form names, empty datasets as headers.
    let (_, _, zip) = post_raw(
        &app,
        Some(&app.token),
        "/api/v1/data/export",
        r#"{"tables":["tcp_metadata","dhcp_metadata","http_metadata"],"filters":{"tcp_dport":"443"}}"#,
    )
    .await;
    let entries = unzip(&zip);
    assert_eq!(
        entries.iter().map(|(n, r)| (n.as_str(), r.len())).collect::<Vec<_>>(),
        [
            ("metadata_connections.csv", 2),
            ("dhcpflow.csv", 1),
            ("httpflow.csv", 1)
        ]
    );
    let (_, _, zip) = post_raw(
        &app,
        Some(&app.token),
        "/api/v1/data/export",
        r#"{"table":"network_alerts","filters":{"na_srcip":"10.0.0.99"}}"#,
    )
    .await;
    assert_eq!(unzip(&zip)[0].1.len(), 2);
    let (_, _, zip) = post_raw(
        &app,
        Some(&app.token),
        "/api/v1/data/export",
        r#"{"table":"tcp_metadata","filters":{"to":"2026-06-03","agent":"all"}}"#,
    )
    .await;
    assert_eq!(unzip(&zip)[0].1.len(), 2, "a date-only to takes in the whole day");

    // Refusals come before any ZIP.
    for body in [
        r#"{"datasets":["everything"]}"#,
        r#"{}"#,
        r#"{"datasets":["dns_metadata"],"filters":{"dns_metadata":{"source":"10.0.0.1"}}}"#,
        r#"{"datasets":["tcp_metadata"],"filters":{"tcp_metadata":{"geoip":"FR"}}}"#,
        r#"{"datasets":["network_alerts"],"filters":{"network_alerts":{"colour":"red"}}}"#,
        r#"{"datasets":["network_alerts"],"filters":{"colour":"red"}}"#,
        r#"{"datasets":["network_alerts"],"filters":{"from":"03/06/2026"}}"#,
        r#"{"datasets":["network_alerts"],"filters":{"network_alerts":{"level":"loud"}}}"#,
        r#"{"datasets":["network_alerts"],"format":"xml"}"#,
        r#"{"datasets":["network_alerts"]"#,
    ] {
        let (st, body_out) = app.rest("POST", "/api/v1/data/export", Some(body)).await;
        assert_eq!(st, 400, "{body}: {body_out}");
        assert!(body_out["error"].is_string());
    }

    // Deletion: the spec's example shape, counts, and the rows are gone everywhere.
    let (st, b) = app
        .rest(
            "POST",
            "/api/v1/data/delete",
            Some(
                r#"{
        "table": "network_alerts",
        "filters": {"from": "2026-06-03 00:00", "to": "2026-06-04 00:00",
                    "network_alerts": {"source": "10.0.0.%", "destination_port": "3389", "level": "30"}}}"#,
            ),
        )
        .await;
    assert_eq!(st, 200, "{b}");
    assert_eq!(
        b,
        json!({"table": "network_alerts", "label": "network alerts", "deleted_rows": 1, "network_pcaps_deleted": true})
    );
    let d = app
        .data(
            "{ alerts(filter: {kind: {eq: \"network\"}}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(d["alerts"]["totalCount"], 2);
    let (st, b) = app
        .rest(
            "POST",
            "/api/v1/data/delete",
            Some(r#"{"table":"dns_metadata","filters":{"dns_metadata":{"query":"%.example.com"}}}"#),
        )
        .await;
    assert_eq!(
        (st, b["deleted_rows"].clone(), b["dns_aggregates_rebuilt"].clone()),
        (200, json!(1), json!(true))
    );
    let (st, b) = app
        .rest(
            "POST",
            "/api/v1/data/delete",
            Some(r#"{"table":"tcp_metadata","filters":{"tcp_metadata":{"source":"10.0.0.26"}}}"#),
        )
        .await;
    assert_eq!(
        (st, b["deleted_rows"].clone(), b["tcp_aggregates_rebuilt"].clone()),
        (200, json!(1), json!(true))
    );
    let (st, b) = app
        .rest(
            "POST",
            "/api/v1/data/delete",
            Some(r#"{"table":"syslog_alerts","filters":{"syslog_alerts":{"hostname":"nobody"}}}"#),
        )
        .await;
    assert_eq!((st, b["deleted_rows"].clone()), (200, json!(0)));
    for body in [
        r#"{"table":"everything"}"#,
        r#"{"tables":["dns_metadata"]}"#,
        r#"{"table":"dns_metadata","filters":{"dns_metadata":{"qtype":["A"],"x":1}}}"#,
        // A blank bound is no bound only by mistake: refused.
        r#"{"table":"tcp_metadata","filters":{"to":" "}}"#,
        r#"{"table":"tcp_metadata","filters":{"from":""}}"#,
    ] {
        let (st, _) = app.rest("POST", "/api/v1/data/delete", Some(body)).await;
        assert_eq!(st, 400, "{body}");
    }
    let d = app
        .data("{ flows { totalCount } dnsRecords { totalCount } }", json!({}))
        .await;
    assert_eq!(
        (d["flows"]["totalCount"].clone(), d["dnsRecords"]["totalCount"].clone()),
        (json!(1), json!(1)),
        "refusals deleted nothing"
    );

    // Data permissions: a viewer has none, an analyst reads (exports) but does not delete.
    let viewer = app.user("viewer", Role::Viewer, "").await;
    let analyst = app.user("analyst", Role::Analyst, "").await;
    let export = r#"{"datasets":["tcp_metadata"]}"#;
    assert_eq!(
        post_raw(&app, Some(&viewer), "/api/v1/data/export", export).await.0,
        403
    );
    assert_eq!(
        post_raw(&app, Some(&analyst), "/api/v1/data/export", export).await.0,
        200
    );
    assert_eq!(
        app.rest_as(
            Some(&analyst),
            "POST",
            "/api/v1/data/delete",
            Some(r#"{"table":"tcp_metadata"}"#)
        )
        .await
        .0,
        403
    );
    assert_eq!(
        app.rest_as(None, "POST", "/api/v1/data/export", Some(export)).await.0,
        401
    );

    // GraphQL users export the same way: a URL to download with their own credentials.
    let d = app
        .data(
            "{ export(timezone: \"Europe/Paris\", tables: [{name: \"flows.csv\", rows: {flows: \
             {columns: [{name: \"id\", field: ID}, {name: \"start\", field: STARTED_AT}]}}}]) { url expiresAt } }",
            json!({}),
        )
        .await;
    let url = s(&d["export"]["url"]);
    let res = app.client.get(app.url(&url)).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let entries = unzip(&res.bytes().await.unwrap());
    assert_eq!(entries[0].1[1][1], "2026-06-03 12:00:00", "local times");
    let other = app
        .anonymous
        .get(app.url(&url))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status().as_u16(), 404, "another user's export is not found");
    app.expect_error("BAD_USER_INPUT", "{ export(tables: []) { url } }", json!({}))
        .await;
    let refused = app
        .gql_as(
            &viewer,
            "{ export(tables: [{name: \"dns.csv\", rows: {dnsRecords: {columns: [{name: \"q\", field: NAME}]}}}]) { url } }",
            json!({}),
        )
        .await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN", "{refused}");
});

/// An eve.json line of an alert from 10.0.0.25:53000 to 10.0.0.50:3389, with the
/// packet that raised it when `packet` is given (base64, as Suricata logs it).
fn eve_alert(src_port: u16, packet: Option<&str>) -> String {
    let mut line = json!({
        "timestamp": "2026-06-03T10:30:00.250000+0000", "event_type": "alert", "in_iface": "eth0",
        "src_ip": "10.0.0.25", "src_port": src_port, "dest_ip": "10.0.0.50", "dest_port": 3389, "proto": "TCP",
        "alert": {"signature": "ET SCAN RDP probe", "signature_id": 2001, "category": "portscan", "severity": 1}
    });
    if let Some(p) = packet {
        line["packet"] = json!(p);
        line["packet_info"] = json!({"linktype": 1});
    }
    format!("{line}\n")
}

const SURICATA: &str = "mutation($file: Upload!) { importSuricata(file: $file) { inserted } }";

both_dbs!(network_alert_pcaps, |app: TestApp| async move {
    use base64::Engine;
    let frame: Vec<u8> = (0..60u8).collect();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&frame);
    let eve = eve_alert(53000, Some(&b64)) + &eve_alert(53001, None);
    let res = app.upload(SURICATA, "eve.json", eve.into_bytes(), json!({})).await;
    assert_eq!(res["data"]["importSuricata"]["inserted"], 2, "{res}");

    // The graph: the capture of the alert that came with a packet, none for the other.
    let d = app
        .data(
            "{ alerts(filter: {kind: {eq: \"network\"}}) { nodes { id srcPort pcap { id packets bytes url } } } }",
            json!({}),
        )
        .await;
    let alerts = d["alerts"]["nodes"].as_array().unwrap().clone();
    let with = alerts.iter().find(|a| a["srcPort"] == 53000).unwrap();
    let without = alerts.iter().find(|a| a["srcPort"] == 53001).unwrap();
    assert_eq!(without["pcap"], Value::Null);
    assert_eq!(
        (&with["pcap"]["packets"], &with["pcap"]["bytes"]),
        (&json!(1), &json!(60))
    );
    let url = s(&with["pcap"]["url"]);
    assert_eq!(url, format!("/alerts/{}/pcap", s(&with["id"])));

    // The download: a libpcap file holding the packet at the alert's time.
    let res = app.client.get(app.url(&url)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/vnd.tcpdump.pcap");
    let file = res.bytes().await.unwrap().to_vec();
    let word = |at: usize| u32::from_le_bytes(file[at..at + 4].try_into().unwrap());
    assert_eq!(file.len(), 24 + 16 + 60);
    assert_eq!((word(0), word(20)), (0xa1b2_c3d4, 1), "magic and link type");
    assert_eq!((word(24), word(28)), (1_780_482_600, 250_000), "the alert's time");
    assert_eq!((word(32), word(36)), (60, 60));
    assert_eq!(&file[40..], &frame[..]);
    // Credentials as for the API; an ID that is not an alert's is refused.
    let res = app.anonymous.get(app.url(&url)).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let viewer = app.user("viewer", Role::Viewer, "").await;
    let res = app.client.get(app.url(&url)).bearer_auth(&viewer).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = app
        .client
        .get(app.url("/alerts/bm90LWFuLWlk/pcap"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = app
        .client
        .get(app.url(&format!("/alerts/{}/pcap", s(&without["id"]))))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // Intrudect: `pcap_id` is the capture's number, null without one.
    let (_, b) = app.rest("GET", "/api/v1/networkalerts?sort=id&order=asc", None).await;
    let rows = b["network_alerts"].as_array().unwrap();
    let (first, second) = (&rows[0], &rows[1]);
    assert_eq!(first["src_port"], 53000);
    assert!(first["pcap_id"].as_i64().unwrap() > 0, "{first}");
    assert_eq!(second["pcap_id"], Value::Null);

    // Deleting the alert deletes its capture in the same transaction.
    let count = || tests::rows_in(&app.db, "alert_pcaps");
    assert_eq!(count().await, 1);
    let id = first["id"].as_i64().unwrap();
    let (st, b) = app.rest("DELETE", &format!("/api/v1/networkalerts/{id}"), None).await;
    assert_eq!(st, 200, "{b}");
    assert_eq!(b["network_alert"]["pcap_id"], first["pcap_id"]);
    assert_eq!(count().await, 0);
    let res = app.client.get(app.url(&url)).send().await.unwrap();
    assert_eq!(res.status(), 404);

    // So does a bulk deletion of network alerts.
    let eve = eve_alert(53002, Some(&b64));
    app.upload(SURICATA, "eve.json", eve.into_bytes(), json!({})).await;
    assert_eq!(count().await, 1);
    let (st, b) = app
        .rest(
            "POST",
            "/api/v1/data/delete",
            Some(r#"{"table":"network_alerts","filters":{"network_alerts":{"source":"10.0.0.25"}}}"#),
        )
        .await;
    assert_eq!(
        (st, &b["deleted_rows"], &b["network_pcaps_deleted"]),
        (200, &json!(2), &json!(true)),
        "{b}"
    );
    assert_eq!(count().await, 0);

    // A packet that is not base64 fails the import with its line, and nothing is kept.
    let eve = eve_alert(53003, None) + &eve_alert(53004, Some("not base64!"));
    let res = app.upload(SURICATA, "eve.json", eve.into_bytes(), json!({})).await;
    assert_eq!(res["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{res}");
    let m = s(&res["errors"][0]["message"]);
    assert!(m.starts_with("file: eve.json: line 2: packet is not base64"), "{m}");
    let d = app
        .data(
            "{ alerts(filter: {kind: {eq: \"network\"}}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(d["alerts"]["totalCount"], 0);
    // Also when a batch of alerts with captures was written before the bad line.
    let eve: String = (0..1000).map(|i| eve_alert(20000 + i, Some(&b64))).collect::<String>()
        + &eve_alert(53004, Some("not base64!"));
    let res = app.upload(SURICATA, "eve.json", eve.into_bytes(), json!({})).await;
    let m = s(&res["errors"][0]["message"]);
    assert!(m.starts_with("file: eve.json: line 1001: packet is not base64"), "{m}");
    let d = app
        .data(
            "{ alerts(filter: {kind: {eq: \"network\"}}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(d["alerts"]["totalCount"], 0);
    assert_eq!(tests::rows_in(&app.db, "alert_pcaps").await, 0);
});

// An alert attached to a case is evidence: Intrudect's delete refuses it (409, in
// Intrudect's error shape, naming the case) and the data deletion keeps it.
both_dbs!(alerts_in_cases_are_kept, |app: TestApp| async move {
    let app = &app;
    let make = |title: &'static str| async move {
        let d = app
            .data(
                "mutation($i: CreateAlertInput!) { createAlert(input: $i) { id } }",
                json!({"i": {"kind": "network", "type": "scan", "severity": "WARNING", "title": title, "srcIp": "10.0.0.5"}}),
            )
            .await;
        s(&d["createAlert"]["id"])
    };
    let kept = make("kept as evidence").await;
    let loose = make("not in a case").await;
    let customer = app
        .data("mutation { createCustomer(name: \"ACME\") { id } }", json!({}))
        .await;
    let case = app
        .data(
            "mutation($c: ID!) { createCase(input: {name: \"Phish 42\", customerId: $c}) { id } }",
            json!({"c": customer["createCustomer"]["id"]}),
        )
        .await;
    let case = s(&case["createCase"]["id"]);
    app.data(
        "mutation($c: ID!, $a: [ID!]!) { attachAlerts(caseId: $c, alertIds: $a) { id } }",
        json!({"c": case, "a": [kept]}),
    )
    .await;
    let number = |id: &str| {
        let raw = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, id).unwrap();
        String::from_utf8(raw).unwrap().split(':').nth(1).unwrap().to_string()
    };
    let (st, body) = app
        .rest("DELETE", &format!("/api/v1/networkalerts/{}", number(&kept)), None)
        .await;
    assert_eq!(st, 409, "{body}");
    assert!(s(&body["error"]).contains("Phish 42"), "{body}");
    // GraphQL says the same, and deletes when asked to take it out of its case too.
    let message = app
        .expect_error(
            "CONFLICT",
            "mutation($id: ID!) { deleteAlert(id: $id) }",
            json!({"id": kept}),
        )
        .await;
    assert!(
        message.contains("Phish 42") && message.contains("fromCases"),
        "{message}"
    );
    // A bulk deletion keeps it and says so.
    let d = app
        .data(
            "mutation { deleteAlerts(filter: {kind: {eq: \"network\"}}) { deletedRows keptInCases } }",
            json!({}),
        )
        .await;
    assert_eq!(d["deleteAlerts"], json!({"deletedRows": 1, "keptInCases": 1}));
    let d = app.data("{ alerts { nodes { id } } }", json!({})).await;
    assert_eq!(d["alerts"]["nodes"], json!([{"id": kept}]));
    let _ = loose;
    app.data(
        "mutation($id: ID!) { deleteAlert(id: $id, fromCases: true) }",
        json!({"id": kept}),
    )
    .await;
    let d = app.data("{ alerts { totalCount } }", json!({})).await;
    assert_eq!(d["alerts"]["totalCount"], 0);
    let d = app
        .data(
            "{ auditEvents(filter: {action: {in: [\"deleteAlert\"]}}) { nodes { detail } } }",
            json!({}),
        )
        .await;
    assert!(
        d.to_string().contains("fromCases"),
        "the explicit deletion is on record: {d}"
    );
});
