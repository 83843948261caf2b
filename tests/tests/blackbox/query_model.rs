//! The one query model: filters, orders paged by keyset (ties and missing values, both
//! ways) and aggregates, on both databases. Expected answers are computed here from the
//! rows the test wrote, never from Pivot's own answers.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use tests::{both_dbs, s, TestApp};

const CREATE_ALERT: &str = "mutation($i: CreateAlertInput!) { createAlert(input: $i) { id } }";
const SEVERITIES: [&str; 6] = ["INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL", "EMERGENCY"];

/// What the test wrote of one alert.
#[derive(Clone, Debug)]
struct Row {
    id: String,
    n: usize,
    severity: usize,
    sensor: Option<String>,
    day: u32,
    dst_port: Option<i64>,
}

/// 41 alerts with many ties: 3 severities, 4 sensors (one missing), 5 days, ports
/// missing on every third.
async fn seed(app: &TestApp) -> Vec<Row> {
    let mut rows = Vec::new();
    for n in 0..41usize {
        let severity = [1, 2, 4][n % 3];
        let sensor = [Some("s1"), Some("s2"), None, Some("s0")][n % 4].map(str::to_string);
        let day = 1 + (n % 5) as u32;
        let dst_port = (n % 3 != 0).then_some([22, 80, 443, 8080][n % 4]);
        let i = json!({
            "kind": "host", "type": "t", "severity": SEVERITIES[severity], "title": format!("a{n}"),
            "sensor": sensor, "dstPort": dst_port, "dstIp": format!("10.0.{}.{}", n % 2, n + 1),
            "occurredAt": format!("2026-02-{day:02}T{:02}:30:00Z", n % 24),
        });
        let id = s(&app.data(CREATE_ALERT, json!({ "i": i })).await["createAlert"]["id"]);
        rows.push(Row {
            id,
            n,
            severity,
            sensor,
            day,
            dst_port,
        });
    }
    rows
}

const PAGE: &str = "query($o: [AlertOrder!], $f: Int, $a: String, $l: Int, $b: String) {
  alerts(orderBy: $o, first: $f, after: $a, last: $l, before: $b) {
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } nodes { id } } }";

