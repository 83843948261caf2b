//! IPDR queries through Trisul's IPDR Query API and through GraphQL: the spec's
//! workflow and every error of its examples, NAT and IPv6 lookups, records that start
//! before the window, per-user contexts and queries, cancellation mid-run, a server
//! killed mid-query, and two servers sharing one queue.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use server::config::Config;
use server::domain::users::{self, Role};
use server::jobs::ipdr::Settings;
use tests::{pivot_binary, TestApp};

/// The spec's sample rows and their neighbours (UTC; Pivot's timezone is UTC here).
const RECORDS: &str = "\
Protocol,SrcIP,SrcPort,DestIP,DestPort,StartTime,EndTime,Duration,UserID,SubscriberID,NatIP,NatPort,DeviceIP
TCP,192.168.1.100,54321,203.0.113.50,443,2026-04-01 10:30:15,2026-04-01 10:32:15,120,user123,SUB-001,100.64.0.1,10234,10.0.0.1
TCP,192.168.1.100,54400,198.51.100.25,443,2026-04-01 11:45:30,,45,user123,SUB-001,100.64.0.1,10300,10.0.0.1
TCP,192.168.1.100,50000,203.0.113.7,22,2026-03-31 23:00:00,2026-04-01 01:00:00,7200,user123,SUB-001,100.64.0.1,10001,10.0.0.1
TCP,192.168.1.100,50001,203.0.113.7,22,2026-03-30 10:00:00,,60,user123,SUB-001,100.64.0.1,10002,10.0.0.1
UDP,10.0.0.5,5353,203.0.113.9,53,2026-04-09 13:00:00,,1.5,user456,SUB-002,100.64.0.2,20000,10.0.0.1
TCP,2001:db8::5,5555,2001:db8:ffff::1,443,2026-04-05 08:00:00,,30,user789,SUB-003,,,
";

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pivot-ipdr-{name}-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::SeqCst)
}

/// `pivot import ipdr FILE --context NAME` into the database at `url`.
fn import(url: &str, csv: &str, context: &str) {
    let dir = temp_dir("csv");
    let file = dir.join("records.csv");
    std::fs::write(&file, csv).unwrap();
    let out = Command::new(pivot_binary())
        .args(["import", "ipdr"])
        .arg(&file)
        .args(["--context", context, "--database", url])
        .env("PIVOT_LOG", "warn")
        .env_remove("PIVOT_TIMEZONE")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `n` records of 10.9.0.1 on 2026-04-02, one per second, with distinct source ports.
fn many(n: usize) -> String {
    let mut csv = String::from("Protocol,SrcIP,SrcPort,DestIP,DestPort,StartTime,Duration,SubscriberID\n");
    let day = chrono::DateTime::parse_from_rfc3339("2026-04-02T00:00:00Z").unwrap();
    for i in 0..n {
        let at = day + chrono::Duration::seconds(i as i64);
        csv.push_str(&format!(
            "TCP,10.9.0.1,{},198.51.100.1,443,{},5,SUB-{i}\n",
            1000 + i,
            at.format("%Y-%m-%d %H:%M:%S")
        ));
    }
    csv
}

/// A Trisul API client: every call sends `api_token` and `username` in its JSON body.
struct Trisul<'a> {
    app: &'a TestApp,
    token: String,
    username: String,
}

impl<'a> Trisul<'a> {
    fn admin(app: &'a TestApp) -> Self {
        Self {
            app,
            token: app.token.clone(),
            username: "admin".into(),
        }
    }

    async fn user(app: &'a TestApp, name: &str, role: Role) -> Trisul<'a> {
        let token = app.user(name, role, "").await;
        Trisul {
            app,
            token,
            username: name.into(),
        }
    }

    /// `method path` with these fields besides the credentials: (status, body).
    async fn call(&self, method: &str, path: &str, fields: Value) -> (u16, Value) {
        let mut body = json!({ "api_token": self.token, "username": self.username });
        body.as_object_mut()
            .unwrap()
            .extend(fields.as_object().cloned().unwrap_or_default());
        self.app.rest_as(None, method, path, Some(&body.to_string())).await
    }

    async fn submit(&self, fields: Value) -> i64 {
        let (status, body) = self.call("POST", "/api/ipdr_query/new", fields).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["status"], "SUCCESS");
        assert_eq!(body["message"], "Query submitted successfully");
        body["query_id"].as_i64().expect("a query_id")
    }

    /// `GET /api/ipdr_query/result` with these fields.
    async fn result(&self, fields: Value) -> (u16, Value) {
        self.call("GET", "/api/ipdr_query/result", fields).await
    }

    /// Submits a query in `context` and waits until it has finished: its ID.
    async fn run(&self, context: &str, mut fields: Value) -> i64 {
        fields["contextname"] = json!(context);
        let id = self.submit(fields).await;
        self.finished(context, id).await;
        id
    }

