//! Authorization: each role against a representative query and mutation per
//! capability, and the same rules through edges and `node(id:)`.

use serde_json::{json, Value};
use server::domain::users::Role;
use tests::{both_dbs, s, TestApp};

fn outcome(res: &Value) -> &'static str {
    match res["errors"][0]["extensions"]["code"].as_str() {
        None => "ok",
        Some("FORBIDDEN") => "forbidden",
        Some(other) => panic!("unexpected {other}: {res}"),
    }
}

/// (capability, read query, write mutation with {n} for a unique number)
const MATRIX: [(&str, &str, &str); 8] = [
    (
        "hosts",
        "{ hosts { totalCount } }",
        r#"mutation { createHost(input: {ip: "10.99.0.{n}"}) { id } }"#,
    ),
    (
        "flows",
        "{ flows { totalCount } }",
        r#"mutation { createFlow(input: {src: "10.98.0.{n}", dst: "10.98.1.1", protocol: TCP, startedAt: "2026-01-01T00:00:00Z"}) { id } }"#,
    ),
    (
        "alerts",
        "{ alerts { totalCount } }",
        r#"mutation { createAlert(input: {kind: "host", type: "t", severity: INFO, title: "x{n}"}) { id } }"#,
    ),
    (
        "devices",
        "{ devices { totalCount } }",
        r#"mutation { createDevice(input: {mac: "02:00:00:00:00:{n}"}) { id } }"#,
    ),
    (
        "networks",
        "{ networks { totalCount } }",
        r#"mutation { createNetwork(input: {name: "n", cidr: "10.{n}.0.0/16"}) { id } }"#,
    ),
    (
        "services",
        "{ services { totalCount } }",
        r#"mutation { createService(input: {ip: "10.97.0.1", port: {n}, protocol: TCP}) { id } }"#,
    ),
    (
        "cases",
        "{ cases { totalCount } customers { totalCount } }",
        r#"mutation { createTask(input: {title: "t{n}"}) { id } }"#,
    ),
    (
        "users",
        "{ me { username } }",
        r#"mutation { createCustomer(name: "c{n}") { id } }"#,
    ),
];

both_dbs!(role_matrix, |app: TestApp| async move {
    let analyst = app.user("ann", Role::Analyst, "").await;
    let viewer = app.user("vic", Role::Viewer, "").await;
    let mut n = 10;
    let mut outcomes = std::collections::HashMap::new();
    for (role, token) in [("admin", app.token.clone()), ("analyst", analyst), ("viewer", viewer)] {
        for (cap, read, write) in MATRIX {
            n += 1;
            let r = app.gql_as(&token, read, json!({})).await;
            assert_eq!(outcome(&r), "ok", "{role} reads {cap}: {r}");
            let w = app
                .gql_as(&token, &write.replace("{n}", &n.to_string()), json!({}))
                .await;
            let expected = match (role, cap) {
                ("admin", _) => "ok",
                ("analyst", "users") => "forbidden",
                ("analyst", _) => "ok",
                _ => "forbidden",
            };
            assert_eq!(outcome(&w), expected, "{role} writes {cap}: {w}");
            *outcomes.entry(expected).or_insert(0) += 1;
        }
    }
    // Every write that happened and every refusal is in the audit log, nothing else.
    let d = app
        .data(
            "{ all: auditEvents { totalCount } refused: auditEvents(filter: {action: {in: [\"forbidden\"]}}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(d["refused"]["totalCount"], outcomes["forbidden"]);
    assert_eq!(d["all"]["totalCount"], outcomes["forbidden"] + outcomes["ok"]);
});

both_dbs!(edges_and_nodes_follow_the_same_rules, |app: TestApp| async move {
    let d = app.data(r#"mutation { createFlow(input: {src: "10.1.0.1", dst: "10.1.0.2", protocol: UDP, startedAt: "2026-01-01T00:00:00Z"}) { id src { id } } }"#, json!({})).await;
    let flow = s(&d["createFlow"]["id"]);
    let host = s(&d["createFlow"]["src"]["id"]);
    // A user with no role, holding only an extra grant: hosts, read.
    let token = app.user_with_only("hostsonly", ",hosts:read,").await;

    let r = app.gql_as(&token, "{ hosts { nodes { ip } } }", json!({})).await;
    assert_eq!(r["data"]["hosts"]["nodes"].as_array().unwrap().len(), 2, "{r}");
    let r = app
        .gql_as(
            &token,
            "{ hosts(first: 1) { nodes { ip flows { totalCount } } } }",
            json!({}),
        )
        .await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "FORBIDDEN", "{r}");
    assert!(r["errors"][0]["message"].as_str().unwrap().contains("flows"), "{r}");
    let r = app.gql_as(&token, "{ flows { totalCount } }", json!({})).await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "FORBIDDEN");
    // Aggregates follow their type's capability.
    let r = app.gql_as(&token, "{ flowsAggregate { count } }", json!({})).await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "FORBIDDEN", "{r}");
    let r = app.gql_as(&token, "{ hostsAggregate { count } }", json!({})).await;
    assert_eq!(r["data"]["hostsAggregate"]["count"], 2, "{r}");
    let r = app
        .gql_as(&token, "query($id: ID!) { node(id: $id) { id } }", json!({"id": flow}))
        .await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "FORBIDDEN", "{r}");
    let r = app
        .gql_as(&token, "query($id: ID!) { node(id: $id) { id } }", json!({"id": host}))
        .await;
    assert_eq!(r["data"]["node"]["id"], json!(host));
    let r = app
        .gql_as(
            &token,
            "mutation { createHost(input: {ip: \"10.1.0.3\"}) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "FORBIDDEN");
    // Extra grants add to a role.
    let token = app.user("viewerplus", Role::Viewer, ",cases:write,").await;
    let r = app
        .gql_as(
            &token,
            "mutation { createTask(input: {title: \"x\"}) { id } }",
            json!({}),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let r = app
        .gql_as(
            &token,
            "mutation { createHost(input: {ip: \"10.1.0.4\"}) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "FORBIDDEN");
});
