//! The reproductions of the security probe of 2026-12-06 (`shared/reports/
//! security-2026-12-06.md`), S1–S11, each as the attacker sent it, with what must hold
//! now. Every one failed on the build the probe ran against.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use server::config::Config;
use server::domain::users::Role;
use tests::ws::Seen;
use tests::{both_dbs, s, TestApp};

/// Two customers with a case each, and an analyst limited to the first (its token).
struct Tenants {
    acme: String,
    globex: String,
    acme_case: String,
    globex_case: String,
    lima: String,
}

async fn tenants(app: &TestApp) -> Tenants {
    let customer = |n: &'static str| async move {
        let d = app
            .data(
                "mutation($n: String!) { createCustomer(name: $n) { id } }",
                json!({"n": n}),
            )
            .await;
        s(&d["createCustomer"]["id"])
    };
    let acme = customer("ACME").await;
    let globex = customer("Globex").await;
    let case = |c: String, n: &'static str| async move {
        let d = app
            .data(
                "mutation($c: ID!, $n: String!) { createCase(input: {name: $n, customerId: $c}) { id } }",
                json!({"c": c, "n": n}),
            )
            .await;
        s(&d["createCase"]["id"])
    };
    let acme_case = case(acme.clone(), "ACME phish").await;
    let globex_case = case(globex.clone(), "Globex breach").await;
    let lima = app.user("lima", Role::Analyst, "").await;
    app.limit_to("lima", json!([acme])).await;
    Tenants {
        acme,
        globex,
        acme_case,
        globex_case,
        lima,
    }
}

fn code(v: &Value) -> &str {
    v["errors"][0]["extensions"]["code"].as_str().unwrap_or("")
}