/// Every alert, `size` at a time, forward then backward.
async fn walk(app: &TestApp, order: &Value, size: i64) -> (Vec<String>, Vec<String>) {
    let ids = |d: &Value| -> Vec<String> {
        d["alerts"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| s(&n["id"]))
            .collect()
    };
    let mut forward = Vec::new();
    let mut after = Value::Null;
    loop {
        let d = app.data(PAGE, json!({"o": order, "f": size, "a": after})).await;
        forward.extend(ids(&d));
        let info = &d["alerts"]["pageInfo"];
        if !info["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = info["endCursor"].clone();
    }
    let mut backward = Vec::new();
    let mut before = Value::Null;
    loop {
        let d = app.data(PAGE, json!({"o": order, "l": size, "b": before})).await;
        let mut page = ids(&d);
        page.extend(backward);
        backward = page;
        let info = &d["alerts"]["pageInfo"];
        if !info["hasPreviousPage"].as_bool().unwrap() {
            break;
        }
        before = info["startCursor"].clone();
    }
    (forward, backward)
}

/// Missing values sort as the greatest; ties by creation (the id).
fn key<T: Ord + Clone>(v: &Option<T>) -> (bool, Option<T>) {
    (v.is_none(), v.clone())
}

both_dbs!(orders_page_by_keyset_across_ties_both_ways, |app: TestApp| async move {
    let rows = seed(&app).await;
    // Ties go by creation, the way the last field goes.
    let check = |mut expected: Vec<Row>, cmp: &dyn Fn(&Row, &Row) -> std::cmp::Ordering, tie_down: bool| {
        expected.sort_by(|a, b| {
            let tie = if tie_down { b.n.cmp(&a.n) } else { a.n.cmp(&b.n) };
            cmp(a, b).then(tie)
        });
        expected.into_iter().map(|r| r.id).collect::<Vec<_>>()
    };

    let order = json!([{"field": "SEVERITY", "direction": "DESC"}, {"field": "OCCURRED_AT"}]);
    let expected = check(
        rows.clone(),
        &|a, b| {
            b.severity
                .cmp(&a.severity)
                .then((a.day, a.n % 24).cmp(&(b.day, b.n % 24)))
        },
        false,
    );
    for size in [1, 4, 7, 50] {
        let (f, b) = walk(&app, &order, size).await;
        assert_eq!(f, expected, "forward by {size}");
        assert_eq!(b, expected, "backward by {size}");
    }

    // A nullable field, going up: missing sensors last.
    let order = json!([{"field": "SENSOR", "direction": "ASC"}]);
    let expected = check(rows.clone(), &|a, b| key(&a.sensor).cmp(&key(&b.sensor)), false);
    let (f, b) = walk(&app, &order, 6).await;
    assert_eq!(f, expected);
    assert_eq!(b, expected);

    // Going down: missing values first, then the greatest.
    let order = json!([{"field": "DST_PORT", "direction": "DESC"}, {"field": "SENSOR", "direction": "DESC"}]);
    let expected = check(
        rows.clone(),
        &|a, b| {
            key(&b.dst_port)
                .cmp(&key(&a.dst_port))
                .then(key(&b.sensor).cmp(&key(&a.sensor)))
        },
        true,
    );
    let (f, b) = walk(&app, &order, 5).await;
    assert_eq!(f, expected);
    assert_eq!(b, expected);

    // No order: the order of arrival, as before.
    let (f, _) = walk(&app, &json!(null), 9).await;
    assert_eq!(f, rows.iter().map(|r| r.id.clone()).collect::<Vec<_>>());

    // A cursor belongs to its order.
    let d = app.data(PAGE, json!({"o": [{"field": "SEVERITY"}], "f": 2})).await;
    let cursor = d["alerts"]["pageInfo"]["endCursor"].clone();
    let msg = app
        .expect_error(
            "BAD_USER_INPUT",
            PAGE,
            json!({"o": [{"field": "SCORE"}], "f": 2, "a": cursor}),
        )
        .await;
    assert!(msg.contains("after") && msg.contains("not a cursor"), "{msg}");
    app.expect_error("BAD_USER_INPUT", PAGE, json!({"f": 2, "a": cursor}))
        .await;
    let msg = app
        .expect_error(
            "BAD_USER_INPUT",
            PAGE,
            json!({"o": [{"field": "SCORE"}, {"field": "SCORE"}]}),
        )
        .await;
    assert!(msg.contains("SCORE is listed twice"), "{msg}");
});

const AGG: &str = "query($f: AlertFilter) { alertsAggregate(filter: $f) {
  count
  bySeverity: groupBy(field: SEVERITY) { value count }
  topPorts: groupBy(field: DST_PORT, first: 2) { value count }
  sensors: distinct(field: SENSOR)
  ips: distinct(field: DST_IP, first: 3)
  days: histogram(field: OCCURRED_AT, seconds: 86400) { start count } } }";

