//! Browser sessions: login/logout, the session cookie, id rotation, same-origin checks
//! on cookie-authenticated writes, and sign-in rate limits.

use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{json, Value};
use server::domain::users::Role;
use tests::{both_dbs, TestApp, ADMIN_PASSWORD};

const LOGIN: &str = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { username } }";

/// A browser: keeps the session cookie and says where its pages come from.
struct Browser<'a> {
    app: &'a TestApp,
    cookie: Option<String>,
    origin: Option<String>,
}

struct Answer {
    status: u16,
    set_cookie: Option<String>,
    body: Value,
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            cookie: None,
            origin: Some(app.base.clone()),
        }
    }

    async fn post(&mut self, query: &str, variables: Value) -> Answer {
        let mut req = self
            .app
            .anonymous
            .post(self.app.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        if let Some(o) = &self.origin {
            req = req.header("origin", o);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let set_cookie = res.headers().get("set-cookie").map(|v| v.to_str().unwrap().to_string());
        if let Some(sc) = &set_cookie {
            // `name=value` is what a browser sends back.
            self.cookie = Some(sc.split(';').next().unwrap().to_string());
        }
        Answer {
            status,
            set_cookie,
            body: res.json().await.unwrap(),
        }
    }

    async fn login(&mut self, user: &str, password: &str) -> Answer {
        self.post(LOGIN, json!({"u": user, "p": password})).await
    }
}

fn code(v: &Value) -> &str {
    v["errors"][0]["extensions"]["code"].as_str().unwrap_or("")
}

both_dbs!(login_logout_and_the_cookie, |app: TestApp| async move {
    let mut b = Browser::new(&app);
    // Without a session only `login` runs.
    let a = b.post("{ me { username } }", json!({})).await;
    assert_eq!((a.status, code(&a.body)), (401, "UNAUTHENTICATED"));
    let a = b
        .post("mutation { login(username: \"admin\", password: \"x\") { username } createHost(input: {ip: \"10.0.0.1\"}) { id } }", json!({}))
        .await;
    assert_eq!(a.status, 401, "a sign-in request may do nothing else: {}", a.body);

    // Wrong password, unknown user and inactive user read the same.
    let wrong = b.login("admin", "not the password").await;
    app.user("sleepy", Role::Viewer, "").await;
    let sleepy = app.user_id("sleepy").await;
    app.data(
        "mutation($id: ID!) { updateUser(id: $id, input: {active: false}) { active } }",
        json!({"id": sleepy}),
    )
    .await;
    let unknown = b.login("nobody", "not the password").await;
    let inactive = b.login("sleepy", "a long enough password").await;
    for a in [&wrong, &unknown, &inactive] {
        assert_eq!(code(&a.body), "UNAUTHENTICATED", "{}", a.body);
        assert_eq!(a.body["errors"][0]["message"], "invalid username or password");
        assert!(a.set_cookie.is_none(), "no session for a failed sign-in");
        assert!(a.body["data"].is_null());
    }

    // Signing in sets an HttpOnly, SameSite=Strict session cookie.
    let a = b.login("Admin", ADMIN_PASSWORD).await;
    assert_eq!(a.body["data"]["login"]["username"], "admin", "{}", a.body);
    let set = a.set_cookie.expect("a session cookie");
    assert!(set.starts_with("pivot_session="), "{set}");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(attr), "{attr} missing from {set}");
    }
    assert!(!set.contains("Secure"), "plain HTTP: no Secure flag: {set}");
    let first = b.cookie.clone().unwrap();
    // The database keeps only a hash of the session id.
    let secret = first.split_once('=').unwrap().1;
    let rows = entities::session::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_ne!(rows[0].id, secret);

    // The cookie authenticates queries and same-origin mutations.
    let a = b.post("{ me { username } }", json!({})).await;
    assert_eq!(a.body["data"]["me"]["username"], "admin", "{}", a.body);
    let a = b
        .post("mutation { createHost(input: {ip: \"10.1.2.3\"}) { ip } }", json!({}))
        .await;
    assert_eq!(a.body["data"]["createHost"]["ip"], "10.1.2.3", "{}", a.body);

    // Signing in again rotates the session id: the old cookie is worthless.
    let a = b.login("admin", ADMIN_PASSWORD).await;
    assert!(a.set_cookie.is_some());
    let second = b.cookie.clone().unwrap();
    assert_ne!(first, second);
    let mut stale = Browser::new(&app);
    stale.cookie = Some(first);
    let a = stale.post("{ me { username } }", json!({})).await;
    assert_eq!(a.status, 401, "{}", a.body);

    // Logout ends the session.
    let a = b.post("mutation { logout }", json!({})).await;
    assert_eq!(a.body["data"]["logout"], true, "{}", a.body);
    let a = b.post("{ me { username } }", json!({})).await;
    assert_eq!(a.status, 401);
    assert_eq!(entities::session::Entity::find().count(&app.db).await.unwrap(), 0);

    // Both sign-ins and the sign-out are on record.
    let d = app
        .data(
            "{ auditEvents(filter: {action: {in: [\"login\", \"logout\"]}}) { nodes { action objectType address user { username } } } }",
            json!({}),
        )
        .await;
    let signed = json!({"objectType": "User", "address": "127.0.0.1", "user": {"username": "admin"}});
    let expected: Vec<Value> = ["login", "login", "logout"]
        .iter()
        .map(|a| {
            let mut e = signed.clone();
            e["action"] = json!(a);
            e
        })
        .collect();
    assert_eq!(d["auditEvents"]["nodes"], json!(expected));

    // With an API token there is no session to end.
    let d = app.data("mutation { logout }", json!({})).await;
    assert_eq!(d["logout"], false);
});

