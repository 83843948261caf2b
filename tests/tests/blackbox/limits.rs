//! Guard rails and the HTTP surface: limits, error codes of every phase, GET,
//! batches, body size, timeouts, health.

use serde_json::{json, Value};
use server::config::Config;
use std::time::Duration;
use tests::{both_dbs, TestApp};

async fn post_raw(app: &TestApp, body: impl Into<reqwest::Body>) -> (u16, Value) {
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn code(v: &Value) -> &str {
    v["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no code in {v}"))
}

both_dbs!(query_limits, |app: TestApp| async move {
    // Depth: nest ports -> host -> ports ... beyond 15 levels.
    let mut q = String::from("ip");
    for _ in 0..8 {
        q = format!("ports {{ nodes {{ host {{ {q} }} }} }}");
    }
    let deep = format!("{{ hosts {{ nodes {{ {q} }} }} }}");
    app.expect_error("QUERY_TOO_COMPLEX", &deep, json!({})).await;
    // Complexity: a thousand hosts times a thousand flows.
    // The refusal says the cost, the limit and the root field that costs most.
    let wide = "query($n: Int) { cheap: flows(first: 5) { totalCount }
        hosts(first: $n) { nodes { flows(first: 1000) { nodes { srcBytes dstBytes } } } } }";
    let res = app.gql(wide, json!({"n": 1000})).await;
    let e = &res["errors"][0];
    assert_eq!(e["extensions"]["code"], "QUERY_TOO_COMPLEX", "{res}");
    assert_eq!(e["extensions"]["limit"], 100_000, "{res}");
    assert!(e["extensions"]["cost"].as_u64().unwrap() >= 1000 * 2000, "{res}");
    assert_eq!(e["extensions"]["costliestField"], "hosts", "{res}");
    let message = e["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("costs {}", e["extensions"]["cost"]))
            && message.contains("100000")
            && message.contains("`hosts` costs most"),
        "{message}"
    );
    // But what an investigator asks for fits.
    app.data("{ hosts(first: 100) { nodes { ip ports(first: 20) { nodes { port } } flows(first: 20) { nodes { srcIp } } } } }", json!({})).await;
    // Aliases.
    let aliases: String = (0..31).map(|i| format!("a{i}: hosts {{ totalCount }} ")).collect();
    app.expect_error("QUERY_TOO_COMPLEX", &format!("{{ {aliases} }}"), json!({}))
        .await;
    // Directives.
    let dirs = "{ hosts @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) { totalCount } }";
    app.expect_error("QUERY_TOO_COMPLEX", dirs, json!({})).await;
    // nodes(ids:) is bounded too.
    let ids: Vec<String> = (0..1001).map(|_| "SG9zdDox".to_string()).collect();
    app.expect_error(
        "BAD_USER_INPUT",
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        json!({"ids": ids}),
    )
    .await;
});