both_dbs!(aggregates_count_what_the_filter_selects, |app: TestApp| async move {
    let rows = seed(&app).await;
    for (filter, keep) in [
        (json!(null), &(|_: &Row| true) as &dyn Fn(&Row) -> bool),
        (json!({"severity": {"gte": "WARNING"}}), &|r: &Row| r.severity >= 2),
        (
            json!({"or": [{"sensor": {"isNull": true}}, {"dstPort": {"in": [22, 443]}}]}),
            &|r: &Row| r.sensor.is_none() || matches!(r.dst_port, Some(22 | 443)),
        ),
        (json!({"sensor": {"eq": "nowhere"}}), &|_: &Row| false),
    ] {
        let kept: Vec<&Row> = rows.iter().filter(|r| keep(r)).collect();
        let d = app.data(AGG, json!({ "f": filter })).await;
        let a = &d["alertsAggregate"];
        assert_eq!(a["count"], kept.len(), "{filter}");

        let mut by_severity: BTreeMap<usize, i64> = BTreeMap::new();
        let mut ports: BTreeMap<Option<i64>, i64> = BTreeMap::new();
        let mut days: BTreeMap<u32, i64> = BTreeMap::new();
        for r in &kept {
            *by_severity.entry(r.severity).or_default() += 1;
            *ports.entry(r.dst_port).or_default() += 1;
            *days.entry(r.day).or_default() += 1;
        }
        // Most common first, ties by value (severity by rank).
        let mut sev: Vec<(usize, i64)> = by_severity.into_iter().collect();
        sev.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let sev: Vec<Value> = sev
            .into_iter()
            .map(|(k, n)| json!({"value": SEVERITIES[k], "count": n}))
            .collect();
        assert_eq!(a["bySeverity"], json!(sev), "{filter}");
        let mut top: Vec<(Option<i64>, i64)> = ports.into_iter().collect();
        // A missing value sorts after every number, as in the databases' orders.
        top.sort_by(|a, b| b.1.cmp(&a.1).then(key(&a.0).cmp(&key(&b.0))));
        let top: Vec<Value> = top
            .into_iter()
            .take(2)
            .map(|(p, n)| json!({"value": p.map(|p| p.to_string()), "count": n}))
            .collect();
        assert_eq!(a["topPorts"], json!(top), "{filter}");
        let mut sensors: Vec<Option<String>> = kept.iter().map(|r| r.sensor.clone()).collect();
        sensors.sort_by_key(key);
        sensors.dedup();
        assert_eq!(a["sensors"], json!(sensors), "{filter}");
        let days: Vec<Value> = days
            .into_iter()
            .map(|(d, n)| json!({"start": format!("2026-02-{d:02}T00:00:00+00:00"), "count": n}))
            .collect();
        assert_eq!(a["days"], json!(days), "{filter}");
        // Addresses in address order, as text.
        let mut ips: Vec<(u8, u8)> = kept.iter().map(|r| ((r.n % 2) as u8, (r.n + 1) as u8)).collect();
        ips.sort();
        let ips: Vec<String> = ips.iter().take(3).map(|(a, b)| format!("10.0.{a}.{b}")).collect();
        assert_eq!(a["ips"], json!(ips), "{filter}");
    }

    // Only a time field makes buckets.
    let msg = app
        .expect_error(
            "BAD_USER_INPUT",
            "{ alertsAggregate { histogram(field: SEVERITY, seconds: 60) { count } } }",
            json!({}),
        )
        .await;
    assert!(msg.contains("SEVERITY is not a time"), "{msg}");
    app.expect_error(
        "BAD_USER_INPUT",
        "{ alertsAggregate { groupBy(field: SENSOR, first: 0) { count } } }",
        json!({}),
    )
    .await;
});

both_dbs!(bad_filters_are_refused_with_what_is_wrong, |app: TestApp| async move {
    let q = "query($f: AlertFilter) { alerts(filter: $f) { nodes { id } } }";
    let msg = app
        .expect_error("BAD_USER_INPUT", q, json!({"f": {"title": {"regex": "(unclosed"}}}))
        .await;
    assert!(
        msg.contains("filter.title.regex") && msg.contains("not a regular expression"),
        "{msg}"
    );
    let msg = app
        .expect_error(
            "BAD_USER_INPUT",
            q,
            json!({"f": {"or": [{"not": {"title": {"regex": "a{99999}"}}}]}}),
        )
        .await;
    assert!(msg.contains("filter.or[0].not.title.regex"), "{msg}");
    let many: Vec<Value> = (0..300).map(|i| json!({"score": {"eq": i}})).collect();
    let msg = app.expect_error("BAD_USER_INPUT", q, json!({"f": {"or": many}})).await;
    assert!(msg.contains("at most 200 conditions"), "{msg}");
    let msg = app
        .expect_error(
            "BAD_USER_INPUT",
            q,
            json!({"f": {"srcIp": {"range": {"from": "10.0.0.9", "to": "10.0.0.1"}}}}),
        )
        .await;
    assert!(msg.contains("filter.srcIp.range"), "{msg}");
    let (code, _) = app.error(q, json!({"f": {"severity": {"gte": "LOUD"}}})).await;
    assert_eq!(code, "BAD_USER_INPUT");
    let (code, _) = app.error(q, json!({"f": {"dstIp": {"eq": "10.0.0.300"}}})).await;
    assert_eq!(code, "BAD_USER_INPUT");
});

