//! Every update and delete mutation: success, NOT_FOUND for a missing object, and a
//! validation error — table-driven over the writable types.

use serde_json::{json, Value};
use tests::{both_dbs, s, TestApp};

async fn create(app: &TestApp, mutation: &str, vars: Value) -> String {
    let d = app.data(mutation, vars).await;
    s(&d.as_object().unwrap().values().next().unwrap()["id"])
}

/// (update mutation, valid input, field to read back, expected value, invalid input)
fn updates(ids: &Value) -> Vec<(&'static str, String, Value, &'static str, Value, Value)> {
    let id = |k: &str| s(&ids[k]);
    vec![
        (
            "updateCustomer",
            id("customer"),
            json!({"description": "tenant"}),
            "description",
            json!("tenant"),
            json!({"name": ""}),
        ),
        (
            "updateCase",
            id("case"),
            json!({"summary": "done", "socId": "T-9"}),
            "summary",
            json!("done"),
            json!({"customerId": "garbage"}),
        ),
        (
            "updateAsset",
            id("asset"),
            json!({"domain": "CORP.example", "tags": ["a"]}),
            "domain",
            json!("corp.example"),
            json!({"name": "  "}),
        ),
        (
            "updateTask",
            id("task"),
            json!({"status": "DONE", "description": "ok"}),
            "status",
            json!("DONE"),
            json!({"title": ""}),
        ),
        (
            "updateTimelineEvent",
            id("event"),
            json!({"category": "Lateral movement"}),
            "category",
            json!("Lateral movement"),
            json!({"color": "#12"}),
        ),
        (
            "updateEvidence",
            id("evidence"),
            json!({"description": "memory", "size": 10}),
            "description",
            json!("memory"),
            json!({"size": -5}),
        ),
        (
            "updateNetwork",
            id("network"),
            json!({"alertLevel": 30, "cidr": "10.8.0.0/16"}),
            "cidr",
            json!("10.8.0.0/16"),
            json!({"alertLevel": 5}),
        ),
        (
            "updateService",
            id("service"),
            json!({"name": "Web", "authorized": true}),
            "authorized",
            json!(true),
            json!({"name": "x".repeat(300)}),
        ),
        (
            "updateDnsRecord",
            id("dns"),
            json!({"count": 5}),
            "count",
            json!(5),
            json!({"count": -1}),
        ),
        (
            "updateIoc",
            id("ioc"),
            json!({"tlp": "CLEAR"}),
            "tlp",
            json!("CLEAR"),
            json!({"tags": ["a,b"]}),
        ),
    ]
}

