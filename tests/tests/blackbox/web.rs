//! The web app and the explorer as `pivot serve` serves them (web/dist, which the test
//! command builds first): pages, the app's own routes, hashed assets, the page policy,
//! and unknown paths that are not pages.

use tests::TestApp;

/// The file names of web/dist/assets, built by `npm run build` in web/.
fn built_assets() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/dist/assets");
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|_| {
        panic!(
            "{} is missing: run `npm ci && npm run build` in web/ first",
            dir.display()
        )
    });
    entries.map(|e| e.unwrap().file_name().into_string().unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_and_the_explorer_are_served() {
    let app = TestApp::sqlite().await;
    let get = |path: &str, html: bool| {
        let mut req = app.anonymous.get(app.url(path));
        if html {
            req = req.header("accept", "text/html,application/xhtml+xml");
        }
        req.send()
    };

    // The app's page, for / and for any route of its own (a deep link, a reload).
    for path in ["/", "/hosts/192.0.2.10", "/cases/Q2FzZTox", "/admin/audit"] {
        let res = get(path, true).await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let h = res.headers().clone();
        assert_eq!(h["cache-control"], "no-cache", "{path}");
        assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
        let policy = h["content-security-policy"].to_str().unwrap();
        for rule in [
            "default-src 'self'",
            "script-src 'self'",
            "connect-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(policy.contains(rule), "{path}: {policy}");
        }
        assert_eq!(h["x-content-type-options"], "nosniff");
        let body = res.text().await.unwrap();
        assert!(body.contains(r#"<div id="root">"#), "{path}: {body}");
        // Everything the page loads comes from Pivot itself.
        assert!(!body.contains("http://") && !body.contains("https://"), "{body}");
    }

    // The explorer has a page of its own.
    let res = get("/graphiql", true).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains(r#"id="graphiql""#));

    // Hashed assets: cached for good, with their type.
    let assets = built_assets();
    let script = assets
        .iter()
        .find(|f| f.starts_with("app-") && f.ends_with(".js"))
        .expect("the app's script");
    let res = get(&format!("/assets/{script}"), false).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(res.headers()["content-type"], "text/javascript");
    // Compressed for clients that take it.
    let zipped = app
        .anonymous
        .get(app.url(&format!("/assets/{script}")))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(zipped.headers()["content-encoding"], "gzip");

    // What is not a page is not answered with one: a missing asset, a client that
    // does not ask for HTML, a write.
    for (path, html) in [
        ("/assets/app-missing.js", true),
        ("/hosts/192.0.2.10", false),
        ("/nothing-here", false),
    ] {
        let res = get(path, html).await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND", "{path}");
    }
    let res = app
        .anonymous
        .post(app.url("/"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // The API and the dialects keep their own answers.
    let res = get("/graphql", true).await.unwrap();
    assert_ne!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().contains("json"));
}