/// Every root connection of the schema is a listing of the query model: `filter`,
/// `orderBy` and a sibling `…Aggregate` field; no other way to list a type remains.
#[tokio::test]
async fn every_root_listing_has_filter_order_and_aggregates() {
    let app = TestApp::sqlite().await;
    let d = app
        .data(
            "{ __schema { queryType { fields { name args { name } type { name kind ofType { name } } } } } }",
            json!({}),
        )
        .await;
    let fields = d["__schema"]["queryType"]["fields"].as_array().unwrap();
    let names: Vec<&str> = fields.iter().map(|f| f["name"].as_str().unwrap()).collect();
    let type_name = |f: &Value| {
        let t = &f["type"];
        t["name"]
            .as_str()
            .or(t["ofType"]["name"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    let mut listings = Vec::new();
    for f in fields {
        let name = f["name"].as_str().unwrap();
        if !type_name(f).ends_with("Connection") {
            continue;
        }
        let args: Vec<&str> = f["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap())
            .collect();
        assert!(
            args.contains(&"filter") && args.contains(&"orderBy"),
            "{name}: {args:?}"
        );
        assert!(
            names.contains(&format!("{name}Aggregate").as_str()),
            "{name} has no aggregate"
        );
        listings.push(name);
    }
    for expected in [
        "hosts",
        "ports",
        "flows",
        "alerts",
        "cases",
        "customers",
        "iocs",
        "notes",
        "assets",
        "tasks",
        "timelineEvents",
        "evidences",
        "devices",
        "networks",
        "services",
        "dnsRecords",
        "ipdrRecords",
        "ipdrQueries",
        "auditEvents",
        "users",
        "scans",
        "imports",
    ] {
        assert!(listings.contains(&expected), "no listing {expected}: {listings:?}");
    }
}

const ADD_IOC: &str = "mutation($i: CreateIocInput!) { addIoc(input: $i) { id } }";
const IOCS: &str = "query($f: IocFilter, $o: [IocOrder!]) { iocs(filter: $f, orderBy: $o) { nodes { id } } }";

both_dbs!(case_objects_filter_sort_and_group, |app: TestApp| async move {
    let d = app
        .data("mutation { createCustomer(name: \"ACME\") { id } }", json!({}))
        .await;
    let customer = s(&d["createCustomer"]["id"]);
    let case = |name: &str| {
        let q = "mutation($i: CreateCaseInput!) { createCase(input: $i) { id } }";
        let i = json!({"name": name, "customerId": customer});
        let app = &app;
        async move { s(&app.data(q, json!({ "i": i })).await["createCase"]["id"]) }
    };
    let (c1, c2) = (case("one").await, case("two").await);
    let ioc = |i: Value| {
        let app = &app;
        async move { s(&app.data(ADD_IOC, json!({ "i": i })).await["addIoc"]["id"]) }
    };
    let i1 = ioc(json!({"type": "ip-src", "value": "10.0.0.1", "tags": ["apt"], "caseIds": [c1]})).await;
    let i2 = ioc(json!({"type": "domain", "value": "x.example", "tags": ["apt", "c2"], "caseIds": [c1, c2]})).await;
    let i3 = ioc(json!({"type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e"})).await;
    let ids = |f: Value, o: Value| {
        let app = &app;
        async move {
            let d = app.data(IOCS, json!({"f": f, "o": o})).await;
            d["iocs"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| s(&n["id"]))
                .collect::<Vec<_>>()
        }
    };
    // A tag and a case reached through the IOC's links, together.
    assert_eq!(
        ids(json!({"tag": "apt", "caseId": {"eq": c2}}), json!(null)).await,
        [i2]
    );
    // `or` of two fields, sorted by type, descending: md5, ip-src.
    let f = json!({"or": [{"type": {"eq": "MD5"}}, {"value": {"eq": "10.0.0.1"}}]});
    assert_eq!(
        ids(f, json!([{"field": "TYPE", "direction": "DESC"}])).await,
        [i3.clone(), i1.clone()]
    );
    // Linked to no case: `not` of "linked to one of these".
    let f = json!({"not": {"caseId": {"in": [c1, c2]}}});
    assert_eq!(ids(f, json!(null)).await, [i3]);
    // Aggregates over the same filter.
    let d = app
        .data(
            "query($c: ID!) { iocsAggregate(filter: {caseId: {eq: $c}}) { count groupBy(field: TYPE) { value count } } }",
            json!({"c": c1}),
        )
        .await;
    assert_eq!(d["iocsAggregate"]["count"], 2);
    assert_eq!(
        d["iocsAggregate"]["groupBy"],
        json!([{"value": "domain", "count": 1}, {"value": "ip-src", "count": 1}])
    );

    // Timeline events: a time range, an order and a histogram of one case.
    const EVENT: &str = "mutation($i: CreateTimelineEventInput!) { createTimelineEvent(input: $i) { id } }";
    let mut events = Vec::new();
    for (n, (c, day)) in [(&c1, 3), (&c1, 1), (&c2, 2), (&c1, 2)].into_iter().enumerate() {
        let i = json!({"caseId": c, "title": format!("e{n}"), "occurredAt": format!("2026-03-0{day}T10:00:00Z")});
        events.push(s(&app.data(EVENT, json!({ "i": i })).await["createTimelineEvent"]["id"]));
    }
    let d = app
        .data(
            "query($c: ID!) {
               timelineEvents(filter: {caseId: {eq: $c}, occurredAt: {gte: \"2026-03-02T00:00:00Z\"}},
                              orderBy: [{field: OCCURRED_AT}]) { nodes { title } }
               timelineEventsAggregate(filter: {caseId: {eq: $c}}) {
                 histogram(field: OCCURRED_AT, seconds: 86400) { start count } } }",
            json!({"c": c1}),
        )
        .await;
    assert_eq!(d["timelineEvents"]["nodes"], json!([{"title": "e3"}, {"title": "e0"}]));
    assert_eq!(
        d["timelineEventsAggregate"]["histogram"],
        json!([
            {"start": "2026-03-01T00:00:00+00:00", "count": 1},
            {"start": "2026-03-02T00:00:00+00:00", "count": 1},
            {"start": "2026-03-03T00:00:00+00:00", "count": 1},
        ])
    );

    // Audit events: a user who is no administrator counts only its own.
    let token = app.user("vic", server::domain::users::Role::Analyst, "").await;
    let r = app
        .gql_as(
            &token,
            "mutation { createTask(input: {title: \"mine\"}) { id } }",
            json!({}),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let q = "{ auditEventsAggregate { count groupBy(field: ACTION) { value count } } }";
    let r = app.gql_as(&token, q, json!({})).await;
    assert_eq!(r["data"]["auditEventsAggregate"]["count"], 1, "{r}");
    let all = app.data(q, json!({})).await;
    let total = all["auditEventsAggregate"]["count"].as_i64().unwrap();
    // A customer, two cases, three IOCs and four events of the administrator's, and
    // vic's task.
    assert_eq!(total, 1 + 2 + 3 + 4 + 1, "{all}");
});

both_dbs!(distinct_rows_skips_and_gateways, |app: TestApp| async move {
    // distinctOn keeps the newest alert of each sensor (a missing sensor is a group too).
    let rows = seed(&app).await;
    let mut newest: BTreeMap<Option<String>, &Row> = BTreeMap::new();
    for r in &rows {
        let e = newest.entry(r.sensor.clone()).or_insert(r);
        if r.n > e.n {
            *e = r;
        }
    }
    let mut expected: Vec<String> = newest.values().map(|r| r.id.clone()).collect();
    expected.sort_by_key(|id| rows.iter().position(|r| &r.id == id));
    let q = "query($d: [AlertField!], $s: Int, $f: Int) {
      alerts(distinctOn: $d, skip: $s, first: $f) { totalCount pageInfo { hasPreviousPage } nodes { id } } }";
    let d = app.data(q, json!({"d": ["SENSOR"], "f": 100})).await;
    let ids: Vec<String> = d["alerts"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| s(&n["id"]))
        .collect();
    assert_eq!(ids, expected);
    assert_eq!(d["alerts"]["totalCount"], json!(expected.len()));
    // skip leaves out rows in order, and says there were some before.
    let d = app.data(q, json!({"s": 38, "f": 10})).await;
    let ids: Vec<String> = d["alerts"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| s(&n["id"]))
        .collect();
    assert_eq!(ids, rows[38..].iter().map(|r| r.id.clone()).collect::<Vec<_>>());
    assert_eq!(d["alerts"]["pageInfo"]["hasPreviousPage"], json!(true));
    app.expect_error("BAD_USER_INPUT", q, json!({"s": 10_001})).await;

    // A device is a gateway while a network's gateway is at its last address.
    let dev = "mutation($i: CreateDeviceInput!) { createDevice(input: $i) { id isGateway } }";
    let router = app
        .data(
            dev,
            json!({"i": {"mac": "02:00:00:00:00:01", "lastIp": "10.9.0.1", "hostname": "router"}}),
        )
        .await;
    assert_eq!(router["createDevice"]["isGateway"], json!(false));
    let laptop = app
        .data(
            dev,
            json!({"i": {"mac": "02:00:00:00:00:02", "lastIp": "10.9.0.7", "friendlyName": "Ada's laptop"}}),
        )
        .await;
    let net = app
        .data(
            "mutation { createNetwork(input: {name: \"lab\", cidr: \"10.9.0.0/24\", gatewayIp: \"10.9.0.1\"}) { id } }",
            json!({}),
        )
        .await;
    let gateways = "query { devices(filter: {isGateway: {eq: true}}, orderBy: [{field: IS_GATEWAY, direction: DESC}]) { nodes { id isGateway } } }";
    let d = app.data(gateways, json!({})).await;
    assert_eq!(
        d["devices"]["nodes"],
        json!([{"id": router["createDevice"]["id"], "isGateway": true}])
    );
    let net_id = net["createNetwork"]["id"].clone();
    app.data(
        "mutation($id: ID!) { updateNetwork(id: $id, input: {gatewayIp: \"10.9.0.7\"}) { id } }",
        json!({ "id": net_id }),
    )
    .await;
    let d = app.data(gateways, json!({})).await;
    assert_eq!(
        d["devices"]["nodes"],
        json!([{"id": laptop["createDevice"]["id"], "isGateway": true}])
    );
    // A device made at a gateway's address is one from the start.
    let twin = app
        .data(
            dev,
            json!({"i": {"mac": "02:00:00:00:00:03", "lastIp": "10.9.0.7", "hostname": "twin"}}),
        )
        .await;
    assert_eq!(twin["createDevice"]["isGateway"], json!(true));
    app.data("mutation($id: ID!) { deleteNetwork(id: $id) }", json!({ "id": net_id }))
        .await;
    let d = app.data(gateways, json!({})).await;
    assert_eq!(d["devices"]["nodes"], json!([]));

    // An alert's source device, by its MAC or its last address.
    let alert = |i: Value| app.data(CREATE_ALERT, json!({ "i": i }));
    let base = json!({"kind": "network", "type": "t", "severity": "INFO", "title": "x"});
    let mut by_mac = base.clone();
    by_mac["srcMac"] = json!("02:00:00:00:00:02");
    let by_mac = s(&alert(by_mac).await["createAlert"]["id"]);
    let mut by_ip = base.clone();
    by_ip["srcIp"] = json!("10.9.0.7");
    let by_ip = s(&alert(by_ip).await["createAlert"]["id"]);
    let q = "query { alerts(filter: {srcDevice: {friendlyName: {like: \"ada%\"}}}) { nodes { id } } }";
    let d = app.data(q, json!({})).await;
    assert_eq!(d["alerts"]["nodes"], json!([{"id": by_mac}, {"id": by_ip}]));
});

/// (port id, host address, port, state) of a port a test made.
type Made = (String, String, i64, String);

/// Checks that the hosts with each of a few (port, state) are those `ports` says, and
/// that their count (listing and aggregate) is theirs.
async fn check_tallies(app: &TestApp, ports: &[Made], step: &str) {
    use std::collections::BTreeSet;
    const COUNTS: &str = "query($f: HostFilter) { hosts(filter: $f) { totalCount }
        hostsAggregate(filter: $f) { count } all: hosts(filter: $f, first: 100) { nodes { ip } } }";
    for (number, state) in [(22, "open"), (22, "closed"), (80, "open"), (443, "open")] {
        let expected: BTreeSet<String> = ports
            .iter()
            .filter(|p| p.2 == number && p.3 == state)
            .map(|p| p.1.clone())
            .collect();
        let f = json!({"ports": {"port": {"eq": number}, "state": {"eq": state}}});
        let d = app.data(COUNTS, json!({ "f": f })).await;
        let listed: BTreeSet<String> = d["all"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| s(&n["ip"]))
            .collect();
        assert_eq!(listed, expected, "{step}: the hosts with {number}/{state}");
        assert_eq!(
            d["hosts"]["totalCount"],
            expected.len(),
            "{step}: {number}/{state}: {d}"
        );
        assert_eq!(
            d["hostsAggregate"]["count"],
            expected.len(),
            "{step}: {number}/{state}: {d}"
        );
    }
}

async fn add_port(app: &TestApp, host: &str, ip: &str, port: i64, protocol: &str, state: &str) -> Made {
    let d = app
        .data(
            "mutation($i: CreatePortInput!) { createPort(input: $i) { id } }",
            json!({"i": {"hostId": host, "port": port, "protocol": protocol, "state": state}}),
        )
        .await;
    (s(&d["createPort"]["id"]), ip.to_string(), port, state.to_string())
}

// The hosts with a port of a number in a state are counted from what the database
// keeps as ports change (`port_tallies`): after every kind of change — a second
// protocol on the same port, a state changed, a port and a host deleted — the count
// (listing and aggregate) equals the hosts the test knows it gave such a port.
both_dbs!(
    kept_counts_of_hosts_by_port_follow_every_change,
    |app: TestApp| async move {
        let mut hosts = BTreeMap::new();
        for n in 1..=6 {
            let ip = format!("10.9.0.{n}");
            let d = app
                .data(
                    "mutation($ip: IpAddr!) { createHost(input: {ip: $ip}) { id } }",
                    json!({ "ip": ip }),
                )
                .await;
            hosts.insert(ip, s(&d["createHost"]["id"]));
        }
        let mut ports: Vec<Made> = Vec::new();
        let add = |ip: &'static str, port: i64, protocol: &'static str, state: &'static str| {
            add_port(&app, &hosts[ip], ip, port, protocol, state)
        };
        check_tallies(&app, &ports, "no ports").await;
        // 10.9.0.1 has 22 open twice (TCP and UDP): one host.
        ports.push(add("10.9.0.1", 22, "TCP", "open").await);
        let udp = add("10.9.0.1", 22, "UDP", "open").await;
        ports.push(udp.clone());
        ports.push(add("10.9.0.2", 22, "TCP", "open").await);
        ports.push(add("10.9.0.3", 22, "TCP", "closed").await);
        ports.push(add("10.9.0.4", 80, "TCP", "open").await);
        let changed = add("10.9.0.5", 22, "TCP", "open").await;
        ports.push(changed.clone());
        ports.push(add("10.9.0.6", 22, "TCP", "open").await);
        ports.push(add("10.9.0.6", 443, "TCP", "open").await);
        check_tallies(&app, &ports, "added").await;

        // A state changed moves the host from one count to the other.
        app.data(
            "mutation($i: ID!) { updatePort(id: $i, input: {state: \"closed\"}) { id } }",
            json!({ "i": changed.0 }),
        )
        .await;
        ports.iter_mut().find(|p| p.0 == changed.0).unwrap().3 = "closed".into();
        check_tallies(&app, &ports, "state changed").await;

        // The host keeps 22 open through TCP when its UDP port goes.
        app.data("mutation($i: ID!) { deletePort(id: $i) }", json!({ "i": udp.0 }))
            .await;
        ports.retain(|p| p.0 != udp.0);
        check_tallies(&app, &ports, "one of two protocols deleted").await;

        // A host deleted takes its ports out of every count.
        app.data(
            "mutation($i: ID!) { deleteHost(id: $i) }",
            json!({ "i": hosts["10.9.0.6"] }),
        )
        .await;
        ports.retain(|p| p.1 != "10.9.0.6");
        check_tallies(&app, &ports, "host deleted").await;

        // Many changes in a row (on PostgreSQL, a row each to add up) and back again.
        for _ in 0..40 {
            let p = add("10.9.0.4", 22, "TCP", "open").await;
            app.data("mutation($i: ID!) { deletePort(id: $i) }", json!({ "i": p.0 }))
                .await;
        }
        ports.push(add("10.9.0.4", 22, "SCTP", "open").await);
        check_tallies(&app, &ports, "many changes").await;
        // The count that folded the rows was exact; so is the next one, once folded.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        check_tallies(&app, &ports, "folded").await;
    }
);

/// Two transactions adding the same host's port 22 under two protocols at once count
/// the host once: on PostgreSQL the second waits for the first (the trigger locks the
/// host) and then sees its row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_count_a_host_once_on_postgres() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
    let app = TestApp::postgres().await;
    let d = app
        .data("mutation { createHost(input: {ip: \"10.9.1.1\"}) { ip } }", json!({}))
        .await;
    assert_eq!(d["createHost"]["ip"], "10.9.1.1");
    let host = tests::number(&app.db, "SELECT MAX(id) FROM hosts").await;
    let insert = move |protocol: &str| {
        Statement::from_string(
            DbBackend::Postgres,
            format!(
                "INSERT INTO ports (host_id, port, protocol, state, cpes) VALUES ({host}, 22, '{protocol}', 'open', '')"
            ),
        )
    };
    let first = app.db.begin().await.unwrap();
    first.execute(insert("tcp")).await.unwrap();
    let db = app.db.clone();
    let second = tokio::spawn(async move {
        let tx = db.begin().await.unwrap();
        tx.execute(insert("udp")).await.unwrap();
        tx.commit().await.unwrap();
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!second.is_finished(), "the second writer waits for the first");
    first.commit().await.unwrap();
    second.await.unwrap();
    let d = app
        .data(
            "{ hosts(filter: {ports: {port: {eq: 22}, state: {eq: \"open\"}}}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(d["hosts"]["totalCount"], 1, "{d}");
}

// Statements that write many ports at once (as imports do) count each host once per
// (port, state), whatever the order in which the database sees the rows.
both_dbs!(
    statements_of_many_ports_count_each_host_once,
    |app: TestApp| async move {
        use sea_orm::{ConnectionTrait, Statement};
        let backend = app.db.get_database_backend();
        for n in 1..=2 {
            app.data(
                "mutation($ip: IpAddr!) { createHost(input: {ip: $ip}) { ip } }",
                json!({ "ip": format!("10.9.2.{n}") }),
            )
            .await;
        }
        let sql = |q: &str| Statement::from_string(backend, q.to_string());
        let hosts: Vec<i64> = app
            .db
            .query_all(sql("SELECT id FROM hosts ORDER BY id"))
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get_by_index(0).unwrap())
            .collect();
        let (a, b) = (hosts[0], hosts[1]);
        let count = |state: &'static str| {
            let app = &app;
            async move {
                let d = app
                .data(
                    "query($s: String!) { hosts(filter: {ports: {port: {eq: 22}, state: {eq: $s}}}) { totalCount } }",
                    json!({ "s": state }),
                )
                .await;
                d["hosts"]["totalCount"].as_i64().unwrap()
            }
        };
        // One statement: host a's 22 under three protocols, host b's under one.
        app.db
        .execute(sql(&format!(
            "INSERT INTO ports (host_id, port, protocol, state, cpes) VALUES \
             ({a}, 22, 'tcp', 'open', ''), ({a}, 22, 'udp', 'open', ''), ({b}, 22, 'tcp', 'open', ''), ({a}, 22, 'sctp', 'open', '')"
        )))
        .await
        .unwrap();
        assert_eq!((count("open").await, count("closed").await), (2, 0), "inserted at once");
        // Two of a's three close in one statement: a is in both counts.
        app.db
            .execute(sql(&format!(
                "UPDATE ports SET state = 'closed' WHERE host_id = {a} AND protocol IN ('tcp', 'udp')"
            )))
            .await
            .unwrap();
        assert_eq!(
            (count("open").await, count("closed").await),
            (2, 1),
            "two of three closed"
        );
        // The last open one closes too, and one of the closed opens again, at once.
        app.db
            .execute(sql(&format!(
                "UPDATE ports SET state = CASE state WHEN 'open' THEN 'closed' ELSE 'open' END \
             WHERE host_id = {a} AND protocol IN ('sctp', 'tcp')"
            )))
            .await
            .unwrap();
        assert_eq!((count("open").await, count("closed").await), (2, 1), "states swapped");
        // Every port of a's goes in one statement; b's stays.
        app.db
            .execute(sql(&format!("DELETE FROM ports WHERE host_id = {a}")))
            .await
            .unwrap();
        assert_eq!(
            (count("open").await, count("closed").await),
            (1, 0),
            "a's deleted at once"
        );
    }
);
