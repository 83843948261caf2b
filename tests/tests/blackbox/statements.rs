//! No N+1: a nested query over 200 hosts sends as many SQL statements as over 5.

use serde_json::{json, Value};
use tests::{both_dbs, s, TestApp};

/// Hosts in `net` (a /16 prefix like "10.5"), each with two ports, a flow, an alert,
/// a note, an IOC and a case asset naming it.
async fn seed(app: &TestApp, net: &str, n: usize, case: &str) {
    let at = |i: usize| format!("{net}.{}.{}", i / 250, i % 250 + 1);
    for chunk in (0..n).collect::<Vec<_>>().chunks(10) {
        let mut m = String::from("mutation {");
        for &i in chunk {
            let ip = at(i);
            m += &format!(
                r#" f{i}: createFlow(input: {{src: "{ip}", dst: "{net}.255.1", dstPort: 443, protocol: TCP, startedAt: "2026-01-01T00:00:00Z"}}) {{ id }}
                a{i}: createAlert(input: {{kind: "host", type: "scan", severity: WARNING, title: "t", srcIp: "{ip}"}}) {{ id }}
                i{i}: addIoc(input: {{type: "ip-src", value: "{ip}", caseIds: ["{case}"]}}) {{ id }}"#
            );
        }
        m += " }";
        app.data(&m, json!({})).await;
    }
    let d = app
        .data(
            "query($c: Cidr) { hosts(first: 1000, filter: {ip: {within: [$c]}}) { nodes { id ip } } }",
            json!({"c": format!("{net}.0.0/16")}),
        )
        .await;
    let hosts: Vec<(String, String)> = d["hosts"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (s(&h["id"]), s(&h["ip"])))
        .collect();
    for chunk in hosts
        .iter()
        .filter(|(_, ip)| !ip.ends_with(".255.1"))
        .collect::<Vec<_>>()
        .chunks(6)
    {
        let mut m = String::from("mutation {");
        for (k, (id, ip)) in chunk.iter().enumerate() {
            m += &format!(
                r#" p{k}: createPort(input: {{hostId: "{id}", port: 22, protocol: TCP}}) {{ id }}
                q{k}: createPort(input: {{hostId: "{id}", port: 80, protocol: TCP}}) {{ id }}
                n{k}: createNote(input: {{subjectId: "{id}", body: "seen"}}) {{ id }}
                s{k}: createAsset(input: {{caseId: "{case}", name: "{ip}", assetTypeId: "QXNzZXRUeXBlOjE", ip: "{ip}"}}) {{ id }}"#
            );
        }
        m += " }";
        app.data(&m, json!({})).await;
    }
}

const NESTED: &str = "query($c: Cidr) { hosts(first: 300, filter: {ip: {within: [$c]}}) { nodes {
    ip hostnames openPortCount
    ports(first: 5) { totalCount nodes { port scan { id } scripts { scriptId } } }
    alerts(first: 5) { nodes { title cases { name } srcHost { ip } } }
    flows(first: 5) { nodes { dstPort dst { ip } } }
    notes { body revisions { revision } }
    iocs { value cases { name } }
    cases { name customer { name } }
    assets { name type { name } }
    device { mac } network { name } services { port } dnsRecords(first: 2) { nodes { name } }
} } }";

async fn statements_for(app: &TestApp, net: &str) -> (u64, usize) {
    let before = app.statements().await;
    let d: Value = app.data(NESTED, json!({"c": format!("{net}.0.0/16")})).await;
    let after = app.statements().await;
    let hosts = d["hosts"]["nodes"].as_array().unwrap();
    // Every host really carries its edges.
    for h in hosts.iter().filter(|h| !h["ip"].as_str().unwrap().ends_with(".255.1")) {
        assert_eq!(h["ports"]["totalCount"], 2, "{h}");
        assert_eq!(h["alerts"]["nodes"].as_array().unwrap().len(), 1);
        assert_eq!(h["flows"]["nodes"].as_array().unwrap().len(), 1);
        assert_eq!(h["notes"].as_array().unwrap().len(), 1);
        assert_eq!(h["iocs"].as_array().unwrap().len(), 1);
        assert_eq!(h["cases"].as_array().unwrap().len(), 1);
        assert_eq!(h["assets"].as_array().unwrap().len(), 1);
    }
    (after - before, hosts.len())
}

both_dbs!(nested_queries_do_not_multiply_statements, |app: TestApp| async move {
    let customer = app
        .data("mutation { createCustomer(name: \"ACME\") { id } }", json!({}))
        .await;
    let case = app
        .data(
            "mutation($c: ID!) { createCase(input: {name: \"N+1\", customerId: $c}) { id } }",
            json!({"c": customer["createCustomer"]["id"]}),
        )
        .await;
    let case = s(&case["createCase"]["id"]);
    seed(&app, "10.5", 5, &case).await;
    seed(&app, "10.6", 200, &case).await;
    let (small, n_small) = statements_for(&app, "10.5").await;
    let (large, n_large) = statements_for(&app, "10.6").await;
    assert_eq!((n_small, n_large), (6, 201));
    assert!(small > 0);
    assert_eq!(small, large, "statements for 5 hosts: {small}, for 200 hosts: {large}");
});
