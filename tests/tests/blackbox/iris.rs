//! DFIR-IRIS's REST API (/iris) against ../shared/specs/iris-api-v1.txt and the
//! conventions of ../shared/specs/notes/iris.md: the spec's request examples replayed
//! (answers snapshotted, ids and times redacted), the envelope, API keys, "Data error"
//! bodies, the reference lists as IRIS seeds them, and one graph: what IRIS routes
//! write, GraphQL reads, and the reverse.

use serde_json::{json, Value};
use server::domain::users::Role;
use tests::{both_dbs, s, TestApp};

/// A call as the IRIS client makes it: `Content-Type: application/json` on every
/// request (GETs without a body), the key as `Authorization: Bearer`.
async fn iris(app: &TestApp, key: Option<&str>, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = app
        .anonymous
        .request(method, app.url(&format!("/iris{path}")))
        .header("content-type", "application/json")
        .header("user-agent", "iris-client");
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    if let Some(b) = body {
        req = req.body(b.to_string());
    }
    let res = req.send().await.expect("an IRIS call");
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("a JSON body, got {status} {text:?}"));
    (status, body)
}

/// A call with the administrator's key, whatever its answer.
async fn admin(app: &TestApp, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    iris(app, Some(&app.token), method, path, body).await
}

async fn get(app: &TestApp, path: &str) -> Value {
    let (st, body) = admin(app, "GET", path, None).await;
    assert_eq!((st, &body["status"]), (200, &json!("success")), "GET {path}: {body}");
    body
}

async fn post(app: &TestApp, path: &str, body: Value) -> Value {
    let (st, body) = admin(app, "POST", path, Some(body)).await;
    assert_eq!((st, &body["status"]), (200, &json!("success")), "POST {path}: {body}");
    body
}

/// A customer made through IRIS: its id.
async fn customer(app: &TestApp, name: &str) -> i64 {
    let body = post(app, "/manage/customers/add", json!({ "customer_name": name })).await;
    body["data"]["customer_id"].as_i64().expect("a customer id")
}

/// Two cases of customer `client_63` ("First" and "Second"), made through IRIS: their ids.
async fn two_cases(app: &TestApp) -> (i64, i64) {
    let client = customer(app, "client_63").await;
    let mut ids = Vec::new();
    for name in ["First", "Second"] {
        let body = json!({"case_soc_id": "", "case_customer": client, "case_name": name, "case_description": "tests"});
        ids.push(
            post(app, "/manage/cases/add", body).await["data"]["case_id"]
                .as_i64()
                .unwrap(),
        );
    }
    (ids[0], ids[1])
}

async fn case_count(app: &TestApp) -> i64 {
    app.data("{ cases(first: 1) { totalCount } }", json!({})).await["cases"]["totalCount"]
        .as_i64()
        .unwrap()
}

both_dbs!(handshake_and_keys, |app: TestApp| async move {
    // The client's handshake: ping, then the API versions it checks itself against.
    let ping = get(&app, "/api/ping?cid=1").await;
    assert_eq!(ping, json!({"status": "success", "message": "pong", "data": []}));
    let v = get(&app, "/api/versions?cid=1").await;
    assert_eq!(v["data"]["api_min"], "2.0.4");
    assert_eq!(v["data"]["api_current"], "2.0.5");
    // Three ways to send a key.
    for (name, value) in [
        ("authorization", format!("Bearer {}", app.token)),
        ("authorization", app.token.clone()),
        ("x-iris-auth", format!("Bearer {}", app.token)),
    ] {
        let res = app
            .anonymous
            .get(app.url("/iris/api/ping"))
            .header(name, value.as_str())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{name}: {value}");
    }
    // No key, a wrong key: 401 in IRIS's shape.
    for key in [None, Some("not-a-key")] {
        let (st, body) = iris(&app, key, "GET", "/api/ping", None).await;
        assert_eq!(st, 401);
        assert_eq!(
            body,
            json!({"status": "error", "message": "Authentication required", "data": []})
        );
    }
    // An unknown route under /iris: IRIS's JSON 404.
    let (st, body) = admin(&app, "GET", "/manage/nothing/here", None).await;
    assert_eq!(
        (st, body),
        (
            404,
            json!({"status": "error", "message": "Resource not found", "data": []})
        )
    );
    // The client's doubled slashes reach the same route.
    let (st, body) = admin(&app, "GET", "//manage/customers/list", None).await;
    assert_eq!((st, &body["status"]), (200, &json!("success")), "{body}");
});

both_dbs!(reference_lists, |app: TestApp| async move {
    // As IRIS seeds them (notes §4.1).
    let tlp = get(&app, "/manage/tlp/list").await["data"].clone();
    let names: Vec<(i64, String)> = tlp
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["tlp_id"].as_i64().unwrap(), s(&t["tlp_name"])))
        .collect();
    assert_eq!(
        names[..3],
        [
            (1, "red".to_string()),
            (2, "amber".to_string()),
            (3, "green".to_string())
        ]
    );
    let v1 = get(&app, "/manage/assettype/list").await["data"].clone();
    let rows = v1.as_array().unwrap();
    assert_eq!(rows.len(), 21);
    assert_eq!(rows[0], json!(["Account", "Generic Account", 1]));
    assert_eq!(
        rows[20],
        json!(["Windows Account - AD - Service", "Windows Account - AD - krbtgt", 21])
    );
    let v2 = get(&app, "/manage/asset-type/list").await["data"].clone();
    assert_eq!(v2[2]["asset_name"], "Linux - Server");
    assert_eq!(v2[2]["asset_id"], 3);
    let statuses = get(&app, "/manage/analysis-status/list").await["data"].clone();
    assert_eq!(statuses[5], json!({"id": 6, "name": "Done"}));
    let tasks = get(&app, "/manage/task-status/list").await["data"].clone();
    let names: Vec<String> = tasks.as_array().unwrap().iter().map(|t| s(&t["status_name"])).collect();
    assert_eq!(names, ["To do", "In progress", "On hold", "Done", "Canceled"]);
    let categories = get(&app, "/manage/event-categories/list").await["data"].clone();
    assert_eq!(categories.as_array().unwrap().len(), 15);
    assert_eq!(categories[12], json!({"id": 13, "name": "Command and Control"}));
    let classes = get(&app, "/manage/case-classifications/list").await["data"].clone();
    assert_eq!(classes[0]["name"], "abusive-content:spam");
    assert!(classes
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "intrusion:domain-compromise"));
    let types = get(&app, "/manage/ioc-types/list").await["data"].clone();
    for name in ["domain", "ip-dst", "sha256", "IP", "Hash"] {
        assert!(
            types.as_array().unwrap().iter().any(|t| t["type_name"] == name),
            "IOC type {name}"
        );
    }
    let compromise = get(&app, "/manage/compromise-status/list").await["data"].clone();
    assert_eq!(compromise[1], json!({"value": 1, "name": "Compromised"}));
    // The same lists in GraphQL.
    let d = app
        .data(
            "{ caseClassifications { id name } eventCategories { id name } iocTypes { name } }",
            json!({}),
        )
        .await;
    assert_eq!(
        d["caseClassifications"].as_array().unwrap().len(),
        classes.as_array().unwrap().len()
    );
    assert_eq!(d["eventCategories"][12]["name"], "Command and Control");
});

both_dbs!(customers, |app: TestApp| async move {
    // The spec's example, then v1.2.0's route.
    let added = post(&app, "/manage/customers/add", json!({"customer_name": "client_63"})).await;
    assert_eq!(added["message"], "Added successfully");
    let id = added["data"]["customer_id"].as_i64().unwrap();
    assert_eq!(added["data"]["client_id"], id);
    assert_eq!(added["data"]["customer_name"], "client_63");
    let old = post(&app, "/customer/add", json!({"customer_name": "client_64"})).await;
    assert_eq!(old["message"], "Customer added");
    assert_eq!(old["data"]["customer_name"], "client_64");
    // A taken name, a short one, an unknown field: refused with the field named.
    let (st, body) = admin(
        &app,
        "POST",
        "/manage/customers/add",
        Some(json!({"customer_name": "client_63"})),
    )
    .await;
    assert_eq!(st, 400);
    assert_eq!(body["message"], "Error adding customer");
    assert_eq!(body["data"]["customer_name"][0], "Customer already exists");
    let (st, body) = admin(
        &app,
        "POST",
        "/manage/customers/add",
        Some(json!({"customer_name": "x", "customer_nam": 1})),
    )
    .await;
    assert_eq!(st, 400);
    assert_eq!(
        body,
        json!({"status": "error", "message": "Data error", "data": {
            "customer_name": ["Shorter than minimum length 2."],
            "customer_nam": ["Unknown field."]
        }})
    );
    // The v2 client's fields, kept; read back one and all.
    let updated = post(
        &app,
        &format!("/manage/customers/update/{id}"),
        json!({"customer_name": "Client 63", "customer_description": "retail", "customer_sla": "4h", "custom_attributes": {"tier": "gold"}}),
    )
    .await;
    assert_eq!(updated["data"]["customer_sla"], "4h");
    let one = get(&app, &format!("/manage/customers/{id}")).await["data"].clone();
    assert_eq!(
        (
            one["customer_name"].clone(),
            one["customer_description"].clone(),
            one["custom_attributes"].clone()
        ),
        (json!("Client 63"), json!("retail"), json!({"tier": "gold"}))
    );
    let list = get(&app, "//manage/customers/list").await["data"].clone();
    let names: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| s(&c["customer_name"]))
        .collect();
    assert_eq!(names, ["Client 63", "client_64"]);
    // The same customer in GraphQL.
    let d = app
        .data(
            "{ customers(first: 10) { nodes { name sla customAttributes } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        d["customers"]["nodes"][0],
        json!({"name": "Client 63", "sla": "4h", "customAttributes": {"tier": "gold"}})
    );
    // Customer administration is an administrator's: an analyst is refused.
    let analyst = app.user("ann", Role::Analyst, "").await;
    let (st, body) = iris(
        &app,
        Some(&analyst),
        "POST",
        "/manage/customers/add",
        Some(json!({"customer_name": "client_65"})),
    )
    .await;
    assert_eq!(st, 403, "{body}");
    assert_eq!(body["status"], "error");
    // Deleted with GET (v1.2) or POST (v2); an unknown id is IRIS's error.
    let gone = get(&app, &format!("/manage/customers/delete/{}", old["data"]["client_id"])).await;
    assert_eq!(gone["data"], json!([]));
    let (st, body) = admin(&app, "POST", "/manage/customers/delete/999999", Some(json!({}))).await;
    assert_eq!((st, s(&body["message"])), (400, "Invalid Customer ID".to_string()));
});

