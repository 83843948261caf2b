//! Live alerts over WebSocket (`/graphql/ws`) and server-sent events (`/alerts/stream`):
//! filters, credentials and close codes, per-event authorisation, delivery only after
//! commit, resume without gaps, concurrent writers, overflow, replicas.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{json, Value};
use server::config::Config;
use server::domain::users::Role;
use tests::{both_dbs, s, sample, TestApp};

const CREATE_ALERT: &str = "mutation($i: CreateAlertInput!) { createAlert(input: $i) { id } }";
const CREATED: &str = "subscription($f: AlertFilter, $after: ID) {
    alertCreated(filter: $f, after: $after) { id title severity srcIp } }";
const UPDATED: &str = "subscription($f: AlertFilter, $after: String) {
    alertUpdated(filter: $f, after: $after) { cursor change alertId alert { id acknowledged cases { id } } } }";
const SURICATA: &str = "mutation($file: Upload!) { importSuricata(file: $file) { inserted } }";

/// Revokes the API token `id` as the holder of `token`.
async fn revoke(app: &TestApp, token: &str, id: Value) {
    let revoked = app
        .gql_as(
            token,
            "mutation($id: ID!) { revokeApiToken(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert!(revoked["errors"].is_null(), "{revoked}");
}

/// Limits user `name` to the customers of `ids` (as the admin).
async fn alert(app: &TestApp, title: &str, severity: &str, src: &str) -> String {
    let i = json!({"kind": "network", "type": "test", "severity": severity, "title": title, "srcIp": src});
    s(&app.data(CREATE_ALERT, json!({ "i": i })).await["createAlert"]["id"])
}

/// Waits until `n` subscriptions are open on `app`: they open asynchronously after
/// `subscribe` is sent, and see only what commits once they are.
async fn subscribed(app: &TestApp, n: u64) {
    app.until_metric("pivot_live_subscriptions", n).await;
}

/// The id of the alert an `alertCreated` event carries.
fn created_id(payload: &Value) -> String {
    assert!(payload["errors"].is_null(), "an error event: {payload}");
    s(&payload["data"]["alertCreated"]["id"])
}

/// An eve.json of `n` Suricata alerts.
fn eve(n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| {
            format!(
                r#"{{"timestamp":"2026-01-15T12:{:02}:{:02}.000000+0000","event_type":"alert","src_ip":"192.0.2.{}","src_port":{},"dest_ip":"198.51.100.7","dest_port":80,"proto":"TCP","alert":{{"action":"allowed","signature_id":{},"signature":"PIVOT TEST burst {i}","category":"Burst","severity":2}}}}"#,
                (i / 60) % 60,
                i % 60,
                i % 250 + 1,
                10_000 + i % 50_000,
                i + 1
            ) + "\n"
        })
        .collect::<String>()
        .into_bytes()
}

