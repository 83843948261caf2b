//! Authentication: API tokens, the first admin, the principal of a request.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use server::domain::users::{self, Role};
use tests::{both_dbs, s, TestApp};

async fn post_as(app: &TestApp, authorization: Option<&str>, query: &str) -> (u16, Value) {
    let mut req = app.anonymous.post(app.url("/graphql")).json(&json!({ "query": query }));
    if let Some(a) = authorization {
        req = req.header("authorization", a);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

fn code(v: &Value) -> &str {
    v["errors"][0]["extensions"]["code"].as_str().unwrap_or_default()
}

both_dbs!(api_tokens, |app: TestApp| async move {
    // No credentials, or bad ones: 401 with UNAUTHENTICATED, for POST and GET alike.
    for auth in [None, Some("Bearer nope"), Some("Basic YWRtaW46eA=="), Some("Bearer ")] {
        let (status, body) = post_as(&app, auth, "{ hosts { totalCount } }").await;
        assert_eq!((status, code(&body)), (401, "UNAUTHENTICATED"), "{auth:?}");
    }
    let res = app
        .anonymous
        .get(app.url("/graphql"))
        .query(&[("query", "{ me { username } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);

    // The test token is the admin's; ntopng's `Token` scheme is accepted too.
    let d = app.data("{ me { username role active } }", json!({})).await;
    assert_eq!(d["me"], json!({"username": "admin", "role": "admin", "active": true}));
    let (status, body) = post_as(&app, Some(&format!("Token {}", app.token)), "{ me { username } }").await;
    assert_eq!((status, &body["data"]["me"]["username"]), (200, &json!("admin")));

    // A new token is shown once and works; revoking it stops it.
    let d = app
        .data(
            "mutation { createApiToken(name: \"script\") { token apiToken { id name revokedAt } } }",
            json!({}),
        )
        .await;
    let secret = s(&d["createApiToken"]["token"]);
    let id = s(&d["createApiToken"]["apiToken"]["id"]);
    assert!(secret.starts_with("pvt_"));
    let (status, _) = post_as(&app, Some(&format!("Bearer {secret}")), "{ me { username } }").await;
    assert_eq!(status, 200);
    let d = app.data("{ apiTokens { name } }", json!({})).await;
    assert_eq!(d["apiTokens"], json!([{"name": "tests"}, {"name": "script"}]));
    assert!(!d.to_string().contains(&secret), "secrets are never listed");
    let d = app
        .data(
            "mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }",
            json!({"id": id}),
        )
        .await;
    assert!(d["revokeApiToken"]["revokedAt"].is_string());
    let (status, body) = post_as(&app, Some(&format!("Bearer {secret}")), "{ me { username } }").await;
    assert_eq!((status, code(&body)), (401, "UNAUTHENTICATED"));

    // Validation.
    app.expect_error(
        "BAD_USER_INPUT",
        "mutation { createApiToken(name: \"x\", expiresAt: \"2000-01-01T00:00:00Z\") { token } }",
        json!({}),
    )
    .await;
    app.expect_error(
        "BAD_USER_INPUT",
        "mutation { createApiToken(name: \"\") { token } }",
        json!({}),
    )
    .await;
    app.expect_error(
        "NOT_FOUND",
        "mutation { revokeApiToken(id: \"QXBpVG9rZW46OTk\") { id } }",
        json!({}),
    )
    .await;
    // A token that expires stops working then.
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let d = app
        .data(
            "mutation($e: DateTime) { createApiToken(name: \"short\", expiresAt: $e) { token } }",
            json!({"e": soon}),
        )
        .await;
    let short = s(&d["createApiToken"]["token"]);
    assert_eq!(
        post_as(&app, Some(&format!("Bearer {short}")), "{ me { username } }")
            .await
            .0,
        200
    );
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(
        post_as(&app, Some(&format!("Bearer {short}")), "{ me { username } }")
            .await
            .0,
        401
    );
});

#[tokio::test]
async fn first_start_creates_one_admin_never_with_a_fixed_password() {
    let dir = std::env::temp_dir().join(format!("pivot-admin-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let url = format!("sqlite://{}/pivot.db", dir.display());
    let (db, _) = server::db::connect(&url, None).await.unwrap();
    server::db::migrate(&db).await.unwrap();
    let generated = users::ensure_admin(&db, None)
        .await
        .unwrap()
        .expect("a generated password");
    assert!(generated.len() >= 12);
    assert_eq!(
        users::ensure_admin(&db, None).await.unwrap(),
        None,
        "only on an empty database"
    );
    let admin = entities::user::Entity::find()
        .filter(entities::user::Column::Username.eq("admin"))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    let hash = admin.password_hash.unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains(&generated));
    assert!(server::domain::passwords::verify(&generated, &hash));
    // The policy holds for the configured password and for new users.
    let (db2, _) = server::db::connect(&format!("sqlite://{}/other.db", dir.display()), None)
        .await
        .unwrap();
    server::db::migrate(&db2).await.unwrap();
    assert!(users::ensure_admin(&db2, Some("short")).await.is_err());
    assert!(users::create(&db, "bob", Role::Viewer, "too short").await.is_err());
    users::create(&db, "Bob", Role::Viewer, "long enough password")
        .await
        .unwrap();
    assert!(
        users::create(&db, "bob", Role::Viewer, "long enough password")
            .await
            .is_err(),
        "names are unique"
    );
    drop((db, db2));
    std::fs::remove_dir_all(&dir).unwrap();
}