both_dbs!(cookie_writes_must_be_same_origin, |app: TestApp| async move {
    let mut b = Browser::new(&app);
    assert!(b.login("admin", ADMIN_PASSWORD).await.body["errors"].is_null());
    let mutation = "mutation { createHost(input: {ip: \"10.5.5.5\"}) { ip } }";

    // Another site's page, a sandboxed page (`null`), and no origin at all: refused.
    for origin in [Some("http://evil.example"), Some("null"), None] {
        b.origin = origin.map(str::to_string);
        let a = b.post(mutation, json!({})).await;
        assert_eq!((a.status, code(&a.body)), (403, "FORBIDDEN"), "{origin:?}: {}", a.body);
    }
    assert_eq!(
        app.data("{ hosts { totalCount } }", json!({})).await["hosts"]["totalCount"],
        0,
        "nothing was written"
    );

    // A Referer from Pivot's own pages will do.
    b.origin = None;
    let res = app
        .anonymous
        .post(app.url("/graphql"))
        .header("cookie", b.cookie.clone().unwrap())
        .header("referer", format!("{}/cases", app.base))
        .json(&json!({ "query": mutation }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);

    // Reads by GET need no origin (they cannot write).
    let res = app
        .anonymous
        .get(app.url("/graphql"))
        .header("cookie", b.cookie.clone().unwrap())
        .query(&[("query", "{ hosts { totalCount } }")])
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["data"]["hosts"]["totalCount"], 1);

    // Token-authenticated requests need no origin; another site may not sign a browser in.
    let d = app.data("{ me { username } }", json!({})).await;
    assert_eq!(d["me"]["username"], "admin");
    let mut other = Browser::new(&app);
    other.origin = Some("http://evil.example".into());
    let a = other.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(a.status, 403);
    assert!(a.set_cookie.is_none());
});

both_dbs!(sign_in_rate_limits, |app: TestApp| async move {
    let mut b = Browser::new(&app);
    // Per username: after 5 failures even the right password is refused.
    for _ in 0..5 {
        assert_eq!(code(&b.login("admin", "wrong password!").await.body), "UNAUTHENTICATED");
    }
    let a = b.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(code(&a.body), "RATE_LIMITED", "{}", a.body);
    assert!(a.set_cookie.is_none());
    // Unknown usernames are counted alike (their limit says nothing about existence).
    for _ in 0..5 {
        b.login("ghost", "wrong password!").await;
    }
    assert_eq!(code(&b.login("ghost", "wrong password!").await.body), "RATE_LIMITED");

    // Per address: 20 failures across usernames lock out the address.
    app.user("carol", Role::Analyst, "").await;
    for i in 0..9 {
        b.login(&format!("spray{i}"), "wrong password!").await;
    }
    // 5 (admin) + 5 (ghost) + 9 = 19 failures: carol still gets in ...
    let a = b.login("carol", "a long enough password").await;
    assert_eq!(a.body["data"]["login"]["username"], "carol", "{}", a.body);
    b.login("spray9", "wrong password!").await;
    // ... and after the 20th, no one from this address does.
    let a = b.login("carol", "a long enough password").await;
    assert_eq!(code(&a.body), "RATE_LIMITED", "{}", a.body);

    // Every failure is on record, with the name tried and the address.
    let d = app
        .data(
            "{ auditEvents(filter: {action: {in: [\"loginFailed\"]}}, first: 100) { totalCount nodes { user { id } objectId address } } }",
            json!({}),
        )
        .await;
    assert_eq!(d["auditEvents"]["totalCount"], 20);
    let first = &d["auditEvents"]["nodes"][0];
    assert_eq!(first["objectId"], "admin");
    assert_eq!(first["address"], "127.0.0.1");
    assert!(first["user"].is_null());
});