both_dbs!(created_alerts_arrive_filtered_after_commit, |app: TestApp| async move {
    let mut ws = app.ws().await;
    ws.subscribe("all", CREATED, json!({})).await;
    ws.subscribe("bad", CREATED, json!({"f": {"severity": {"gte": "ERROR"}}}))
        .await;
    ws.subscribe("net", CREATED, json!({"f": {"host": {"within": ["10.9.0.0/16"]}}}))
        .await;
    subscribed(&app, 3).await;

    let a = alert(&app, "a", "INFO", "10.9.1.1").await;
    let b = alert(&app, "b", "CRITICAL", "10.8.1.1").await;
    // A mutation that fails is rolled back: nothing of it is published.
    let bad = json!({"kind": "network", "type": "test", "severity": "INFO", "title": "never", "score": 5000});
    let res = app.gql(CREATE_ALERT, json!({ "i": bad })).await;
    assert_eq!(res["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{res}");
    // An import that fails half-way publishes nothing either.
    let mut broken = eve(3);
    broken.extend_from_slice(b"{\"event_type\": \"alert\", \"timestamp\": 12}\n");
    let res = app.upload(SURICATA, "eve.json", broken, json!({})).await;
    assert!(!res["errors"].is_null(), "{res}");
    let c = alert(&app, "c", "ERROR", "10.9.2.2").await;

    let mut got: std::collections::HashMap<String, Vec<String>> = Default::default();
    for _ in 0..(3 + 2 + 2) {
        let m = ws.next().await;
        assert_eq!(m["type"], "next", "{m}");
        got.entry(s(&m["id"])).or_default().push(created_id(&m["payload"]));
    }
    assert_eq!(
        got["all"],
        vec![a.clone(), b.clone(), c.clone()],
        "every alert, in commit order"
    );
    assert_eq!(got["bad"], vec![b.clone(), c.clone()]);
    assert_eq!(got["net"], vec![a.clone(), c.clone()]);
    ws.quiet(Duration::from_millis(500)).await;
    assert_eq!(app.metric("pivot_live_subscriptions").await, 3);

    // Alerts of a successful import are published too, once it committed.
    let summary = app
        .upload(SURICATA, "eve.json", sample("suricata/eve.json"), json!({}))
        .await;
    let inserted = summary["data"]["importSuricata"]["inserted"].as_u64().unwrap();
    assert!(inserted > 0, "{summary}");
    let mut all = 0;
    while all < inserted {
        let m = ws.next().await;
        if m["id"] == "all" {
            all += 1;
        }
    }
});

both_dbs!(updates_and_deletions_are_published, |app: TestApp| async move {
    let a = alert(&app, "a", "WARNING", "10.1.1.1").await;
    let b = alert(&app, "b", "INFO", "10.1.1.2").await;
    let mut ws = app.ws().await;
    ws.subscribe("u", UPDATED, json!({"f": {"severity": {"gte": "WARNING"}}}))
        .await;
    subscribed(&app, 1).await;

    app.data(
        "mutation($ids: [ID!]!) { acknowledgeAlerts(ids: $ids) }",
        json!({"ids": [a, b]}),
    )
    .await;
    let e = ws.event("u").await["data"]["alertUpdated"].clone();
    assert_eq!(e["change"], "UPDATED");
    assert_eq!(e["alertId"], a.as_str(), "b is filtered out");
    assert_eq!(e["alert"]["acknowledged"], true);

    let customer = app
        .data("mutation { createCustomer(name: \"ACME\") { id } }", json!({}))
        .await;
    let case = app
        .data(
            "mutation($i: CreateCaseInput!) { createCase(input: $i) { id } }",
            json!({"i": {"name": "live", "customerId": customer["createCustomer"]["id"]}}),
        )
        .await;
    let case = s(&case["createCase"]["id"]);
    app.data(
        "mutation($c: ID!, $a: [ID!]!) { attachAlerts(caseId: $c, alertIds: $a) { id } }",
        json!({"c": case, "a": [a]}),
    )
    .await;
    let e = ws.event("u").await["data"]["alertUpdated"].clone();
    assert_eq!(e["change"], "CASES_CHANGED");
    assert_eq!(e["alert"]["cases"][0]["id"], case.as_str());
    let cursor = s(&e["cursor"]);

    // Evidence in a case: deleted only when asked to take it out of its cases too.
    app.data(
        "mutation($id: ID!) { deleteAlert(id: $id, fromCases: true) }",
        json!({"id": a}),
    )
    .await;
    let e = ws.event("u").await["data"]["alertUpdated"].clone();
    assert_eq!(e["change"], "DELETED");
    assert_eq!(e["alertId"], a.as_str());
    assert!(e["alert"].is_null());

    // Resuming after the case change replays the deletion only.
    let mut again = app.ws().await;
    again.subscribe("r", UPDATED, json!({"after": cursor})).await;
    let e = again.event("r").await["data"]["alertUpdated"].clone();
    assert_eq!(e["change"], "DELETED");
    again.quiet(Duration::from_millis(300)).await;

    // A cursor past the log's end (from before the database was reset) starts at the end.
    let mut reset = app.ws().await;
    let future = "YzEwMDAwMDA"; // seq 1,000,000
    reset.subscribe("z", UPDATED, json!({"after": future})).await;
    subscribed(&app, 3).await;
    app.data("mutation($id: ID!) { deleteAlert(id: $id) }", json!({"id": b}))
        .await;
    let e = reset.event("z").await["data"]["alertUpdated"].clone();
    assert_eq!(e["alertId"], b.as_str(), "{e}");
});

both_dbs!(resume_replays_then_continues_without_gaps, |app: TestApp| async move {
    let first = alert(&app, "1", "INFO", "10.0.0.1").await;
    let second = alert(&app, "2", "INFO", "10.0.0.2").await;
    let third = alert(&app, "3", "ERROR", "10.0.0.3").await;
    let mut ws = app.ws().await;
    ws.subscribe("r", CREATED, json!({"after": first})).await;
    assert_eq!(created_id(&ws.event("r").await), second);
    assert_eq!(created_id(&ws.event("r").await), third);
    let fourth = alert(&app, "4", "INFO", "10.0.0.4").await;
    assert_eq!(created_id(&ws.event("r").await), fourth);
    ws.quiet(Duration::from_millis(300)).await;

    // A filtered resume replays only what the filter lets through.
    ws.subscribe(
        "f",
        CREATED,
        json!({"after": first, "f": {"severity": {"eq": "ERROR"}}}),
    )
    .await;
    assert_eq!(created_id(&ws.event("f").await), third);

    // An unknown cursor is a clear error.
    ws.subscribe("x", CREATED, json!({"after": "nonsense"})).await;
    let m = ws.next().await;
    let text = m.to_string();
    assert!(text.contains("BAD_USER_INPUT"), "{m}");
});

both_dbs!(concurrent_writers_lose_and_repeat_nothing, |app: TestApp| async move {
    let mut ws = app.ws().await;
    ws.subscribe("all", CREATED, json!({})).await;
    subscribed(&app, 1).await;
    let writers = (0..6).map(|w| {
        let client = app.client.clone();
        let url = app.url("/graphql");
        tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..20 {
                let i = json!({"kind": "host", "type": "load", "severity": "INFO", "title": format!("{w}-{i}")});
                let res: Value = client
                    .post(&url)
                    .json(&json!({"query": CREATE_ALERT, "variables": {"i": i}}))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                ids.push(s(&res["data"]["createAlert"]["id"]));
            }
            ids
        })
    });
    let mut created = HashSet::new();
    for w in writers.collect::<Vec<_>>() {
        created.extend(w.await.unwrap());
    }
    let mut received = Vec::new();
    while received.len() < created.len() {
        received.push(created_id(&ws.event("all").await));
    }
    let distinct: HashSet<String> = received.iter().cloned().collect();
    assert_eq!(distinct.len(), received.len(), "an alert was delivered twice");
    assert_eq!(distinct, created);
    ws.quiet(Duration::from_millis(300)).await;
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_without_valid_credentials_are_closed() {
    let app = TestApp::sqlite().await;
    // No credentials at all.
    let mut ws = app.ws_open("graphql-transport-ws", &[]).await;
    ws.send(json!({"type": "connection_init"})).await;
    assert_eq!(ws.closed().await.0, 4401);
    // A token that is not valid.
    let mut ws = app.ws_open("graphql-transport-ws", &[]).await;
    ws.send(json!({"type": "connection_init", "payload": {"authorization": "Bearer pvt_nope"}}))
        .await;
    assert_eq!(ws.closed().await.0, 4403);
    // A subscription before connection_init.
    let mut ws = app.ws_open("graphql-transport-ws", &[]).await;
    ws.subscribe("1", CREATED, json!({})).await;
    assert_eq!(ws.closed().await.0, 4401);
    // Not JSON.
    let mut ws = app.ws_open("graphql-transport-ws", &[]).await;
    ws.send_text("hello").await;
    assert_eq!(ws.closed().await.0, 4400);
    // The legacy protocol works with a token, and sends `data` messages.
    let mut ws = app.ws_legacy().await;
    ws.subscribe("1", CREATED, json!({})).await;
    subscribed(&app, 1).await;
    let id = alert(&app, "legacy", "INFO", "10.0.0.1").await;
    let m = ws.next().await;
    assert_eq!(m["type"], "data", "{m}");
    assert_eq!(created_id(&m["payload"]), id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_is_checked_for_every_event() {
    let app = TestApp::sqlite().await;
    let viewer = app.user("watcher", Role::Viewer, "").await;
    let mut ws = app.ws_as(&viewer).await;
    ws.subscribe("v", CREATED, json!({})).await;
    subscribed(&app, 1).await;
    let a = alert(&app, "seen", "INFO", "10.0.0.1").await;
    assert_eq!(created_id(&ws.event("v").await), a);

    // Revoked mid-stream: the next event is an error, and the subscription completes.
    let tokens = app.gql_as(&viewer, "{ apiTokens { id } }", json!({})).await;
    let token_id = s(&tokens["data"]["apiTokens"][0]["id"]);
    revoke(&app, &viewer, json!(token_id)).await;
    alert(&app, "unseen", "INFO", "10.0.0.2").await;
    let e = ws.event("v").await;
    assert_eq!(e["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{e}");
    assert!(e["data"].is_null() || e["data"]["alertCreated"].is_null(), "{e}");
    assert_eq!(ws.expect_type("complete").await["id"], "v");

    // A user limited to some customers receives what its `alerts` query shows: alerts
    // belong to no customer, so all of them.
    let limited = app.user("limited", Role::Analyst, "").await;
    let customer = app
        .data("mutation { createCustomer(name: \"Alpha\") { id } }", json!({}))
        .await;
    app.limit_to("limited", json!([customer["createCustomer"]["id"]])).await;
    let mut ws = app.ws_as(&limited).await;
    ws.subscribe("l", CREATED, json!({})).await;
    subscribed(&app, 1).await;
    let seen = alert(&app, "for every customer", "INFO", "10.0.0.9").await;
    assert_eq!(created_id(&ws.event("l").await), seen);
    let listed = app
        .gql_as(&limited, "{ alerts(last: 1) { nodes { id } } }", json!({}))
        .await;
    assert_eq!(listed["data"]["alerts"]["nodes"][0]["id"], seen.as_str());

    // A user whose alerts access is gone is refused (its role no longer grants it).
    let other = app.user("gone", Role::Viewer, "").await;
    let mut ws = app.ws_as(&other).await;
    ws.subscribe("g", CREATED, json!({})).await;
    subscribed(&app, 2).await;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    entities::user::Entity::update_many()
        .col_expr(entities::user::Column::Role, sea_orm::sea_query::Expr::value("none"))
        .filter(entities::user::Column::Username.eq("gone"))
        .exec(&app.db)
        .await
        .unwrap();
    alert(&app, "hidden", "INFO", "10.0.0.3").await;
    let e = ws.event("g").await;
    assert_eq!(e["errors"][0]["extensions"]["code"], "FORBIDDEN", "{e}");
    assert_eq!(ws.expect_type("complete").await["id"], "g");
    // And a new subscription on the same connection is refused outright.
    ws.subscribe("h", CREATED, json!({})).await;
    let m = ws.next().await;
    assert!(m.to_string().contains("FORBIDDEN"), "{m}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_that_falls_behind_is_told_and_resumes() {
    let app = TestApp::sqlite_with(Config {
        live_buffer: 16,
        ..Config::default()
    })
    .await;
    let mut ws = app.ws().await;
    ws.subscribe("o", CREATED, json!({})).await;
    subscribed(&app, 1).await;
    // One import of 100 alerts is one burst: 16 fit, the rest are missed.
    let res = app.upload(SURICATA, "eve.json", eve(100), json!({})).await;
    assert_eq!(res["data"]["importSuricata"]["inserted"], 100, "{res}");
    let mut got = Vec::new();
    let error = loop {
        let e = ws.event("o").await;
        if !e["errors"].is_null() {
            break e["errors"][0].clone();
        }
        got.push(created_id(&e));
    };
    assert_eq!(got.len(), 16);
    assert_eq!(error["extensions"]["code"], "OVERFLOW", "{error}");
    assert_eq!(error["extensions"]["missed"], 84, "{error}");
    let resume = s(&error["extensions"]["resumeAfter"]);
    assert_eq!(&resume, got.last().unwrap());
    assert_eq!(ws.expect_type("complete").await["id"], "o");

    // Resuming after the last one received replays the rest, without gaps (the replay
    // is read from the database, so the buffer does not limit it).
    ws.subscribe("r", CREATED, json!({"after": resume})).await;
    for _ in 0..84 {
        got.push(created_id(&ws.event("r").await));
    }
    let distinct: HashSet<&String> = got.iter().collect();
    assert_eq!(distinct.len(), 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_on_one_postgres_deliver_each_others_alerts() {
    let one = TestApp::postgres().await;
    let two = one.replica().await;
    let mut on_two = two.ws().await;
    on_two.subscribe("x", CREATED, json!({})).await;
    let mut on_one = one.ws().await;
    on_one.subscribe("x", CREATED, json!({})).await;
    subscribed(&two, 1).await;
    subscribed(&one, 1).await;
    let started = std::time::Instant::now();
    let a = alert(&one, "from one", "INFO", "10.0.0.1").await;
    assert_eq!(created_id(&on_two.event("x").await), a);
    // Woken by NOTIFY, not by the periodic check.
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "took {:?}",
        started.elapsed()
    );
    let b = alert(&two, "from two", "INFO", "10.0.0.2").await;
    assert_eq!(created_id(&on_one.event("x").await), a);
    assert_eq!(created_id(&on_one.event("x").await), b);
    assert_eq!(created_id(&on_two.event("x").await), b);
}

// The log keeps the last changes only (`PIVOT_LIVE_LOG_KEEP`): a resume from within it
// replays, one from before it is told to read the `alerts` query instead.
both_dbs!(
    resuming_from_before_what_the_log_keeps_is_refused,
    Config {
        live_log_keep: 5,
        ..Config::default()
    },
    |app: TestApp| async move {
        let mut ids = Vec::new();
        for i in 0..12 {
            ids.push(alert(&app, &format!("k{i}"), "INFO", "10.0.0.1").await);
        }
        // The bus prunes in the background, after reading the changes.
        tests::until("the log is pruned to 5 changes", || async {
            tests::rows_in(&app.db, "alert_changes").await == 5
        })
        .await;

        let mut ws = app.ws().await;
        ws.subscribe("in", CREATED, json!({"after": ids[9]})).await;
        assert_eq!(created_id(&ws.event("in").await), ids[10]);
        assert_eq!(created_id(&ws.event("in").await), ids[11]);
        ws.subscribe("old", CREATED, json!({"after": ids[0]})).await;
        let e = ws.event("old").await;
        assert_eq!(e["errors"][0]["extensions"]["code"], "NOT_FOUND", "{e}");
        assert!(s(&e["errors"][0]["message"]).contains("`alerts` query"), "{e}");
        assert_eq!(ws.expect_type("complete").await["id"], "old");
        // An alertUpdated cursor of a pruned change: the replay finds the gap and ends.
        let pruned_cursor = "YzE"; // seq 1
        ws.subscribe("up", UPDATED, json!({"after": pruned_cursor})).await;
        let e = ws.event("up").await;
        assert_eq!(e["errors"][0]["extensions"]["code"], "CURSOR_EXPIRED", "{e}");
        assert!(e["errors"][0]["extensions"]["resumeAfter"].is_null(), "{e}");
        assert_eq!(ws.expect_type("complete").await["id"], "up");
        // SSE's Last-Event-ID of a pruned alert: a 404 before any stream.
        let res = app
            .client
            .get(app.url("/alerts/stream"))
            .header("Last-Event-ID", &ids[0])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
    }
);

both_dbs!(server_sent_events_resume_by_last_event_id, |app: TestApp| async move {
    let first = alert(&app, "1", "INFO", "10.0.0.1").await;
    let second = alert(&app, "2", "ERROR", "10.0.0.2").await;
    let url = app.url("/alerts/stream?severityAtLeast=warning");
    let res = app
        .client
        .get(&url)
        .header("Last-Event-ID", &first)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let mut events = tests::ws::Events::new(res);
    let e = events.next().await;
    assert_eq!(e.event, "alert");
    assert_eq!(e.id, second);
    assert_eq!(serde_json::from_str::<Value>(&e.data).unwrap()["title"], "2");
    alert(&app, "3", "INFO", "10.0.0.3").await;
    let fourth = alert(&app, "4", "CRITICAL", "10.0.0.4").await;
    let e = events.next().await;
    assert_eq!(e.id, fourth, "the INFO alert is filtered out");

    // Bad input is a 4xx with a message, before any stream.
    let res = app
        .client
        .get(app.url("/alerts/stream?severity=loud"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = app
        .client
        .get(app.url("/alerts/stream?colour=red"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("colour"));
    let res = app.anonymous.get(app.url("/alerts/stream")).send().await.unwrap();
    assert_eq!(res.status(), 401);
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_imported_by_another_process_reach_subscribers() {
    let app = TestApp::sqlite().await;
    let mut ws = app.ws().await;
    ws.subscribe("cli", CREATED, json!({})).await;
    subscribed(&app, 1).await;
    let dir = std::env::temp_dir().join(format!("pivot-live-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("eve.json");
    std::fs::write(&file, eve(5)).unwrap();
    let out = std::process::Command::new(tests::pivot_binary())
        .args(["import", "suricata"])
        .arg(&file)
        .args(["--database", &app.database_url])
        .env("PIVOT_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let imported = std::time::Instant::now();
    // Subscribed after the import committed, most likely before this server's periodic
    // check read it: "from now" is the database's now, so none of the five reach it.
    let mut late = app.ws().await;
    late.subscribe("late", CREATED, json!({})).await;
    subscribed(&app, 2).await;
    for _ in 0..5 {
        let e = ws.event("cli").await;
        assert!(e["data"]["alertCreated"]["title"]
            .as_str()
            .unwrap()
            .starts_with("PIVOT TEST burst"));
    }
    // The periodic check finds what another process wrote to the SQLite file.
    assert!(
        imported.elapsed() < Duration::from_secs(2),
        "took {:?}",
        imported.elapsed()
    );
    let _ = std::fs::remove_dir_all(&dir);
    let fresh = alert(&app, "after the import", "INFO", "10.0.0.3").await;
    assert_eq!(created_id(&late.event("late").await), fresh);
    late.quiet(Duration::from_millis(300)).await;
}

both_dbs!(
    subscription_filters_select_what_the_alerts_query_selects,
    |app: TestApp| async move {
        let first = alert(&app, "origin", "INFO", "10.0.0.1").await;
        let (kinds, types) = (["host", "flow", "network"], ["scan", "Brute Force"]);
        let severities = ["INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL", "EMERGENCY"];
        let sensors = ["s1", "s2"];
        for j in 0..24 {
            let src = if j % 4 == 0 {
                "2001:db8::7".to_string()
            } else {
                format!("10.{}.0.{}", j % 3, j + 1)
            };
            let i = json!({
                "kind": kinds[j % 3],
                "type": types[j % 2],
                "severity": severities[j % 6],
                "title": format!("t{j}"),
                "srcIp": src,
                "dstIp": format!("192.0.2.{}", j % 5 + 1),
                "sensor": sensors[j % 2],
                "occurredAt": format!("2026-03-{:02}T10:00:00Z", j + 1),
            });
            app.data(CREATE_ALERT, json!({ "i": i })).await;
        }
        let filters = [
            json!({"kind": {"like": "HOST"}}),
            json!({"type": {"eq": "Brute Force"}}),
            json!({"severity": {"eq": "ERROR"}}),
            json!({"severity": {"gte": "ERROR"}, "sensor": {"eq": "s2"}}),
            json!({"host": {"eq": "192.0.2.3"}}),
            json!({"host": {"eq": "2001:db8::7"}}),
            json!({"host": {"within": ["10.1.0.0/16"]}}),
            json!({"host": {"within": ["2001:db8::/32"]}}),
            json!({"occurredAt": {"gte": "2026-03-05T00:00:00Z", "lt": "2026-03-10T10:00:00Z"}}),
            json!({"acknowledged": {"eq": false}, "kind": {"eq": "flow"}, "severity": {"gte": "WARNING"}}),
            // The operators and their composition, in memory as in SQL.
            json!({"or": [{"kind": {"eq": "flow"}}, {"srcIp": {"within": ["10.2.0.0/16"]}}]}),
            json!({"not": {"severity": {"in": ["INFO", "NOTICE", "WARNING"]}}, "kind": {"ne": "host"}}),
            json!({"title": {"regex": "^t1[0-9]$"}}),
            json!({"title": {"notLike": "t1%"}, "dstIp": {"notIn": ["192.0.2.1"]}}),
            json!({"and": [{"srcIp": {"range": {"from": "10.0.0.1", "to": "10.1.0.255"}}}, {"sensor": {"in": ["s1"]}}]}),
            json!({"severity": {"lte": "NOTICE"}, "occurredAt": {"lte": "2026-03-20T10:00:00Z", "gt": "2026-03-01T10:00:00Z"}}),
            json!({"srcIp": {"notWithin": ["10.0.0.0/8"]}}),
            json!({"sensor": {"isNull": false}, "message": {"isNull": true}, "srcPort": {"isNull": true}}),
        ];
        let mut ws = app.ws().await;
        for (n, f) in filters.iter().enumerate() {
            let queried = app
                .data(
                    "query($f: AlertFilter) { alerts(first: 100, filter: $f) { nodes { id } } }",
                    json!({"f": f}),
                )
                .await;
            let expected: Vec<String> = queried["alerts"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| s(&n["id"]))
                .filter(|id| *id != first)
                .collect();
            assert!(!expected.is_empty(), "filter {f} selects something");
            let id = format!("f{n}");
            ws.subscribe(&id, CREATED, json!({"f": f, "after": first})).await;
            let mut got = Vec::new();
            while got.len() < expected.len() {
                got.push(created_id(&ws.event(&id).await));
            }
            assert_eq!(got, expected, "filter {f}");
        }
        ws.quiet(Duration::from_millis(300)).await;
    }
);

/// Signs the admin in from Pivot's own page; the session cookie.
async fn sign_in(app: &TestApp) -> String {
    let login = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { username } }";
    let res = app
        .anonymous
        .post(app.url("/graphql"))
        .header("origin", &app.base)
        .json(&json!({"query": login, "variables": {"u": "admin", "p": tests::ADMIN_PASSWORD}}))
        .send()
        .await
        .unwrap();
    let set_cookie = res.headers()["set-cookie"].to_str().unwrap();
    set_cookie.split(';').next().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browsers_subscribe_with_their_session_cookie_from_pivots_pages_only() {
    let app = TestApp::sqlite().await;
    let cookie = sign_in(&app).await;
    // From Pivot's own page: the cookie counts.
    let mut ws = app
        .ws_open(
            "graphql-transport-ws",
            &[("cookie", cookie.clone()), ("origin", app.base.clone())],
        )
        .await;
    ws.send(json!({"type": "connection_init"})).await;
    ws.expect_type("connection_ack").await;
    ws.subscribe("c", CREATED, json!({})).await;
    subscribed(&app, 1).await;
    let a = alert(&app, "for the browser", "INFO", "10.0.0.1").await;
    assert_eq!(created_id(&ws.event("c").await), a);
    // Signing out ends the session, and with it the subscription.
    let out = app
        .anonymous
        .post(app.url("/graphql"))
        .header("origin", &app.base)
        .header("cookie", &cookie)
        .json(&json!({"query": "mutation { logout }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 200);
    alert(&app, "after logout", "INFO", "10.0.0.2").await;
    let e = ws.event("c").await;
    assert_eq!(e["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{e}");

    // From another site's page the cookie is ignored: no credentials.
    let cookie = sign_in(&app).await;
    let mut ws = app
        .ws_open(
            "graphql-transport-ws",
            &[("cookie", cookie), ("origin", "https://evil.example".into())],
        )
        .await;
    ws.send(json!({"type": "connection_init"})).await;
    assert_eq!(ws.closed().await.0, 4401);
}

/// Each connection's next event of operation `id`, as alert ids.
async fn each_receives(connections: &mut [&mut tests::ws::Ws], id: &str) -> Vec<String> {
    let mut got = Vec::new();
    for ws in connections.iter_mut() {
        got.push(created_id(&ws.event(id).await));
    }
    got
}

// Identical subscriptions (document, variables, rights) are resolved once per event, by
// their group; each member keeps its own resume, access check and end.
both_dbs!(identical_subscriptions_share_a_group, |app: TestApp| async move {
    let warning = json!({"f": {"severity": {"gte": "WARNING"}}});
    let (mut one, mut two, mut all) = (app.ws().await, app.ws().await, app.ws().await);
    one.subscribe("s", CREATED, warning.clone()).await;
    two.subscribe("s", CREATED, warning.clone()).await;
    all.subscribe("s", CREATED, json!({})).await;
    subscribed(&app, 3).await;
    assert_eq!(app.metric("pivot_live_groups").await, 2);

    let x1 = alert(&app, "x1", "ERROR", "10.0.0.1").await;
    let x2 = alert(&app, "x2", "INFO", "10.0.0.2").await;
    assert_eq!(
        each_receives(&mut [&mut one, &mut two], "s").await,
        [x1.as_str(), x1.as_str()]
    );
    assert_eq!(created_id(&all.event("s").await), x1);
    assert_eq!(created_id(&all.event("s").await), x2);

    // A subscriber resuming joins the same group: it replays what it missed, then
    // goes on live with the others, without gap or repeat.
    let x3 = alert(&app, "x3", "CRITICAL", "10.0.0.3").await;
    let mut late = app.ws().await;
    let mut resumed = warning.clone();
    resumed["after"] = json!(x1);
    late.subscribe("s", CREATED, resumed).await;
    assert_eq!(created_id(&late.event("s").await), x3);
    subscribed(&app, 4).await;
    assert_eq!(app.metric("pivot_live_groups").await, 2);
    let x4 = alert(&app, "x4", "WARNING", "10.0.0.4").await;
    assert_eq!(
        each_receives(&mut [&mut one, &mut two], "s").await,
        [x3.as_str(), x3.as_str()],
        "the live ones had x3 too"
    );
    assert_eq!(
        each_receives(&mut [&mut one, &mut two, &mut late], "s").await,
        [x4.as_str(), x4.as_str(), x4.as_str()]
    );
    late.quiet(Duration::from_millis(300)).await;

    // Two tokens of one user share a group; revoking one ends only its subscription.
    let first = app.user("pair", Role::Analyst, "").await;
    let created = app
        .gql_as(
            &first,
            "mutation { createApiToken(name: \"second\") { token } }",
            json!({}),
        )
        .await;
    let second = s(&created["data"]["createApiToken"]["token"]);
    let (mut a, mut b) = (app.ws_as(&first).await, app.ws_as(&second).await);
    a.subscribe("p", CREATED, json!({})).await;
    b.subscribe("p", CREATED, json!({})).await;
    subscribed(&app, 6).await;
    assert_eq!(app.metric("pivot_live_groups").await, 3);
    let tokens = app.gql_as(&first, "{ apiTokens { id name } }", json!({})).await;
    let first_id = tokens["data"]["apiTokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "tests")
        .unwrap()["id"]
        .clone();
    revoke(&app, &second, first_id).await;
    let x5 = alert(&app, "x5", "INFO", "10.0.0.5").await;
    let e = a.event("p").await;
    assert_eq!(e["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{e}");
    assert_eq!(a.expect_type("complete").await["id"], "p");
    assert_eq!(created_id(&b.event("p").await), x5);
    let x6 = alert(&app, "x6", "INFO", "10.0.0.6").await;
    assert_eq!(created_id(&b.event("p").await), x6);
});

// Subscribers with other rights are other groups: a user limited to one customer sees
// only that customer's cases on an alert, however many others subscribe alike.
both_dbs!(groups_keep_each_users_rights, |app: TestApp| async move {
    let limited = app.user("alpha-only", Role::Analyst, "").await;
    let mut customers = Vec::new();
    let mut cases = Vec::new();
    for name in ["Alpha", "Beta"] {
        let c = app
            .data(
                "mutation($n: String!) { createCustomer(name: $n) { id } }",
                json!({"n": name}),
            )
            .await;
        let customer = s(&c["createCustomer"]["id"]);
        let case = app
            .data(
                "mutation($i: CreateCaseInput!) { createCase(input: $i) { id } }",
                json!({"i": {"name": format!("{name} case"), "customerId": customer}}),
            )
            .await;
        customers.push(customer);
        cases.push(s(&case["createCase"]["id"]));
    }
    app.limit_to("alpha-only", json!([customers[0]])).await;

    let (mut admin, mut admin_too) = (app.ws().await, app.ws().await);
    let mut alpha = app.ws_as(&limited).await;
    for ws in [&mut admin, &mut admin_too, &mut alpha] {
        ws.subscribe("u", UPDATED, json!({})).await;
    }
    subscribed(&app, 3).await;
    assert_eq!(app.metric("pivot_live_groups").await, 2);
    let a = alert(&app, "linked twice", "INFO", "10.0.0.1").await;
    for case in &cases {
        app.data(
            "mutation($c: ID!, $a: [ID!]!) { attachAlerts(caseId: $c, alertIds: $a) { id } }",
            json!({"c": case, "a": [a]}),
        )
        .await;
    }
    let case_ids = |e: &Value| -> Vec<String> {
        let mut ids: Vec<String> = e["data"]["alertUpdated"]["alert"]["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| s(&c["id"]))
            .collect();
        ids.sort();
        ids
    };
    let mut both = cases.clone();
    both.sort();
    for ws in [&mut admin, &mut admin_too] {
        ws.event("u").await;
        assert_eq!(case_ids(&ws.event("u").await), both);
    }
    // Alpha's user hears of the attachment to Alpha's case only: the one to Beta's
    // case is none of its business.
    assert_eq!(case_ids(&alpha.event("u").await), [cases[0].clone()]);
    alpha.quiet(std::time::Duration::from_millis(300)).await;
});

// The protocol itself, once a connection is accepted: ping, queries and mutations over
// the socket, a client's `complete` (`stop` in the legacy protocol), and the close codes
// of messages out of place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_websocket_protocols_are_spoken_as_written() {
    let app = TestApp::sqlite().await;
    let mut ws = app.ws().await;
    ws.send(json!({"type": "ping", "payload": {"n": 1}})).await;
    let pong = ws.expect_type("pong").await;
    assert_eq!(pong["payload"]["n"], 1, "{pong}");

    ws.subscribe("q", "{ me { username } }", json!({})).await;
    assert_eq!(ws.event("q").await["data"]["me"]["username"], "admin");
    assert_eq!(ws.expect_type("complete").await["id"], "q");
    let i = json!({"kind": "host", "type": "t", "severity": "INFO", "title": "over the socket"});
    ws.subscribe("m", CREATE_ALERT, json!({ "i": i })).await;
    assert!(ws.event("m").await["data"]["createAlert"]["id"].is_string());
    assert_eq!(ws.expect_type("complete").await["id"], "m");
    // Bad documents answer with their errors, then complete.
    ws.subscribe("bad", "subscription { alertCreated { nope } }", json!({}))
        .await;
    let e = ws.event("bad").await;
    assert_eq!(e["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED", "{e}");
    assert_eq!(ws.expect_type("complete").await["id"], "bad");
    ws.subscribe(
        "two",
        "subscription { a: alertCreated { id } b: alertCreated { id } }",
        json!({}),
    )
    .await;
    let e = ws.event("two").await;
    assert!(!e["errors"].is_null(), "two root fields are refused: {e}");
    assert_eq!(ws.expect_type("complete").await["id"], "two");

    // A subscription the client completes stops; its id may then be used again.
    ws.subscribe("s", CREATED, json!({})).await;
    subscribed(&app, 1).await;
    ws.send(json!({"type": "complete", "id": "s"})).await;
    assert_eq!(ws.expect_type("complete").await["id"], "s");
    subscribed(&app, 0).await;

    app.until_metric("pivot_live_groups", 0).await;
    ws.subscribe("s", CREATED, json!({})).await;
    subscribed(&app, 1).await;
    let a = alert(&app, "again", "INFO", "10.0.0.1").await;
    assert_eq!(created_id(&ws.event("s").await), a);
    // An id already running closes the connection (graphql-transport-ws).
    ws.subscribe("s", CREATED, json!({})).await;
    assert_eq!(ws.closed().await.0, 4409);

    let mut ws = app.ws().await;
    ws.send(json!({"type": "connection_init"})).await;
    assert_eq!(ws.closed().await.0, 4429);
    let mut ws = app.ws().await;
    ws.send_text("{\"type\": \"subscribe\"}").await;
    assert_eq!(ws.closed().await.0, 4400);
    // A client's close is answered, with a subscription running or not.
    let mut ws = app.ws().await;
    ws.subscribe("s", CREATED, json!({})).await;
    ws.close(1000).await;
    assert_eq!(ws.closed().await.0, 1000);

    // The legacy protocol: `stop` ends an operation with `complete`.
    subscribed(&app, 0).await;
    let mut ws = app.ws_legacy().await;
    ws.subscribe("1", CREATED, json!({})).await;
    subscribed(&app, 1).await;
    ws.send(json!({"type": "stop", "id": "1"})).await;
    assert_eq!(ws.expect_type("complete").await["id"], "1");
    alert(&app, "after the stop", "INFO", "10.0.0.2").await;
    ws.quiet(Duration::from_millis(500)).await;
}
