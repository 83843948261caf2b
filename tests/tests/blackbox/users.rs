//! User administration through GraphQL, and who did what.

use sea_orm::EntityTrait;
use serde_json::{json, Value};
use server::domain::users::Role;
use tests::{both_dbs, s, TestApp};

fn code(v: &Value) -> &str {
    v["errors"][0]["extensions"]["code"].as_str().unwrap_or("ok")
}

const CREATE: &str =
    "mutation($i: CreateUserInput!) { createUser(input: $i) { id username role active capabilities } }";
const UPDATE: &str =
    "mutation($id: ID!, $i: UserInput!) { updateUser(id: $id, input: $i) { role active email capabilities } }";

both_dbs!(user_administration, |app: TestApp| async move {
    let d = app.data(CREATE, json!({"i": {"username": "Ann", "password": "twelve chars!", "role": "ANALYST", "capabilities": ["data:write"]}})).await;
    assert_eq!(d["createUser"]["username"], "ann");
    assert_eq!(d["createUser"]["capabilities"], json!(["data:write"]));
    let ann = s(&d["createUser"]["id"]);
    app.expect_error(
        "CONFLICT",
        CREATE,
        json!({"i": {"username": "ann", "password": "twelve chars!", "role": "VIEWER"}}),
    )
    .await;
    app.expect_error(
        "BAD_USER_INPUT",
        CREATE,
        json!({"i": {"username": "bob", "password": "short", "role": "VIEWER"}}),
    )
    .await;
    app.expect_error(
        "BAD_USER_INPUT",
        CREATE,
        json!({"i": {"username": "bob", "password": "twelve chars!", "role": "VIEWER", "capabilities": ["root:all"]}}),
    )
    .await;
    app.expect_error(
        "BAD_USER_INPUT",
        CREATE,
        json!({"i": {"username": "b o b", "password": "twelve chars!", "role": "VIEWER"}}),
    )
    .await;
    let d = app.data("{ users { totalCount nodes { username } } }", json!({})).await;
    assert_eq!(d["users"]["totalCount"], 2);

    // Only administrators manage users.
    let token = app.user("carl", Role::Analyst, "").await;
    let r = app.gql_as(&token, "{ users { totalCount } }", json!({})).await;
    assert_eq!(code(&r), "FORBIDDEN");
    let r = app
        .gql_as(
            &token,
            CREATE,
            json!({"i": {"username": "eve", "password": "twelve chars!", "role": "ADMIN"}}),
        )
        .await;
    assert_eq!(code(&r), "FORBIDDEN");
    let r = app.gql_as(&token, "{ me { username } }", json!({})).await;
    assert_eq!(r["data"]["me"]["username"], "carl");

    // Deactivating a user stops its tokens; reactivating brings them back.
    let carl = s(&app.data("{ users { nodes { id username } } }", json!({})).await["users"]["nodes"][2]["id"]);
    app.data(UPDATE, json!({"id": carl, "i": {"active": false}})).await;
    let res = app
        .anonymous
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .json(&json!({"query": "{ me { username } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    let d = app
        .data(
            UPDATE,
            json!({"id": carl, "i": {"active": true, "role": "VIEWER", "email": "carl@example.org"}}),
        )
        .await;
    assert_eq!(
        d["updateUser"],
        json!({"role": "viewer", "active": true, "email": "carl@example.org", "capabilities": []})
    );
    let r = app
        .gql_as(
            &token,
            "mutation { createTask(input: {title: \"x\"}) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&r), "FORBIDDEN", "a viewer now");
    app.expect_error("BAD_USER_INPUT", UPDATE, json!({"id": carl, "i": {"email": "nope"}}))
        .await;

    // The last administrator stays one.
    let admin = s(&app.data("{ me { id } }", json!({})).await["me"]["id"]);
    app.expect_error("CONFLICT", UPDATE, json!({"id": admin, "i": {"role": "VIEWER"}}))
        .await;
    app.expect_error("CONFLICT", UPDATE, json!({"id": admin, "i": {"active": false}}))
        .await;

    // Passwords: the policy holds, the new one verifies.
    let reset = "mutation($id: ID!, $p: String!) { resetPassword(id: $id, password: $p) { id } }";
    app.expect_error("BAD_USER_INPUT", reset, json!({"id": ann, "p": "short"}))
        .await;
    app.data(reset, json!({"id": ann, "p": "a brand new password"})).await;
    let users = entities::user::Entity::find().all(&app.db).await.unwrap();
    let stored = users
        .iter()
        .find(|u| u.username == "ann")
        .unwrap()
        .password_hash
        .clone()
        .unwrap();
    assert!(server::domain::passwords::verify("a brand new password", &stored));

    // Who did what is recorded; a user who acted cannot be deleted.
    let d = app
        .data("mutation { createCustomer(name: \"ACME\") { id } }", json!({}))
        .await;
    let d = app
        .data(
            "mutation($c: ID!) { createCase(input: {name: \"x\", customerId: $c}) { id openedBy { username } } }",
            json!({"c": d["createCustomer"]["id"]}),
        )
        .await;
    assert_eq!(d["createCase"]["openedBy"]["username"], "admin");
    let case = s(&d["createCase"]["id"]);
    let d = app
        .data(
            "mutation($c: ID!) { createNote(input: {subjectId: $c, body: \"b\"}) { author { username } } }",
            json!({"c": case}),
        )
        .await;
    assert_eq!(d["createNote"]["author"]["username"], "admin");
    app.expect_error(
        "CONFLICT",
        "mutation($id: ID!) { deleteUser(id: $id) }",
        json!({"id": admin}),
    )
    .await;
    let d = app
        .data("mutation($id: ID!) { deleteUser(id: $id) }", json!({"id": ann}))
        .await;
    assert_eq!(d["deleteUser"], json!(ann));
    app.expect_error(
        "NOT_FOUND",
        "mutation($id: ID!) { deleteUser(id: $id) }",
        json!({"id": ann}),
    )
    .await;
});

// Preferences: each user's own values, kept by name in the database (every replica
// reads what another wrote), replaced, removed, and checked.
both_dbs!(preferences_are_each_users_own, |app: TestApp| async move {
    const SET: &str = "mutation($n: String!, $v: JSON) { setPreference(name: $n, value: $v) { name value } }";
    const GET: &str = "query($n: [String!]) { preferences(names: $n) { name value } }";
    let d = app
        .data(SET, json!({"n": "iris.current_case", "v": {"case": 42}}))
        .await;
    assert_eq!(
        d["setPreference"],
        json!({"name": "iris.current_case", "value": {"case": 42}})
    );
    app.data(SET, json!({"n": "web.theme", "v": "dark"})).await;
    app.data(SET, json!({"n": "iris.current_case", "v": {"case": 7}})).await;
    let d = app.data(GET, json!({"n": null})).await;
    assert_eq!(
        d["preferences"],
        json!([{"name": "iris.current_case", "value": {"case": 7}}, {"name": "web.theme", "value": "dark"}])
    );
    // Another replica reads the same.
    let replica = app.replica().await;
    let d = replica.data(GET, json!({"n": ["iris.current_case"]})).await;
    assert_eq!(
        d["preferences"],
        json!([{"name": "iris.current_case", "value": {"case": 7}}])
    );

    // Another user (a viewer may keep its own) sees none of them.
    let viewer = app.user("reader", Role::Viewer, "").await;
    let r = app.gql_as(&viewer, GET, json!({"n": null})).await;
    assert_eq!(r["data"]["preferences"], json!([]), "{r}");
    let r = app
        .gql_as(&viewer, SET, json!({"n": "iris.current_case", "v": 1}))
        .await;
    assert_eq!(r["data"]["setPreference"]["value"], 1, "{r}");
    let d = app.data(GET, json!({"n": ["iris.current_case"]})).await;
    assert_eq!(d["preferences"][0]["value"], json!({"case": 7}));

    // null removes.
    let d = app.data(SET, json!({"n": "web.theme", "v": null})).await;
    assert_eq!(d["setPreference"], Value::Null);
    let d = app.data(GET, json!({"n": ["web.theme"]})).await;
    assert_eq!(d["preferences"], json!([]));

    // Bad names and oversized values are refused, and nothing is kept.
    for name in ["", "Upper", "with space", &"x".repeat(65)] {
        app.expect_error("BAD_USER_INPUT", SET, json!({"n": name, "v": 1}))
            .await;
    }
    app.expect_error("BAD_USER_INPUT", SET, json!({"n": "big", "v": "x".repeat(5000)}))
        .await;
    app.expect_error("BAD_USER_INPUT", GET, json!({"n": ["Nope"]})).await;
    let d = app.data(GET, json!({"n": null})).await;
    assert_eq!(d["preferences"].as_array().unwrap().len(), 1, "{d}");
});

// `grants`: what each role may do, with extra grants added, as a client offers it
// (write implies read); a colleague's grants are not for others to read.
both_dbs!(grants_say_what_a_user_may_do, |app: TestApp| async move {
    const ME: &str = "{ me { grants } }";
    let list = |v: &Value| -> Vec<String> { v["data"]["me"]["grants"].as_array().unwrap().iter().map(s).collect() };
    let admin = app.data(ME, json!({})).await;
    assert!(admin["me"]["grants"]
        .as_array()
        .unwrap()
        .contains(&json!("users:write")));
    let viewer = app.user("watcher", Role::Viewer, "").await;
    let v = list(&app.gql_as(&viewer, ME, json!({})).await);
    assert!(
        v.contains(&"hosts:read".to_string()) && v.contains(&"cases:read".to_string()),
        "{v:?}"
    );
    assert!(!v.iter().any(|g| g.ends_with(":write")), "{v:?}");
    assert!(
        !v.contains(&"ipdr:read".to_string()) && !v.contains(&"users:read".to_string()),
        "{v:?}"
    );
    let analyst = app.user("worker", Role::Analyst, ",ipdr:write,data:write,").await;
    let a = list(&app.gql_as(&analyst, ME, json!({})).await);
    for g in ["cases:read", "cases:write", "data:write", "ipdr:read", "ipdr:write"] {
        assert!(a.contains(&g.to_string()), "{g} missing from {a:?}");
    }
    assert!(!a.contains(&"users:read".to_string()), "{a:?}");
    // Someone else's grants are private, like their role.
    let id = app.user_id("worker").await;
    let r = app
        .gql_as(
            &viewer,
            "query($id: ID!) { node(id: $id) { ... on User { username grants } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "FORBIDDEN", "{r}");
});
