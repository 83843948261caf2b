//! Flows and alerts: filters, edges both ways, mutations and their errors.

use serde_json::{json, Value};
use tests::{both_dbs, s, TestApp};

const CREATE_FLOW: &str = "mutation($i: CreateFlowInput!) { createFlow(input: $i) { id src { ip } dst { ip } } }";
const CREATE_ALERT: &str = "mutation($i: CreateAlertInput!) { createAlert(input: $i) { id } }";

async fn flow(app: &TestApp, i: Value) -> String {
    s(&app.data(CREATE_FLOW, json!({ "i": i })).await["createFlow"]["id"])
}

async fn alert(app: &TestApp, i: Value) -> String {
    s(&app.data(CREATE_ALERT, json!({ "i": i })).await["createAlert"]["id"])
}

async fn ids_of(app: &TestApp, query: &str, filter: Value) -> Vec<String> {
    let d = app.data(query, json!({ "f": filter })).await;
    let conn = d.as_object().unwrap().values().next().unwrap();
    conn["nodes"].as_array().unwrap().iter().map(|n| s(&n["id"])).collect()
}

both_dbs!(flow_filters_and_edges, |app: TestApp| async move {
    let f1 = flow(
        &app,
        json!({"src": "10.0.0.1", "srcPort": 40000, "dst": "10.0.0.2", "dstPort": 443, "protocol": "TCP",
        "application": "TLS", "sensor": "s1", "startedAt": "2026-01-01T10:00:00Z", "srcBytes": 100, "dstBytes": 200}),
    )
    .await;
    let f2 = flow(
        &app,
        json!({"src": "10.0.0.2", "srcPort": 53000, "dst": "8.8.8.8", "dstPort": 53, "protocol": "UDP",
        "application": "dns", "sensor": "s2", "startedAt": "2026-01-02T10:00:00Z"}),
    )
    .await;
    let f3 = flow(
        &app,
        json!({"src": "192.168.0.9", "dst": "10.0.0.1", "dstPort": 22, "protocol": "TCP",
        "startedAt": "2026-01-03T10:00:00Z", "endedAt": "2026-01-03T10:05:00Z"}),
    )
    .await;
    let q = "query($f: FlowFilter) { flows(filter: $f) { nodes { id } } }";
    assert_eq!(
        ids_of(&app, q, json!(null)).await,
        [f1.as_str(), f2.as_str(), f3.as_str()]
    );
    assert_eq!(
        ids_of(&app, q, json!({"host": {"eq": "10.0.0.1"}})).await,
        [f1.as_str(), f3.as_str()]
    );
    assert_eq!(
        ids_of(&app, q, json!({"host": {"within": ["8.8.8.0/24"]}})).await,
        [f2.as_str()]
    );
    assert_eq!(ids_of(&app, q, json!({"src": {"eq": "10.0.0.2"}})).await, [f2.as_str()]);
    assert_eq!(ids_of(&app, q, json!({"dst": {"eq": "10.0.0.1"}})).await, [f3.as_str()]);
    assert_eq!(ids_of(&app, q, json!({"port": {"eq": 443}})).await, [f1.as_str()]);
    assert_eq!(ids_of(&app, q, json!({"port": {"eq": 53000}})).await, [f2.as_str()]);
    assert_eq!(ids_of(&app, q, json!({"dstPort": {"eq": 53}})).await, [f2.as_str()]);
    assert_eq!(ids_of(&app, q, json!({"protocol": {"eq": "UDP"}})).await, [f2.as_str()]);
    assert_eq!(
        ids_of(&app, q, json!({"application": {"eq": "tls"}})).await,
        [f1.as_str()]
    );
    assert_eq!(ids_of(&app, q, json!({"sensor": {"eq": "s2"}})).await, [f2.as_str()]);
    assert_eq!(
        ids_of(&app, q, json!({"startedAt": {"gte": "2026-01-02T00:00:00Z"}})).await,
        [f2.as_str(), f3.as_str()]
    );
    assert_eq!(
        ids_of(&app, q, json!({"startedAt": {"lt": "2026-01-02T10:00:00Z"}})).await,
        [f1.as_str()],
        "to is exclusive"
    );
    app.expect_error(
        "BAD_USER_INPUT",
        "{ flows(filter: {startedAt: {gte: \"2026-02-01T00:00:00Z\", lt: \"2026-01-01T00:00:00Z\"}}) { totalCount } }",
        json!({}),
    )
    .await;

    // Both ends became hosts; each host sees its flows as source or destination.
    assert_eq!(
        app.data("{ hosts { totalCount } }", json!({})).await["hosts"]["totalCount"],
        4
    );
    let d = app
        .data(
            r#"{ host(ip: "10.0.0.1") { flows { totalCount nodes { id srcIp dstIp } }
        tcp22: flows(filter: {protocol: {eq: TCP}, port: {eq: 22}}) { totalCount nodes { id } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(d["host"]["flows"]["totalCount"], 2);
    assert_eq!(d["host"]["tcp22"]["nodes"], json!([{"id": f3}]));
    let d = app.data("query($id: ID!) { node(id: $id) { ... on Flow { src { ip } dst { ip } srcBytes dstBytes protocol application endedAt } } }", json!({"id": f1})).await;
    assert_eq!(
        d["node"],
        json!({"src": {"ip": "10.0.0.1"}, "dst": {"ip": "10.0.0.2"}, "srcBytes": 100, "dstBytes": 200,
        "protocol": "TCP", "application": "tls", "endedAt": null})
    );

    // Validation.
    let base = json!({"src": "10.0.0.1", "dst": "10.0.0.2", "protocol": "TCP", "startedAt": "2026-01-01T00:00:00Z"});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    app.expect_error(
        "BAD_USER_INPUT",
        CREATE_FLOW,
        json!({"i": with("srcPort", json!(70000))}),
    )
    .await;
    app.expect_error("BAD_USER_INPUT", CREATE_FLOW, json!({"i": with("srcBytes", json!(-1))}))
        .await;
    app.expect_error(
        "BAD_USER_INPUT",
        CREATE_FLOW,
        json!({"i": with("endedAt", json!("2025-12-31T00:00:00Z"))}),
    )
    .await;
    app.expect_error(
        "BAD_USER_INPUT",
        CREATE_FLOW,
        json!({"i": with("dst", json!("10.0.0"))}),
    )
    .await;
    app.expect_error(
        "BAD_USER_INPUT",
        CREATE_FLOW,
        json!({"i": with("startedAt", json!("2026-13-01"))}),
    )
    .await;
    assert_eq!(
        app.data("{ flows { totalCount } }", json!({})).await["flows"]["totalCount"],
        3,
        "no partial write"
    );

    // Update and delete.
    let d = app.data("mutation($id: ID!) { updateFlow(id: $id, input: {application: \"HTTP\", endedAt: \"2026-01-01T11:00:00Z\"}) { application endedAt } }", json!({"id": f1})).await;
    assert_eq!(
        d["updateFlow"],
        json!({"application": "http", "endedAt": "2026-01-01T11:00:00+00:00"})
    );
    app.data("mutation($id: ID!) { deleteFlow(id: $id) }", json!({"id": f2}))
        .await;
    assert_eq!(
        app.data("{ flows { totalCount } }", json!({})).await["flows"]["totalCount"],
        2
    );
    app.expect_error(
        "NOT_FOUND",
        "mutation($id: ID!) { deleteFlow(id: $id) }",
        json!({"id": f2}),
    )
    .await;
});

both_dbs!(alert_filters_and_edges, |app: TestApp| async move {
    let f = flow(
        &app,
        json!({"src": "10.0.0.1", "dst": "10.0.0.2", "protocol": "TCP", "startedAt": "2026-01-01T00:00:00Z"}),
    )
    .await;
    let a1 = alert(&app, json!({"kind": "host", "type": "port_scan", "severity": "WARNING", "title": "Port scan",
        "srcIp": "10.0.0.1", "dstIp": "10.0.0.2", "dstPort": 22, "sensor": "ntopng", "occurredAt": "2026-01-01T00:00:00Z", "flowId": f})).await;
    let a2 = alert(
        &app,
        json!({"kind": "flow", "type": "blacklisted", "severity": "CRITICAL", "title": "Blacklisted",
        "srcIp": "8.8.8.8", "dstIp": "10.9.9.9", "occurredAt": "2026-01-05T00:00:00Z", "score": 300}),
    )
    .await;
    let a3 = alert(
        &app,
        json!({"kind": "server", "type": "auth", "severity": "INFO", "title": "Failed password",
        "sensor": "syslog", "occurredAt": "2026-01-06T00:00:00Z", "message": "sshd[100]: Failed password"}),
    )
    .await;
    let q = "query($f: AlertFilter) { alerts(filter: $f) { nodes { id } } }";
    assert_eq!(ids_of(&app, q, json!({"kind": {"like": "HOST"}})).await, [a1.as_str()]);
    assert_eq!(
        ids_of(&app, q, json!({"type": {"eq": "blacklisted"}})).await,
        [a2.as_str()]
    );
    assert_eq!(
        ids_of(&app, q, json!({"severity": {"eq": "INFO"}})).await,
        [a3.as_str()]
    );
    assert_eq!(
        ids_of(&app, q, json!({"severity": {"gte": "WARNING"}})).await,
        [a1.as_str(), a2.as_str()]
    );
    assert_eq!(
        ids_of(&app, q, json!({"sensor": {"eq": "syslog"}})).await,
        [a3.as_str()]
    );
    assert_eq!(
        ids_of(&app, q, json!({"host": {"eq": "10.0.0.2"}})).await,
        [a1.as_str()]
    );
    assert_eq!(
        ids_of(&app, q, json!({"host": {"within": ["8.0.0.0/8"]}})).await,
        [a2.as_str()]
    );
    assert_eq!(
        ids_of(
            &app,
            q,
            json!({"occurredAt": {"gte": "2026-01-02T00:00:00Z", "lt": "2026-01-06T00:00:00Z"}})
        )
        .await,
        [a2.as_str()]
    );
    assert_eq!(ids_of(&app, q, json!({"acknowledged": {"eq": false}})).await.len(), 3);
    let d = app
        .data(
            "mutation($ids: [ID!]!) { acknowledgeAlerts(ids: $ids) }",
            json!({"ids": [a1, a3]}),
        )
        .await;
    assert_eq!(d["acknowledgeAlerts"], 2);
    assert_eq!(
        ids_of(&app, q, json!({"acknowledged": {"eq": true}})).await,
        [a1.as_str(), a3.as_str()]
    );
    app.data(
        "mutation($ids: [ID!]!) { acknowledgeAlerts(ids: $ids, acknowledged: false) }",
        json!({"ids": [a3]}),
    )
    .await;
    assert_eq!(
        ids_of(
            &app,
            q,
            json!({"acknowledged": {"eq": true}, "severity": {"gte": "NOTICE"}})
        )
        .await,
        [a1.as_str()]
    );

    // Edges: alert -> hosts and flow; flow -> alerts; host -> alerts.
    let d = app.data("query($id: ID!) { node(id: $id) { ... on Alert { type severity score srcHost { ip } dstHost { ip } dstPort flow { id alerts { id } } cases { id } } } }", json!({"id": a1})).await;
    assert_eq!(
        d["node"],
        json!({"type": "port_scan", "severity": "WARNING", "score": 50, "srcHost": {"ip": "10.0.0.1"},
        "dstHost": {"ip": "10.0.0.2"}, "dstPort": 22, "flow": {"id": f, "alerts": [{"id": a1}]}, "cases": []})
    );
    let d = app
        .data(
            "query($id: ID!) { node(id: $id) { ... on Alert { srcIp srcHost { ip } dstHost { ip } } } }",
            json!({"id": a2}),
        )
        .await;
    assert_eq!(
        d["node"],
        json!({"srcIp": "8.8.8.8", "srcHost": null, "dstHost": null}),
        "alerts do not invent hosts"
    );
    let d = app.data(r#"{ host(ip: "10.0.0.1") { alerts { totalCount } crit: alerts(filter: {severity: {gte: CRITICAL}}) { totalCount } } }"#, json!({})).await;
    assert_eq!(
        d["host"],
        json!({"alerts": {"totalCount": 1}, "crit": {"totalCount": 0}})
    );

    // Validation, update and delete.
    let base = json!({"kind": "host", "type": "x", "severity": "INFO", "title": "t"});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    app.expect_error("BAD_USER_INPUT", CREATE_ALERT, json!({"i": with("score", json!(2000))}))
        .await;
    app.expect_error("BAD_USER_INPUT", CREATE_ALERT, json!({"i": with("title", json!("  "))}))
        .await;
    app.expect_error(
        "BAD_USER_INPUT",
        CREATE_ALERT,
        json!({"i": with("severity", json!("SEVERE"))}),
    )
    .await;
    app.expect_error("BAD_USER_INPUT", CREATE_ALERT, json!({"i": with("flowId", json!(a1))}))
        .await;
    app.expect_error(
        "NOT_FOUND",
        CREATE_ALERT,
        json!({"i": with("flowId", json!("Rmxvdzo5OTk"))}),
    )
    .await;
    let d = app.data("mutation($id: ID!) { updateAlert(id: $id, input: {severity: ERROR, message: null}) { severity score message } }", json!({"id": a3})).await;
    assert_eq!(
        d["updateAlert"],
        json!({"severity": "ERROR", "score": 10, "message": null})
    );
    app.data("mutation($id: ID!) { deleteAlert(id: $id) }", json!({"id": a3}))
        .await;
    assert_eq!(
        app.data("{ alerts { totalCount } }", json!({})).await["alerts"]["totalCount"],
        2
    );
});