both_dbs!(cases, |app: TestApp| async move {
    let client = customer(&app, "client_63").await;
    // The spec's request example.
    let added = post(
        &app,
        "/manage/cases/add",
        json!({"case_soc_id": "soc_id_1", "case_customer": client, "case_name": "My Case API", "case_description": "a description"}),
    )
    .await;
    let id = added["data"]["case_id"].as_i64().unwrap();
    insta::assert_json_snapshot!("iris_case_add", added, {
        ".data.case_id" => "[id]", ".data.case_uuid" => "[id]", ".data.case_customer" => "[id]",
        ".data.customer_id" => "[id]", ".data.user_id" => "[id]", ".data.owner_id" => "[id]",
        ".data.case_name" => "[name]", ".data.open_date" => "[date]",
    });
    assert_eq!(added["data"]["case_name"], format!("#{id} - My Case API"));
    assert_eq!(added["data"]["case_customer"], client);
    assert_eq!(added["data"]["close_date"], Value::Null);
    // The case is Pivot's: GraphQL reads it.
    let d = app
        .data(
            "query($n: Int!) { cases(filter: {number: {eq: $n}}) { nodes { name description socId customer { name } } } }",
            json!({"n": id}),
        )
        .await;
    assert_eq!(
        d["cases"]["nodes"][0],
        json!({"name": "My Case API", "description": "a description", "socId": "soc_id_1", "customer": {"name": "client_63"}})
    );
    // ...and a case made in GraphQL is listed here.
    let cust =
        app.data("{ customers(first: 5) { nodes { id } } }", json!({})).await["customers"]["nodes"][0]["id"].clone();
    app.data(
        "mutation($c: ID!) { createCase(input: {name: \"From GraphQL\", customerId: $c, description: \"made elsewhere\"}) { id } }",
        json!({"c": cust}),
    )
    .await;
    let list = get(&app, "/manage/cases/list").await["data"].clone();
    let rows = list.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["case_description"], "made elsewhere");
    assert_eq!(rows[0]["client_name"], "client_63");
    assert_eq!(rows[0]["case_close_date"], "");
    assert!(regex_like_us_date(&s(&rows[0]["case_open_date"])), "{}", rows[0]);
    // Classification and custom attributes (v2), by update.
    let updated = post(
        &app,
        &format!("/manage/cases/update/{id}"),
        json!({"case_name": format!("#{id} - Renamed"), "classification_id": 20, "custom_attributes": {"ticket": 7}}),
    )
    .await;
    assert_eq!(updated["data"]["case_name"], format!("#{id} - Renamed"));
    assert_eq!(updated["data"]["classification_id"], 20);
    let read = get(&app, &format!("/manage/cases/{id}")).await["data"].clone();
    assert_eq!(read["classification"], "intrusion:domain-compromise");
    assert_eq!(read["custom_attributes"], json!({"ticket": 7}));
    assert_eq!(read["customer_name"], "client_63");
    // Close with GET (v1.2), reopen with POST (v2).
    let closed = get(&app, &format!("/manage/cases/close/{id}")).await;
    assert_eq!(closed["message"], "Case closed successfully");
    assert_eq!(
        closed["data"]["close_date"],
        chrono::Utc::now().format("%Y-%m-%d").to_string()
    );
    assert_eq!(get(&app, "/manage/cases/list").await["data"][0]["state_name"], "Closed");
    let reopened = post(&app, &format!("/manage/cases/reopen/{id}"), json!({})).await;
    assert_eq!(reopened["message"], "Case reopened successfully");
    assert_eq!(reopened["data"]["close_date"], Value::Null);
    // Bad input: IRIS's words, nothing written.
    let before = case_count(&app).await;
    for (body, field, message) in [
        (
            json!({"case_name": "x", "case_customer": client, "case_description": "ok", "case_soc_id": ""}),
            "case_name",
            "Shorter than minimum length 2.",
        ),
        (
            json!({"case_name": "Fine", "case_customer": client, "case_soc_id": ""}),
            "case_description",
            "Missing data for required field.",
        ),
        (
            json!({"case_name": "Fine", "case_customer": "one", "case_description": "ok", "case_soc_id": ""}),
            "case_customer",
            "Not a valid integer.",
        ),
        (
            json!({"case_name": "Fine", "case_customer": client, "case_desciption": "typo", "case_description": "ok", "case_soc_id": ""}),
            "case_desciption",
            "Unknown field.",
        ),
        (
            json!({"case_name": "Fine", "case_customer": 999999, "case_description": "ok", "case_soc_id": ""}),
            "case_customer",
            "Invalid customer ID",
        ),
    ] {
        let (st, got) = admin(&app, "POST", "/manage/cases/add", Some(body.clone())).await;
        assert_eq!(st, 400, "{body}: {got}");
        assert_eq!(got["message"], "Data error", "{got}");
        assert_eq!(got["data"][field][0], message, "{body}: {got}");
    }
    let (st, got) = admin(&app, "POST", "/manage/cases/add", Some(json!("a string"))).await;
    assert_eq!(
        (st, got["data"].clone()),
        (400, json!({"_schema": ["Invalid input type."]}))
    );
    assert_eq!(case_count(&app).await, before);
    for (path, message) in [
        ("/manage/cases/close/999999", "Tried to close an non-existing case"),
        ("/manage/cases/reopen/999999", "Tried to reopen an non-existing case"),
        ("/manage/cases/delete/999999", "Tried to delete a non-existing case"),
        ("/manage/cases/999999", "Invalid case ID"),
        ("/manage/cases/close/abc", "Invalid case ID"),
    ] {
        let (st, got) = admin(&app, "GET", path, None).await;
        assert_eq!((st, s(&got["message"])), (400, message.to_string()), "{path}");
    }
    // Tenancy: a user limited to another customer sees no such case.
    let other = customer(&app, "client_99").await;
    let limited = app.user("lim", Role::Analyst, "").await;
    let other_id = app
        .data("{ customers(first: 10) { nodes { id name } } }", json!({}))
        .await["customers"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "client_99")
        .unwrap()["id"]
        .clone();
    let _ = other;
    app.limit_to("lim", json!([other_id])).await;
    let (st, got) = iris(&app, Some(&limited), "GET", &format!("/manage/cases/{id}"), None).await;
    assert_eq!((st, s(&got["message"])), (400, "Invalid case ID".to_string()), "{got}");
    let (st, got) = iris(&app, Some(&limited), "GET", "/manage/cases/list", None).await;
    assert_eq!((st, got["data"].clone()), (200, json!([])));
    let (st, got) = iris(&app, Some(&limited), "GET", &format!("/manage/cases/close/{id}"), None).await;
    assert_eq!(
        (st, s(&got["message"])),
        (400, "Tried to close an non-existing case".to_string()),
        "{got}"
    );
    // Deleted (POST, v2); gone from GraphQL too.
    let deleted = post(&app, &format!("/manage/cases/delete/{id}"), json!({})).await;
    assert_eq!(deleted["message"], "Case successfully deleted");
    assert_eq!(case_count(&app).await, before - 1);
});

fn regex_like_us_date(s: &str) -> bool {
    let b = s.as_bytes();
    s.len() == 10 && b[2] == b'/' && b[5] == b'/' && s.chars().filter(char::is_ascii_digit).count() == 8
}

both_dbs!(case_context_and_summary, |app: TestApp| async move {
    let client = customer(&app, "client_63").await;
    let new_case = |name: &str| json!({"case_soc_id": "", "case_customer": client, "case_name": name, "case_description": format!("about {name}")});
    let first = post(&app, "/manage/cases/add", new_case("First")).await["data"]["case_id"]
        .as_i64()
        .unwrap();
    let second = post(&app, "/manage/cases/add", new_case("Second")).await["data"]["case_id"]
        .as_i64()
        .unwrap();
    // No case named and none current: IRIS's refusal.
    let (st, body) = admin(&app, "GET", "/case/summary/fetch", None).await;
    assert_eq!(
        (st, s(&body["message"])),
        (400, "Invalid case ID".to_string()),
        "{body}"
    );
    // Named in the query string: read, with the text's CRC-32.
    let read = get(&app, &format!("/case/summary/fetch?cid={first}")).await["data"].clone();
    assert_eq!(read["case_description"], "about First");
    assert_eq!(read["crc32"], crc32fast::hash(b"about First"));
    // ...and kept as the caller's current case: the next call names none.
    assert_eq!(
        get(&app, "/case/summary/fetch").await["data"]["case_description"],
        "about First"
    );
    // Named in the body (and taken out of it before the fields are checked).
    let updated = post(
        &app,
        "/case/summary/update",
        json!({"case_description": "Second's summary", "cid": second}),
    )
    .await;
    assert_eq!(updated["message"], "Summary updated");
    assert_eq!(
        get(&app, "/case/summary/fetch").await["data"]["case_description"],
        "Second's summary"
    );
    let d = app
        .data(
            "query($n: Int!) { cases(filter: {number: {eq: $n}}) { nodes { description } } }",
            json!({"n": second}),
        )
        .await;
    assert_eq!(d["cases"]["nodes"][0]["description"], "Second's summary");
    // The query string wins over the body.
    post(
        &app,
        &format!("/case/summary/update?cid={first}"),
        json!({"case_description": "First again", "cid": second}),
    )
    .await;
    assert_eq!(
        get(&app, &format!("/case/summary/fetch?cid={first}")).await["data"]["case_description"],
        "First again"
    );
    // Not a case: refused, nothing changed.
    for cid in ["abc", "0", "999999"] {
        let (st, body) = admin(
            &app,
            "POST",
            &format!("/case/summary/update?cid={cid}"),
            Some(json!({"case_description": "x"})),
        )
        .await;
        assert_eq!(
            (st, s(&body["message"])),
            (400, "Invalid case ID".to_string()),
            "cid {cid}: {body}"
        );
    }
    let (st, body) = admin(&app, "POST", "/case/summary/update", Some(json!({"summary": "x"}))).await;
    assert_eq!(st, 400);
    assert_eq!(
        body["data"],
        json!({"summary": ["Unknown field."], "case_description": ["Missing data for required field."]})
    );
    // Another customer's case is no case to a user limited to other customers.
    let other = customer(&app, "client_99").await;
    let limited = app.user("lim", Role::Analyst, "").await;
    let ids = app
        .data("{ customers(first: 10) { nodes { id name } } }", json!({}))
        .await;
    let other_id = ids["customers"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "client_99")
        .unwrap()["id"]
        .clone();
    let _ = other;
    app.limit_to("lim", json!([other_id])).await;
    let (st, body) = iris(
        &app,
        Some(&limited),
        "GET",
        &format!("/case/summary/fetch?cid={first}"),
        None,
    )
    .await;
    assert_eq!(
        (st, s(&body["message"])),
        (400, "Invalid case ID".to_string()),
        "{body}"
    );
    // Each user has a current case of their own.
    let (st, body) = iris(&app, Some(&limited), "GET", "/case/summary/fetch", None).await;
    assert_eq!(
        (st, s(&body["message"])),
        (400, "Invalid case ID".to_string()),
        "{body}"
    );
});

