//! Tables (`iocTable`, `caseTable`): the rows their listings answer, as JSON, under the
//! same filter, order, cursors, customer scope and capabilities; their statements do
//! not depend on their length.

use serde_json::{json, Value};
use server::domain::users::Role;
use tests::{both_dbs, s, TestApp};

/// What an IOC row holds, selected from the listing.
const IOC_NODE: &str = "id type value description tags tlp customAttributes createdAt updatedAt \
    cases { id number name customer { id name } }";
/// What a case row holds, selected from the listing.
const CASE_NODE: &str = "id number name description socId status outcome openedAt closedAt updatedAt summary \
    customAttributes customer { id name } openedBy { id username displayName } classification { id name }";

/// Every page of `field` (a listing or a table) with `args`, `size` rows a page: the
/// rows, the cursors at each page's end, and the total count.
async fn walk(
    app: &TestApp,
    token: Option<&str>,
    field: &str,
    args: &str,
    size: i64,
) -> (Vec<Value>, Vec<Value>, Value) {
    let table = field.ends_with("Table");
    let select = match (table, field.starts_with("ioc")) {
        (true, _) => "rows".to_string(),
        (false, true) => format!("nodes {{ {IOC_NODE} }}"),
        (false, false) => format!("nodes {{ {CASE_NODE} }}"),
    };
    let query = format!(
        "query($after: String) {{ r: {field}({args} first: {size}, after: $after) {{ totalCount \
         pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} {select} }} }}"
    );
    let (mut rows, mut cursors, mut after) = (Vec::new(), Vec::new(), Value::Null);
    loop {
        let vars = json!({ "after": after });
        let d = match token {
            Some(t) => {
                let r = app.gql_as(t, &query, vars).await;
                assert!(r["errors"].is_null(), "{r}");
                r["data"].clone()
            }
            None => app.data(&query, vars).await,
        };
        let page = &d["r"];
        let list: Value = if table {
            serde_json::from_str(page["rows"].as_str().unwrap()).unwrap()
        } else {
            page["nodes"].clone()
        };
        rows.extend(list.as_array().unwrap().iter().cloned());
        cursors.push(page["pageInfo"].clone());
        if page["pageInfo"]["hasNextPage"] != true {
            return (rows, cursors, page["totalCount"].clone());
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

both_dbs!(tables_answer_what_their_listings_answer, |app: TestApp| async move {
    let customers = app
        .data(
            "mutation { a: createCustomer(name: \"Acme\") { id } b: createCustomer(name: \"Brick\") { id } }",
            json!({}),
        )
        .await;
    let (acme, brick) = (s(&customers["a"]["id"]), s(&customers["b"]["id"]));
    let cases = app
        .data(
            "mutation($a: ID!, $b: ID!) { \
               one: createCase(input: {name: \"One\", customerId: $a, socId: \"SOC-1\", customAttributes: {k: [1, 2]}}) { id } \
               two: createCase(input: {name: \"Two\", customerId: $a, description: \"second\"}) { id } \
               three: createCase(input: {name: \"Three\", customerId: $b}) { id } }",
            json!({"a": acme, "b": brick}),
        )
        .await;
    let (one, two, three) = (s(&cases["one"]["id"]), s(&cases["two"]["id"]), s(&cases["three"]["id"]));
    app.data(
        "mutation($id: ID!) { updateCase(id: $id, input: {classificationId: 1, outcome: FALSE_POSITIVE, summary: \"s\"}) { id } \
         closeCase(id: $id) { id } }",
        json!({"id": two}),
    )
    .await;
    // Nine IOCs in case One, of three types; one also in Two and in Three (another customer's).
    let mut m = String::from("mutation($c: ID!) {");
    for i in 0..9 {
        let (t, v) = match i % 3 {
            0 => ("domain", format!("d{i}.example.org")),
            1 => ("ip-dst", format!("10.0.0.{i}")),
            _ => ("md5", format!("{:032x}", i)),
        };
        m += &format!(
            " i{i}: addIoc(input: {{type: \"{t}\", value: \"{v}\", caseIds: [$c], tags: [\"t{i}\", \"x\"], \
             description: \"IOC {i}\", tlp: RED, customAttributes: {{n: {i}}}}}) {{ id }}"
        );
    }
    m += " }";
    let iocs = app.data(&m, json!({"c": one})).await;
    app.data(
        "mutation($i: ID!, $two: ID!, $three: ID!) { a: linkIoc(iocId: $i, caseId: $two) { id } b: linkIoc(iocId: $i, caseId: $three) { id } }",
        json!({"i": iocs["i4"]["id"], "two": two, "three": three}),
    )
    .await;

    // The IOCs of case One by type, three a page: the same rows, cursors and count.
    let args = format!("filter: {{caseId: {{eq: \"{one}\"}}}}, orderBy: [{{field: TYPE, direction: DESC}}],");
    let listed = walk(&app, None, "iocs", &args, 3).await;
    let tabled = walk(&app, None, "iocTable", &args, 3).await;
    assert_eq!(listed.0.len(), 9);
    assert_eq!(tabled, listed);
    let shared = tabled.0.iter().find(|r| r["id"] == iocs["i4"]["id"]).unwrap();
    assert_eq!(shared["cases"].as_array().unwrap().len(), 3, "{shared}");
    // Every case, two a page, by opening time.
    let args = "orderBy: [{field: OPENED_AT, direction: ASC}],";
    let listed = walk(&app, None, "cases", args, 2).await;
    assert_eq!(walk(&app, None, "caseTable", args, 2).await, listed);
    let closed = listed.0.iter().find(|r| r["id"] == two.as_str()).unwrap();
    assert_eq!(
        (
            closed["status"].clone(),
            closed["classification"]["id"].clone(),
            closed["openedBy"]["username"].clone()
        ),
        (json!("CLOSED"), json!(1), json!("admin"))
    );
    // A filter and a cursor of the listing read the table's next page.
    let first = app
        .data(
            "{ cases(first: 1, filter: {customerId: {eq: \"X\"}}) { totalCount } }"
                .replace('X', &acme)
                .as_str(),
            json!({}),
        )
        .await;
    assert_eq!(first["cases"]["totalCount"], 2);
    let page = app
        .data(
            "query($c: ID!) { l: cases(first: 1, filter: {customerId: {eq: $c}}) { pageInfo { endCursor } } }",
            json!({"c": acme}),
        )
        .await;
    let next = app
        .data(
            "query($c: ID!, $after: String) { t: caseTable(after: $after, filter: {customerId: {eq: $c}}) { rows } }",
            json!({"c": acme, "after": page["l"]["pageInfo"]["endCursor"]}),
        )
        .await;
    let next: Value = serde_json::from_str(next["t"]["rows"].as_str().unwrap()).unwrap();
    assert_eq!(next.as_array().unwrap().len(), 1);
    assert_eq!(next[0]["name"], "Two");

    // A user limited to Acme: Brick's case is in neither, nor among an IOC's cases.
    let ann = app.user("ann", Role::Analyst, "").await;
    app.limit_to("ann", json!([acme])).await;
    let args = format!("filter: {{caseId: {{eq: \"{one}\"}}}},");
    let listed = walk(&app, Some(&ann), "iocs", &args, 100).await;
    assert_eq!(walk(&app, Some(&ann), "iocTable", &args, 100).await, listed);
    let shared = listed.0.iter().find(|r| r["id"] == iocs["i4"]["id"]).unwrap();
    let names: Vec<&str> = shared["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["One", "Two"]);
    let listed = walk(&app, Some(&ann), "cases", "", 100).await;
    assert_eq!(listed.0.len(), 2);
    assert_eq!(walk(&app, Some(&ann), "caseTable", "", 100).await, listed);

    // Without the cases capability: refused as the listing is.
    let hosts_only = app.user_with_only("hostsonly", ",hosts:read,").await;
    for q in ["{ caseTable { rows } }", "{ iocTable { totalCount } }"] {
        let r = app.gql_as(&hosts_only, q, json!({})).await;
        assert_eq!(r["errors"][0]["extensions"]["code"], "FORBIDDEN", "{r}");
    }

    // Bad input says what is wrong.
    for (q, word) in [
        ("{ iocTable(first: 0) { rows } }", "first"),
        ("{ iocTable(first: 20001) { rows } }", "first"),
        ("{ caseTable(after: \"nonsense\") { rows } }", "after"),
        (
            "{ caseTable(filter: {customerId: {eq: \"nonsense\"}}) { rows } }",
            "customerId",
        ),
    ] {
        let message = app.expect_error("BAD_USER_INPUT", q, json!({})).await;
        assert!(message.contains(word), "{q}: {message}");
    }
});

/// `n` IOCs in a new case, each also linked to a second case.
async fn case_with_iocs(app: &TestApp, customer: &str, n: usize) -> String {
    let made = app
        .data(
            "mutation($c: ID!) { a: createCase(input: {name: \"Many\", customerId: $c}) { id } \
             b: createCase(input: {name: \"Also\", customerId: $c}) { id } }",
            json!({"c": customer}),
        )
        .await;
    let (case, also) = (s(&made["a"]["id"]), s(&made["b"]["id"]));
    for chunk in (0..n).collect::<Vec<_>>().chunks(25) {
        let mut m = String::from("mutation($c: [ID!]!) {");
        for i in chunk {
            m += &format!(
                " i{i}: addIoc(input: {{type: \"domain\", value: \"n{n}-{i}.example.org\", caseIds: $c}}) {{ id }}"
            );
        }
        m += " }";
        app.data(&m, json!({"c": [case, also]})).await;
    }
    case
}

both_dbs!(
    tables_send_the_same_statements_whatever_their_length,
    |app: TestApp| async move {
        let c = app
            .data("mutation { createCustomer(name: \"Acme\") { id } }", json!({}))
            .await;
        let customer = s(&c["createCustomer"]["id"]);
        let small = case_with_iocs(&app, &customer, 5).await;
        let large = case_with_iocs(&app, &customer, 300).await;
        let count = |case: String| {
            let app = &app;
            async move {
                let before = app.statements().await;
                let d = app
                    .data(
                        "query($c: ID!) { t: iocTable(filter: {caseId: {eq: $c}}) { rows } cases: caseTable { rows } }",
                        json!({"c": case}),
                    )
                    .await;
                let after = app.statements().await;
                let rows: Vec<Value> = serde_json::from_str(d["t"]["rows"].as_str().unwrap()).unwrap();
                assert!(
                    rows.iter().all(|r| r["cases"].as_array().unwrap().len() == 2),
                    "{rows:?}"
                );
                (after - before, rows.len())
            }
        };
        let (at_small, n_small) = count(small).await;
        let (at_large, n_large) = count(large).await;
        assert_eq!((n_small, n_large), (5, 300));
        assert_eq!(
            at_small, at_large,
            "statements for 5 IOCs: {at_small}, for 300: {at_large}"
        );
    }
);