    /// Polls status until the query is COMPLETED (or CANCELED); the last status body.
    async fn finished(&self, context: &str, id: i64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (status, body) = self
                .call(
                    "GET",
                    "/api/ipdr_query/status",
                    json!({"contextname": context, "query_id": id}),
                )
                .await;
            assert_eq!(status, 200, "{body}");
            if matches!(body["CurrentStatus"].as_str(), Some("COMPLETED" | "CANCELED")) {
                return body;
            }
            assert!(Instant::now() < deadline, "query {id} did not finish: {body}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn error(body: &Value) -> &str {
    assert_eq!(body["status"], "ERROR", "{body}");
    body["message"].as_str().unwrap_or_default()
}

fn fast() -> Config {
    Config {
        ipdr: Settings {
            poll: Duration::from_millis(100),
            ..Settings::default()
        },
        ..Config::default()
    }
}

/// The spec's workflow: new, status until COMPLETED, result with and without headers,
/// list, and cancel of a finished query; lookups by NAT and device address, IPv6, and a
/// record that began before the window.
async fn workflow(app: TestApp) {
    import(&app.database_url, RECORDS, "ipdr");
    let t = Trisul::admin(&app);
    let window = json!({"contextname": "ipdr", "ip": "192.168.1.100",
        "from_time": "01-04-2026 00:00:00", "to_time": "10-04-2026 23:59:59"});
    let id = t.submit(window.clone()).await;
    let done = t.finished("ipdr", id).await;
    assert_eq!(
        done,
        json!({"status": "SUCCESS", "QueryStatusMessage": "Query completed successfully",
            "CurrentStatus": "COMPLETED", "ip": "192.168.1.100",
            "from_time": "01-04-2026 00:00:00", "to_time": "10-04-2026 23:59:59"})
    );

    // All 13 columns, in start order: the record from 23:00 the day before reaches into
    // the window; the one of 30 March does not.
    let (status, body) = t.result(json!({"contextname": "ipdr", "query_id": id})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["CurrentStatus"], "COMPLETED");
    assert_eq!(body["QueryStatusMessage"], "Query completed successfully");
    assert_eq!(body["from_time"], "01-04-2026 00:00:00");
    let rows = body["rows"].as_array().unwrap();
    let starts: Vec<&str> = rows.iter().map(|r| r["StartTime"].as_str().unwrap()).collect();
    assert_eq!(
        starts,
        ["2026-03-31 23:00:00", "2026-04-01 10:30:15", "2026-04-01 11:45:30"]
    );
    assert_eq!(
        rows[1],
        json!({"Protocol": "TCP", "SrcIP": "192.168.1.100", "SrcPort": "54321", "DestIP": "203.0.113.50",
            "DestPort": "443", "StartTime": "2026-04-01 10:30:15", "EndTime": "2026-04-01 10:32:15",
            "Duration": "120", "UserID": "user123", "SubscriberID": "SUB-001", "NatIP": "100.64.0.1",
            "NatPort": "10234", "DeviceIP": "10.0.0.1"})
    );

    // The spec's header selection: those columns only, in each row.
    let (status, body) = t
        .result(json!({"contextname": "ipdr", "query_id": id, "headers": ["SrcIP", "DestIP", "StartTime", "Duration"]}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["rows"][2],
        json!({"SrcIP": "192.168.1.100", "DestIP": "198.51.100.25", "StartTime": "2026-04-01 11:45:30", "Duration": "45"})
    );

    // The public NAT address finds the subscriber behind it; the device finds all of
    // its records; IPv6 works the same.
    let nat = t
        .run(
            "ipdr",
            json!({"ip": "100.64.0.2",
            "from_time": "09-04-2026 00:00:00", "to_time": "09-04-2026 23:59:59"}),
        )
        .await;
    let (_, body) = t
        .result(json!({"contextname": "ipdr", "query_id": nat, "headers": ["SubscriberID", "SrcIP", "Duration", "EndTime"]}))
        .await;
    assert_eq!(
        body["rows"],
        json!([{"SubscriberID": "SUB-002", "SrcIP": "10.0.0.5", "Duration": "1.5", "EndTime": "2026-04-09 13:00:01"}])
    );
    let v6 = t
        .run(
            "ipdr",
            json!({"ip": "2001:db8::5",
            "from_time": "05-04-2026 00:00:00", "to_time": "05-04-2026 23:59:59"}),
        )
        .await;
    let (_, body) = t.result(json!({"contextname": "ipdr", "query_id": v6})).await;
    assert_eq!(body["rows"][0]["DestIP"], "2001:db8:ffff::1");
    assert_eq!(body["rows"][0]["NatIP"], "", "no NAT: an empty column");

    // The list: most recent first, `count` of them, with Trisul's field names.
    let (status, body) = t
        .call(
            "GET",
            "/api/ipdr_query/list",
            json!({"contextname": "ipdr", "count": 2}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let ids: Vec<i64> = body["ipdr_controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [v6, nat]);
    assert_eq!(
        body["ipdr_controls"][0],
        json!({"id": v6, "QueryIP": "2001:db8::5", "QueryWindowStart": "05-04-2026 00:00:00",
            "QueryWindowEnd": "05-04-2026 23:59:59", "CurrentStatus": "COMPLETED",
            "StatusMessage": "Query completed successfully"})
    );

    // A finished query cannot be canceled: 409, saying where it stands.
    let (status, body) = t
        .call(
            "PUT",
            "/api/ipdr_query/cancel",
            json!({"contextname": "ipdr", "query_id": id}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(
        body,
        json!({"status": "ERROR", "message": "Query is not in NEW or INPROGRESS state", "ip": "192.168.1.100",
            "CurrentStatus": "COMPLETED", "QueryStatusMessage": "Query completed successfully",
            "from_time": "01-04-2026 00:00:00", "to_time": "10-04-2026 23:59:59"})
    );

    // The same through GraphQL: the query as a node, its records as a connection.
    let gid = server::domain::ids::encode(server::domain::ids::Kind::IpdrQuery, id);
    let data = app
        .data(
            "query($id: ID!) { node(id: $id) { ... on IpdrQuery { number context ip status found progress
                resultAvailable owner { username } records(first: 2) { totalCount pageInfo { hasNextPage }
                nodes { srcIp natIp natPort startTime duration subscriberId } } } } }",
            json!({"id": gid}),
        )
        .await;
    let q = &data["node"];
    assert_eq!(
        (
            &q["number"],
            &q["context"],
            &q["status"],
            &q["found"],
            &q["progress"],
            &q["resultAvailable"]
        ),
        (
            &json!(id),
            &json!("ipdr"),
            &json!("COMPLETED"),
            &json!(3),
            &json!(1.0),
            &json!(true)
        )
    );
    assert_eq!(q["owner"]["username"], "admin");
    assert_eq!(q["records"]["totalCount"], 3);
    assert_eq!(q["records"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(
        q["records"]["nodes"][1],
        json!({"srcIp": "192.168.1.100", "natIp": "100.64.0.1", "natPort": 10234,
            "startTime": "2026-04-01T10:30:15+00:00", "duration": 120.0, "subscriberId": "SUB-001"})
    );

    // Host → IPDR records: where the host's address appears, in every context.
    let data = app
        .data(
            "mutation { createHost(input: {ip: \"100.64.0.1\"}) { ipdrRecords(window: {from: \"2026-04-01T00:00:00Z\"}) {
                totalCount nodes { srcIp srcPort } } } }",
            json!({}),
        )
        .await;
    let records = &data["createHost"]["ipdrRecords"];
    assert_eq!(records["totalCount"], 3, "{records}");

    // GraphQL submission, followed by polling the node.
    let data = app
        .data(
            "mutation { submitIpdrQuery(input: {context: \"ipdr\", ip: \"10.0.0.1\",
                from: \"2026-04-01T00:00:00Z\", to: \"2026-04-30T00:00:00Z\"}) { id status } }",
            json!({}),
        )
        .await;
    let gid = tests::s(&data["submitIpdrQuery"]["id"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let d = app
            .data(
                "query($id: ID!) { node(id: $id) { ... on IpdrQuery { status found } } }",
                json!({"id": gid}),
            )
            .await;
        if d["node"]["status"] == "COMPLETED" {
            assert_eq!(d["node"]["found"], 4, "the device reported four records in April");
            break;
        }
        assert!(Instant::now() < deadline, "{d}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

tests::both_dbs!(workflow_and_lookups, workflow);

/// Every error example of the spec, and what the spec leaves open refused clearly.
async fn errors(app: TestApp) {
    import(&app.database_url, RECORDS, "ipdr");
    let t = Trisul::admin(&app);
    let new = "/api/ipdr_query/new";
    let window =
        |ip: Value, from: Value, to: Value| json!({"contextname": "ipdr", "ip": ip, "from_time": from, "to_time": to});
    let (f, to) = (json!("01-04-2026 00:00:00"), json!("10-04-2026 23:59:59"));

    // Credentials.
    let (status, body) = app
        .rest_as(
            None,
            "GET",
            "/api/ipdr_query/list",
            Some(r#"{"api_token": "nope", "username": "admin"}"#),
        )
        .await;
    assert_eq!((status, error(&body)), (401, "Invalid API token"));
    let (status, body) = app
        .rest_as(None, "GET", "/api/ipdr_query/list", Some(r#"{"username": "admin"}"#))
        .await;
    assert_eq!((status, error(&body)), (401, "Invalid API token"));
    let other = Trisul {
        app: &app,
        token: app.token.clone(),
        username: "someone".into(),
    };
    let (status, body) = other.call("GET", "/api/ipdr_query/list", json!({})).await;
    assert_eq!(
        (status, error(&body)),
        (401, "Invalid API token"),
        "a token is its user's"
    );

    // New.
    let cases = [
        (
            json!({"contextname": "ipdr", "from_time": f, "to_time": to}),
            "IP address is required",
        ),
        (
            window(json!("192.168.1.999"), f.clone(), to.clone()),
            "Invalid IP address",
        ),
        (
            json!({"contextname": "ipdr", "ip": "10.0.0.1", "to_time": to}),
            "From time is required",
        ),
        (
            window(json!("10.0.0.1"), json!("2026-04-01 00:00:00"), to.clone()),
            "Invalid from time. Please use the format DD-MM-YYYY HH:MM:SS",
        ),
        (
            json!({"contextname": "ipdr", "ip": "10.0.0.1", "from_time": f}),
            "To time is required",
        ),
        (
            window(json!("10.0.0.1"), f.clone(), json!("31-04-2026 00:00:00")),
            "Invalid to time. Please use the format DD-MM-YYYY HH:MM:SS",
        ),
        (
            window(json!("10.0.0.1"), to.clone(), f.clone()),
            "To time must not be before from time",
        ),
        (window(json!(17), f.clone(), to.clone()), "Invalid IP address"),
        (
            window(json!("10.0.0.1"), json!(1775001600), to.clone()),
            "Invalid from time. Please use the format DD-MM-YYYY HH:MM:SS",
        ),
    ];
    for (fields, message) in cases {
        let (status, body) = t.call("POST", new, fields.clone()).await;
        assert_eq!((status, error(&body)), (400, message), "{fields}");
    }
    let (status, body) = t
        .call(
            "POST",
            new,
            json!({"ip": "10.0.0.1", "from_time": f, "to_time": to, "extra": 1}),
        )
        .await;
    assert_eq!((status, error(&body)), (400, "Unknown fields: extra"));
    let (status, body) = app.rest_as(None, "POST", new, Some("{not json")).await;
    assert_eq!(status, 400);
    assert!(error(&body).contains("not valid JSON"), "{body}");

    // Contexts: unknown, and not the user's.
    let (status, body) = t
        .call(
            "POST",
            new,
            json!({"contextname": "nope", "ip": "10.0.0.1", "from_time": f, "to_time": to}),
        )
        .await;
    assert_eq!((status, error(&body)), (404, "Context nope not found"));
    let limited = Trisul::user(&app, "limited", Role::Analyst).await;
    app.data(
        "mutation($id: ID!) { updateUser(id: $id, input: {ipdrContexts: [\"default\"]}) { ipdrContexts } }",
        json!({"id": app.user_id("limited").await}),
    )
    .await;
    let (status, body) = limited
        .call("POST", new, window(json!("10.0.0.1"), f.clone(), to.clone()))
        .await;
    assert_eq!(
        (status, error(&body)),
        (403, "You are not allowed to access the context ipdr")
    );
    let (status, body) = limited
        .call("GET", "/api/ipdr_query/list", json!({"contextname": "ipdr"}))
        .await;
    assert_eq!(
        (status, error(&body)),
        (403, "You are not allowed to access the context ipdr")
    );
    // `context0` is `default`, which this user may reach.
    let (status, body) = limited
        .call("GET", "/api/ipdr_query/list", json!({"contextname": "context0"}))
        .await;
    assert_eq!((status, body["ipdr_controls"].clone()), (200, json!([])), "{body}");

    // Status, result and cancel of missing, foreign and malformed query IDs.
    let id = t.submit(window(json!("192.168.1.100"), f.clone(), to.clone())).await;
    t.finished("ipdr", id).await;
    // An administrator limited to `default` lists no query of `ipdr`, not even in
    // everyone's list.
    let boss = app.user("boss", Role::Admin, "").await;
    app.data(
        "mutation($id: ID!) { updateUser(id: $id, input: {ipdrContexts: [\"default\"]}) { ipdrContexts } }",
        json!({"id": app.user_id("boss").await}),
    )
    .await;
    let listed = app
        .gql_as(&boss, "{ ipdrQueries(first: 100) { nodes { number } } }", json!({}))
        .await;
    assert_eq!(listed["data"]["ipdrQueries"]["nodes"], json!([]), "{listed}");
    let all = app
        .data("{ ipdrQueries(first: 100) { nodes { number } } }", json!({}))
        .await;
    assert!(
        all["ipdrQueries"]["nodes"]
            .as_array()
            .unwrap()
            .contains(&json!({"number": id})),
        "{all}"
    );
    for (method, path) in [
        ("GET", "/api/ipdr_query/status"),
        ("GET", "/api/ipdr_query/result"),
        ("PUT", "/api/ipdr_query/cancel"),
    ] {
        let (status, body) = t.call(method, path, json!({"contextname": "ipdr"})).await;
        assert_eq!((status, error(&body)), (400, "Query ID is required"), "{path}");
        let (status, body) = t
            .call(method, path, json!({"contextname": "ipdr", "query_id": 99999}))
            .await;
        assert_eq!((status, error(&body)), (404, "Query ID not found"), "{path}");
        let (status, body) = t
            .call(method, path, json!({"contextname": "ipdr", "query_id": "three"}))
            .await;
        assert_eq!((status, error(&body)), (400, "Query ID must be an integer"), "{path}");
        // A query of another context is not found in this one.
        let (status, body) = t.call(method, path, json!({"query_id": id})).await;
        assert_eq!((status, error(&body)), (404, "Query ID not found"), "{path}");
        let (status, body) = t
            .call(method, path, json!({"contextname": "nope", "query_id": id}))
            .await;
        assert_eq!((status, error(&body)), (404, "Context nope not found"), "{path}");
    }
    let analyst = Trisul::user(&app, "analyst", Role::Analyst).await;
    for (method, path) in [
        ("GET", "/api/ipdr_query/status"),
        ("GET", "/api/ipdr_query/result"),
        ("PUT", "/api/ipdr_query/cancel"),
    ] {
        let (status, body) = analyst
            .call(method, path, json!({"contextname": "ipdr", "query_id": id}))
            .await;
        assert_eq!(
            (status, error(&body)),
            (403, "You are not authorized to access this query"),
            "{path}"
        );
    }
    // The analyst's own list does not show the admin's queries.
    let (_, body) = analyst
        .call("GET", "/api/ipdr_query/list", json!({"contextname": "ipdr"}))
        .await;
    assert_eq!(body["ipdr_controls"], json!([]));

    // Headers.
    let result = "/api/ipdr_query/result";
    let (status, body) = t
        .call(
            "GET",
            result,
            json!({"contextname": "ipdr", "query_id": id, "headers": "SrcIP"}),
        )
        .await;
    assert_eq!((status, error(&body)), (400, "Headers should be an array"));
    let (status, body) = t
        .call(
            "GET",
            result,
            json!({"contextname": "ipdr", "query_id": id, "headers": ["SrcIP", "InvalidColumn", "AnotherBadColumn"]}),
        )
        .await;
    assert_eq!(
        (status, error(&body)),
        (400, "Invalid headers: InvalidColumn, AnotherBadColumn")
    );

    // Query-string parameters work as body fields do.
    let path = format!(
        "/api/ipdr_query/status?api_token={}&username=admin&contextname=ipdr&query_id={id}",
        app.token
    );
    let res = app.anonymous.get(app.url(&path)).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["CurrentStatus"], "COMPLETED");

    // A completed query whose result went missing.
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared(&format!("DELETE FROM ipdr_query_rows WHERE query_id = {id}"))
        .await
        .unwrap();
    let (status, body) = t
        .call("GET", result, json!({"contextname": "ipdr", "query_id": id}))
        .await;
    assert_eq!((status, error(&body)), (404, "Result not found"));

    // Unknown routes, and methods the spec does not give.
    let (status, body) = t.call("GET", "/api/ipdr_query/nothing", json!({})).await;
    assert_eq!((status, error(&body)), (404, "not found"));
    let (status, _) = t
        .call("DELETE", "/api/ipdr_query/cancel", json!({"query_id": id}))
        .await;
    assert_eq!(status, 405);

    // The record of an IPDR import (its file, context and counts) is IPDR's too: seen
    // with read access to IPDR, and in the contexts one reaches.
    let ipdr_imports = r#"{ imports(filter: {format: {eq: "ipdr"}}) { totalCount nodes { context via } } }"#;
    let d = app.data(ipdr_imports, json!({})).await;
    assert_eq!(d["imports"]["nodes"], json!([{"context": "ipdr", "via": "cli"}]), "{d}");
    // A context is named as the routes name it: trimmed, `context0` for `default`.
    let d = app
        .data(
            r#"{ imports(filter: {context: {in: [" ipdr ", "context0"]}}) { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(d["imports"]["totalCount"], 1, "{d}");
    let d = app.gql_as(&limited.token, ipdr_imports, json!({})).await;
    assert_eq!(d["data"]["imports"]["totalCount"], 0, "{d}");

    // Viewers reach IPDR only by an extra grant (subscriber identities are personal data).
    let viewer = Trisul::user(&app, "viewer", Role::Viewer).await;
    let d = app.gql_as(&viewer.token, ipdr_imports, json!({})).await;
    assert_eq!(d["data"]["imports"]["totalCount"], 0, "{d}");
    let (status, body) = viewer.call("GET", "/api/ipdr_query/list", json!({})).await;
    assert_eq!(
        (status, error(&body)),
        (403, "permission denied: ipdr read access is required")
    );
    app.data(
        "mutation($id: ID!) { updateUser(id: $id, input: {capabilities: [\"ipdr:read\"]}) { id } }",
        json!({"id": app.user_id("viewer").await}),
    )
    .await;
    let (status, body) = viewer.call("GET", "/api/ipdr_query/list", json!({})).await;
    assert_eq!(status, 200, "{body}");
    let d = app.gql_as(&viewer.token, ipdr_imports, json!({})).await;
    assert_eq!(d["data"]["imports"]["totalCount"], 1, "{d}");
}

tests::both_dbs!(spec_errors, errors);

/// Without workers, queries stay NEW: the result is not ready (409), a NEW query can be
/// canceled once, and its (empty) result is then readable.
async fn cancel_new(app: TestApp) {
    let t = Trisul::admin(&app);
    let id = t
        .submit(json!({"ip": "10.0.0.1", "from_time": "01-04-2026 00:00:00", "to_time": "02-04-2026 00:00:00"}))
        .await;
    let (status, body) = t.result(json!({"query_id": id})).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(
        body,
        json!({"status": "ERROR", "message": "Query is not completed", "CurrentStatus": "NEW",
            "QueryStatusMessage": "Query submitted, waiting to be processed", "ip": "10.0.0.1",
            "from_time": "01-04-2026 00:00:00", "to_time": "02-04-2026 00:00:00"})
    );
    let (status, body) = t.call("PUT", "/api/ipdr_query/cancel", json!({"query_id": id})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"status": "SUCCESS", "message": "Query cancelled successfully", "ip": "10.0.0.1",
            "from_time": "01-04-2026 00:00:00", "to_time": "02-04-2026 00:00:00"})
    );
    let (status, body) = t.call("PUT", "/api/ipdr_query/cancel", json!({"query_id": id})).await;
    assert_eq!(
        (status, body["CurrentStatus"].clone()),
        (409, json!("CANCELED")),
        "{body}"
    );
    let (status, body) = t.result(json!({"query_id": id})).await;
    assert_eq!(
        (status, &body["CurrentStatus"], &body["rows"]),
        (200, &json!("CANCELED"), &json!([]))
    );
}

fn no_workers() -> Config {
    Config {
        ipdr: Settings {
            workers: 0,
            ..Settings::default()
        },
        ..Config::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_new_sqlite() {
    cancel_new(TestApp::sqlite_with(no_workers()).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_new_postgres() {
    cancel_new(TestApp::postgres_with(no_workers()).await).await;
}

/// Small batches, so that a query of many records runs long enough to be interrupted.
fn slow() -> Config {
    Config {
        ipdr: Settings {
            batch: 5,
            poll: Duration::from_millis(100),
            ..Settings::default()
        },
        ..Config::default()
    }
}

const MANY: usize = 20_000;

/// A query canceled mid-run stops: CANCELED, its result what was found until then.
async fn cancel_running(app: TestApp) {
    import(&app.database_url, &many(MANY), "default");
    let t = Trisul::admin(&app);
    let id = t
        .submit(json!({"ip": "10.9.0.1", "from_time": "02-04-2026 00:00:00", "to_time": "02-04-2026 23:59:59"}))
        .await;
    let gid = server::domain::ids::encode(server::domain::ids::Kind::IpdrQuery, id);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let d = app
            .data(
                "query($id: ID!) { node(id: $id) { ... on IpdrQuery { status found } } }",
                json!({"id": gid}),
            )
            .await;
        if d["node"]["status"] == "INPROGRESS" && d["node"]["found"].as_i64() > Some(0) {
            break;
        }
        assert!(Instant::now() < deadline && d["node"]["status"] != "COMPLETED", "{d}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (status, body) = t.call("PUT", "/api/ipdr_query/cancel", json!({"query_id": id})).await;
    assert_eq!(status, 200, "{body}");
    let first = standing(&app, &gid).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let later = standing(&app, &gid).await;
    assert_eq!(first, later, "nothing is written after the cancellation");
    assert_eq!(later.0, "CANCELED");
    assert!(later.1 > 0 && (later.1 as usize) < MANY, "{later:?}");
    assert_eq!(later.1, later.2, "the result holds what was found");
    let (status, body) = t.result(json!({"query_id": id, "headers": ["SrcPort"]})).await;
    assert_eq!((status, body["rows"].as_array().unwrap().len() as i64), (200, later.1));
}

/// A query's status, records found and result rows kept.
async fn standing(app: &TestApp, gid: &str) -> (Value, i64, i64) {
    let d = app
        .data(
            "query($id: ID!) { node(id: $id) { ... on IpdrQuery { status found records(first: 1) { totalCount } } } }",
            json!({"id": gid}),
        )
        .await;
    let q = &d["node"];
    (
        q["status"].clone(),
        q["found"].as_i64().unwrap(),
        q["records"]["totalCount"].as_i64().unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_running_sqlite() {
    cancel_running(TestApp::sqlite_with(slow()).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_running_postgres() {
    cancel_running(TestApp::postgres_with(slow()).await).await;
}

/// A `pivot serve` process on `url`, with small batches and a short lease.
struct Served {
    child: Child,
    base: String,
}

impl Served {
    async fn start(url: &str) -> Self {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let child = Command::new(pivot_binary())
            .arg("serve")
            .env("PIVOT_DATABASE_URL", url)
            .env("PIVOT_LISTEN", format!("127.0.0.1:{port}"))
            .env("PIVOT_ADMIN_PASSWORD", tests::ADMIN_PASSWORD)
            .env("PIVOT_IPDR_BATCH", "25")
            .env("PIVOT_IPDR_LEASE", "2")
            .env("PIVOT_LOG", "warn")
            .env_remove("PIVOT_TIMEZONE")
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(60);
        while reqwest::get(format!("{base}/healthz")).await.is_err() {
            assert!(Instant::now() < deadline, "pivot serve did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self { child, base }
    }

    async fn call(&self, token: &str, method: &str, path: &str, fields: Value) -> Value {
        let mut body = json!({"api_token": token, "username": "admin"});
        body.as_object_mut()
            .unwrap()
            .extend(fields.as_object().cloned().unwrap());
        let res = reqwest::Client::new()
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                format!("{}{path}", self.base),
            )
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        res.json().await.unwrap()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A server killed (SIGKILL) mid-query, and another started: the query completes,
/// every matching record once.
async fn killed_mid_query(url: String) {
    let first = Served::start(&url).await;
    let (db, _) = server::db::connect(&url, None).await.unwrap();
    let admin = users::by_name(&db, "admin").await.unwrap();
    let (_, token) = users::create_token(&db, admin.id, "tests", None).await.unwrap();
    import(&url, &many(MANY), "default");
    let submitted = first
        .call(
            &token,
            "POST",
            "/api/ipdr_query/new",
            json!({"ip": "10.9.0.1", "from_time": "02-04-2026 00:00:00", "to_time": "02-04-2026 23:59:59"}),
        )
        .await;
    let id = submitted["query_id"].as_i64().unwrap_or_else(|| panic!("{submitted}"));
    let found = |db: sea_orm::DatabaseConnection| async move {
        use sea_orm::EntityTrait;
        entities::ipdr_query::Entity::find_by_id(id)
            .one(&db)
            .await
            .unwrap()
            .unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let q = found(db.clone()).await;
        if q.found > 0 {
            assert_eq!(q.status, "INPROGRESS");
            break;
        }
        assert!(Instant::now() < deadline, "{q:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(first); // SIGKILL
    let cut = found(db.clone()).await;
    assert!(cut.status == "INPROGRESS" && (cut.found as usize) < MANY, "{cut:?}");

    let second = Served::start(&url).await;
    let deadline = Instant::now() + Duration::from_secs(120);
    let done = loop {
        let body = second
            .call(&token, "GET", "/api/ipdr_query/status", json!({"query_id": id}))
            .await;
        if body["CurrentStatus"] == "COMPLETED" {
            break found(db.clone()).await;
        }
        assert!(Instant::now() < deadline, "{body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(done.found as usize, MANY);
    assert_eq!(done.attempts, 2, "claimed again once");
    use sea_orm::{ConnectionTrait, Statement};
    let row = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COUNT(*) AS n, COUNT(DISTINCT src_port) AS d FROM ipdr_query_rows WHERE query_id = {id}"),
        ))
        .await
        .unwrap()
        .unwrap();
    let (n, d): (i64, i64) = (row.try_get("", "n").unwrap(), row.try_get("", "d").unwrap());
    assert_eq!((n as usize, d as usize), (MANY, MANY), "each record once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_query_sqlite() {
    let dir = temp_dir("killed");
    killed_mid_query(tests::migrated_sqlite(&dir)).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_query_postgres() {
    let db = tests::postgres_scratch().await;
    killed_mid_query(db.url.clone()).await;
}

/// Two servers on one PostgreSQL database share the queue: a query submitted to a
/// server without workers is run by the other, and twenty queries submitted to both
/// each run once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_share_the_queue() {
    let a = TestApp::postgres_with(fast()).await;
    import(&a.database_url, RECORDS, "ipdr");
    let b = TestApp::start_on(&a.database_url, no_workers()).await;
    let on_b = Trisul::admin(&b);
    let window = json!({"contextname": "ipdr", "ip": "192.168.1.100",
        "from_time": "01-04-2026 00:00:00", "to_time": "10-04-2026 23:59:59"});
    let id = on_b.submit(window.clone()).await;
    on_b.finished("ipdr", id).await;

    let c = TestApp::start_on(&a.database_url, fast()).await;
    let (on_a, on_c) = (Trisul::admin(&a), Trisul::admin(&c));
    let mut ids = Vec::new();
    for n in 0..20 {
        let client = if n % 2 == 0 { &on_a } else { &on_c };
        ids.push(client.submit(window.clone()).await);
    }
    for id in &ids {
        on_a.finished("ipdr", *id).await;
    }
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let queries = entities::ipdr_query::Entity::find()
        .filter(entities::ipdr_query::Column::Id.is_in(ids.clone()))
        .all(&a.db)
        .await
        .unwrap();
    assert_eq!(queries.len(), 20);
    for q in &queries {
        assert_eq!((q.status.as_str(), q.attempts, q.found), ("COMPLETED", 1, 3), "{q:?}");
    }
    let rows = tests::rows_in(&a.db, "ipdr_query_rows").await;
    assert_eq!(rows, 21 * 3, "every query's rows once");
}

/// `pivot <args> --database URL`, which must succeed: its standard output.
fn pivot(url: &str, args: &[&str]) -> String {
    let out = Command::new(pivot_binary())
        .args(args)
        .args(["--database", url])
        .env("PIVOT_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Zeek's flows are the records of the `flows` context: protocol, addresses, ports and
/// times, no NAT columns; that context takes no imported records.
async fn zeek_flows(app: TestApp) {
    let log = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/ivre-test-samples/mongo_conn.log");
    pivot(&app.database_url, &["import", "zeek", log.to_str().unwrap()]);
    let text = std::fs::read_to_string(&log).unwrap();
    let expected = text
        .lines()
        .filter(|l| !l.starts_with('#') && l.split('\t').any(|f| f == "192.168.4.10"))
        .count();
    assert!(expected > 10);
    let t = Trisul::admin(&app);
    let id = t
        .run(
            "flows",
            json!({"ip": "192.168.4.10",
            "from_time": "12-11-2019 00:00:00", "to_time": "12-11-2019 23:59:59"}),
        )
        .await;
    let (status, body) = t.result(json!({"contextname": "flows", "query_id": id})).await;
    assert_eq!(status, 200, "{body}");
    let rows = body["rows"].as_array().unwrap();
    assert_eq!(rows.len(), expected);
    let row = rows
        .iter()
        .find(|r| r["SrcPort"] == "44220")
        .expect("the fixture's flow from port 44220");
    assert_eq!(
        *row,
        json!({"Protocol": "TCP", "SrcIP": "192.168.4.11", "SrcPort": "44220", "DestIP": "192.168.4.10",
            "DestPort": "27017", "StartTime": "2019-11-12 10:13:06", "EndTime": "2019-11-12 10:13:07",
            "Duration": "0.525", "UserID": "", "SubscriberID": "", "NatIP": "", "NatPort": "", "DeviceIP": ""})
    );

    let dir = temp_dir("flows");
    let file = dir.join("r.csv");
    std::fs::write(&file, RECORDS).unwrap();
    let out = Command::new(pivot_binary())
        .args(["import", "ipdr"])
        .arg(&file)
        .args(["--context", "flows", "--database", &app.database_url])
        .env("PIVOT_LOG", "warn")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the flows context reads flows and takes no IPDR records"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

tests::both_dbs!(flows_context, zeek_flows);

/// Records of this month and of the two before it (partitions are kept ready around
/// the current month): (the CSV, the first day of each month, newest first).
fn recent() -> (String, [chrono::DateTime<chrono::Utc>; 3]) {
    use chrono::{Datelike, TimeZone};
    let now = chrono::Utc::now();
    let month = |back: i32| {
        let m = now.year() * 12 + now.month0() as i32 - back;
        chrono::Utc
            .with_ymd_and_hms(m.div_euclid(12), m.rem_euclid(12) as u32 + 1, 1, 0, 0, 0)
            .unwrap()
    };
    let months = [month(0), month(1), month(2)];
    let mut csv = String::from("Protocol,SrcIP,DestIP,StartTime,Duration,NatIP\n");
    for (i, m) in months.iter().enumerate() {
        for n in 0..=i {
            let at = *m + chrono::Duration::hours(1 + n as i64);
            csv.push_str(&format!(
                "TCP,10.1.1.{n},198.51.100.1,{},60,100.64.0.1\n",
                at.format("%Y-%m-%d %H:%M:%S")
            ));
        }
    }
    (csv, months)
}

fn partition(month: chrono::DateTime<chrono::Utc>) -> String {
    format!("ipdr_records_p{}", month.format("%Y%m"))
}

/// Lookups are index range scans: one per address column, each on (context, address,
/// start) — on PostgreSQL in the partition of the month only.
async fn lookups_use_the_indexes(app: TestApp) {
    use sea_orm::{ConnectionTrait, EntityTrait, Statement};
    let (csv, months) = recent();
    import(&app.database_url, &csv, "ipdr");
    let context = entities::ipdr_context::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.name == "ipdr")
        .unwrap();
    let day = months[1];
    let q = entities::ipdr_query::Model {
        id: 1,
        user_id: 1,
        context_id: context.id,
        ip: server::domain::ip::to_key("100.64.0.1".parse().unwrap()),
        from_time: day + chrono::Duration::hours(2),
        to_time: day + chrono::Duration::hours(23),
        status: "INPROGRESS".into(),
        message: String::new(),
        found: 0,
        cursor_time: None,
        cursor_id: None,
        claimed_by: None,
        heartbeat_at: None,
        attempts: 1,
        created_at: day,
        started_at: None,
        finished_at: None,
    };
    let backend = app.db.get_database_backend();
    let lookup = backend.build(&server::domain::ipdr::records_lookup(&q, &context, None, 1000));
    let plan: Vec<String> = if backend == sea_orm::DbBackend::Sqlite {
        let explain = Statement::from_sql_and_values(
            backend,
            format!("EXPLAIN QUERY PLAN {}", lookup.sql),
            lookup.values.unwrap(),
        );
        app.db
            .query_all(explain)
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<String>("", "detail").unwrap())
            .collect()
    } else {
        // Tiny tables would be read whole: the question is whether the index can serve.
        let tx = sea_orm::TransactionTrait::begin(&app.db).await.unwrap();
        tx.execute_unprepared("SET LOCAL enable_seqscan = off").await.unwrap();
        let explain =
            Statement::from_sql_and_values(backend, format!("EXPLAIN {}", lookup.sql), lookup.values.unwrap());
        tx.query_all(explain)
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<String>("", "QUERY PLAN").unwrap())
            .collect()
    };
    let text = plan.join("\n");
    assert!(
        !text.contains("Seq Scan") && !text.contains("SCAN ipdr_records"),
        "{text}"
    );
    if backend == sea_orm::DbBackend::Sqlite {
        for index in ["src", "dst", "nat", "device"] {
            assert!(
                text.contains(&format!(
                    "SEARCH ipdr_records USING INDEX ix_ipdr_records_{index} (context_id=? AND "
                )),
                "{text}"
            );
        }
        assert!(
            text.contains("start_time>? AND start_time<?"),
            "a range on the start: {text}"
        );
    } else {
        assert!(text.contains(&partition(months[1])), "the month's partition: {text}");
        assert!(
            !text.contains(&partition(months[0])) && !text.contains("ipdr_records_default"),
            "{text}"
        );
        assert_eq!(
            text.matches("Index Scan").count() + text.matches("Index Only Scan").count(),
            4,
            "{text}"
        );
    }
}

tests::both_dbs!(lookup_plans, lookups_use_the_indexes);

/// Monthly partitions on PostgreSQL, ready before the records arrive; `pivot ipdr prune`
/// drops whole months (deletes rows on SQLite), and query results stay.
async fn partitions_and_retention(app: TestApp) {
    use sea_orm::{ConnectionTrait, Statement};
    let (csv, months) = recent();
    import(&app.database_url, &csv, "ipdr");
    let t = Trisul::admin(&app);
    let window = |t: chrono::DateTime<chrono::Utc>| t.format("%d-%m-%Y %H:%M:%S").to_string();
    let id = t
        .run(
            "ipdr",
            json!({"ip": "100.64.0.1",
            "from_time": window(months[2]), "to_time": window(months[0] + chrono::Duration::days(1))}),
        )
        .await;
    let pg = app.db.get_database_backend() == sea_orm::DbBackend::Postgres;
    let partitions = || async {
        let rows = app
            .db
            .query_all(Statement::from_string(
                sea_orm::DbBackend::Postgres,
                "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
                 JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'ipdr_records' ORDER BY 1",
            ))
            .await
            .unwrap();
        rows.iter()
            .map(|r| r.try_get::<String>("", "name").unwrap())
            .collect::<Vec<_>>()
    };
    if pg {
        let names = partitions().await;
        for month in months {
            assert!(names.contains(&partition(month)), "{names:?}");
        }
        assert_eq!(
            tests::rows_in(&app.db, "ipdr_records_default").await,
            0,
            "each record in its month"
        );
        assert_eq!(tests::rows_in(&app.db, &partition(months[2])).await, 3);
    }
    // Records of the month two back, and one of those of last month, go.
    let before = (months[1] + chrono::Duration::minutes(90)).to_rfc3339();
    let out = pivot(&app.database_url, &["ipdr", "prune", "--before", &before]);
    if pg {
        assert!(out.ends_with("deleted 1 records"), "{out}");
        let names = partitions().await;
        assert!(!names.contains(&partition(months[2])), "{names:?}");
        assert!(names.contains(&partition(months[1])), "{names:?}");
    } else {
        assert_eq!(out, "dropped 0 monthly partitions, deleted 4 records");
    }
    assert_eq!(tests::rows_in(&app.db, "ipdr_records").await, 2);
    let (_, body) = t.result(json!({"contextname": "ipdr", "query_id": id})).await;
    assert_eq!(body["rows"].as_array().unwrap().len(), 6, "results are copies: {body}");
    let out = Command::new(pivot_binary())
        .args(["ipdr", "prune", "--before", "April", "--database", &app.database_url])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a date"));
}

tests::both_dbs!(partitions, partitions_and_retention);

/// Records sharing one start time across many batches, some holding the address twice
/// (source and NAT): each is in the result once.
async fn ties_and_doubles(app: TestApp) {
    let mut csv = String::from("Protocol,SrcIP,SrcPort,DestIP,StartTime,NatIP\n");
    for i in 0..60 {
        // Every third record has the address as its NAT address too.
        let nat = if i % 3 == 0 { "10.7.0.1" } else { "100.64.0.9" };
        csv.push_str(&format!(
            "TCP,10.7.0.1,{},198.51.100.1,2026-04-03 12:00:00,{nat}\n",
            2000 + i
        ));
    }
    // The address only as NAT, only as destination, and a record of another address.
    csv.push_str("UDP,10.7.0.2,1,198.51.100.1,2026-04-03 12:00:00,10.7.0.1\n");
    csv.push_str("UDP,10.7.0.3,2,10.7.0.1,2026-04-03 12:00:00,\n");
    csv.push_str("UDP,10.7.0.4,3,198.51.100.1,2026-04-03 12:00:00,\n");
    import(&app.database_url, &csv, "default");
    let t = Trisul::admin(&app);
    let id = t
        .submit(json!({"ip": "10.7.0.1", "from_time": "03-04-2026 00:00:00", "to_time": "03-04-2026 23:59:59"}))
        .await;
    t.finished("default", id).await;
    let (status, body) = t.result(json!({"query_id": id, "headers": ["SrcPort"]})).await;
    assert_eq!(status, 200, "{body}");
    let mut ports: Vec<i64> = body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["SrcPort"].as_str().unwrap().parse().unwrap())
        .collect();
    ports.sort_unstable();
    let mut expected: Vec<i64> = (2000..2060).collect();
    expected.extend([1, 2]);
    expected.sort_unstable();
    assert_eq!(ports, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ties_and_doubles_sqlite() {
    ties_and_doubles(TestApp::sqlite_with(slow()).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ties_and_doubles_postgres() {
    ties_and_doubles(TestApp::postgres_with(slow()).await).await;
}
