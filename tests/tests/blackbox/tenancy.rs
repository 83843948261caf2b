//! Customers as tenants: a user limited to some customers sees only their cases and
//! what hangs off them, through root fields, edges, `node(id:)`, search and mutations;
//! an object outside reads exactly like one that does not exist.

use serde_json::{json, Value};
use server::domain::users::Role;
use tests::{both_dbs, s, TestApp};

async fn id(app: &TestApp, query: &str, vars: Value) -> String {
    let d = app.data(query, vars).await;
    let first = d.as_object().unwrap().values().next().unwrap();
    s(&first["id"])
}

both_dbs!(limited_users_see_their_customers_only, |app: TestApp| async move {
    let create_customer = "mutation($n: String!) { createCustomer(name: $n) { id } }";
    let a = id(&app, create_customer, json!({"n": "Alpha"})).await;
    let b = id(&app, create_customer, json!({"n": "Bravo"})).await;
    let create_case = "mutation($c: ID!, $n: String!) { createCase(input: {name: $n, customerId: $c}) { id } }";
    let case_a = id(&app, create_case, json!({"c": a, "n": "Alpha phish"})).await;
    let case_b = id(&app, create_case, json!({"c": b, "n": "Bravo ransomware"})).await;
    let add_ioc =
        "mutation($v: String!, $c: ID!) { addIoc(input: {type: \"ip-src\", value: $v, caseIds: [$c]}) { id } }";
    let ioc_a = id(&app, add_ioc, json!({"v": "10.7.0.9", "c": case_a})).await;
    let ioc_b = id(&app, add_ioc, json!({"v": "10.7.0.1", "c": case_b})).await;
    app.data("mutation { createHost(input: {ip: \"10.7.0.1\"}) { id } }", json!({}))
        .await;
    app.data(
        "mutation($c: ID!) { createAsset(input: {caseId: $c, name: \"srv\", assetTypeId: \"QXNzZXRUeXBlOjE\", ip: \"10.7.0.1\"}) { id } }",
        json!({"c": case_b}),
    )
    .await;
    let note = "mutation($i: CreateNoteInput!) { createNote(input: $i) { id } }";
    id(&app, note, json!({"i": {"subjectId": case_a, "body": "plan alpha"}})).await;
    let note_b = id(&app, note, json!({"i": {"subjectId": case_b, "body": "plan bravo"}})).await;
    let task_b = id(
        &app,
        "mutation($c: ID!) { createTask(input: {title: \"restore\", caseId: $c}) { id } }",
        json!({"c": case_b}),
    )
    .await;

    // An analyst limited to Alpha, set through the API.
    let token = app.user("lim", Role::Analyst, "").await;
    let lim = app.user_id("lim").await;
    let d = app
        .data(
            "mutation($id: ID!, $c: [ID!]) { updateUser(id: $id, input: {customerIds: $c}) { customers { name } } }",
            json!({"id": lim, "c": [a]}),
        )
        .await;
    assert_eq!(d["updateUser"]["customers"], json!([{"name": "Alpha"}]));
    let as_lim = |q: &'static str, v: Value| {
        let (app, token) = (&app, token.clone());
        async move { app.gql_as(&token, q, v).await }
    };

    // Root fields, with their counts.
    let r = as_lim(
        "{ cases { totalCount nodes { name } } customers { totalCount nodes { name } }
           iocs { nodes { value } } notes(filter: {search: \"plan\"}) { totalCount nodes { body } } tasks { totalCount } }",
        json!({}),
    )
    .await;
    assert_eq!(
        r["data"]["cases"],
        json!({"totalCount": 1, "nodes": [{"name": "Alpha phish"}]}),
        "{r}"
    );
    assert_eq!(
        r["data"]["customers"],
        json!({"totalCount": 1, "nodes": [{"name": "Alpha"}]})
    );
    assert_eq!(r["data"]["iocs"]["nodes"], json!([{"value": "10.7.0.9"}]));
    assert_eq!(
        r["data"]["notes"],
        json!({"totalCount": 1, "nodes": [{"body": "plan alpha"}]})
    );
    assert_eq!(r["data"]["tasks"]["totalCount"], 0);

    // Edges: the host's IOCs, assets and cases hide Bravo's.
    let r = as_lim(
        "{ hosts { nodes { ip iocs { value } assets { name } cases { name } } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        r["data"]["hosts"]["nodes"],
        json!([{"ip": "10.7.0.1", "iocs": [], "assets": [], "cases": []}]),
        "{r}"
    );
    // The admin sees them all.
    let d = app
        .data(
            "{ hosts { nodes { iocs { value } assets { name } cases { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(d["hosts"]["nodes"][0]["cases"], json!([{"name": "Bravo ransomware"}]));

    // node(id:) and nodes(ids:): Bravo's objects are null, like missing ones.
    let r = as_lim(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        json!({"ids": [case_a, case_b, ioc_b, note_b, task_b, b, "Q2FzZTo5OTk"]}),
    )
    .await;
    let found: Vec<bool> = r["data"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| !n.is_null())
        .collect();
    assert_eq!(found, [true, false, false, false, false, false, false], "{r}");
    let _ = ioc_a;

    // Mutations naming Bravo's objects fail exactly as for objects that do not exist.
    let update = "mutation($id: ID!) { updateCase(id: $id, input: {description: \"x\"}) { id } }";
    let hidden = as_lim(update, json!({"id": case_b})).await;
    let missing_id = "Q2FzZTo5OTk"; // Case:999
    let missing = as_lim(update, json!({"id": missing_id})).await;
    assert_eq!(hidden["errors"][0]["extensions"]["code"], "NOT_FOUND", "{hidden}");
    assert_eq!(
        hidden["errors"][0]["message"]
            .as_str()
            .unwrap()
            .replace(&case_b_number(&case_b), "N"),
        missing["errors"][0]["message"].as_str().unwrap().replace("999", "N"),
    );
    for (q, v) in [
        (create_case, json!({"c": b, "n": "sneaky"})),
        (
            "mutation($i: ID!, $c: ID!) { linkIoc(iocId: $i, caseId: $c) { id } }",
            json!({"i": ioc_a, "c": case_b}),
        ),
        ("mutation($id: ID!) { deleteTask(id: $id) }", json!({"id": task_b})),
        (note, json!({"i": {"subjectId": case_b, "body": "sneaky"}})),
    ] {
        let r = as_lim(q, v).await;
        assert_eq!(r["errors"][0]["extensions"]["code"], "NOT_FOUND", "{q}: {r}");
    }
    let d = app
        .data("{ cases { totalCount } tasks { totalCount } }", json!({}))
        .await;
    assert_eq!(
        d,
        json!({"cases": {"totalCount": 2}, "tasks": {"totalCount": 1}}),
        "nothing changed"
    );
    // Within Alpha, work goes on.
    let r = as_lim(create_case, json!({"c": a, "n": "Alpha follow-up"})).await;
    assert!(r["errors"].is_null(), "{r}");

    // Lifting the limit shows everything again.
    app.data(
        "mutation($id: ID!) { updateUser(id: $id, input: {customerIds: []}) { customers { name } } }",
        json!({"id": lim}),
    )
    .await;
    let r = as_lim("{ cases { totalCount } me { customers { name } } }", json!({})).await;
    assert_eq!(r["data"], json!({"cases": {"totalCount": 3}, "me": {"customers": []}}));
});

/// The row number inside a global ID (`Case:7` → `7`).
fn case_b_number(id: &str) -> String {
    use base64::Engine;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(id).unwrap();
    String::from_utf8(raw).unwrap().split(':').nth(1).unwrap().to_string()
}