/// A GraphQL request sent without credentials: (status, body).
async fn without_credentials(app: &TestApp, request: Value) -> (u16, Value) {
    let res = app
        .anonymous
        .post(app.url("/graphql"))
        .json(&request)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

/// The code of the first error of an operation sent with `token` ("" for none).
async fn code_as(app: &TestApp, token: &str, query: &str, variables: Value) -> String {
    code(&app.gql_as(token, query, variables).await).to_string()
}

/// A chain of nine fragments, each spreading the next ten times: 10^8 fields.
fn fan_out(root: &str) -> String {
    let mut q = format!("{root} ");
    for i in 0..8 {
        let spreads = format!("...F{} ", i + 1).repeat(10);
        q.push_str(&format!("fragment F{i} on User {{ {spreads} username }} "));
    }
    q.push_str("fragment F8 on User { username }");
    q
}

// S1: an 850-byte request must not cost seconds of CPU, with or without credentials.
both_dbs!(s1_fragment_fan_out_is_refused_at_once, |app: TestApp| async move {
    let anonymous = fan_out(r#"mutation { login(username: "x", password: "y") { ...F0 } }"#);
    assert!(anonymous.len() < 1000);
    let started = Instant::now();
    let (status, body) = without_credentials(&app, json!({ "query": anonymous })).await;
    // Not a plain sign-in: refused before any validation.
    assert_eq!((status, code(&body)), (401, "UNAUTHENTICATED"));

    // With credentials, two at once, while /healthz keeps answering.
    let signed_in = fan_out("query { me { ...F0 } }");
    let heavy = || async {
        let r = app.gql(&signed_in, json!({})).await;
        assert_eq!(code(&r), "QUERY_TOO_COMPLEX", "{r}");
        assert!(r["errors"][0]["message"].as_str().unwrap().contains("expands"), "{r}");
    };
    let health = async {
        let t = Instant::now();
        let r = app.anonymous.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
        t.elapsed()
    };
    let (_, _, health) = tokio::join!(heavy(), heavy(), health);
    assert!(health < Duration::from_secs(2), "/healthz took {health:?}");
    // The same fan-out at a mutation's root (the bulk-budget check reads it).
    let root = fan_out("mutation { ...M0 }")
        .replace("fragment F0 on User", "fragment M0 on Mutation")
        .replace("...F1", "...M1")
        .replace("fragment F1 on User", "fragment M1 on Mutation");
    let r = app.gql(&root, json!({})).await;
    assert_eq!(code(&r), "QUERY_TOO_COMPLEX", "{r}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );

    // A plain sign-in still works without credentials, but no larger one.
    let plain = json!({ "query": "mutation { login(username: \"admin\", password: \"wrong one\") { username } }" });
    let (_, body) = without_credentials(&app, plain).await;
    assert_eq!(code(&body), "UNAUTHENTICATED");
    let padded = format!(
        "mutation {{ login(username: \"admin\", password: \"wrong one\") {{ username }} }} #{}",
        "x".repeat(4000)
    );
    let (status, _) = without_credentials(&app, json!({ "query": padded })).await;
    assert_eq!(status, 401);
});

/// A multipart body that sends `head` and then never ends: a server that reads the
/// body before answering never answers.
fn endless(head: String) -> reqwest::Body {
    let first = futures_util::stream::once(async move { Ok::<_, std::io::Error>(head.into_bytes()) });
    let rest = futures_util::stream::unfold((), |()| async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        Some((Ok::<_, std::io::Error>(vec![b'A'; 64 * 1024]), ()))
    });
    reqwest::Body::wrap_stream(futures_util::StreamExt::chain(first, rest))
}

fn upload_head(boundary: &str) -> String {
    let ops = r#"{"query":"mutation($f: Upload!) { importZeek(file: $f) { read } }","variables":{"f":null}}"#;
    format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{ops}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{{\"0\":[\"variables.f\"]}}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"z.bin\"\r\n\r\n"
    )
}

// S2: credentials and the right to import are checked before a multipart body is read.
both_dbs!(
    s2_uploads_are_refused_before_their_body_is_read,
    |app: TestApp| async move {
        let viewer = app.user("viewer", Role::Viewer, "").await;
        let boundary = "XBOUNDARYX";
        for token in [None, Some(viewer.as_str()), Some("pvt_not_a_token")] {
            let mut req = app
                .anonymous
                .post(app.url("/graphql"))
                .header("content-type", format!("multipart/form-data; boundary={boundary}"))
                .body(endless(upload_head(boundary)));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let answer = tokio::time::timeout(Duration::from_secs(10), req.send())
                .await
                .expect("an answer before the body ends");
            // The server answers without reading the body; the client may then see the
            // connection reset before it reads the status. Either way it did not wait.
            if let Ok(res) = answer {
                let expected = if token == Some(viewer.as_str()) { 403 } else { 401 };
                assert_eq!(res.status().as_u16(), expected);
            }
        }
        // The `operations` part is bounded like any JSON body. The server answers as soon
        // as the part passes the bound, so the client, still writing, may see the
        // connection closed before it reads the answer (as above): it asks again until
        // it reads one.
        let big = json!({"query": "{ me { username } }", "variables": {"x": "a".repeat(2 << 20)}}).to_string();
        let mut answered = None;
        for _ in 0..5 {
            let form = reqwest::multipart::Form::new()
                .text("operations", big.clone())
                .text("map", "{}");
            if let Ok(res) = app.client.post(app.url("/graphql")).multipart(form).send().await {
                answered = Some(res);
                break;
            }
        }
        let res = answered.expect("an answer to one of five tries");
        assert_eq!(res.status().as_u16(), 413);
        assert_eq!(code(&res.json().await.unwrap()), "PAYLOAD_TOO_LARGE");
    }
);

async fn small_uploads_config() -> Config {
    let mut config = Config::default();
    config.uploads.file_bytes = 10_000;
    config
}

// S2: the per-file limit is the server's setting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s2_upload_limits_are_configurable() {
    let app = TestApp::sqlite_with(small_uploads_config().await).await;
    let zeek = tests::sample("zeek/dns.log");
    let big: Vec<u8> = zeek.iter().cycle().take(20_000).copied().collect();
    let r = app
        .upload(
            "mutation($file: Upload!) { importZeek(file: $file) { read } }",
            "conn.log",
            big,
            json!({}),
        )
        .await;
    assert_eq!(code(&r), "PAYLOAD_TOO_LARGE", "{r}");
}

const ZEEK_HEADER: &str = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\n";

// S3: lines, fields and decompression are bounded, with the line and the reason.
both_dbs!(
    s3_imports_bound_lines_fields_and_decompression,
    |app: TestApp| async move {
        use std::io::Write;
        let import = "mutation($file: Upload!) { importZeek(file: $file) { read } }";
        // One 2 MiB line after the header.
        let mut long = ZEEK_HEADER.as_bytes().to_vec();
        long.extend(vec![b'A'; 2 << 20]);
        let r = app.upload(import, "conn.log", long, json!({})).await;
        assert_eq!(code(&r), "BAD_USER_INPUT", "{r}");
        assert!(
            r["errors"][0]["message"].as_str().unwrap().contains("line 8 is longer"),
            "{r}"
        );
        // A gzip bomb: 1 GiB of short lines compresses to about a megabyte.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(ZEEK_HEADER.as_bytes()).unwrap();
        // Comment lines: skipped by the parser, so only the inflation can stop them.
        let line = format!("#{}\n", "A".repeat(4094));
        for _ in 0..(256 << 10) {
            gz.write_all(line.as_bytes()).unwrap();
        }
        let bomb = gz.finish().unwrap();
        assert!(bomb.len() < 4 << 20, "{}", bomb.len());
        let r = app.upload(import, "conn.log.gz", bomb, json!({})).await;
        assert_eq!(code(&r), "BAD_USER_INPUT", "{r}");
        assert!(
            r["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("decompression bomb"),
            "{r}"
        );
        // A field far longer than any tool writes, on a line that parses.
        let mut wide = ZEEK_HEADER.to_string();
        wide.push_str(&format!(
            "1573553586.964924\tCx1\t10.0.0.1\t5000\t10.0.0.2\t80\ttcp\t{}\t1.0\t10\t20\tSF\n",
            "h".repeat(100_000)
        ));
        let r = app.upload(import, "conn.log", wide.into_bytes(), json!({})).await;
        assert_eq!(code(&r), "BAD_USER_INPUT", "{r}");
        assert!(
            r["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("service is 100000 bytes"),
            "{r}"
        );
        let eve = format!(
        "{{\"timestamp\":\"2026-01-15T10:00:01.000000+0000\",\"event_type\":\"alert\",\"src_ip\":\"10.0.0.1\",\"dest_ip\":\"10.0.0.2\",\"proto\":\"TCP\",\"alert\":{{\"signature\":\"{}\",\"severity\":1}}}}\n",
        "T".repeat(200_000)
    );
        let r = app
            .upload(
                "mutation($file: Upload!) { importSuricata(file: $file) { read } }",
                "eve.json",
                eve.into_bytes(),
                json!({}),
            )
            .await;
        assert_eq!(code(&r), "BAD_USER_INPUT", "{r}");
        assert!(
            r["errors"][0]["message"].as_str().unwrap().contains("alert.signature"),
            "{r}"
        );
        assert_eq!(tests::rows_in(&app.db, "flows").await, 0);
        assert_eq!(tests::rows_in(&app.db, "alerts").await, 0);
    }
);

// S4: notes about a customer or about an IOC belong to that customer's scope.
both_dbs!(
    s4_notes_about_customers_and_iocs_stay_in_their_tenant,
    |app: TestApp| async move {
        let t = tenants(&app).await;
        let ioc = app
        .data(
            "mutation($c: ID!) { addIoc(input: {type: \"domain\", value: \"globex-only.example\", caseIds: [$c]}) { id } }",
            json!({"c": t.globex_case}),
        )
        .await;
        let ioc = s(&ioc["addIoc"]["id"]);
        let mut notes = Vec::new();
        for subject in [&t.globex, &ioc] {
            let d = app
            .data(
                "mutation($s: ID!) { createNote(input: {subjectId: $s, body: \"Globex contract; VPN creds rotated\"}) { id } }",
                json!({"s": subject}),
            )
            .await;
            notes.push(s(&d["createNote"]["id"]));
        }
        // And one about ACME, which lima may see.
        let d = app
            .data(
                "mutation($s: ID!) { createNote(input: {subjectId: $s, body: \"ACME\"}) { id } }",
                json!({"s": t.acme}),
            )
            .await;
        let acme_note = s(&d["createNote"]["id"]);
        let listed = app
            .gql_as(&t.lima, "{ notes(first: 1000) { nodes { id } } }", json!({}))
            .await;
        assert_eq!(listed["data"]["notes"]["nodes"], json!([{"id": acme_note}]), "{listed}");
        for note in &notes {
            let r = app
                .gql_as(&t.lima, "query($i: ID!) { node(id: $i) { id } }", json!({"i": note}))
                .await;
            assert_eq!(r["data"]["node"], Value::Null, "{r}");
            let update = "mutation($i: ID!) { updateNote(id: $i, input: {body: \"tampered\"}) { body } }";
            assert_eq!(code_as(&app, &t.lima, update, json!({"i": note})).await, "NOT_FOUND");
            let delete = "mutation($i: ID!) { deleteNote(id: $i) }";
            assert_eq!(code_as(&app, &t.lima, delete, json!({"i": note})).await, "NOT_FOUND");
        }
        let r = app
            .gql_as(
                &t.lima,
                "query($s: ID!) { notes(filter: {subjectId: $s}) { nodes { id } } }",
                json!({"s": t.globex}),
            )
            .await;
        assert!(
            r["data"]["notes"]["nodes"] == json!([]) || code(&r) == "NOT_FOUND",
            "{r}"
        );
        // The administrator still sees them, untouched.
        let d = app.data("{ notes(first: 1000) { totalCount } }", json!({})).await;
        assert_eq!(d["notes"]["totalCount"], 3);
    }
);

// S4: every table that reaches `customers` through its foreign keys has a tenancy rule.
both_dbs!(s4_tenancy_rules_follow_the_foreign_keys, |app: TestApp| async move {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    // The whole app (and its database) lives as long as the test, not only `app.db`.
    let app = app;
    let backend = app.db.get_database_backend();
    let tables: Vec<String> = match backend {
        DbBackend::Sqlite => app
            .db
            .query_all(Statement::from_string(
                backend,
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            ))
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<String>("", "name").unwrap())
            .collect(),
        _ => app
            .db
            .query_all(Statement::from_string(
                backend,
                // Partitions (IPDR records by month) follow their parent's rule.
                "SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition",
            ))
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<String>("", "name").unwrap())
            .collect(),
    };
    let mut references: Vec<(String, String)> = Vec::new();
    for t in &tables {
        let sql = match backend {
            DbBackend::Sqlite => format!("SELECT \"table\" AS target FROM pragma_foreign_key_list('{t}')"),
            _ => format!(
                "SELECT ccu.table_name AS target FROM information_schema.table_constraints tc \
                 JOIN information_schema.constraint_column_usage ccu ON tc.constraint_name = ccu.constraint_name \
                 WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_name = '{t}'"
            ),
        };
        for r in app.db.query_all(Statement::from_string(backend, sql)).await.unwrap() {
            references.push((t.clone(), r.try_get::<String>("", "target").unwrap()));
        }
    }
    // Tables that reach customers through references.
    let mut reaching = vec!["customers".to_string()];
    loop {
        let more: Vec<String> = references
            .iter()
            .filter(|(from, to)| reaching.contains(to) && !reaching.contains(from))
            .map(|(from, _)| from.clone())
            .collect();
        if more.is_empty() {
            break;
        }
        reaching.extend(more);
    }
    let rules = server::domain::tenancy::tables();
    // Links of users to customers are user administration, not a customer's data.
    let administration = ["user_customers"];
    for t in &tables {
        if t == "seaql_migrations" {
            continue;
        }
        let rule = rules.iter().find(|(name, _)| name == t);
        let Some((_, owned)) = rule else {
            panic!("table {t} has no tenancy rule (server/src/domain/tenancy.rs)");
        };
        if reaching.contains(t) && !administration.contains(&t.as_str()) {
            assert!(
                owned,
                "table {t} reaches customers through its references but every user sees it"
            );
        }
    }
});

// S5: queries over the WebSocket run under the same budget; operations and connections are bounded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s5_websocket_queries_have_a_budget_and_bounds() {
    // No time at all: a query must fail with TIMEOUT without running, as over HTTP.
    let config = Config {
        query_timeout: Duration::ZERO,
        sockets_per_user: 2,
        ..Config::default()
    };
    let app = TestApp::sqlite_with(config).await;
    let mut ws = app.ws().await;
    ws.subscribe(
        "q",
        "{ a: flows(first: 1000) { totalCount } b: hosts(first: 1000) { totalCount } }",
        json!({}),
    )
    .await;
    let payload = ws.event("q").await;
    assert_eq!(payload["errors"][0]["extensions"]["code"], "TIMEOUT", "{payload}");
    // A second connection is fine, a third is refused.
    let _second = app.ws().await;
    let mut third = app.ws_open("graphql-transport-ws", &[]).await;
    third
        .send(json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {}", app.token)}}))
        .await;
    let (code, reason) = third.closed().await;
    assert_eq!(code, 1013, "{reason}");
    // An event stream counts among them too.
    let res = app.client.get(app.url("/alerts/stream")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s5_a_connection_holds_a_bounded_number_of_operations() {
    let app = TestApp::sqlite().await;
    let mut ws = app.ws().await;
    for i in 0..100 {
        ws.subscribe(&format!("s{i}"), "subscription { alertCreated { id } }", json!({}))
            .await;
    }
    ws.subscribe("one-too-many", "subscription { alertCreated { id } }", json!({}))
        .await;
    let m = ws.next().await;
    assert_eq!(m["type"], "error", "{m}");
    assert_eq!(m["id"], "one-too-many");
    assert_eq!(m["payload"][0]["extensions"]["code"], "RATE_LIMITED", "{m}");
    // A reason that would not fit a close frame is cut, not a protocol error.
    ws.send_text(&format!("{{\"type\": \"{}\"}}", "x".repeat(500))).await;
    let (code, reason) = ws.closed().await;
    assert_eq!(code, 4400);
    assert!(reason.len() <= 123);
}

// S6: what a shared IOC is to a limited user.
both_dbs!(
    s6_shared_iocs_are_read_only_and_reveal_nothing,
    |app: TestApp| async move {
        let t = tenants(&app).await;
        let add =
            "mutation($v: String!, $c: [ID!]!) { addIoc(input: {type: \"domain\", value: $v, caseIds: $c}) { id } }";
        let shared = app
            .data(add, json!({"v": "shared.example", "c": [t.acme_case, t.globex_case]}))
            .await;
        let shared = s(&shared["addIoc"]["id"]);
        let secret = app
            .data(add, json!({"v": "secret-globex-c2.example", "c": [t.globex_case]}))
            .await;
        let secret = s(&secret["addIoc"]["id"]);
        // Editing or deleting it would change Globex's case: refused.
        let update = "mutation($i: ID!) { updateIoc(id: $i, input: {description: \"tampered by lima\"}) { id } }";
        assert_eq!(code_as(&app, &t.lima, update, json!({"i": shared})).await, "FORBIDDEN");
        let delete = "mutation($i: ID!) { deleteIoc(id: $i) }";
        assert_eq!(code_as(&app, &t.lima, delete, json!({"i": shared})).await, "FORBIDDEN");
        // Unlinking from lima's own case is fine.
        let r = app
            .gql_as(
                &t.lima,
                "mutation($i: ID!, $c: ID!) { unlinkIoc(iocId: $i, caseId: $c) { id } }",
                json!({"i": shared, "c": t.acme_case}),
            )
            .await;
        assert!(r["errors"].is_null(), "{r}");
        // Adding a value only Globex holds gives lima an IOC of its own: no "already exists".
        let r = app
            .gql_as(
                &t.lima,
                add,
                json!({"v": "secret-globex-c2.example", "c": [t.acme_case]}),
            )
            .await;
        assert!(r["errors"].is_null(), "{r}");
        assert_ne!(s(&r["data"]["addIoc"]["id"]), secret);
        // A duplicate within lima's own cases is still a conflict.
        let r = app
            .gql_as(
                &t.lima,
                add,
                json!({"v": "secret-globex-c2.example", "c": [t.acme_case]}),
            )
            .await;
        assert_eq!(code(&r), "CONFLICT", "{r}");
        // Filtering by a hidden case finds nothing.
        let d = app
            .data(add, json!({"v": "both.example", "c": [t.acme_case, t.globex_case]}))
            .await;
        assert!(d["addIoc"]["id"].is_string());
        let r = app
            .gql_as(
                &t.lima,
                "query($c: ID!) { iocs(filter: {caseId: {eq: $c}}) { nodes { id } } }",
                json!({"c": t.globex_case}),
            )
            .await;
        assert_eq!(r["data"]["iocs"]["nodes"], json!([]), "{r}");
        // Nor through the edge of a case it sees.
        let r = app
        .gql_as(
            &t.lima,
            "query($a: ID!, $c: ID!) { node(id: $a) { ... on Case { iocs(filter: {caseId: {eq: $c}}) { nodes { id } totalCount } } } }",
            json!({"a": t.acme_case, "c": t.globex_case}),
        )
        .await;
        assert_eq!(r["data"]["node"]["iocs"]["nodes"], json!([]), "{r}");
        assert_eq!(r["data"]["node"]["iocs"]["totalCount"], 0, "{r}");
        // Globex's IOC is as it was.
        let d = app
            .data(
                "query($i: ID!) { node(id: $i) { ... on Ioc { description cases { id } } } }",
                json!({"i": shared}),
            )
            .await;
        assert_eq!(d["node"]["description"], Value::Null);
        assert_eq!(d["node"]["cases"], json!([{"id": t.globex_case}]));
    }
);

// S7: concurrent sign-in attempts are counted one after another.
both_dbs!(
    s7_concurrent_sign_ins_cannot_overrun_the_limit,
    |app: TestApp| async move {
        let attempt = || async {
            let wrong = json!({"query": "mutation { login(username: \"admin\", password: \"not the password\") { username } }"});
            code(&without_credentials(&app, wrong).await.1).to_string()
        };
        let answers = futures_util::future::join_all((0..30).map(|_| attempt())).await;
        let evaluated = answers.iter().filter(|c| *c == "UNAUTHENTICATED").count();
        let limited = answers.iter().filter(|c| *c == "RATE_LIMITED").count();
        assert_eq!(evaluated, 5, "{answers:?}");
        assert_eq!(limited, 25);
        // A username nobody has, as long as a password, is not kept in clear.
        let long = "correct horse battery staple ".repeat(1000);
        let guess = json!({"query": "mutation($u: String!) { login(username: $u, password: \"x\") { username } }", "variables": {"u": long}});
        assert_eq!(code(&without_credentials(&app, guess).await.1), "UNAUTHENTICATED");
        let d = app
            .data(
                "{ auditEvents(filter: {action: {in: [\"loginFailed\"]}}, last: 1) { nodes { detail } } }",
                json!({}),
            )
            .await;
        let detail = d["auditEvents"]["nodes"][0]["detail"].to_string();
        assert!(!detail.contains("horse") && detail.len() < 100, "{detail}");
    }
);

// S8 (SQLite): a write waiting behind another writer neither starves readers nor outlives its request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s8_writers_queued_behind_a_writer_do_not_starve_readers() {
    use sea_orm::{ConnectionTrait, Database};
    let app = TestApp::sqlite().await;
    let app = &app;
    // Ten analysts write twice each, at once (each within its own turns).
    let mut writers = Vec::new();
    for i in 0..10 {
        writers.push(app.user(&format!("w{i}"), Role::Analyst, "").await);
    }
    // Another process's import: holds SQLite's write lock.
    let holder = Database::connect(&app.database_url).await.unwrap();
    holder.execute_unprepared("BEGIN IMMEDIATE").await.unwrap();
    holder
        .execute_unprepared("INSERT INTO customers (name, created_at) VALUES ('held', '2026-01-01T00:00:00Z')")
        .await
        .ok();
    let write = |token: String| async move {
        let t = Instant::now();
        let r = app
            .gql_as(
                &token,
                "mutation($ip: IpAddr!) { createHost(input: {ip: $ip}) { id } }",
                json!({"ip": format!("10.8.{}.{}", rand_suffix() % 250, rand_suffix() % 250)}),
            )
            .await;
        (code(&r).to_string(), t.elapsed())
    };
    let read = || async {
        let t = Instant::now();
        let r = app.gql("{ me { username } }", json!({})).await;
        assert!(r["errors"].is_null(), "{r}");
        t.elapsed()
    };
    let writes = futures_util::future::join_all((0..20).map(|i| write(writers[i % 10].clone())));
    let reads = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        futures_util::future::join_all((0..20).map(|_| read())).await
    };
    let (writes, reads) = tokio::join!(writes, reads);
    for (c, took) in &writes {
        // UNAVAILABLE when its turn or the lock did not come; on a loaded machine the
        // request's budget may run out first (TIMEOUT): either is coded and retryable.
        assert!(
            c == "UNAVAILABLE" || c == "TIMEOUT",
            "a queued write fails cleanly: {c}"
        );
        assert!(*took < Duration::from_secs(7), "{took:?}");
    }
    assert!(writes.iter().any(|(c, _)| c == "UNAVAILABLE"));
    for took in reads {
        assert!(took < Duration::from_secs(3), "a read waited {took:?} behind writers");
    }
    holder.execute_unprepared("ROLLBACK").await.unwrap();
    // Once the other writer is done, writes go through.
    let (c, _) = write(writers[0].clone()).await;
    assert_eq!(c, "");
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

// S10: a password reset and a deactivation end sessions (and, asked, tokens) for good.
both_dbs!(
    s10_password_resets_and_deactivations_end_sessions,
    |app: TestApp| async move {
        let token = app.user("carol", Role::Analyst, "").await;
        let carol = app.user_id("carol").await;
        let app = &app;
        let login = |password: &'static str| async move {
            let res = app
            .anonymous
            .post(app.url("/graphql"))
            .header("origin", app.base.clone())
            .json(&json!({"query": "mutation($p: String!) { login(username: \"carol\", password: $p) { username } }", "variables": {"p": password}}))
            .send()
            .await
            .unwrap();
            let cookie = res
                .headers()
                .get("set-cookie")
                .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string());
            cookie.expect("a session cookie")
        };
        let me_with_cookie = |cookie: String| async move {
            let res = app
                .anonymous
                .post(app.url("/graphql"))
                .header("origin", app.base.clone())
                .header("cookie", cookie)
                .json(&json!({"query": "{ me { username } }"}))
                .send()
                .await
                .unwrap();
            res.status().as_u16()
        };
        let cookie = login("a long enough password").await;
        assert_eq!(me_with_cookie(cookie.clone()).await, 200);
        app.data(
            "mutation($i: ID!) { resetPassword(id: $i, password: \"another long password\") { id } }",
            json!({"i": carol}),
        )
        .await;
        assert_eq!(me_with_cookie(cookie).await, 401, "the old session ended");
        assert!(app.gql_as(&token, "{ me { username } }", json!({})).await["errors"].is_null());
        app.data(
        "mutation($i: ID!) { resetPassword(id: $i, password: \"a third long password\", revokeTokens: true) { id } }",
        json!({"i": carol}),
    )
    .await;
        assert_eq!(
            code(&app.gql_as(&token, "{ me { username } }", json!({})).await),
            "UNAUTHENTICATED"
        );
        // Deactivating then reactivating brings no session back.
        let cookie = login("a third long password").await;
        for active in [false, true] {
            app.data(
                "mutation($i: ID!, $a: Boolean) { updateUser(id: $i, input: {active: $a}) { id } }",
                json!({"i": carol, "a": active}),
            )
            .await;
        }
        assert_eq!(me_with_cookie(cookie).await, 401);
    }
);

// S11: the smaller holes.
both_dbs!(s11_low_findings, |app: TestApp| async move {
    let viewer = app.user("vera", Role::Viewer, "").await;
    // The user directory is for user administrators.
    let r = app
        .gql_as(
            &viewer,
            "{ nodes(ids: [\"VXNlcjox\"]) { ... on User { username role } } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&r), "FORBIDDEN", "{r}");
    let r = app.gql_as(&viewer, "{ me { username role email } }", json!({})).await;
    assert!(r["errors"].is_null(), "{r}");
    // Search terms over SQLite's LIKE limit are the caller's mistake.
    let r = app
        .gql(
            "query($s: String!) { notes(filter: {search: $s}) { totalCount } }",
            json!({"s": "x".repeat(60_000)}),
        )
        .await;
    assert!(r["errors"].is_null() || code(&r) == "BAD_USER_INPUT", "{r}");
    // Every error has a code, and client mistakes are not server errors.
    let r = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({"query": "query A { me { id } }", "operationName": "B"}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(code(&r), "BAD_USER_INPUT", "{r}");
    let r = app.gql("query A { me { id } } query B { me { id } }", json!({})).await;
    assert_eq!(code(&r), "BAD_USER_INPUT", "{r}");
    let r = app.gql("subscription { alertCreated { id } }", json!({})).await;
    assert_eq!(code(&r), "BAD_USER_INPUT", "{r}");
    let mut ws = app.ws().await;
    ws.subscribe(
        "l",
        "mutation { login(username: \"admin\", password: \"x\") { username } }",
        json!({}),
    )
    .await;
    let payload = ws.event("l").await;
    assert_eq!(
        payload["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{payload}"
    );
    // Only JSON (or multipart) is a GraphQL request: a form or text/plain is refused.
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "text/plain")
        .body(r#"{"query": "{ me { id } }"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 415);
    // A page of another name that resolves to Pivot (DNS rebinding) cannot sign in.
    let res = app
        .anonymous
        .post(app.url("/graphql"))
        .header("host", "evil.example:8080")
        .header("origin", "http://evil.example:8080")
        .json(&json!({"query": "mutation { login(username: \"admin\", password: \"x\") { username } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    // Headers of an API that holds case files.
    let res = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({"query": "{ me { id } }"}))
        .send()
        .await
        .unwrap();
    let h = res.headers();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(h["content-security-policy"], "frame-ancestors 'none'");
    // What creating requires, the schema says.
    let sdl = server::graphql::sdl();
    let asset = sdl
        .split("input CreateAssetInput {")
        .nth(1)
        .unwrap()
        .split('}')
        .next()
        .unwrap();
    assert!(
        asset.contains("name: String!") && asset.contains("assetTypeId: ID!"),
        "{asset}"
    );
    let event = sdl
        .split("input CreateTimelineEventInput {")
        .nth(1)
        .unwrap()
        .split('}')
        .next()
        .unwrap();
    assert!(event.contains("occurredAt: DateTime!"), "{event}");
});

// S11: a WebSocket that receives an unknown message is closed with 4400 and a short reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s11_close_reasons_fit_a_close_frame() {
    let app = TestApp::sqlite().await;
    let mut ws = app.ws().await;
    ws.send(json!({"type": "nonsense", "payload": {"x": "y".repeat(300)}}))
        .await;
    match ws.seen_within(tests::ws::PATIENCE).await {
        Some(Seen::Closed(code, reason)) => {
            assert_eq!(code, 4400);
            assert!(reason.len() <= 123, "{reason}");
        }
        other => panic!("expected a close, got {other:?}"),
    }
}

// S9: CSV exports neutralise cells that a spreadsheet would run as formulas.
both_dbs!(s9_exports_neutralise_formulas, |app: TestApp| async move {
    let eve = concat!(
        "{\"timestamp\":\"2026-01-15T10:00:01.000000+0000\",\"event_type\":\"alert\",\"src_ip\":\"10.0.0.1\",\"dest_ip\":\"10.0.0.2\",\"proto\":\"TCP\",",
        "\"alert\":{\"signature\":\"=cmd|' /C calc'!A0\",\"category\":\"@SUM(1+1)\",\"severity\":1}}\n"
    );
    let r = app
        .upload(
            "mutation($file: Upload!) { importSuricata(file: $file) { read } }",
            "eve.json",
            eve.as_bytes().to_vec(),
            json!({}),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let res = app
        .client
        .post(app.url("/api/v1/data/export"))
        .header("content-type", "application/json")
        .body(r#"{"datasets": ["network_alerts"]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let zip = res.bytes().await.unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.to_vec())).unwrap();
    let mut csv = String::new();
    std::io::Read::read_to_string(&mut archive.by_index(0).unwrap(), &mut csv).unwrap();
    assert!(csv.contains("'=cmd|"), "{csv}");
    assert!(!csv.contains(",=cmd") && !csv.contains("\"=cmd"), "{csv}");
});

// S11: live subscribers limited to some customers hear nothing of other customers' cases.
both_dbs!(
    s11_case_changes_reach_only_those_who_see_the_case,
    |app: TestApp| async move {
        let t = tenants(&app).await;
        let mut ws = app.ws_as(&t.lima).await;
        ws.subscribe("u", "subscription { alertUpdated { change alertId } }", json!({}))
            .await;
        app.until_metric("pivot_live_subscriptions", 1).await;
        let alert = app
            .data(
                "mutation($i: CreateAlertInput!) { createAlert(input: $i) { id } }",
                json!({"i": {"kind": "network", "type": "test", "severity": "INFO", "title": "seen by both"}}),
            )
            .await;
        let alert = s(&alert["createAlert"]["id"]);
        let attach = "mutation($c: ID!, $a: [ID!]!) { attachAlerts(caseId: $c, alertIds: $a) { id } }";
        app.data(attach, json!({"c": t.globex_case, "a": [alert]})).await;
        app.data(attach, json!({"c": t.acme_case, "a": [alert]})).await;
        // The first change lima hears of is the one about its own customer's case.
        let e = ws.event("u").await["data"]["alertUpdated"].clone();
        assert_eq!(e["change"], "CASES_CHANGED");
        app.data(
            "mutation($c: ID!, $a: [ID!]!) { detachAlerts(caseId: $c, alertIds: $a) { id } }",
            json!({"c": t.globex_case, "a": [alert]}),
        )
        .await;
        app.data(
            "mutation($id: ID!, $i: AlertInput!) { updateAlert(id: $id, input: $i) { id } }",
            json!({"id": alert, "i": {"title": "renamed"}}),
        )
        .await;
        let e = ws.event("u").await["data"]["alertUpdated"].clone();
        assert_eq!(e["change"], "UPDATED", "the detachment from Globex's case was not sent");
        let _ = &t.globex;
    }
);

// S11: with a metrics token set, /metrics needs it, even from the loopback interface
// (behind a reverse proxy on the same host, every request comes from there).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s11_metrics_need_the_token_once_set() {
    let app = TestApp::sqlite_with(Config {
        metrics_token: Some("metrics-secret".into()),
        ..Config::default()
    })
    .await;
    let res = app.anonymous.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 403);
    let res = app
        .anonymous
        .get(app.url("/metrics"))
        .bearer_auth("metrics-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
}

// S11: a WAL left large (by a killed import) is given back when Pivot starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s11_a_large_wal_is_truncated_at_start() {
    use sea_orm::{ConnectionTrait, Database};
    let app = TestApp::sqlite().await;
    let path = app
        .database_url
        .trim_start_matches("sqlite://")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let writer = Database::connect(format!("sqlite://{path}?mode=rw")).await.unwrap();
    writer
        .execute_unprepared(
            "CREATE TABLE junk (x BLOB); \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 80) \
             INSERT INTO junk SELECT zeroblob(1000000) FROM n; DROP TABLE junk;",
        )
        .await
        .unwrap();
    writer.close().await.unwrap();
    let wal = format!("{path}-wal");
    let before = std::fs::metadata(&wal).unwrap().len();
    assert!(before > 50 << 20, "the WAL grew to {before} bytes");
    let _restarted = TestApp::start_on(&app.database_url, Config::default()).await;
    let after = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert!(after < 1 << 20, "the WAL is still {after} bytes");
}

// S8 (SQLite): a user's reads do not wait behind its own writes queued at the writer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s8_a_users_reads_do_not_wait_behind_its_own_writes() {
    use sea_orm::{ConnectionTrait, Database};
    let app = TestApp::sqlite().await;
    let holder = Database::connect(&app.database_url).await.unwrap();
    holder.execute_unprepared("BEGIN IMMEDIATE").await.unwrap();
    let write = |i: usize| {
        let app = &app;
        async move {
            let q = format!("mutation {{ createHost(input: {{ip: \"10.9.0.{i}\"}}) {{ id }} }}");
            code(&app.gql(&q, json!({})).await).to_string()
        }
    };
    let read = || async {
        let t = Instant::now();
        let r = app.gql("{ me { username } }", json!({})).await;
        assert!(r["errors"].is_null(), "{r}");
        t.elapsed()
    };
    let writes = futures_util::future::join_all((1..=12).map(write));
    let reads = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        futures_util::future::join_all((0..8).map(|_| read())).await
    };
    let (writes, reads) = tokio::join!(writes, reads);
    holder.execute_unprepared("ROLLBACK").await.unwrap();
    assert!(
        writes.iter().all(|c| c == "UNAVAILABLE" || c == "TIMEOUT"),
        "{writes:?}"
    );
    for took in reads {
        assert!(
            took < Duration::from_millis(1500),
            "a read waited {took:?} behind its own user's writes"
        );
    }
}
