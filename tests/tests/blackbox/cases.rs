//! Customers, cases, IOCs, notes, assets, tasks, timeline, evidences: filters, edges
//! both ways, mutations, and the cascade of a case deletion.

use serde_json::{json, Value};
use tests::{both_dbs, s, TestApp};

async fn id(app: &TestApp, mutation: &str, vars: Value) -> String {
    let d = app.data(mutation, vars).await;
    s(&d.as_object().unwrap().values().next().unwrap()["id"])
}

async fn customer(app: &TestApp, name: &str) -> String {
    id(
        app,
        "mutation($n: String!) { createCustomer(name: $n) { id } }",
        json!({"n": name}),
    )
    .await
}

async fn case(app: &TestApp, i: Value) -> String {
    id(
        app,
        "mutation($i: CreateCaseInput!) { createCase(input: $i) { id } }",
        json!({"i": i}),
    )
    .await
}

async fn ioc(app: &TestApp, i: Value) -> String {
    id(
        app,
        "mutation($i: CreateIocInput!) { addIoc(input: $i) { id } }",
        json!({"i": i}),
    )
    .await
}

async fn ids(app: &TestApp, query: &str, vars: Value) -> Vec<String> {
    let d = app.data(query, vars).await;
    let conn = d.as_object().unwrap().values().next().unwrap();
    conn["nodes"].as_array().unwrap().iter().map(|n| s(&n["id"])).collect()
}