both_dbs!(protocol_errors_have_codes, |app: TestApp| async move {
    app.expect_error("GRAPHQL_PARSE_FAILED", "{ hosts { ", json!({})).await;
    app.expect_error("GRAPHQL_VALIDATION_FAILED", "{ nope }", json!({}))
        .await;
    app.expect_error(
        "BAD_USER_INPUT",
        "query($ip: IpAddr!) { host(ip: $ip) { id } }",
        json!({"ip": "1.2.3"}),
    )
    .await;
    app.expect_error(
        "BAD_USER_INPUT",
        "query($ip: IpAddr!) { host(ip: $ip) { id } }",
        json!({"ip": 12}),
    )
    .await;
    app.expect_error("BAD_USER_INPUT", "{ node(id: \"!!\") { id } }", json!({}))
        .await;
    let d = app.data("{ node(id: \"SG9zdDo5OTk\") { id } }", json!({})).await;
    assert_eq!(d["node"], Value::Null);

    let (status, body) = post_raw(&app, "{not json").await;
    assert_eq!((status, code(&body)), (400, "BAD_USER_INPUT"));
    let (status, body) = post_raw(&app, r#"{"variables": {}}"#).await;
    assert_eq!(
        (status, code(&body)),
        (400, "BAD_USER_INPUT"),
        "a request without a query"
    );
    let big = format!(
        r#"{{"query": "{{ hosts {{ totalCount }} }}", "variables": {{"pad": "{}"}}}}"#,
        "x".repeat(1_100_000)
    );
    let (status, body) = post_raw(&app, big).await;
    assert_eq!((status, code(&body)), (413, "PAYLOAD_TOO_LARGE"));

    // Batches: allowed, but bounded.
    let one = json!({"query": "{ hosts { totalCount } }"});
    let (status, body) = post_raw(&app, json!([one, one]).to_string()).await;
    assert_eq!(status, 200);
    assert_eq!(body.as_array().unwrap().len(), 2);
    let (status, body) = post_raw(&app, Value::Array(vec![one.clone(); 11]).to_string()).await;
    assert_eq!((status, code(&body)), (400, "BAD_USER_INPUT"));

    // GET reads, and only reads.
    let get = |q: &str| app.client.get(app.url("/graphql")).query(&[("query", q)]).send();
    let res: Value = get("{ hosts { totalCount } }").await.unwrap().json().await.unwrap();
    assert_eq!(res["data"]["hosts"]["totalCount"], 0);
    let res: Value = get("mutation { createCustomer(name: \"x\") { id } }")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(code(&res), "BAD_USER_INPUT");
    assert_eq!(
        app.data("{ customers { totalCount } }", json!({})).await["customers"]["totalCount"],
        0
    );

    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
});

/// Interactive requests run under the configured budget (zero here: each fails at
/// once, before it runs); bulk mutations (imports, deletions of data) under the import
/// budget, whichever way they come: GraphQL, a multipart upload, or a REST route.
async fn budgets(app: TestApp) {
    app.expect_error("TIMEOUT", "{ hosts { totalCount } }", json!({})).await;
    let d = app
        .data("mutation { deleteFlows(filter: {}) { deletedRows } }", json!({}))
        .await;
    assert_eq!(d["deleteFlows"]["deletedRows"], 0);
    let res = app
        .upload(
            "mutation($file: Upload!) { importNmap(file: $file) { inserted } }",
            "scan.xml",
            tests::fixture("nmap-localhost.xml"),
            json!({}),
        )
        .await;
    assert!(res["errors"].is_null(), "{res}");
    // Through a fragment too; but bulk work beside other work gets no more time than that
    // work would, and each operation of a batch has a budget of its own.
    let res = app
        .upload(
            "mutation($file: Upload!) { ... on Mutation { importNmap(file: $file) { inserted } } }",
            "scan.xml",
            tests::fixture("nmap-localhost.xml"),
            json!({}),
        )
        .await;
    assert!(res["errors"].is_null(), "{res}");
    app.expect_error(
        "TIMEOUT",
        "mutation { deleteDnsRecords(filter: {}) { deletedRows } createCustomer(name: \"y\") { id } }",
        json!({}),
    )
    .await;
    let batch: Value = app
        .client
        .post(app.url("/graphql"))
        .json(&json!([
            {"query": "mutation { deleteDnsRecords(filter: {}) { deletedRows } }"},
            {"query": "{ hosts { totalCount } }"},
        ]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(batch[0]["data"]["deleteDnsRecords"]["deletedRows"], 0, "{batch}");
    assert_eq!(batch[1]["errors"][0]["extensions"]["code"], "TIMEOUT", "{batch}");
    // A mutation that is not bulk work keeps the interactive budget.
    app.expect_error("TIMEOUT", "mutation { createCustomer(name: \"x\") { id } }", json!({}))
        .await;
    let (status, body) = app
        .rest("POST", "/api/v1/data/delete", Some(r#"{"table":"tcp_metadata"}"#))
        .await;
    assert_eq!((status, body["deleted_rows"].clone()), (200, json!(0)), "{body}");
    let (status, body) = app.rest("GET", "/api/v1/networkalerts", None).await;
    assert_eq!(status, 504, "{body}");
}

fn no_time() -> Config {
    Config {
        query_timeout: Duration::ZERO,
        ..Config::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budgets_sqlite() {
    budgets(TestApp::sqlite_with(no_time()).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budgets_postgres() {
    budgets(TestApp::postgres_with(no_time()).await).await;
}

// Answers follow the selection's order: fields, aliases and fragments, over HTTP and
// over the WebSocket.
both_dbs!(answers_follow_the_selection_order, |app: TestApp| async move {
    app.data("mutation { createHost(input: {ip: \"10.0.0.1\"}) { id } }", json!({}))
        .await;
    let query = "{ z: me { username } hosts(first: 1) { totalCount ...P nodes { ip id } } a: me { id } } \
                 fragment P on HostConnection { pageInfo { hasNextPage endCursor } }";
    let text = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let order = |text: &str| -> Vec<usize> {
        [
            "\"z\"",
            "\"hosts\"",
            "\"totalCount\"",
            "\"pageInfo\"",
            "\"hasNextPage\"",
            "\"endCursor\"",
            "\"nodes\"",
            "\"ip\"",
            "\"id\"",
            "\"a\"",
        ]
        .iter()
        .map(|k| text.find(k).unwrap_or_else(|| panic!("{k} in {text}")))
        .collect()
    };
    let positions = order(&text);
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
    let mut ws = app.ws().await;
    ws.subscribe("q", query, json!({})).await;
    let frame = ws.next_text().await;
    let payload = &frame[frame.find("\"payload\"").expect("a payload")..];
    assert!(order(payload).windows(2).all(|w| w[0] < w[1]), "{frame}");
});

// `/metrics` counts requests by family and status class, and GraphQL errors by code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_and_errors() {
    let app = TestApp::sqlite().await;
    app.gql("{ nope }", json!({})).await;
    app.data("{ me { username } }", json!({})).await;
    let text = app.metrics().await;
    assert!(
        text.contains("pivot_http_requests_total{family=\"graphql\",status=\"2xx\"} 2"),
        "{text}"
    );
    assert!(
        text.contains("pivot_graphql_errors_total{code=\"GRAPHQL_VALIDATION_FAILED\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("pivot_http_request_seconds_total{family=\"graphql\""),
        "{text}"
    );
    assert!(text.contains("pivot_ipdr_queries{status=\"waiting\"} 0"), "{text}");
    // Imports through the API, by format and outcome.
    let import = "mutation($file: Upload!) { importZeek(file: $file) { read } }";
    let r = app
        .upload(import, "dns.log", tests::sample("zeek/dns.log"), json!({}))
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let r = app.upload(import, "bad.log", b"nonsense".to_vec(), json!({})).await;
    assert!(r["errors"].is_array(), "{r}");
    let text = app.metrics().await;
    assert!(
        text.contains("pivot_imports_total{format=\"zeek\",outcome=\"landed\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("pivot_imports_total{format=\"zeek\",outcome=\"failed\"} 1"),
        "{text}"
    );
}
