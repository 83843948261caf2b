//! The demo dataset: a living graph, the same for the same seed on every backend.

use serde_json::{json, Value};
use server::demo::{self, DemoOptions};
use server::domain::users;
use tests::TestApp;

const SAMPLE: &str = r#"{
    hosts(first: 3) { totalCount nodes { id ip hostnames os ports { totalCount } } }
    flows(first: 2) { totalCount nodes { id srcIp dstIp dstPort application } }
    alerts(first: 2) { totalCount nodes { id title severity } }
    dnsRecords(first: 3) { totalCount nodes { id name type value count } }
    ports(first: 3) { nodes { id port host { ip } } }
    customers { nodes { id name } }
    cases { nodes { id name status customer { name } iocs { totalCount } assets { name } tasks { title }
        timeline { title } evidences { filename } alerts { totalCount } notes { title } } }
    networks { totalCount } devices { totalCount } services { totalCount }
}"#;

async fn generated(app: &TestApp, seed: u64) -> Value {
    let admin = users::by_name(&app.db, "admin").await.unwrap();
    demo::generate(&app.db, admin, DemoOptions { hosts: 60, seed })
        .await
        .expect("demo data");
    app.data(SAMPLE, json!({})).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_seed_same_graph_on_every_backend() {
    let (a, b, pg) = (
        TestApp::sqlite().await,
        TestApp::sqlite().await,
        TestApp::postgres().await,
    );
    let first = generated(&a, 7).await;
    assert_eq!(generated(&b, 7).await, first, "same seed, same data and IDs");
    assert_eq!(generated(&pg, 7).await, first, "PostgreSQL gives the same");

    // A living graph: every kind of object is there.
    assert!(first["hosts"]["totalCount"].as_i64().unwrap() >= 60);
    assert!(first["flows"]["totalCount"].as_i64().unwrap() >= 400);
    assert!(first["alerts"]["totalCount"].as_i64().unwrap() >= 10);
    assert!(first["dnsRecords"]["totalCount"].as_i64().unwrap() > 0);
    assert_eq!(first["customers"]["nodes"].as_array().unwrap().len(), 2);
    for kind in ["networks", "devices", "services"] {
        assert!(first[kind]["totalCount"].as_i64().unwrap() > 0, "{kind}");
    }
    let cases = first["cases"]["nodes"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    for c in cases {
        assert!(c["iocs"]["totalCount"].as_i64().unwrap() >= 2, "{c}");
        for edge in ["assets", "tasks", "timeline", "evidences", "notes"] {
            assert!(!c[edge].as_array().unwrap().is_empty(), "{edge} of {c}");
        }
        assert_eq!(c["alerts"]["totalCount"], 3);
    }

    // Another seed, another story; a database with data is left alone.
    let other = TestApp::sqlite().await;
    assert_ne!(generated(&other, 8).await["flows"], first["flows"]);
    let admin = users::by_name(&a.db, "admin").await.unwrap();
    let again = demo::generate(&a.db, admin, DemoOptions::default()).await;
    assert!(again.unwrap_err().to_string().contains("empty database"));
}
