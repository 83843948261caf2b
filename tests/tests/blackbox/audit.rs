//! The audit log: every mutation, sign-in, sign-out, token change and refusal is on
//! record, in the transaction of the change (a failed change leaves no event), and
//! readable by administrators (everyone else reads their own).

use serde_json::{json, Value};
use server::domain::users::Role;
use tests::{both_dbs, s, TestApp};

const EVENTS: &str = "query($f: AuditEventFilter) { auditEvents(filter: $f, last: 100) {
    totalCount nodes { id at action objectType objectId address detail user { username } } } }";

async fn events(app: &TestApp, filter: Value) -> Vec<Value> {
    let d = app.data(EVENTS, json!({ "f": filter })).await;
    d["auditEvents"]["nodes"].as_array().unwrap().clone()
}

both_dbs!(mutations_are_recorded_with_their_change, |app: TestApp| async move {
    let d = app
        .data("mutation { createCustomer(name: \"ACME\") { id } }", json!({}))
        .await;
    let customer = s(&d["createCustomer"]["id"]);
    let d = app
        .data(
            "mutation($c: ID!) { createCase(input: {name: \"Phish\", customerId: $c}) { id } }",
            json!({"c": customer}),
        )
        .await;
    let case = s(&d["createCase"]["id"]);
    app.data(
        "mutation($id: ID!) { updateCase(id: $id, input: {description: \"from the SOC\"}) { id } }",
        json!({"id": case}),
    )
    .await;

    let list = events(&app, json!({"objectId": {"eq": case}})).await;
    let actions: Vec<&str> = list.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["createCase", "updateCase"]);
    let created = &list[0];
    assert_eq!(created["objectType"], "Case");
    assert_eq!(created["user"]["username"], "admin");
    assert_eq!(created["address"], "127.0.0.1");
    assert_eq!(created["detail"]["input"]["name"], "Phish");
    let at = chrono::DateTime::parse_from_rfc3339(created["at"].as_str().unwrap()).unwrap();
    assert!((chrono::Utc::now() - at.to_utc()).num_seconds() < 60);
    // An event is a node too.
    let d = app
        .data(
            "query($id: ID!) { node(id: $id) { ... on AuditEvent { action } } }",
            json!({"id": created["id"]}),
        )
        .await;
    assert_eq!(d["node"]["action"], "createCase");

    // Failed and refused changes leave no event: bad input, and a conflict found
    // after part of the work was done (the customer has a case).
    let before = events(&app, json!({})).await.len();
    app.expect_error(
        "BAD_USER_INPUT",
        "mutation { createCase(input: {name: \"\"}) { id } }",
        json!({}),
    )
    .await;
    app.expect_error(
        "CONFLICT",
        "mutation($id: ID!) { deleteCustomer(id: $id) }",
        json!({"id": customer}),
    )
    .await;
    assert_eq!(events(&app, json!({})).await.len(), before);

    // Deletes name the object they removed; secrets never reach the log.
    app.data("mutation($id: ID!) { deleteCase(id: $id) }", json!({"id": case}))
        .await;
    let list = events(&app, json!({"action": {"in": ["deleteCase"]}})).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["objectId"], json!(case));
    let d = app
        .data(
            "mutation { createUser(input: {username: \"dora\", password: \"correct horse battery\", role: VIEWER}) { id } }",
            json!({}),
        )
        .await;
    let dora = s(&d["createUser"]["id"]);
    app.data(
        "mutation($id: ID!) { resetPassword(id: $id, password: \"another long secret\") { id } }",
        json!({"id": dora}),
    )
    .await;
    let d = app
        .data(
            "mutation { createApiToken(name: \"ci\") { token apiToken { id } } }",
            json!({}),
        )
        .await;
    let token = s(&d["createApiToken"]["token"]);
    let token_id = s(&d["createApiToken"]["apiToken"]["id"]);
    app.data(
        "mutation($id: ID!) { revokeApiToken(id: $id) { id } }",
        json!({"id": token_id}),
    )
    .await;
    let all = serde_json::to_string(&events(&app, json!({})).await).unwrap();
    for secret in ["correct horse battery", "another long secret", token.as_str()] {
        assert!(!all.contains(secret), "{secret} leaked into the audit log");
    }
    let list = events(
        &app,
        json!({"action": {"in": ["createApiToken", "revokeApiToken", "resetPassword"]}}),
    )
    .await;
    let touched: Vec<(&str, &str)> = list
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["objectType"].as_str().unwrap()))
        .collect();
    assert_eq!(
        touched,
        [
            ("resetPassword", "User"),
            ("createApiToken", "ApiToken"),
            ("revokeApiToken", "ApiToken")
        ]
    );
    assert_eq!(list[0]["detail"]["password"], "[redacted]");
});

both_dbs!(refusals_and_who_reads_the_log, |app: TestApp| async move {
    let viewer = app.user("vic", Role::Viewer, "").await;
    // A refused mutation and a refused read: one event each, even when the refused
    // field is asked of many parents.
    for _ in 0..2 {
        let res = app
            .gql_as(
                &viewer,
                "mutation { createHost(input: {ip: \"10.0.0.9\"}) { id } }",
                json!({}),
            )
            .await;
        assert_eq!(res["errors"][0]["extensions"]["code"], "FORBIDDEN");
    }
    let res = app.gql_as(&viewer, "{ users { totalCount } }", json!({})).await;
    assert_eq!(res["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let list = events(&app, json!({"action": {"in": ["forbidden"]}})).await;
    let fields: Vec<&str> = list.iter().map(|e| e["detail"]["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["createHost", "createHost", "users"]);
    assert!(list.iter().all(|e| e["user"]["username"] == "vic"));
    assert_eq!(list[0]["detail"]["needs"], "write access to hosts");

    // The viewer reads its own events only, by query and by node.
    let res = app.gql_as(&viewer, EVENTS, json!({"f": {}})).await;
    let own = res["data"]["auditEvents"]["nodes"].as_array().unwrap();
    assert_eq!(own.len(), 3, "{res}");
    assert!(own.iter().all(|e| e["user"]["username"] == "vic"));
    let admin_event = events(&app, json!({"action": {"in": ["createUser"]}})).await;
    let d = app
        .data("mutation { createHost(input: {ip: \"10.0.0.10\"}) { id } }", json!({}))
        .await;
    assert!(d["createHost"]["id"].is_string());
    let admins = events(&app, json!({"action": {"in": ["createHost"]}})).await;
    let res = app
        .gql_as(
            &viewer,
            "query($id: ID!) { node(id: $id) { id } }",
            json!({"id": admins[0]["id"]}),
        )
        .await;
    assert!(res["data"]["node"].is_null(), "{res}");
    assert!(
        admin_event.is_empty(),
        "the test users were made directly, not by mutation"
    );

    // Filters: by user, by time.
    let d = app.data("{ me { id } }", json!({})).await;
    let mine = events(&app, json!({"userId": {"eq": d["me"]["id"]}})).await;
    assert!(mine.iter().all(|e| e["user"]["username"] == "admin"));
    assert!(!mine.is_empty());
    let none = events(&app, json!({"at": {"lt": "2000-01-01T00:00:00Z"}})).await;
    assert!(none.is_empty());
    app.expect_error(
        "BAD_USER_INPUT",
        EVENTS,
        json!({"f": {"at": {"gte": "2030-01-01T00:00:00Z", "lt": "2020-01-01T00:00:00Z"}}}),
    )
    .await;
});