both_dbs!(iocs, |app: TestApp| async move {
    let (case, other) = two_cases(&app).await;
    // The spec's addition example (its cid made this case's).
    let added = post(
        &app,
        "/case/ioc/add",
        json!({"ioc_type": "IP", "ioc_tlp_id": "2", "ioc_value": "8.8.8.8", "ioc_description": "rewrw", "ioc_tags": "", "cid": case}),
    )
    .await;
    insta::assert_json_snapshot!("iris_ioc_add", added, {".data.ioc_id" => "[id]", ".data.ioc_uuid" => "[id]", ".data.ioc_type_id" => "[id]"});
    let ip = added["data"]["ioc_id"].as_i64().unwrap();
    // v2's way: the type by id (looked up by name, as the client does), TLP by id.
    let types = get(&app, "/manage/ioc-types/list").await["data"].clone();
    let domain = types
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["type_name"] == "domain")
        .unwrap()["type_id"]
        .clone();
    let by_id = post(
        &app,
        &format!("/case/ioc/add?cid={case}"),
        json!({"ioc_value": "evil.example.com", "ioc_type_id": domain, "ioc_tlp_id": 1, "ioc_tags": "c2,phishing", "custom_attributes": {"source": "mail"}}),
    )
    .await;
    assert_eq!(by_id["message"], "IOC added");
    assert_eq!(
        (
            by_id["data"]["ioc_type"].clone(),
            by_id["data"]["ioc_type_id"].clone(),
            by_id["data"]["ioc_tlp_id"].clone(),
            by_id["data"]["ioc_tags"].clone()
        ),
        (json!("domain"), domain.clone(), json!(1), json!("c2,phishing"))
    );
    let evil = by_id["data"]["ioc_id"].as_i64().unwrap();
    // The same IOC again in this case: refused; in another case of the customer: the same IOC, linked.
    let (st, body) = admin(
        &app,
        "POST",
        &format!("/case/ioc/add?cid={case}"),
        Some(json!({"ioc_value": "evil.example.com", "ioc_type_id": domain})),
    )
    .await;
    assert_eq!(
        (st, s(&body["message"])),
        (400, "IOC already exists and linked to this case".to_string())
    );
    let again = post(
        &app,
        &format!("/case/ioc/add?cid={other}"),
        json!({"ioc_value": "evil.example.com", "ioc_type": "domain"}),
    )
    .await;
    assert_eq!(again["message"], "IOC already existed in DB. Updated with info on DB.");
    assert_eq!(again["data"]["ioc_id"], evil);
    // The list: the other case sharing an IOC is named; GraphQL sees the same links.
    let list = get(&app, &format!("/case/ioc/list?cid={case}")).await["data"].clone();
    let rows = list["ioc"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let shared = rows.iter().find(|r| r["ioc_id"] == evil).unwrap();
    assert_eq!(
        shared["link"],
        json!([{"case_id": other, "case_name": format!("#{other} - Second"), "client_name": "client_63"}])
    );
    assert_eq!(
        (shared["tlp_name"].clone(), shared["custom_attributes"].clone()),
        (json!("red"), json!({"source": "mail"}))
    );
    let d = app
        .data("query($n: Int!) { cases(filter: {number: {eq: $n}}) { nodes { iocs(first: 10) { nodes { value tlp tags cases { number } } } } } }", json!({"n": other}))
        .await;
    assert_eq!(
        d["cases"]["nodes"][0]["iocs"]["nodes"][0]["tags"],
        json!(["c2", "phishing"])
    );
    // Read one; one of no case of this one's is "Invalid IOC ID for this case".
    let one = get(&app, &format!("/case/ioc/{ip}?cid={case}")).await["data"].clone();
    assert_eq!(
        (one["ioc_value"].clone(), one["ioc_tlp_id"].clone()),
        (json!("8.8.8.8"), json!(2))
    );
    let (st, body) = admin(&app, "GET", &format!("/case/ioc/{ip}?cid={other}"), None).await;
    assert_eq!(
        (st, s(&body["message"])),
        (400, "Invalid IOC ID for this case".to_string())
    );
    // The spec's update example, on the IP: description, TLP and tags change, every case sees it.
    let updated = post(
        &app,
        &format!("/case/ioc/update/{ip}"),
        json!({"ioc_type": "IP", "ioc_tlp_id": "1", "ioc_value": "8.8.8.8", "ioc_description": "IOC description", "ioc_tags": "tag1,tag2", "cid": case}),
    )
    .await;
    assert_eq!(
        updated,
        json!({"status": "success", "message": "Updated ioc 8.8.8.8", "data": []})
    );
    let one = get(&app, &format!("/case/ioc/{ip}?cid={case}")).await["data"].clone();
    assert_eq!(
        (
            one["ioc_tags"].clone(),
            one["ioc_tlp_id"].clone(),
            one["ioc_description"].clone()
        ),
        (json!("tag1,tag2"), json!(1), json!("IOC description"))
    );
    // What an IOC is does not change; bad fields are named; nothing is written.
    let (st, body) = admin(
        &app,
        "POST",
        &format!("/case/ioc/update/{ip}?cid={case}"),
        Some(json!({"ioc_value": "1.1.1.1", "ioc_type": "IP"})),
    )
    .await;
    assert_eq!((st, s(&body["message"])), (400, "Data error".to_string()), "{body}");
    assert!(body["data"]["ioc_value"].is_array());
    for (bad, field) in [
        (
            json!({"ioc_type": "IP", "ioc_value": "9.9.9.9", "ioc_tlp_id": 9}),
            "ioc_tlp_id",
        ),
        (json!({"ioc_type": "IP"}), "ioc_value"),
        (
            json!({"ioc_value": "9.9.9.9", "ioc_type": "IP", "ioc_colour": "red"}),
            "ioc_colour",
        ),
        (json!({"ioc_value": "9.9.9.9", "ioc_type_id": 99999}), "ioc_type_id"),
    ] {
        let (st, body) = admin(&app, "POST", &format!("/case/ioc/add?cid={case}"), Some(bad.clone())).await;
        assert_eq!(
            (st, s(&body["message"])),
            (400, "Data error".to_string()),
            "{bad}: {body}"
        );
        assert!(body["data"][field].is_array(), "{bad}: {body}");
    }
    let (st, body) = admin(
        &app,
        "POST",
        &format!("/case/ioc/add?cid={case}"),
        Some(json!({"ioc_value": "9.9.9.9", "ioc_type": "Nonsense"})),
    )
    .await;
    assert_eq!(
        (st, s(&body["message"])),
        (400, "Not a valid IOC type".to_string()),
        "{body}"
    );
    assert_eq!(
        get(&app, &format!("/case/ioc/list?cid={case}")).await["data"]["ioc"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Deleted from a case it shares: unlinked; from its last case: deleted (GET, v1.2; POST, v2).
    let gone = get(&app, &format!("/case/ioc/delete/{evil}?cid={case}")).await;
    assert_eq!(gone["message"], "IOC unlinked");
    let gone = post(&app, &format!("/case/ioc/delete/{evil}?cid={other}"), json!({})).await;
    assert_eq!(gone["message"], "IOC deleted");
    let d = app.data("{ iocs(first: 10) { nodes { value } } }", json!({})).await;
    assert_eq!(d["iocs"]["nodes"], json!([{"value": "8.8.8.8"}]));
    let (st, body) = admin(&app, "GET", &format!("/case/ioc/delete/{ip}?cid={other}"), None).await;
    assert_eq!(
        (st, s(&body["message"])),
        (400, "Not a valid IOC for this case".to_string())
    );
});

both_dbs!(assets, |app: TestApp| async move {
    let (case, other) = two_cases(&app).await;
    let ioc = post(
        &app,
        &format!("/case/ioc/add?cid={case}"),
        json!({"ioc_value": "10.0.0.5", "ioc_type": "ip-dst"}),
    )
    .await["data"]["ioc_id"]
        .clone();
    // The spec's fields; analysis status and type by IRIS's ids (3: Linux - Server, 2: To be done).
    let added = post(
        &app,
        "/case/assets/add",
        json!({"asset_name": "web01", "asset_type_id": 3, "asset_description": "front web server", "asset_domain": "corp.example",
               "asset_ip": "10.0.0.5", "asset_info": "nginx, patched in May", "analysis_status_id": 2, "asset_compromised": true,
               "ioc_links": [ioc.to_string()], "cid": case}),
    )
    .await;
    insta::assert_json_snapshot!("iris_asset_add", added, {
        ".data.asset_id" => "[id]", ".data.asset_uuid" => "[id]", ".data.case_id" => "[id]",
        ".data.date_added" => "[time]", ".data.date_update" => "[time]",
    });
    let asset = added["data"]["asset_id"].as_i64().unwrap();
    // The list, as v1.2 shaped it (names beside ids, linked IOC values as rows).
    let list = get(&app, &format!("/case/assets/list?cid={case}")).await["data"].clone();
    let row = &list["assets"][0];
    assert_eq!(
        (
            row["asset_type"].clone(),
            row["analysis_status"].clone(),
            row["asset_compromised"].clone(),
            row["ioc"].clone()
        ),
        (
            json!("Linux - Server"),
            json!("To be done"),
            json!(true),
            json!([["10.0.0.5"]])
        )
    );
    // Read: with its IOCs; another case's asset is not this case's.
    let one = get(&app, &format!("/case/assets/{asset}?cid={case}")).await["data"].clone();
    assert_eq!(one["linked_ioc"][0]["ioc_value"], "10.0.0.5");
    assert_eq!(one["asset_info"], "nginx, patched in May");
    let (st, body) = admin(&app, "GET", &format!("/case/assets/{asset}?cid={other}"), None).await;
    assert_eq!(
        (st, s(&body["message"])),
        (400, "Invalid asset ID for this case".to_string())
    );
    // The spec's update fields (strings where it sends strings), then v2's compromise status.
    let updated = post(
        &app,
        &format!("/case/assets/update/{asset}?cid={case}"),
        json!({"asset_name": "web01", "asset_type_id": "3", "asset_description": "front", "asset_domain": "", "asset_ip": "10.0.0.6",
               "asset_info": "", "asset_compromised": "false", "analysis_status_id": "6", "ioc_links": []}),
    )
    .await;
    assert_eq!(
        updated,
        json!({"status": "success", "message": "Updated asset web01", "data": []})
    );
    post(
        &app,
        &format!("/case/assets/update/{asset}?cid={case}"),
        json!({"asset_compromise_status_id": 3, "asset_tags": "dmz,linux", "custom_attributes": {"owner": "ops"}}),
    )
    .await;
    // GraphQL sees the same asset.
    let d = app
        .data("query($n: Int!) { cases(filter: {number: {eq: $n}}) { nodes { assets { name ip domain info compromiseStatus tags customAttributes analysisStatus { name } iocs { value } } } } }", json!({"n": case}))
        .await;
    assert_eq!(
        d["cases"]["nodes"][0]["assets"][0],
        json!({"name": "web01", "ip": "10.0.0.6", "domain": null, "info": null, "compromiseStatus": "UNKNOWN", "tags": ["dmz", "linux"],
               "customAttributes": {"owner": "ops"}, "analysisStatus": {"name": "Done"}, "iocs": []})
    );
    // Bad input: named fields, nothing written; another case's asset is not changed.
    for (bad, field) in [
        (json!({"asset_name": "x", "asset_type_id": 3}), "asset_name"),
        (json!({"asset_name": "db01"}), "asset_type_id"),
        (
            json!({"asset_name": "db01", "asset_type_id": 3, "asset_ip": "10.0.0.300"}),
            "asset_ip",
        ),
        (
            json!({"asset_name": "db01", "asset_type_id": 3, "asset_compromised": "maybe"}),
            "asset_compromised",
        ),
        (
            json!({"asset_name": "db01", "asset_type_id": 3, "asset_colour": "red"}),
            "asset_colour",
        ),
    ] {
        let (st, body) = admin(&app, "POST", &format!("/case/assets/add?cid={case}"), Some(bad.clone())).await;
        assert_eq!(
            (st, s(&body["message"])),
            (400, "Data error".to_string()),
            "{bad}: {body}"
        );
        assert!(body["data"][field].is_array(), "{bad}: {body}");
    }
    let (st, body) = admin(
        &app,
        "POST",
        &format!("/case/assets/update/{asset}?cid={other}"),
        Some(json!({"asset_name": "stolen"})),
    )
    .await;
    assert_eq!(
        (st, s(&body["message"])),
        (400, "Invalid asset ID for this case".to_string())
    );
    assert_eq!(
        get(&app, &format!("/case/assets/list?cid={case}")).await["data"]["assets"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Deleted (v1.2's GET), and from another case, not.
    let (st, body) = admin(
        &app,
        "POST",
        &format!("/case/assets/delete/{asset}?cid={other}"),
        Some(json!({})),
    )
    .await;
    assert_eq!(
        (st, s(&body["message"])),
        (400, "Invalid asset ID for this case".to_string())
    );
    assert_eq!(
        get(&app, &format!("/case/assets/delete/{asset}?cid={case}")).await["message"],
        "Deleted"
    );
    assert_eq!(
        get(&app, &format!("/case/assets/list?cid={case}")).await["data"]["assets"],
        json!([])
    );
});

both_dbs!(evidences, |app: TestApp| async move {
    let (case, other) = two_cases(&app).await;
    // The spec's example, with a real digest.
    let digest = "d41d8cd98f00b204e9800998ecf8427e";
    let added = post(
        &app,
        "/case/evidences/add",
        json!({"filename": "memory.raw", "file_size": 4096, "file_hash": digest, "file_description": "RAM of web01", "cid": case}),
    )
    .await;
    insta::assert_json_snapshot!("iris_evidence_add", added, {".data.id" => "[id]", ".data.file_uuid" => "[id]", ".data.date_added" => "[time]"});
    let id = added["data"]["id"].as_i64().unwrap();
    post(
        &app,
        &format!("/case/evidences/add?cid={case}"),
        json!({"filename": "disk.e01"}),
    )
    .await;
    // Listed newest first, with RFC 1123 dates and who added them.
    let list = get(&app, &format!("/case/evidences/list?cid={case}")).await["data"]["evidences"].clone();
    let names: Vec<String> = list.as_array().unwrap().iter().map(|e| s(&e["filename"])).collect();
    assert_eq!(names, ["disk.e01", "memory.raw"]);
    assert!(s(&list[1]["date_added"]).ends_with(" GMT"), "{}", list[1]);
    assert_eq!(list[1]["username"], "admin");
    // Read, updated; GraphQL sees the same.
    let one = get(&app, &format!("/case/evidences/{id}?cid={case}")).await["data"].clone();
    assert_eq!(
        (one["file_size"].clone(), one["file_hash"].clone()),
        (json!(4096), json!(digest))
    );
    let updated = post(
        &app,
        &format!("/case/evidences/update/{id}?cid={case}"),
        json!({"filename": "memory.lime", "file_size": 8192, "custom_attributes": {"chain": "sealed bag 12"}}),
    )
    .await;
    assert_eq!(updated["data"]["filename"], "memory.lime");
    let d = app
        .data("query($n: Int!) { cases(filter: {number: {eq: $n}}) { nodes { evidences { filename size hash customAttributes } } } }", json!({"n": case}))
        .await;
    assert!(d["cases"]["nodes"][0]["evidences"].as_array().unwrap().contains(
        &json!({"filename": "memory.lime", "size": 8192, "hash": digest, "customAttributes": {"chain": "sealed bag 12"}})
    ));
    // Bad input, and another case's evidence: refused, nothing written.
    for (bad, field) in [
        (json!({"filename": "x"}), "filename"),
        (json!({"filename": "ok.bin", "file_size": "big"}), "file_size"),
        (json!({"filename": "ok.bin", "file_hash": "string"}), "file_hash"),
        (json!({"filename": "ok.bin", "file_type": "raw"}), "file_type"),
    ] {
        let (st, body) = admin(
            &app,
            "POST",
            &format!("/case/evidences/add?cid={case}"),
            Some(bad.clone()),
        )
        .await;
        assert_eq!(
            (st, s(&body["message"])),
            (400, "Data error".to_string()),
            "{bad}: {body}"
        );
        assert!(body["data"][field].is_array(), "{bad}: {body}");
    }
    for (method, path) in [
        ("GET", format!("/case/evidences/{id}")),
        ("POST", format!("/case/evidences/update/{id}")),
        ("GET", format!("/case/evidences/delete/{id}")),
    ] {
        let body = (method == "POST").then(|| json!({"filename": "stolen.bin"}));
        let (st, got) = admin(&app, method, &format!("{path}?cid={other}"), body).await;
        assert_eq!(
            (st, s(&got["message"])),
            (400, "Invalid evidence ID for this case".to_string()),
            "{path}"
        );
    }
    assert_eq!(
        get(&app, &format!("/case/evidences/list?cid={case}")).await["data"]["evidences"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Deleted (v2's POST).
    assert_eq!(
        post(&app, &format!("/case/evidences/delete/{id}?cid={case}"), json!({})).await["message"],
        "Evidence deleted"
    );
    assert_eq!(
        get(&app, &format!("/case/evidences/list?cid={case}")).await["data"]["evidences"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
});

both_dbs!(timeline, |app: TestApp| async move {
    let (case, other) = two_cases(&app).await;
    let asset = post(
        &app,
        &format!("/case/assets/add?cid={case}"),
        json!({"asset_name": "web01", "asset_type_id": 3, "asset_compromised": true}),
    )
    .await["data"]["asset_id"]
        .as_i64()
        .unwrap();
    // The spec's addition example names `color`, which v1.2 refuses (notes §2, #33).
    let example = json!({"event_title": "string", "event_content": "string", "event_raw": "string", "event_source": "string",
        "event_assets": [asset], "event_category": "2", "color": "string", "event_date": "2021-10-19", "event_time": "16:19:09",
        "event_in_graph": true, "event_in_summary": true, "event_tags": "string", "event_tz": "+00:00", "cid": case});
    let (st, body) = admin(&app, "POST", "/case/timeline/event/add", Some(example)).await;
    assert_eq!((st, body["data"].clone()), (400, json!({"color": ["Unknown field."]})));
    // v1.2's fields, a wall-clock time two hours east of UTC.
    let added = post(
        &app,
        &format!("/case/timeline/event/add?cid={case}"),
        json!({"event_title": "Phishing mail opened", "event_content": "by alice", "event_raw": "Jan 15 10:00:00 mx postfix: ...",
               "event_source": "mail gateway", "event_assets": [asset], "event_category": "4", "event_color": "#1572E899",
               "event_date": "2026-01-15", "event_time": "10:00:00", "event_tz": "+02:00", "event_in_graph": true,
               "event_in_summary": true, "event_tags": "mail,initial"}),
    )
    .await;
    insta::assert_json_snapshot!("iris_event_add", added, {".data.event_id" => "[id]", ".data.event_uuid" => "[id]", ".data.case_id" => "[id]", ".data.event_added" => "[time]", ".data.event_assets" => "[ids]"});
    let first = added["data"]["event_id"].as_i64().unwrap();
    // v2's fields: one date, the category by id, custom attributes.
    let v2 = post(
        &app,
        &format!("/case/timeline/events/add?cid={case}"),
        json!({"event_title": "Beacon to C2", "event_date": "2026-01-15T07:30:00.000000", "event_tz": "+00:00", "event_category_id": 13,
               "event_assets": [], "event_iocs": [], "event_sync_iocs_assets": false, "parent_event_id": null, "custom_attributes": {"ticket": 4}}),
    )
    .await;
    let second = v2["data"]["event_id"].as_i64().unwrap();
    // The timeline: in time order (the v2 event, at 07:30 UTC, before the first, at 08:00 UTC).
    let list = get(&app, &format!("/case/timeline/get/0?cid={case}")).await["data"]["timeline"].clone();
    let order: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_id"].as_i64().unwrap())
        .collect();
    assert_eq!(order, [second, first]);
    let row = &list[1];
    assert_eq!(
        (
            row["event_date"].clone(),
            row["event_date_wtz"].clone(),
            row["category_name"].clone(),
            row["assets"][0]["name"].clone()
        ),
        (
            json!("2026-01-15T10:00:00.000000"),
            json!("2026-01-15T08:00:00.000000"),
            json!("Initial Access"),
            json!("web01 (Linux - Server)")
        )
    );
    // Filtered by asset (v2's path).
    let only =
        get(&app, &format!("/case/timeline/events/list/filter/{asset}?cid={case}")).await["data"]["timeline"].clone();
    assert_eq!(only.as_array().unwrap().len(), 1);
    // GraphQL sees the same event.
    let d = app
        .data("query($n: Int!) { cases(filter: {number: {eq: $n}}) { nodes { timeline { title occurredAt category timezone inSummary inGraph raw color tags } } } }", json!({"n": case}))
        .await;
    assert!(d["cases"]["nodes"][0]["timeline"].as_array().unwrap().contains(&json!({
        "title": "Phishing mail opened", "occurredAt": "2026-01-15T08:00:00+00:00", "category": "Initial Access", "timezone": "+02:00",
        "inSummary": true, "inGraph": true, "raw": "Jan 15 10:00:00 mx postfix: ...", "color": "#1572E899", "tags": ["mail", "initial"]
    })), "{d}");
    // The spec's update example (as IRIS answers it, "Event added"); read back by v1.2's path.
    let updated = post(
        &app,
        &format!("/case/timeline/event/update/{first}"),
        json!({"event_title": "My event", "event_content": "Content of the event", "event_raw": "A raw content", "event_source": "My source",
               "event_assets": [asset], "event_category": "2", "event_color": "#1572E899", "event_date": "1892-10-14", "event_time": "04:06:54",
               "event_tz": "+00:00", "event_in_summary": true, "event_in_graph": true, "event_tags": "", "cid": case}),
    )
    .await;
    assert_eq!(updated["message"], "Event added");
    let one = get(&app, &format!("/case/timeline/event/{first}?cid={case}")).await["data"].clone();
    assert_eq!(
        (
            one["event_date"].clone(),
            one["event_date_wtz"].clone(),
            one["event_category_id"].clone(),
            one["event_title"].clone()
        ),
        (
            json!("1892-10-14 04:06:54"),
            json!("1892-10-14T04:06:54"),
            json!(2),
            json!("My event")
        )
    );
    // Bad input is named; another case's event is not this case's.
    for (bad, field) in [
        (
            json!({"event_title": "x", "event_date": "2026-01-15", "event_time": "10:00:00", "event_category": 1}),
            "event_title",
        ),
        (
            json!({"event_title": "Bad date", "event_date": "2026-13-45", "event_time": "10:00:00", "event_category": 1}),
            "event_date",
        ),
        (
            json!({"event_title": "Bad zone", "event_date": "2026-01-15", "event_time": "10:00:00", "event_tz": "Mars", "event_category": 1}),
            "event_date",
        ),
        (
            json!({"event_title": "No category", "event_date": "2026-01-15", "event_time": "10:00:00"}),
            "event_category_id",
        ),
        (
            json!({"event_title": "Bad category", "event_date": "2026-01-15", "event_time": "10:00:00", "event_category": 99}),
            "event_category_id",
        ),
        (
            json!({"event_title": "With IOCs", "event_date": "2026-01-15T10:00:00", "event_category_id": 1, "event_iocs": [1]}),
            "event_iocs",
        ),
    ] {
        let (st, body) = admin(
            &app,
            "POST",
            &format!("/case/timeline/events/add?cid={case}"),
            Some(bad.clone()),
        )
        .await;
        assert_eq!(
            (st, s(&body["message"])),
            (400, "Data error".to_string()),
            "{bad}: {body}"
        );
        assert!(body["data"][field].is_array(), "{bad}: {body}");
    }
    for (method, path) in [
        ("GET", format!("/case/timeline/events/{first}")),
        ("GET", format!("/case/timeline/event/delete/{first}")),
    ] {
        let (st, got) = admin(&app, method, &format!("{path}?cid={other}"), None).await;
        assert_eq!(
            (st, s(&got["message"])),
            (400, "Invalid event ID for this case".to_string()),
            "{path}"
        );
    }
    assert_eq!(
        get(&app, &format!("/case/timeline/get/0?cid={case}")).await["data"]["timeline"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Deleted: v1.2's GET, v2's POST.
    assert_eq!(
        get(&app, &format!("/case/timeline/event/delete/{first}?cid={case}")).await["message"],
        format!("Event ID {first} deleted")
    );
    assert_eq!(
        post(
            &app,
            &format!("/case/timeline/events/delete/{second}?cid={case}"),
            json!({})
        )
        .await["message"],
        format!("Event ID {second} deleted")
    );
    assert_eq!(
        get(&app, &format!("/case/timeline/get/0?cid={case}")).await["data"]["timeline"],
        json!([])
    );
});

both_dbs!(notes, |app: TestApp| async move {
    let (case, other) = two_cases(&app).await;
    // The spec's examples: a group, a note in it.
    let group = post(
        &app,
        "/case/notes/groups/add",
        json!({"group_title": "Test", "cid": case}),
    )
    .await;
    insta::assert_json_snapshot!("iris_group_add", group, {".data.group_id" => "[id]", ".data.group_uuid" => "[id]", ".data.group_creationdate" => "[time]", ".data.group_lastupdate" => "[time]"});
    let gid = group["data"]["group_id"].as_i64().unwrap();
    let note = post(
        &app,
        "/case/notes/add",
        json!({"note_title": "string", "note_content": "string", "group_id": gid, "cid": case}),
    )
    .await;
    insta::assert_json_snapshot!("iris_note_add", note, {".data.note_id" => "[id]", ".data.note_uuid" => "[id]", ".data.group_id" => "[id]", ".data.directory_id" => "[id]", ".data.note_creationdate" => "[time]", ".data.note_lastupdate" => "[time]"});
    let nid = note["data"]["note_id"].as_i64().unwrap();
    // v2's way: the group as a directory, custom attributes; an empty group.
    post(&app, &format!("/case/notes/add?cid={case}"), json!({"note_title": "Timeline of the mail", "note_content": "Alice opened it at 10:00", "directory_id": gid, "custom_attributes": {"k": 1}})).await;
    let empty = post(
        &app,
        &format!("/case/notes/groups/add?cid={case}"),
        json!({"group_title": ""}),
    )
    .await["data"]["group_id"]
        .as_i64()
        .unwrap();
    // v1.2's groups list: a row per note with its group, and one per empty group.
    let rows = get(&app, &format!("/case/notes/groups?cid={case}")).await["data"]["groups"].clone();
    assert_eq!(rows.as_array().unwrap().len(), 3, "{rows}");
    assert!(rows
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["group_id"] == empty && r.get("note_id").is_none()));
    assert!(rows
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["note_id"] == nid && r["group_title"] == "Test" && r["user"] == "admin"));
    // Read; saved (spec's example), with a revision kept in the graph.
    assert_eq!(
        get(&app, &format!("/case/notes/{nid}?cid={case}")).await["data"]["note_content"],
        "string"
    );
    let saved = post(
        &app,
        &format!("/case/notes/save/{nid}"),
        json!({"note_title": "string", "note_content": "new text", "cid": case}),
    )
    .await;
    assert_eq!(
        saved,
        json!({"status": "success", "message": format!("Note ID {nid} saved"), "data": []})
    );
    let d = app
        .data("query($n: Int!) { cases(filter: {number: {eq: $n}}) { nodes { notes { title body revision group { title } } } } }", json!({"n": case}))
        .await;
    assert!(
        d["cases"]["nodes"][0]["notes"]
            .as_array()
            .unwrap()
            .contains(&json!({"title": "string", "body": "new text", "revision": 2, "group": {"title": "Test"}})),
        "{d}"
    );
    // Search: the notes whose text has the term (none for an empty term).
    let found = post(
        &app,
        &format!("/case/notes/search?cid={case}"),
        json!({"search_term": "alice"}),
    )
    .await["data"]
        .clone();
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(found[0]["note_title"], "Timeline of the mail");
    assert_eq!(
        post(
            &app,
            &format!("/case/notes/search?cid={case}"),
            json!({"search_term": ""})
        )
        .await["data"],
        json!([])
    );
    assert_eq!(
        post(
            &app,
            &format!("/case/notes/search?cid={other}"),
            json!({"search_term": "alice"})
        )
        .await["data"],
        json!([])
    );
    // Bad input, another case's group or note: refused, nothing written.
    let other_group = post(
        &app,
        &format!("/case/notes/groups/add?cid={other}"),
        json!({"group_title": "Theirs"}),
    )
    .await["data"]["group_id"]
        .as_i64()
        .unwrap();
    for (bad, field) in [
        (json!({"note_content": "no title", "group_id": gid}), "note_title"),
        (json!({"note_title": "No group"}), "group_id"),
        (json!({"note_title": "Wrong case", "group_id": other_group}), "group_id"),
        (json!({"note_title": "No such group", "group_id": 999999}), "group_id"),
        (
            json!({"note_title": "Typo", "group_id": gid, "note_contents": "x"}),
            "note_contents",
        ),
    ] {
        let (st, body) = admin(&app, "POST", &format!("/case/notes/add?cid={case}"), Some(bad.clone())).await;
        assert_eq!(
            (st, s(&body["message"])),
            (400, "Data error".to_string()),
            "{bad}: {body}"
        );
        assert!(body["data"][field].is_array(), "{bad}: {body}");
    }
    let (st, body) = admin(
        &app,
        "POST",
        &format!("/case/notes/save/{nid}?cid={other}"),
        Some(json!({"note_title": "stolen"})),
    )
    .await;
    assert_eq!(
        (st, s(&body["message"])),
        (400, "Invalid note ID for this case".to_string())
    );
    let (st, body) = admin(
        &app,
        "GET",
        &format!("/case/notes/groups/delete/{gid}?cid={other}"),
        None,
    )
    .await;
    assert_eq!((st, s(&body["message"])), (400, "Invalid group ID".to_string()));
    // A note deleted (v2's POST); a group deleted with its notes (v1.2's GET).
    assert_eq!(
        post(&app, &format!("/case/notes/delete/{nid}?cid={case}"), json!({})).await["message"],
        "Deleted"
    );
    assert_eq!(
        get(&app, &format!("/case/notes/groups/delete/{gid}?cid={case}")).await["message"],
        format!("Group ID {gid} deleted")
    );
    let d = app
        .data(
            "query($n: Int!) { cases(filter: {number: {eq: $n}}) { nodes { notes { title } noteGroups { title } } } }",
            json!({"n": case}),
        )
        .await;
    assert_eq!(
        d["cases"]["nodes"][0],
        json!({"notes": [], "noteGroups": [{"title": "Untitled group"}]})
    );
});

both_dbs!(object_states, |app: TestApp| async move {
    let (case, other) = two_cases(&app).await;
    // Nothing changed yet: IRIS's words, and lists with a null state.
    let (st, body) = admin(&app, "GET", &format!("/case/timeline/state?cid={case}"), None).await;
    assert_eq!(
        (st, s(&body["message"])),
        (
            400,
            "No timeline state for this case. Add an event to begin".to_string()
        )
    );
    assert_eq!(
        get(&app, &format!("/case/timeline/get/0?cid={case}")).await["data"]["state"],
        Value::Null
    );
    // Each change counts one, in its own family only.
    let event = json!({"event_title": "First event", "event_date": "2026-01-15T10:00:00", "event_category_id": 1});
    let e = post(&app, &format!("/case/timeline/events/add?cid={case}"), event.clone()).await["data"]["event_id"]
        .as_i64()
        .unwrap();
    post(
        &app,
        &format!("/case/timeline/events/update/{e}?cid={case}"),
        json!({"event_title": "Renamed"}),
    )
    .await;
    let state = get(&app, &format!("/case/timeline/state?cid={case}")).await["data"].clone();
    assert_eq!(state["object_state"], 2);
    assert!(s(&state["object_last_update"]).ends_with(" GMT"), "{state}");
    assert_eq!(
        get(&app, &format!("/case/timeline/get/0?cid={case}")).await["data"]["state"]["object_state"],
        2
    );
    let (st, _) = admin(&app, "GET", &format!("/case/assets/state?cid={case}"), None).await;
    assert_eq!(st, 400);
    // An IOC shared by two cases: a change to it shows in both.
    let ioc = post(
        &app,
        &format!("/case/ioc/add?cid={case}"),
        json!({"ioc_value": "evil.example.com", "ioc_type": "domain"}),
    )
    .await["data"]["ioc_id"]
        .as_i64()
        .unwrap();
    post(
        &app,
        &format!("/case/ioc/add?cid={other}"),
        json!({"ioc_value": "evil.example.com", "ioc_type": "domain"}),
    )
    .await;
    post(
        &app,
        &format!("/case/ioc/update/{ioc}?cid={case}"),
        json!({"ioc_value": "evil.example.com", "ioc_description": "C2"}),
    )
    .await;
    assert_eq!(
        get(&app, &format!("/case/ioc/state?cid={case}")).await["data"]["object_state"],
        2
    );
    assert_eq!(
        get(&app, &format!("/case/ioc/state?cid={other}")).await["data"]["object_state"],
        2
    );
    assert_eq!(
        get(&app, &format!("/case/ioc/list?cid={other}")).await["data"]["state"]["object_state"],
        2
    );
    // Changes made through GraphQL count too; GraphQL reads the same counters.
    let d = app
        .data(
            "query($n: Int!) { cases(filter: {number: {eq: $n}}) { nodes { id } } }",
            json!({"n": case}),
        )
        .await;
    let case_id = d["cases"]["nodes"][0]["id"].clone();
    app.data(
        "mutation($c: ID!) { createEvidence(input: {caseId: $c, filename: \"disk.e01\"}) { id } }",
        json!({"c": case_id}),
    )
    .await;
    let d = app
        .data(
            "query($id: ID!) { node(id: $id) { ... on Case { objectStates { family state } } } }",
            json!({"id": case_id}),
        )
        .await;
    assert_eq!(
        d["node"]["objectStates"],
        json!([{"family": "EVIDENCES", "state": 1}, {"family": "IOCS", "state": 2}, {"family": "TIMELINE", "state": 2}])
    );
    assert_eq!(
        get(&app, &format!("/case/evidences/list?cid={case}")).await["data"]["state"]["object_state"],
        1
    );
});

/// The integer id IRIS knows user `name` by.
async fn user_number(app: &TestApp, name: &str) -> i64 {
    let id = app.user_id(name).await;
    server::domain::ids::decode_any("id", &id).unwrap().1
}

both_dbs!(tasks, |app: TestApp| async move {
    let (case, other) = two_cases(&app).await;
    app.user("ann", Role::Analyst, "").await;
    app.user("bob", Role::Analyst, "").await;
    let (ann, bob) = (user_number(&app, "ann").await, user_number(&app, "bob").await);
    // The spec's example (a status from the list), assigned to one user (v1.2).
    let added = post(
        &app,
        "/case/tasks/add",
        json!({"task_assignee_id": ann, "task_status": "To do", "task_title": "Collect proxy logs", "task_description": "from the DMZ", "task_tags": "logs", "cid": case}),
    )
    .await;
    insta::assert_json_snapshot!("iris_task_add", added, {
        ".data.id" => "[id]", ".data.task_id" => "[id]", ".data.task_uuid" => "[id]", ".data.task_case_id" => "[id]",
        ".data.task_assignee_id" => "[id]", ".data.task_assignees[].id" => "[id]",
        ".data.task_open_date" => "[time]", ".data.task_last_update" => "[time]",
    });
    let t = added["data"]["task_id"].as_i64().unwrap();
    // v2: several assignees, the status by id.
    let v2 = post(&app, &format!("/case/tasks/add?cid={case}"), json!({"task_title": "Image web01", "task_assignees_id": [ann, bob], "task_status_id": 2, "custom_attributes": {"sla": "4h"}})).await;
    assert_eq!(v2["data"]["task_status"], "In progress");
    let names: Vec<String> = v2["data"]["task_assignees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| s(&u["user"]))
        .collect();
    assert_eq!(names, ["ann", "bob"]);
    // The list, and GraphQL's view of the same tasks.
    let list = get(&app, &format!("/case/tasks/list?cid={case}")).await["data"].clone();
    assert_eq!(list["tasks"].as_array().unwrap().len(), 2);
    assert_eq!(list["tasks"][0]["user_name"], "ann");
    assert_eq!(list["state"]["object_state"], 2);
    let d = app
        .data("query($n: Int!) { cases(filter: {number: {eq: $n}}) { nodes { tasks { title status assignees { username } customAttributes } } } }", json!({"n": case}))
        .await;
    assert!(d["cases"]["nodes"][0]["tasks"].as_array().unwrap().contains(
        &json!({"title": "Image web01", "status": "IN_PROGRESS", "assignees": [{"username": "ann"}, {"username": "bob"}], "customAttributes": {"sla": "4h"}})
    ));
    let mine = app
        .data(
            "query($u: ID!) { tasks(filter: {assigneeId: {eq: $u}}) { totalCount } }",
            json!({"u": app.user_id("bob").await}),
        )
        .await;
    assert_eq!(mine["tasks"]["totalCount"], 1);
    // Read; updated (v1.2's fields), then the status alone.
    assert_eq!(
        get(&app, &format!("/case/tasks/{t}?cid={case}")).await["data"]["task_title"],
        "Collect proxy logs"
    );
    let up = post(
        &app,
        &format!("/case/tasks/update/{t}?cid={case}"),
        json!({"task_assignee_id": bob, "task_status": "Done", "task_title": "Collect proxy logs"}),
    )
    .await;
    assert_eq!(
        (
            up["data"]["task_status"].clone(),
            up["data"]["task_assignee_id"].clone()
        ),
        (json!("Done"), json!(bob))
    );
    post(
        &app,
        &format!("/case/tasks/status/update/{t}?cid={case}"),
        json!({"task_status": "On hold"}),
    )
    .await;
    assert_eq!(
        get(&app, &format!("/case/tasks/{t}?cid={case}")).await["data"]["task_status_id"],
        3
    );
    // Bad input is named; another case's task is not this case's.
    for (bad, field) in [
        (json!({"task_title": "x"}), "task_title"),
        (json!({"task_title": "Odd", "task_status": "Someday"}), "task_status"),
        (json!({"task_title": "Odd", "task_status_id": 9}), "task_status_id"),
        (
            json!({"task_title": "Nobody", "task_assignee_id": 999999}),
            "task_assignee_id",
        ),
        (json!({"task_title": "Typo", "task_asignee_id": ann}), "task_asignee_id"),
    ] {
        let (st, body) = admin(&app, "POST", &format!("/case/tasks/add?cid={case}"), Some(bad.clone())).await;
        assert_eq!(
            (st, s(&body["message"])),
            (400, "Data error".to_string()),
            "{bad}: {body}"
        );
        assert!(body["data"][field].is_array(), "{bad}: {body}");
    }
    for path in [format!("/case/tasks/{t}"), format!("/case/tasks/delete/{t}")] {
        let (st, got) = admin(&app, "GET", &format!("{path}?cid={other}"), None).await;
        assert_eq!(
            (st, s(&got["message"])),
            (400, "Invalid task ID for this case".to_string()),
            "{path}"
        );
    }
    assert_eq!(
        post(&app, &format!("/case/tasks/delete/{t}?cid={case}"), json!({})).await["message"],
        "Task deleted"
    );
    assert_eq!(
        get(&app, &format!("/case/tasks/list?cid={case}")).await["data"]["tasks"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Global tasks: the spec's examples.
    let added = post(&app, "/global/tasks/add", json!({"task_assignee": ann, "task_status": "To do", "task_title": "Handover report", "task_description": "Generate the report", "task_tags": "case51"})).await;
    assert_eq!(added, json!({"status": "success", "message": "Saved !", "data": []}));
    let list = get(&app, "/global/tasks/list").await["data"].clone();
    assert_eq!(list.as_array().unwrap().len(), 1, "case tasks are not global: {list}");
    let g = list[0]["task_id"].as_i64().unwrap();
    assert!(s(&list[0]["task_last_update"]).ends_with(" GMT"));
    let status = post(
        &app,
        "/global/tasks/update-status",
        json!({"task_id": g, "task_status": "In progress"}),
    )
    .await;
    assert_eq!(status, json!({"status": "success", "message": "Updated", "data": []}));
    let edited = post(&app, &format!("/global/tasks/edit/{g}"), json!({"task_assignee": bob, "task_status": "Done", "task_title": "Handover report", "task_description": "", "task_tags": ""})).await;
    assert_eq!(edited["message"], "Updated !");
    assert_eq!(
        get(&app, &format!("/global/tasks/{g}")).await["data"]["task_status"],
        "Done"
    );
    let (st, body) = admin(
        &app,
        "POST",
        "/global/tasks/add",
        Some(json!({"task_title": "No one", "task_status": "To do"})),
    )
    .await;
    assert_eq!(
        (st, body["data"]["task_assignee"][0].clone()),
        (400, json!("Missing data for required field."))
    );
    let (st, body) = admin(&app, "POST", "/global/tasks/update-status", Some(json!({"task_id": g}))).await;
    assert_eq!((st, s(&body["message"])), (400, "Missing parameter".to_string()));
    // A case's task is no global task.
    let case_task = get(&app, &format!("/case/tasks/list?cid={case}")).await["data"]["tasks"][0]["task_id"]
        .as_i64()
        .unwrap();
    let (st, body) = admin(&app, "GET", &format!("/global/tasks/delete/{case_task}"), None).await;
    assert_eq!((st, s(&body["message"])), (400, "Unknown task ID !".to_string()));
    assert_eq!(
        get(&app, &format!("/global/tasks/delete/{g}")).await["message"],
        "Task deleted"
    );
    assert_eq!(get(&app, "/global/tasks/list").await["data"], json!([]));
});

both_dbs!(task_logs_and_outcomes, |app: TestApp| async move {
    let (case, other) = two_cases(&app).await;
    // The spec's example: a task log, kept as the case's activity (IRIS v2 answers it).
    let logged = post(&app, "/case/tasklog/add", json!({"log_content": "A test", "cid": case})).await;
    assert_eq!(logged["message"], "Log saved");
    assert_eq!(logged["data"]["activity_desc"], "A test");
    assert_eq!(logged["data"]["case_id"], case);
    assert_eq!(logged["data"]["user_input"], true);
    let read = |n: i64| {
        let app = &app;
        async move {
            let d = app
                .data(
                    "query($n: Int!) { cases(filter: { number: { eq: $n } }) { nodes { outcome activities { text user { username } } } } }",
                    json!({ "n": n }),
                )
                .await;
            d["cases"]["nodes"][0].clone()
        }
    };
    assert_eq!(
        read(case).await["activities"],
        json!([{"text": "A test", "user": {"username": "admin"}}])
    );
    assert_eq!(read(other).await["activities"], json!([]));
    // Bad bodies: IRIS's field map, and nothing written.
    for (body, field, message) in [
        (json!({"cid": case}), "log_content", "Missing data for required field."),
        (
            json!({"log_content": "", "cid": case}),
            "log_content",
            "Shorter than minimum length 1.",
        ),
        (
            json!({"log_content": 3, "cid": case}),
            "log_content",
            "Not a valid string.",
        ),
        (
            json!({"log_content": "x", "log": "x", "cid": case}),
            "log",
            "Unknown field.",
        ),
    ] {
        let (st, answer) = admin(&app, "POST", "/case/tasklog/add", Some(body.clone())).await;
        assert_eq!(
            (st, &answer["message"]),
            (400, &json!("Data error")),
            "{body}: {answer}"
        );
        assert_eq!(answer["data"][field][0], message, "{body}: {answer}");
    }
    assert_eq!(read(case).await["activities"].as_array().unwrap().len(), 1);

    // Outcomes: IRIS's list, set by id, read in the graph and in IRIS's case.
    let outcomes = get(&app, "//manage/outcome-status/list?cid=1").await["data"].clone();
    assert_eq!(
        outcomes,
        json!([{"value": 0, "name": "Unknown"}, {"value": 1, "name": "False positive"},
               {"value": 2, "name": "True positive with impact"}, {"value": 3, "name": "Not applicable"},
               {"value": 4, "name": "True positive without impact"}, {"value": 5, "name": "Legitimate"}])
    );
    assert_eq!(read(case).await["outcome"], "UNKNOWN");
    let set = post(
        &app,
        &format!("/case/update-status?cid={case}"),
        json!({"status_id": 1}),
    )
    .await;
    assert_eq!(
        (&set["message"], &set["data"]),
        (&json!("Case status updated"), &json!(1))
    );
    assert_eq!(read(case).await["outcome"], "FALSE_POSITIVE");
    assert_eq!(read(other).await["outcome"], "UNKNOWN");
    let detail = get(&app, &format!("/manage/cases/{case}")).await["data"].clone();
    assert_eq!(
        (&detail["status_id"], &detail["status_name"]),
        (&json!(1), &json!("False positive"))
    );
    for (body, message) in [
        (json!({"status_id": 9}), "Invalid status"),
        (json!({"status_id": "x"}), "Invalid status"),
        (json!({}), "Invalid status. Expected int"),
    ] {
        let (st, answer) = admin(&app, "POST", &format!("/case/update-status?cid={case}"), Some(body)).await;
        assert_eq!((st, &answer["message"]), (400, &json!(message)), "{answer}");
    }
    assert_eq!(read(case).await["outcome"], "FALSE_POSITIVE");
    // The states IRIS v2 lists: a Pivot case is open (3) or closed (9).
    let states = get(&app, "/manage/case-states/list").await["data"].clone();
    assert_eq!(states.as_array().unwrap().len(), 9);
    assert_eq!(
        (&states[2]["state_id"], &states[2]["state_name"]),
        (&json!(3), &json!("Open"))
    );
    assert_eq!(
        (&states[8]["state_id"], &states[8]["state_name"]),
        (&json!(9), &json!("Closed"))
    );

    // Both writes are in the audit log, on the case.
    let audit = app
        .data(
            r#"{ auditEvents(filter: { action: { in: ["logCaseActivity", "updateCase"] } }) { nodes { action objectType } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        audit["auditEvents"]["nodes"],
        json!([{"action": "logCaseActivity", "objectType": "Case"}, {"action": "updateCase", "objectType": "Case"}])
    );
});

both_dbs!(note_directories, |app: TestApp| async move {
    let (case, other) = two_cases(&app).await;
    // IRIS v2's directories, as the client makes them: one at the top, one inside it.
    let top = post(
        &app,
        &format!("/case/notes/directories/add?cid={case}"),
        json!({"name": "Triage", "parent_id": null}),
    )
    .await;
    assert_eq!(top["message"], "Directory added");
    let top_id = top["data"]["id"].as_i64().unwrap();
    assert_eq!(
        top["data"],
        json!({"id": top_id, "name": "Triage", "parent_id": null, "case_id": case})
    );
    let inner = post(
        &app,
        &format!("/case/notes/directories/add?cid={case}"),
        json!({"name": "Hosts", "parent_id": top_id}),
    )
    .await;
    let inner_id = inner["data"]["id"].as_i64().unwrap();
    assert_eq!(inner["data"]["parent_id"], top_id);
    // A note in the inner directory (the client's body).
    let note = post(
        &app,
        &format!("/case/notes/add?cid={case}"),
        json!({"note_title": "web01", "note_content": "isolated", "directory_id": inner_id, "custom_attributes": {}}),
    )
    .await;
    let note_id = note["data"]["note_id"].as_i64().unwrap();
    // The list: every directory by name, with its notes and its tree.
    let listed = get(&app, &format!("/case/notes/directories/filter?cid={case}")).await["data"].clone();
    assert_eq!(
        listed,
        json!([
            {"id": inner_id, "name": "Hosts", "note_count": 1, "subdirectories": [], "notes": [{"id": note_id, "title": "web01"}]},
            {"id": top_id, "name": "Triage", "note_count": 0, "notes": [],
             "subdirectories": [{"id": inner_id, "name": "Hosts", "note_count": 1, "subdirectories": []}]},
        ])
    );
    assert_eq!(
        get(&app, &format!("/case/notes/directories/filter?cid={other}")).await["data"],
        json!([])
    );
    // The same in the graph.
    let groups = app
        .data(
            "query($n: Int!) { cases(filter: { number: { eq: $n } }) { nodes { noteGroups { title parent { title } groups { title } notes { title } } } } }",
            json!({ "n": case }),
        )
        .await;
    assert_eq!(
        groups["cases"]["nodes"][0]["noteGroups"],
        json!([
            {"title": "Triage", "parent": null, "groups": [{"title": "Hosts"}], "notes": []},
            {"title": "Hosts", "parent": {"title": "Triage"}, "groups": [], "notes": [{"title": "web01"}]},
        ])
    );
    // Renamed, then moved to the top.
    let renamed = post(
        &app,
        &format!("/case/notes/directories/update/{inner_id}?cid={case}"),
        json!({"name": "Servers"}),
    )
    .await;
    assert_eq!(renamed["message"], "Directory modified");
    assert_eq!(
        (&renamed["data"]["name"], &renamed["data"]["parent_id"]),
        (&json!("Servers"), &json!(top_id))
    );
    let moved = post(
        &app,
        &format!("/case/notes/directories/update/{inner_id}?cid={case}"),
        json!({"parent_id": null}),
    )
    .await;
    assert_eq!(moved["data"]["parent_id"], Value::Null);
    // Refused: a directory inside itself or inside its own child, a parent of another
    // case, another case's directory, a missing name, a wrong type.
    post(
        &app,
        &format!("/case/notes/directories/update/{inner_id}?cid={case}"),
        json!({"parent_id": top_id}),
    )
    .await;
    let elsewhere = post(
        &app,
        &format!("/case/notes/directories/add?cid={other}"),
        json!({"name": "Other"}),
    )
    .await["data"]["id"]
        .as_i64()
        .unwrap();
    let invalid_parent = json!({"parent_id": ["Invalid parent id for the directory"]});
    for (path, body, message, data) in [
        (
            format!("/case/notes/directories/update/{top_id}?cid={case}"),
            json!({"parent_id": top_id}),
            "Data error",
            invalid_parent.clone(),
        ),
        (
            format!("/case/notes/directories/update/{top_id}?cid={case}"),
            json!({"parent_id": inner_id}),
            "Data error",
            invalid_parent.clone(),
        ),
        (
            format!("/case/notes/directories/add?cid={case}"),
            json!({"name": "X", "parent_id": elsewhere}),
            "Data error",
            invalid_parent.clone(),
        ),
        (
            format!("/case/notes/directories/add?cid={case}"),
            json!({"name": "X", "parent_id": 999_999}),
            "Data error",
            invalid_parent.clone(),
        ),
        (
            format!("/case/notes/directories/update/{elsewhere}?cid={case}"),
            json!({"name": "Mine"}),
            "Invalid directory ID",
            json!([]),
        ),
        (
            format!("/case/notes/directories/delete/{elsewhere}?cid={case}"),
            json!({}),
            "Invalid directory ID",
            json!([]),
        ),
        (
            format!("/case/notes/directories/add?cid={case}"),
            json!({"parent_id": null}),
            "Data error",
            json!({"name": ["Missing data for required field."]}),
        ),
        (
            format!("/case/notes/directories/add?cid={case}"),
            json!({"name": 5}),
            "Data error",
            json!({"name": ["Not a valid string."]}),
        ),
    ] {
        let (st, answer) = admin(&app, "POST", &path, Some(body.clone())).await;
        assert_eq!(
            (st, &answer["message"], &answer["data"]),
            (400, &json!(message), &data),
            "{path} {body}"
        );
    }
    // Deleting the top directory takes what is inside it, notes included.
    let deleted = post(
        &app,
        &format!("/case/notes/directories/delete/{top_id}?cid={case}"),
        json!({}),
    )
    .await;
    assert_eq!(
        (&deleted["message"], &deleted["data"]),
        (&json!("Directory deleted"), &json!([]))
    );
    assert_eq!(
        get(&app, &format!("/case/notes/directories/filter?cid={case}")).await["data"],
        json!([])
    );
    let (st, gone) = admin(&app, "GET", &format!("/case/notes/{note_id}?cid={case}"), None).await;
    assert_eq!((st, &gone["status"]), (400, &json!("error")));
    assert_eq!(
        get(&app, &format!("/case/notes/directories/filter?cid={other}")).await["data"][0]["name"],
        "Other"
    );
});

both_dbs!(users_and_their_keys, |app: TestApp| async move {
    // The client's add_user: a user with an API key at once, which works.
    let added = post(
        &app,
        "/manage/users/add",
        json!({"user_login": "svc-soar", "user_name": "SOAR robot", "user_password": "", "user_email": "soar@example.com",
               "user_is_service_account": true, "cid": 1}),
    )
    .await;
    assert_eq!(added["message"], "user created");
    let id = added["data"]["user_id"].as_i64().unwrap();
    assert_eq!(
        (
            &added["data"]["user_login"],
            &added["data"]["user_name"],
            &added["data"]["user_email"],
            &added["data"]["user_active"]
        ),
        (
            &json!("svc-soar"),
            &json!("SOAR robot"),
            &json!("soar@example.com"),
            &json!(true)
        )
    );
    let key = added["data"]["user_api_key"].as_str().expect("an API key").to_string();
    let (st, ping) = iris(&app, Some(&key), "GET", "/api/ping", None).await;
    assert_eq!((st, &ping["status"]), (200, &json!("success")));
    // A viewer in Pivot: it reads cases, and may not make them.
    let (st, _) = iris(&app, Some(&key), "GET", "/manage/cases/list", None).await;
    assert_eq!(st, 200);
    let (st, refused) = iris(
        &app,
        Some(&key),
        "POST",
        "/manage/cases/add",
        Some(json!({"case_name": "x"})),
    )
    .await;
    assert_eq!((st, &refused["status"]), (403, &json!("error")));
    // Read back: by id, by login, in both lists; the graph agrees.
    let detail = get(&app, &format!("/manage/users/{id}")).await["data"].clone();
    assert_eq!(
        (&detail["user_login"], &detail["user_customers"]),
        (&json!("svc-soar"), &json!([]))
    );
    assert_eq!(
        get(&app, "/manage/users/lookup/login/svc-soar").await["data"]["user_id"],
        id
    );
    assert_eq!(
        get(&app, &format!("/manage/users/lookup/id/{id}")).await["data"]["user_login"],
        "svc-soar"
    );
    let listed = get(&app, "/manage/users/list").await["data"].clone();
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["user_id"] == id && u["user_email"] == "soar@example.com"));
    let restricted = get(&app, "/manage/users/restricted/list").await["data"].clone();
    assert!(restricted
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["user_id"] == id && u.get("user_email").is_none()));
    let d = app
        .data(
            r#"{ users(filter: { username: { eq: "svc-soar" } }) { nodes { displayName email role active } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        d["users"]["nodes"][0],
        json!({"displayName": "SOAR robot", "email": "soar@example.com", "role": "viewer", "active": true})
    );
    // The client's update_user: name, email and a new password; the login stays.
    let updated = post(
        &app,
        &format!("/manage/users/update/{id}"),
        json!({"user_login": null, "user_name": "SOAR", "user_email": "soar2@example.com", "user_password": "a new long password", "cid": 1}),
    )
    .await;
    assert_eq!(
        (&updated["message"], &updated["data"]["user_name"]),
        (&json!("User updated"), &json!("SOAR"))
    );
    let login = app
        .anonymous
        .post(app.url("/graphql"))
        .json(&json!({"query": "mutation { login(username: \"svc-soar\", password: \"a new long password\") { username } }"}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(login["data"]["login"]["username"], "svc-soar", "{login}");
    // Refused, and nothing changed: a new login, a short password, a taken login, missing fields.
    for (path, body, data) in [
        (
            format!("/manage/users/update/{id}"),
            json!({"user_login": "renamed"}),
            json!({"user_login": ["Pivot keeps a user's login: it cannot be changed"]}),
        ),
        (
            format!("/manage/users/update/{id}"),
            json!({"user_password": "short"}),
            json!({"user_password": ["Password must be at least 12 characters long"]}),
        ),
        (
            "/manage/users/add".to_string(),
            json!({"user_login": "svc-soar", "user_name": "Again", "user_email": "a@example.com", "user_password": "a long enough password"}),
            json!({"user_login": ["User name already taken"]}),
        ),
        (
            "/manage/users/add".to_string(),
            json!({"user_login": "nobody"}),
            json!({"user_name": ["Missing data for required field."], "user_email": ["Missing data for required field."], "user_password": ["Missing data for required field."]}),
        ),
    ] {
        let (st, answer) = admin(&app, "POST", &path, Some(body.clone())).await;
        assert_eq!(
            (st, &answer["message"], &answer["data"]),
            (400, &json!("Data error"), &data),
            "{path} {body}"
        );
    }
    assert_eq!(
        get(&app, &format!("/manage/users/{id}")).await["data"]["user_name"],
        "SOAR"
    );
    let (st, unknown) = admin(&app, "GET", "/manage/users/99999", None).await;
    assert_eq!((st, &unknown["message"]), (400, &json!("Invalid user ID")));
    // Deletion needs a deactivated user; deactivating oneself is refused.
    let (st, active) = admin(&app, "POST", &format!("/manage/users/delete/{id}"), Some(json!({}))).await;
    assert_eq!((st, &active["message"]), (400, &json!("Cannot delete active user")));
    let me = user_number(&app, "admin").await;
    let (st, myself) = admin(&app, "GET", &format!("/manage/users/deactivate/{me}"), None).await;
    assert_eq!(
        (st, &myself["message"]),
        (
            400,
            &json!("We do not recommend deactivating yourself for obvious reasons")
        )
    );
    let off = get(&app, &format!("/manage/users/deactivate/{id}")).await;
    assert_eq!(
        (&off["message"], &off["data"]["user_active"]),
        (&json!("User deactivated"), &json!(false))
    );
    let (st, _) = iris(&app, Some(&key), "GET", "/api/ping", None).await;
    assert_eq!(st, 401, "a deactivated user's key stops working");
    // A user who acted (it signed in, it was refused a case) stays, as in IRIS.
    let (st, acted) = admin(&app, "POST", &format!("/manage/users/delete/{id}"), Some(json!({}))).await;
    assert_eq!(
        (st, &acted["message"]),
        (400, &json!("user svc-soar has acted in Pivot: deactivate it instead"))
    );
    // One who never did goes.
    let body = json!({"user_login": "temp", "user_name": "Temp", "user_email": "t@example.com", "user_password": "a long enough password"});
    let temp = post(&app, "/manage/users/add", body).await["data"]["user_id"]
        .as_i64()
        .unwrap();
    get(&app, &format!("/manage/users/deactivate/{temp}")).await;
    let deleted = post(&app, &format!("/manage/users/delete/{temp}"), json!({})).await;
    assert_eq!(deleted["message"], format!("Deleted user ID {temp}"));
    let (st, _) = admin(&app, "GET", &format!("/manage/users/{temp}"), None).await;
    assert_eq!(st, 400);
    // Users are administration: an analyst may not list, look up or make them.
    let analyst = app.user("ana", Role::Analyst, "").await;
    for (method, path) in [
        ("GET", "/manage/users/list"),
        ("GET", "/manage/users/restricted/list"),
        ("GET", "/manage/users/lookup/login/ana"),
        ("POST", "/manage/users/add"),
    ] {
        let (st, answer) = iris(&app, Some(&analyst), method, path, Some(json!({}))).await;
        assert_eq!((st, &answer["status"]), (403, &json!("error")), "{method} {path}");
    }
    // Every write is in the audit log.
    let audit = app
        .data(
            r#"{ auditEvents(filter: { action: { in: ["createUser", "createApiToken", "resetPassword", "updateUser", "deleteUser"] } }) { nodes { action } } }"#,
            json!({}),
        )
        .await;
    let actions: Vec<&str> = audit["auditEvents"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "createUser",
            "createApiToken",
            "updateUser",
            "resetPassword",
            "updateUser",
            "createUser",
            "createApiToken",
            "updateUser",
            "deleteUser"
        ]
    );
    // v1.2's `user_isadmin: false` only takes the administrator role away; a refused
    // update changes nothing, its password included.
    let ana = user_number(&app, "ana").await;
    post(
        &app,
        &format!("/manage/users/update/{ana}"),
        json!({"user_isadmin": false, "user_password": ""}),
    )
    .await;
    let boss = post(
        &app,
        "/manage/users/add",
        json!({"user_login": "Boss", "user_name": "Boss", "user_email": "b@example.com", "user_password": "a long enough password", "user_isadmin": true}),
    )
    .await["data"]["user_id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        get(&app, "/manage/users/lookup/login/Boss").await["data"]["user_id"],
        boss
    );
    post(
        &app,
        &format!("/manage/users/update/{boss}"),
        json!({"user_login": "Boss", "user_isadmin": false}),
    )
    .await;
    let roles = app
        .data(
            r#"{ users(filter: { username: { in: ["ana", "boss"] } }) { nodes { username role } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        roles["users"]["nodes"],
        json!([{"username": "ana", "role": "analyst"}, {"username": "boss", "role": "analyst"}])
    );
    let (st, bad) = admin(
        &app,
        "POST",
        &format!("/manage/users/update/{boss}"),
        Some(json!({"user_email": "ab", "user_password": "a brand new password"})),
    )
    .await;
    assert_eq!(
        (st, &bad["data"]),
        (400, &json!({"user_email": ["Not a valid email address."]}))
    );
    let kept = app
        .anonymous
        .post(app.url("/graphql"))
        .json(&json!({"query": "mutation { login(username: \"boss\", password: \"a long enough password\") { username } }"}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(kept["data"]["login"]["username"], "boss", "{kept}");
    // An administrator revokes a token it made for another user; that user's key stops.
    let boss_id = app.user_id("boss").await;
    let made = app
        .data(
            r#"mutation($u: ID!) { createApiToken(name: "for boss", userId: $u) { token apiToken { id } } }"#,
            json!({ "u": boss_id }),
        )
        .await;
    let (key, token_id) = (
        s(&made["createApiToken"]["token"]),
        made["createApiToken"]["apiToken"]["id"].clone(),
    );
    assert_eq!(iris(&app, Some(&key), "GET", "/api/ping", None).await.0, 200);
    let refused = app
        .gql_as(
            &analyst,
            "mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }",
            json!({ "id": token_id }),
        )
        .await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "NOT_FOUND", "{refused}");
    let revoked = app
        .data(
            "mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }",
            json!({ "id": token_id }),
        )
        .await;
    assert!(revoked["revokeApiToken"]["revokedAt"].is_string(), "{revoked}");
    assert_eq!(iris(&app, Some(&key), "GET", "/api/ping", None).await.0, 401);
});

// The spec's examples the tests above do not replay as written: v1.2's GET variants,
// bodies sent whole (with `cid` in the body), and v1.2's answer shapes.
both_dbs!(spec_examples_replayed, |app: TestApp| async move {
    let (case, other) = two_cases(&app).await;
    // #4, #5 by GET, as v1.2 took them (the case deleted is not the current one).
    get(&app, &format!("/manage/cases/close/{other}")).await;
    let reopened = get(&app, &format!("/manage/cases/reopen/{other}")).await;
    assert_eq!(
        (&reopened["message"], &reopened["data"]["close_date"]),
        (&json!("Case reopened successfully"), &Value::Null)
    );
    let deleted = get(&app, &format!("/manage/cases/delete/{other}?cid={case}")).await;
    assert_eq!(
        deleted,
        json!({"status": "success", "message": "Case successfully deleted", "data": []})
    );

    // #7: a global task's status set back to "To do".
    let admin_id = user_number(&app, "admin").await;
    post(&app, "/global/tasks/add", json!({"task_assignee": admin_id, "task_status": "In progress", "task_title": "Report", "task_description": "", "task_tags": ""})).await;
    let g = get(&app, "/global/tasks/list").await["data"][0]["task_id"]
        .as_i64()
        .unwrap();
    let status = post(
        &app,
        "/global/tasks/update-status",
        json!({"task_id": g, "task_status": "To do"}),
    )
    .await;
    assert_eq!(status, json!({"status": "success", "message": "Updated", "data": []}));
    assert_eq!(get(&app, "/global/tasks/list").await["data"][0]["task_status"], "To do");

    // #21 by GET; #23 on v2's path with the spec's body; #24 with `cid` in the body.
    let group = post(
        &app,
        "/case/notes/groups/add",
        json!({"group_title": "Test", "cid": case}),
    )
    .await["data"]["group_id"]
        .as_i64()
        .unwrap();
    let nid = post(
        &app,
        "/case/notes/add",
        json!({"note_title": "string", "note_content": "string", "group_id": group, "cid": case}),
    )
    .await["data"]["note_id"]
        .as_i64()
        .unwrap();
    let updated = post(
        &app,
        &format!("/case/notes/update/{nid}"),
        json!({"note_title": "string", "note_content": "updated string", "cid": case}),
    )
    .await;
    assert_eq!(updated["data"]["note_content"], "updated string");
    let found = post(
        &app,
        "/case/notes/search",
        json!({"search_term": "updated", "cid": case}),
    )
    .await;
    assert_eq!(found["data"].as_array().unwrap().len(), 1, "{found}");
    let gone = get(&app, &format!("/case/notes/delete/{nid}?cid={case}")).await;
    assert_eq!(gone, json!({"status": "success", "message": "Deleted", "data": []}));

    // #30 on v1.2's path with an asset; #32 on v2's path.
    let asset = post(
        &app,
        "/case/assets/add",
        json!({"asset_name": "web01", "asset_type_id": 3, "analysis_status_id": 1, "cid": case}),
    )
    .await["data"]["asset_id"]
        .as_i64()
        .unwrap();
    let event = post(
        &app,
        "/case/timeline/event/add",
        json!({"event_title": "Beacon", "event_content": "", "event_raw": "", "event_source": "", "event_date": "2026-01-15T10:00:00.000",
               "event_tz": "+00:00", "event_category_id": 1, "event_assets": [asset], "event_tags": "", "event_color": "",
               "event_in_graph": true, "event_in_summary": false, "cid": case}),
    )
    .await["data"]["event_id"]
        .as_i64()
        .unwrap();
    let by_asset = get(&app, &format!("/case/timeline/get/{asset}?cid={case}")).await["data"]["timeline"].clone();
    assert_eq!(by_asset.as_array().unwrap().len(), 1, "{by_asset}");
    assert_eq!(
        get(&app, &format!("/case/timeline/events/{event}?cid={case}")).await["data"]["event_title"],
        "Beacon"
    );

    // #38: a case task updated with every field of the spec's body.
    let t = post(
        &app,
        "/case/tasks/add",
        json!({"task_assignee_id": admin_id, "task_status": "To do", "task_title": "Task", "cid": case}),
    )
    .await["data"]["id"]
        .as_i64()
        .unwrap();
    let task = post(
        &app,
        &format!("/case/tasks/update/{t}"),
        json!({"task_assignee_id": admin_id, "task_status": "In progress", "task_title": "Collect logs", "task_description": "proxy and DNS", "task_tags": "logs", "cid": case}),
    )
    .await;
    assert_eq!(task["message"], "");
    let read = get(&app, &format!("/case/tasks/{t}?cid={case}")).await["data"].clone();
    assert_eq!(
        (
            &read["task_title"],
            &read["task_description"],
            &read["task_tags"],
            &read["task_status_id"]
        ),
        (
            &json!("Collect logs"),
            &json!("proxy and DNS"),
            &json!("logs"),
            &json!(2)
        )
    );

    // #41: an evidence updated with every field of the spec's body (a real digest).
    let e = post(
        &app,
        "/case/evidences/add",
        json!({"filename": "a.raw", "file_size": 1, "cid": case}),
    )
    .await["data"]["id"]
        .as_i64()
        .unwrap();
    let digest = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let ev = post(
        &app,
        &format!("/case/evidences/update/{e}"),
        json!({"filename": "memory.raw", "file_size": 4096, "file_hash": digest, "file_description": "RAM", "cid": case}),
    )
    .await["data"]
        .clone();
    assert_eq!(
        (
            &ev["filename"],
            &ev["file_size"],
            &ev["file_hash"],
            &ev["file_description"]
        ),
        (&json!("memory.raw"), &json!(4096), &json!(digest), &json!("RAM"))
    );

    // #45 and #44 with the spec's bodies (v1.2's `user_isadmin` makes an administrator),
    // #46 in v1.2's shape as well as v2's, #43 by GET.
    let added = post(
        &app,
        "/manage/users/add",
        json!({"user_name": "User 1", "user_login": "user_1", "user_email": "user_1@example.com", "user_password": "a long enough password"}),
    )
    .await["data"]
        .clone();
    let id = added["id"].as_i64().unwrap();
    assert_eq!(
        (
            &added["active"],
            &added["user_id"],
            &added["user_login"],
            &added["user_name"],
            &added["user_isadmin"]
        ),
        (
            &json!(true),
            &json!(id),
            &json!("user_1"),
            &json!("User 1"),
            &json!(false)
        )
    );
    let updated = post(
        &app,
        &format!("/manage/users/update/{id}"),
        json!({"cid": 1, "user_name": "User One", "user_login": "user_1", "user_email": "one@example.com", "user_password": "another long password", "user_isadmin": true}),
    )
    .await["data"]
        .clone();
    assert_eq!(
        (&updated["user_name"], &updated["user_isadmin"]),
        (&json!("User One"), &json!(true))
    );
    let detail = get(&app, &format!("/manage/users/{id}")).await["data"].clone();
    assert_eq!(
        (
            &detail["active"],
            &detail["email"],
            &detail["id"],
            &detail["name"],
            &detail["user"],
            &detail["user_roles_str"]
        ),
        (
            &json!(true),
            &json!("one@example.com"),
            &json!(id),
            &json!("User One"),
            &json!("user_1"),
            &json!(["admin"])
        )
    );
    let (st, active) = admin(&app, "GET", &format!("/manage/users/delete/{id}"), None).await;
    assert_eq!(
        (st, active),
        (
            400,
            json!({"status": "error", "message": "Cannot delete active user", "data": []})
        )
    );
});