both_dbs!(every_update_and_delete, |app: TestApp| async move {
    let customer = create(&app, "mutation { createCustomer(name: \"ACME\") { id } }", json!({})).await;
    let case = create(
        &app,
        "mutation($c: ID!) { createCase(input: {name: \"C\", customerId: $c}) { id } }",
        json!({"c": customer}),
    )
    .await;
    let v = json!({"c": case});
    let ids = json!({
        "customer": customer,
        "case": case,
        "asset": create(&app, "mutation($c: ID!) { createAsset(input: {caseId: $c, name: \"A\", assetTypeId: \"QXNzZXRUeXBlOjE\"}) { id } }", v.clone()).await,
        "task": create(&app, "mutation($c: ID!) { createTask(input: {caseId: $c, title: \"T\"}) { id } }", v.clone()).await,
        "event": create(&app, "mutation($c: ID!) { createTimelineEvent(input: {caseId: $c, title: \"E\", occurredAt: \"2026-01-01T00:00:00Z\"}) { id } }", v.clone()).await,
        "evidence": create(&app, "mutation($c: ID!) { createEvidence(input: {caseId: $c, filename: \"f\"}) { id } }", v.clone()).await,
        "group": create(&app, "mutation($c: ID!) { createNoteGroup(caseId: $c, title: \"G\") { id } }", v.clone()).await,
        "ioc": create(&app, "mutation($c: ID!) { addIoc(input: {type: \"domain\", value: \"a.example\", caseIds: [$c]}) { id } }", v.clone()).await,
        "network": create(&app, "mutation { createNetwork(input: {name: \"N\", cidr: \"10.7.0.0/16\"}) { id } }", json!({})).await,
        "service": create(&app, "mutation { createService(input: {ip: \"10.7.0.1\", port: 80, protocol: TCP}) { id } }", json!({})).await,
        "dns": create(&app, "mutation { createDnsRecord(input: {name: \"a.example\", type: \"A\", value: \"10.7.0.1\"}) { id } }", json!({})).await,
        "host": create(&app, "mutation { createHost(input: {ip: \"10.7.0.1\"}) { id } }", json!({})).await,
    });
    for (mutation, id, input, field, expected, invalid) in updates(&ids) {
        let q = format!(
            "mutation($id: ID!, $i: {}Input!) {{ {mutation}(id: $id, input: $i) {{ {field} }} }}",
            &mutation[6..]
        );
        let d = app.data(&q, json!({"id": &id, "i": &input})).await;
        assert_eq!(d[mutation][field], expected, "{mutation}");
        app.expect_error("BAD_USER_INPUT", &q, json!({"id": &id, "i": &invalid}))
            .await;
        app.expect_error("BAD_USER_INPUT", &q, json!({"id": &id, "i": {"noSuchField": 1}}))
            .await;
        // The same kind of ID with a number that does not exist.
        let (kind, _) = decode(&id);
        app.expect_error("NOT_FOUND", &q, json!({"id": encode(&kind, 999_999), "i": &input}))
            .await;
    }
    let d = app
        .data(
            "mutation($id: ID!) { updateNoteGroup(id: $id, title: \"Renamed\") { title } }",
            json!({"id": ids["group"]}),
        )
        .await;
    assert_eq!(d["updateNoteGroup"]["title"], "Renamed");
    app.expect_error(
        "BAD_USER_INPUT",
        "mutation($id: ID!) { updateNoteGroup(id: $id, title: \"\") { title } }",
        json!({"id": ids["group"]}),
    )
    .await;

    // Ports and scans.
    let port = create(
        &app,
        "mutation($h: ID!) { createPort(input: {hostId: $h, port: 443, protocol: TCP}) { id } }",
        json!({"h": ids["host"]}),
    )
    .await;
    let d = app
        .data(
            "{ ports(filter: {port: {eq: 443}}) { totalCount nodes { host { ip } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        d["ports"],
        json!({"totalCount": 1, "nodes": [{"host": {"ip": "10.7.0.1"}}]})
    );
    app.expect_error("NOT_FOUND", "mutation { deleteScan(id: \"U2Nhbjo5OQ\") }", json!({}))
        .await;

    // Alerts detach from cases.
    let alert = create(
        &app,
        "mutation { createAlert(input: {kind: \"host\", type: \"x\", severity: INFO, title: \"t\"}) { id } }",
        json!({}),
    )
    .await;
    app.data(
        "mutation($c: ID!, $a: ID!) { attachAlerts(caseId: $c, alertIds: [$a]) { id } }",
        json!({"c": case, "a": alert}),
    )
    .await;
    let d = app
        .data(
            "mutation($c: ID!, $a: ID!) { detachAlerts(caseId: $c, alertIds: [$a]) { alerts { totalCount } } }",
            json!({"c": case, "a": alert}),
        )
        .await;
    assert_eq!(d["detachAlerts"]["alerts"]["totalCount"], 0);

    // Every delete: gone afterwards, NOT_FOUND the second time.
    let deletes = [
        ("deletePort", port),
        ("deleteAsset", s(&ids["asset"])),
        ("deleteTask", s(&ids["task"])),
        ("deleteTimelineEvent", s(&ids["event"])),
        ("deleteEvidence", s(&ids["evidence"])),
        ("deleteNoteGroup", s(&ids["group"])),
        ("deleteIoc", s(&ids["ioc"])),
        ("deleteNetwork", s(&ids["network"])),
        ("deleteService", s(&ids["service"])),
        ("deleteDnsRecord", s(&ids["dns"])),
        ("deleteCase", case),
        ("deleteCustomer", customer),
        ("deleteAlert", alert),
    ];
    for (mutation, id) in deletes {
        let q = format!("mutation($id: ID!) {{ {mutation}(id: $id) }}");
        assert_eq!(app.data(&q, json!({"id": &id})).await[mutation], json!(&id));
        let d = app
            .data("query($id: ID!) { node(id: $id) { id } }", json!({"id": &id}))
            .await;
        assert_eq!(d["node"], Value::Null, "{mutation}");
        app.expect_error("NOT_FOUND", &q, json!({"id": &id})).await;
    }
});

fn decode(id: &str) -> (String, i64) {
    use base64::Engine;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(id).unwrap();
    let text = String::from_utf8(raw).unwrap();
    let (k, n) = text.split_once(':').unwrap();
    (k.to_string(), n.parse().unwrap())
}

fn encode(kind: &str, n: i64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{n}"))
}