fn strs(v: &[&String]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

both_dbs!(customers_cases_and_iocs, |app: TestApp| async move {
    let acme = customer(&app, "ACME").await;
    let globex = customer(&app, "Globex").await;
    app.expect_error(
        "CONFLICT",
        "mutation { createCustomer(name: \"ACME\") { id } }",
        json!({}),
    )
    .await;
    app.expect_error(
        "BAD_USER_INPUT",
        "mutation { createCustomer(name: \"  \") { id } }",
        json!({}),
    )
    .await;
    let d = app
        .data(
            "{ customers(filter: {name: {like: \"%glob%\"}}) { nodes { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(d["customers"]["nodes"], json!([{"name": "Globex"}]));

    let c1 = case(
        &app,
        json!({"name": "Ransomware at ACME", "customerId": acme, "socId": "SOC-1"}),
    )
    .await;
    let c2 = case(
        &app,
        json!({"name": "Phishing", "customerId": globex, "description": "mail from evil.example"}),
    )
    .await;
    app.expect_error(
        "NOT_FOUND",
        "mutation($i: CreateCaseInput!) { createCase(input: $i) { id } }",
        json!({"i": {"name": "x", "customerId": "Q3VzdG9tZXI6OTk"}}),
    )
    .await;
    app.expect_error(
        "BAD_USER_INPUT",
        "mutation($i: CreateCaseInput!) { createCase(input: $i) { id } }",
        json!({"i": {"name": "x", "customerId": c1}}),
    )
    .await;
    let d = app
        .data(
            "mutation($id: ID!) { closeCase(id: $id) { status closedAt number } }",
            json!({"id": c2}),
        )
        .await;
    assert_eq!(d["closeCase"]["status"], "CLOSED");
    assert!(d["closeCase"]["closedAt"].is_string());
    let q = "query($f: CaseFilter) { cases(filter: $f) { nodes { id } } }";
    assert_eq!(
        ids(&app, q, json!({"f": {"status": {"eq": "OPEN"}}})).await,
        strs(&[&c1])
    );
    assert_eq!(
        ids(&app, q, json!({"f": {"customerId": {"eq": globex}}})).await,
        strs(&[&c2])
    );
    assert_eq!(ids(&app, q, json!({"f": {"or": [{"name": {"like": "%EVIL%"}}, {"description": {"like": "%EVIL%"}}, {"socId": {"like": "%EVIL%"}}]}})).await, strs(&[&c2]));
    assert_eq!(ids(&app, q, json!({"f": {"or": [{"name": {"like": "%soc-1%"}}, {"description": {"like": "%soc-1%"}}, {"socId": {"like": "%soc-1%"}}]}})).await, strs(&[&c1]));
    assert_eq!(
        ids(&app, q, json!({"f": {"openedAt": {"gte": "2020-01-01T00:00:00Z"}}}))
            .await
            .len(),
        2
    );
    let d = app
        .data(
            "mutation($id: ID!) { reopenCase(id: $id) { status closedAt } }",
            json!({"id": c2}),
        )
        .await;
    assert_eq!(d["reopenCase"], json!({"status": "OPEN", "closedAt": null}));
    let d = app
        .data(
            "query($id: ID!) { node(id: $id) { ... on Customer { name cases { name } } } }",
            json!({"id": acme}),
        )
        .await;
    assert_eq!(
        d["node"],
        json!({"name": "ACME", "cases": [{"name": "Ransomware at ACME"}]})
    );
    app.expect_error(
        "CONFLICT",
        "mutation($id: ID!) { deleteCustomer(id: $id) }",
        json!({"id": acme}),
    )
    .await;

    // IOCs and their filters.
    let i1 = ioc(
        &app,
        json!({"type": "ip-dst", "value": "10.0.0.9", "caseIds": [c1, c2], "tags": ["c2", "apt"]}),
    )
    .await;
    let i2 = ioc(
        &app,
        json!({"type": "domain", "value": "Evil.Example.COM.", "caseIds": [c1], "tlp": "RED"}),
    )
    .await;
    let i3 = ioc(
        &app,
        json!({"type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e", "caseIds": [c2]}),
    )
    .await;
    app.expect_error(
        "CONFLICT",
        "mutation { addIoc(input: {type: \"domain\", value: \"evil.example.com\"}) { id } }",
        json!({}),
    )
    .await;
    app.expect_error(
        "NOT_FOUND",
        "mutation { addIoc(input: {type: \"domain\", value: \"x.example\", caseIds: [\"Q2FzZTo5OQ\"]}) { id } }",
        json!({}),
    )
    .await;
    app.expect_error(
        "BAD_USER_INPUT",
        "mutation { addIoc(input: {type: \"domain\", value: \"\"}) { id } }",
        json!({}),
    )
    .await;
    let q = "query($f: IocFilter) { iocs(filter: $f) { nodes { id } } }";
    assert_eq!(
        ids(&app, q, json!({"f": {"type": {"eq": "domain"}}})).await,
        strs(&[&i2])
    );
    assert_eq!(
        ids(&app, q, json!({"f": {"value": {"eq": "EVIL.example.com"}}})).await,
        strs(&[&i2])
    );
    assert_eq!(
        ids(&app, q, json!({"f": {"value": {"like": "%.example.%"}}})).await,
        strs(&[&i2])
    );
    assert_eq!(
        ids(&app, q, json!({"f": {"value": {"like": "10.0.0._"}}})).await,
        strs(&[&i1])
    );
    assert_eq!(ids(&app, q, json!({"f": {"tag": "apt"}})).await, strs(&[&i1]));
    assert_eq!(ids(&app, q, json!({"f": {"tlp": {"eq": "RED"}}})).await, strs(&[&i2]));
    assert_eq!(
        ids(&app, q, json!({"f": {"caseId": {"eq": c2}}})).await,
        strs(&[&i1, &i3])
    );

    // IOC <-> host edges, both ways, by address and by name.
    app.data(
        "mutation { createHost(input: {ip: \"10.0.0.9\", hostnames: [\"evil.example.com\"]}) { id } }",
        json!({}),
    )
    .await;
    let d = app
        .data(r#"{ host(ip: "10.0.0.9") { iocs { id } cases { id } } }"#, json!({}))
        .await;
    assert_eq!(d["host"]["iocs"], json!([{"id": i1}, {"id": i2}]));
    assert_eq!(d["host"]["cases"], json!([{"id": c1}, {"id": c2}]));
    let d = app
        .data(
            "query($a: ID!, $b: ID!) { nodes(ids: [$a, $b]) { ... on Ioc { value hosts { ip } cases { id } } } }",
            json!({"a": i1, "b": i2}),
        )
        .await;
    assert_eq!(
        d["nodes"],
        json!([{"value": "10.0.0.9", "hosts": [{"ip": "10.0.0.9"}], "cases": [{"id": c1}, {"id": c2}]},
        {"value": "evil.example.com", "hosts": [{"ip": "10.0.0.9"}], "cases": [{"id": c1}]}])
    );
    // Link, unlink, update.
    app.data(
        "mutation($i: ID!, $c: ID!) { linkIoc(iocId: $i, caseId: $c) { id } }",
        json!({"i": i3, "c": c1}),
    )
    .await;
    app.data(
        "mutation($i: ID!, $c: ID!) { linkIoc(iocId: $i, caseId: $c) { id } }",
        json!({"i": i3, "c": c1}),
    )
    .await;
    let d = app
        .data(
            "mutation($i: ID!, $c: ID!) { unlinkIoc(iocId: $i, caseId: $c) { cases { id } } }",
            json!({"i": i3, "c": c2}),
        )
        .await;
    assert_eq!(d["unlinkIoc"]["cases"], json!([{"id": c1}]));
    app.expect_error(
        "NOT_FOUND",
        "mutation($i: ID!, $c: ID!) { unlinkIoc(iocId: $i, caseId: $c) { id } }",
        json!({"i": i3, "c": c2}),
    )
    .await;
    let d = app.data("mutation($i: ID!) { updateIoc(id: $i, input: {tags: [\"x\"], tlp: GREEN, description: \"seen\"}) { tags tlp description } }", json!({"i": i3})).await;
    assert_eq!(
        d["updateIoc"],
        json!({"tags": ["x"], "tlp": "GREEN", "description": "seen"})
    );
});

both_dbs!(case_children_and_cascade, |app: TestApp| async move {
    let acme = customer(&app, "ACME").await;
    let c1 = case(&app, json!({"name": "Intrusion", "customerId": acme})).await;
    let c2 = case(&app, json!({"name": "Other", "customerId": acme})).await;
    let shared = ioc(
        &app,
        json!({"type": "ip-dst", "value": "10.0.0.9", "caseIds": [c1, c2]}),
    )
    .await;
    let own = ioc(
        &app,
        json!({"type": "domain", "value": "only.example", "caseIds": [c1]}),
    )
    .await;
    let types = app
        .data("{ assetTypes { id name } analysisStatuses { id name } }", json!({}))
        .await;
    assert_eq!(
        types["assetTypes"].as_array().unwrap().len(),
        21,
        "the IRIS asset types are seeded"
    );
    assert_eq!(types["assetTypes"][10]["name"], "Windows - DC");
    let dc = s(&types["assetTypes"][10]["id"]);
    let started = types["analysisStatuses"][2]["id"].as_i64().unwrap();
    let asset = id(
        &app,
        "mutation($i: CreateAssetInput!) { createAsset(input: $i) { id } }",
        json!({"i": {
        "caseId": c1, "name": "DC01", "assetTypeId": dc, "ip": "10.0.0.9", "compromiseStatus": "COMPROMISED",
        "analysisStatusId": started, "tags": ["ad"], "iocIds": [shared]}}),
    )
    .await;
    app.expect_error(
        "BAD_USER_INPUT",
        "mutation($i: CreateAssetInput!) { createAsset(input: $i) { id } }",
        json!({"i": {
        "caseId": c2, "name": "x", "assetTypeId": dc, "iocIds": [own]}}),
    )
    .await;
    app.expect_error(
        "BAD_USER_INPUT",
        "mutation($i: CreateAssetInput!) { createAsset(input: $i) { id } }",
        json!({"i": {
        "caseId": c2, "name": "x", "assetTypeId": dc, "ip": "300.1.1.1"}}),
    )
    .await;
    let task = id(
        &app,
        "mutation($i: CreateTaskInput!) { createTask(input: $i) { id } }",
        json!({"i": {"caseId": c1, "title": "Image DC01", "status": "IN_PROGRESS"}}),
    )
    .await;
    let global = id(
        &app,
        "mutation { createTask(input: {title: \"Update playbooks\"}) { id } }",
        json!({}),
    )
    .await;
    let group = id(
        &app,
        "mutation($c: ID!) { createNoteGroup(caseId: $c, title: \"Findings\") { id } }",
        json!({"c": c1}),
    )
    .await;
    let note = id(
        &app,
        "mutation($i: CreateNoteInput!) { createNote(input: $i) { id } }",
        json!({"i": {"subjectId": asset, "body": "lsass dumped", "groupId": group}}),
    )
    .await;
    app.expect_error(
        "BAD_USER_INPUT",
        "mutation($i: CreateNoteInput!) { createNote(input: $i) { id } }",
        json!({"i": {"subjectId": c2, "body": "x", "groupId": group}}),
    )
    .await;
    let event = id(&app, "mutation($i: CreateTimelineEventInput!) { createTimelineEvent(input: $i) { id } }", json!({"i": {
        "caseId": c1, "title": "First logon", "occurredAt": "2026-01-01T08:00:00Z", "assetIds": [asset], "color": "#ff0000"}})).await;
    let other_event = id(
        &app,
        "mutation($i: CreateTimelineEventInput!) { createTimelineEvent(input: $i) { id } }",
        json!({"i": {
        "caseId": c1, "title": "Earlier", "occurredAt": "2025-12-31T08:00:00Z"}}),
    )
    .await;
    app.expect_error(
        "BAD_USER_INPUT",
        "mutation($i: CreateTimelineEventInput!) { createTimelineEvent(input: $i) { id } }",
        json!({"i": {
        "caseId": c1, "title": "x", "occurredAt": "2026-01-01T08:00:00Z", "color": "red"}}),
    )
    .await;
    let evidence = id(
        &app,
        "mutation($i: CreateEvidenceInput!) { createEvidence(input: $i) { id } }",
        json!({"i": {
        "caseId": c1, "filename": "dc01.e01", "size": 1024, "hash": "D41D8CD98F00B204E9800998ECF8427E"}}),
    )
    .await;
    app.expect_error(
        "BAD_USER_INPUT",
        "mutation($i: CreateEvidenceInput!) { createEvidence(input: $i) { id } }",
        json!({"i": {
        "caseId": c1, "filename": "x", "hash": "abc"}}),
    )
    .await;
    let alert = id(
        &app,
        "mutation { createAlert(input: {kind: \"host\", type: \"x\", severity: INFO, title: \"t\"}) { id } }",
        json!({}),
    )
    .await;
    app.data(
        "mutation($c: ID!, $a: ID!) { attachAlerts(caseId: $c, alertIds: [$a, $a]) { id } }",
        json!({"c": c1, "a": alert}),
    )
    .await;
    app.expect_error(
        "NOT_FOUND",
        "mutation($c: ID!) { attachAlerts(caseId: $c, alertIds: [\"QWxlcnQ6OTk\"]) { id } }",
        json!({"c": c1}),
    )
    .await;

    // Every edge of the case.
    let d = app
        .data(
            "query($id: ID!, $asset: ID!) { node(id: $id) { ... on Case {
        iocs { totalCount nodes { id } } alerts { totalCount nodes { id cases { id } } }
        assets { name ip compromiseStatus tags type { name } analysisStatus { name } iocs { id } case { id } }
        tasks { title status case { id } } notes { body group { title } subject { id } }
        noteGroups { title notes { id } } timeline { title assets { id } }
        filtered: timeline(assetId: $asset) { title } evidences { filename hash size } } } }",
            json!({"id": c1, "asset": asset}),
        )
        .await;
    let c = &d["node"];
    assert_eq!(c["iocs"]["totalCount"], 2);
    assert_eq!(
        c["alerts"],
        json!({"totalCount": 1, "nodes": [{"id": alert, "cases": [{"id": c1}]}]})
    );
    assert_eq!(
        c["assets"],
        json!([{"name": "DC01", "ip": "10.0.0.9", "compromiseStatus": "COMPROMISED", "tags": ["ad"],
        "type": {"name": "Windows - DC"}, "analysisStatus": {"name": "Started"}, "iocs": [{"id": shared}], "case": {"id": c1}}])
    );
    assert_eq!(
        c["tasks"],
        json!([{"title": "Image DC01", "status": "IN_PROGRESS", "case": {"id": c1}}])
    );
    assert_eq!(
        c["notes"],
        json!([{"body": "lsass dumped", "group": {"title": "Findings"}, "subject": {"id": asset}}])
    );
    assert_eq!(c["noteGroups"], json!([{"title": "Findings", "notes": [{"id": note}]}]));
    assert_eq!(
        c["timeline"],
        json!([{"title": "Earlier", "assets": []}, {"title": "First logon", "assets": [{"id": asset}]}])
    );
    assert_eq!(c["filtered"], json!([{"title": "First logon"}]));
    assert_eq!(
        c["evidences"],
        json!([{"filename": "dc01.e01", "hash": "d41d8cd98f00b204e9800998ecf8427e", "size": 1024}])
    );
    let d = app.data(r#"{ host(ip: "10.0.0.9") { id } }"#, json!({})).await;
    assert_eq!(d["host"], Value::Null, "assets do not create hosts");
    app.data("mutation { createHost(input: {ip: \"10.0.0.9\"}) { id } }", json!({}))
        .await;
    let d = app
        .data(
            r#"{ host(ip: "10.0.0.9") { assets { name } cases { id } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        d["host"],
        json!({"assets": [{"name": "DC01"}], "cases": [{"id": c1}, {"id": c2}]})
    );
    let d = app
        .data(
            "{ tasks(filter: {caseId: {isNull: true}}) { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(d["tasks"]["nodes"], json!([{"id": global}]));

    // Deleting the case removes what it owns, in one go; shared things survive.
    app.data("mutation($id: ID!) { deleteCase(id: $id) }", json!({"id": c1}))
        .await;
    let gone = [&c1, &asset, &task, &group, &note, &event, &other_event, &evidence, &own];
    let d = app
        .data("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", json!({"ids": gone}))
        .await;
    assert!(d["nodes"].as_array().unwrap().iter().all(Value::is_null), "{d}");
    let d = app
        .data(
            "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Ioc { cases { id } } } }",
            json!({"ids": [shared, alert, global, c2]}),
        )
        .await;
    assert_eq!(
        d["nodes"],
        json!([{"id": shared, "cases": [{"id": c2}]}, {"id": alert}, {"id": global}, {"id": c2}])
    );
    app.expect_error(
        "NOT_FOUND",
        "mutation($id: ID!) { deleteCase(id: $id) }",
        json!({"id": c1}),
    )
    .await;
});

both_dbs!(notes_revisions_and_search, |app: TestApp| async move {
    let h = id(
        &app,
        "mutation { createHost(input: {ip: \"10.7.0.1\"}) { id } }",
        json!({}),
    )
    .await;
    let create = "mutation($i: CreateNoteInput!) { createNote(input: $i) { id revision subject { id } } }";
    let n = id(
        &app,
        create,
        json!({"i": {"subjectId": h, "title": "Triage", "body": "Beacon to evil.example every 60s"}}),
    )
    .await;
    id(
        &app,
        create,
        json!({"i": {"subjectId": h, "body": "Nothing else of interest"}}),
    )
    .await;
    app.expect_error("BAD_USER_INPUT", create, json!({"i": {"subjectId": h, "body": "  "}}))
        .await;
    app.expect_error(
        "NOT_FOUND",
        create,
        json!({"i": {"subjectId": "SG9zdDo5OQ", "body": "x"}}),
    )
    .await;
    app.expect_error(
        "BAD_USER_INPUT",
        create,
        json!({"i": {"subjectId": n, "body": "a note about a note"}}),
    )
    .await;
    let upd = "mutation($id: ID!, $i: UpdateNoteInput!) { updateNote(id: $id, input: $i) { revision body title revisions { revision body title } } }";
    let d = app
        .data(
            upd,
            json!({"id": n, "i": {"body": "Beacon to evil.example every 30s", "expectedRevision": 1}}),
        )
        .await;
    assert_eq!(
        d["updateNote"],
        json!({"revision": 2, "body": "Beacon to evil.example every 30s", "title": "Triage",
        "revisions": [{"revision": 1, "body": "Beacon to evil.example every 60s", "title": "Triage"}]})
    );
    let m = app
        .expect_error(
            "CONFLICT",
            upd,
            json!({"id": n, "i": {"body": "stale edit", "expectedRevision": 1}}),
        )
        .await;
    assert!(m.contains("revision 2"), "{m}");
    let d = app.data(upd, json!({"id": n, "i": {"title": null}})).await;
    assert_eq!(d["updateNote"]["revision"], 3);
    assert_eq!(d["updateNote"]["title"], Value::Null);
    let search = "query($q: String) { notes(filter: {search: $q}) { nodes { id } } }";
    assert_eq!(ids(&app, search, json!({"q": "BEACON 30s"})).await, [n.as_str()]);
    assert!(
        ids(&app, search, json!({"q": "beacon 60s"})).await.is_empty(),
        "only the current text is searched"
    );
    assert_eq!(ids(&app, search, json!({"q": "interest"})).await.len(), 1);
    assert_eq!(
        ids(&app, search, json!({"q": "100%"})).await.len(),
        0,
        "LIKE wildcards are escaped"
    );
    let d = app
        .data(r#"{ host(ip: "10.7.0.1") { notes { id } } }"#, json!({}))
        .await;
    assert_eq!(d["host"]["notes"].as_array().unwrap().len(), 2);
    let d = app
        .data(
            "query($s: ID!) { notes(filter: {subjectId: $s}) { totalCount } }",
            json!({"s": h}),
        )
        .await;
    assert_eq!(d["notes"]["totalCount"], 2);
    app.data("mutation($id: ID!) { deleteNote(id: $id) }", json!({"id": n}))
        .await;
    let d = app
        .data(
            "query($s: ID!) { notes(filter: {subjectId: $s}) { totalCount } }",
            json!({"s": h}),
        )
        .await;
    assert_eq!(d["notes"]["totalCount"], 1);
});

// An IOC's value must have its type's form (for the types whose form is known).
both_dbs!(ioc_values_are_checked_against_their_type, |app: TestApp| async move {
    let add = "mutation($t: String!, $v: String!) { addIoc(input: {type: $t, value: $v}) { id value } }";
    for (t, v) in [
        ("ip-src", "10.0.0.256"),
        ("md5", "not a hash"),
        ("url", "evil.example/x"),
        ("domain", "a..b"),
    ] {
        let message = app.expect_error("BAD_USER_INPUT", add, json!({"t": t, "v": v})).await;
        assert!(message.contains(t), "{message}");
    }
    let d = app.data(add, json!({"t": "ip-src", "v": "::ffff:10.0.0.9"})).await;
    assert_eq!(d["addIoc"]["value"], "10.0.0.9");
    app.data(add, json!({"t": "filename", "v": "invoice 2026.pdf.exe"}))
        .await;
});

// Cases by the number investigators refer to them by (the search box's `#42`), and
// sorted by it.
both_dbs!(cases_by_number, |app: TestApp| async move {
    let acme = customer(&app, "ACME").await;
    let mut numbers = Vec::new();
    for name in ["first", "second", "third"] {
        let d = app
            .data(
                "mutation($c: ID!, $n: String!) { createCase(input: {name: $n, customerId: $c}) { number } }",
                json!({"c": acme, "n": name}),
            )
            .await;
        numbers.push(d["createCase"]["number"].as_i64().unwrap());
    }
    let d = app
        .data(
            "query($n: Int!) { cases(filter: {number: {eq: $n}}) { nodes { name number } } }",
            json!({"n": numbers[1]}),
        )
        .await;
    assert_eq!(d["cases"]["nodes"], json!([{"name": "second", "number": numbers[1]}]));
    let d = app
        .data(
            "{ cases(orderBy: [{field: NUMBER, direction: DESC}]) { nodes { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        d["cases"]["nodes"],
        json!([{"name": "third"}, {"name": "second"}, {"name": "first"}])
    );
    let d = app
        .data(
            "query($n: Int!) { cases(filter: {number: {gte: $n}}) { totalCount } }",
            json!({"n": numbers[1]}),
        )
        .await;
    assert_eq!(d["cases"]["totalCount"], 2);
});
