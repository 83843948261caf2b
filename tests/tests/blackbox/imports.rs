//! Imports through the API (GraphQL multipart uploads) of real tools' output: nmap and
//! masscan XML from `../shared/fixtures/`, Zeek and Suricata samples from `tests/data/`.
//! What landed is checked field by field; bad input leaves the database as it was.

use std::io::Write;

use serde_json::{json, Value};
use server::domain::users::Role;
use tests::{both_dbs, fixture, number, sample, TestApp};

const NMAP: &str = "mutation($file: Upload!, $s: String, $c: [String!]) {
    importNmap(file: $file, source: $s, categories: $c) { read inserted updated skipped skippedBecause { reason count } counts { kind added updated unchanged } } }";
const ZEEK: &str = "mutation($file: Upload!, $s: String) {
    importZeek(file: $file, source: $s) { read inserted updated skipped skippedBecause { reason count } counts { kind added updated unchanged } } }";
const SURICATA: &str = "mutation($file: Upload!) {
    importSuricata(file: $file) { read inserted updated skipped skippedBecause { reason count } counts { kind added updated unchanged } } }";

async fn import(app: &TestApp, mutation: &str, name: &str, content: Vec<u8>, vars: Value) -> Value {
    let res = app.upload(mutation, name, content, vars).await;
    assert!(res["errors"].is_null(), "import of {name} failed: {res}");
    res["data"].as_object().unwrap().values().next().unwrap().clone()
}

async fn import_error(app: &TestApp, mutation: &str, name: &str, content: Vec<u8>) -> String {
    let res = app.upload(mutation, name, content, json!({})).await;
    assert_eq!(res["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{res}");
    res["errors"][0]["message"].as_str().unwrap().to_string()
}

/// What a summary counts of one kind of object (`added`, `updated`, `unchanged`).
fn count(summary: &Value, kind: &str, what: &str) -> u64 {
    summary["counts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == kind)
        .map_or(0, |c| c[what].as_u64().unwrap())
}

fn gzip(content: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(content).unwrap();
    enc.finish().unwrap()
}

const LOCALHOST: &str = r#"{ host(ip: "127.0.0.1") { status os hostnames
    osMatches { name accuracy } scripts { scriptId }
    ports(first: 10) { nodes { port protocol state reason serviceName serviceProduct serviceVersion serviceExtra cpes
        scripts { scriptId output data } firstSeen lastSeen
        sightings { state seenAt scan { tool name source categories args startedAt endedAt } } } } } }"#;

/// How many hosts have port `number` in `state`, as the listing and the aggregate count them
/// (they agree).
async fn hosts_with(app: &TestApp, number: i64, state: &str) -> i64 {
    let d = app
        .data(
            "query($f: HostFilter) { hosts(filter: $f) { totalCount } hostsAggregate(filter: $f) { count } }",
            json!({"f": {"ports": {"port": {"eq": number}, "state": {"eq": state}}}}),
        )
        .await;
    assert_eq!(d["hosts"]["totalCount"], d["hostsAggregate"]["count"], "{d}");
    d["hosts"]["totalCount"].as_i64().unwrap()
}

fn port(host: &Value, number: i64) -> &Value {
    host["ports"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["port"] == number)
        .unwrap_or_else(|| panic!("port {number} in {host}"))
}

both_dbs!(nmap_lands_field_by_field_and_keeps_history, |app: TestApp| async move {
    let xml = fixture("nmap-localhost.xml");
    let s = import(
        &app,
        NMAP,
        "nmap-localhost.xml",
        xml.clone(),
        json!({"s": "lab", "c": ["dmz", "weekly"]}),
    )
    .await;
    assert_eq!(
        (&s["read"], &s["inserted"], &s["updated"], &s["skipped"]),
        (&json!(1), &json!(6), &json!(0), &json!(0)),
        "{s}"
    );
    let d = app.data(LOCALHOST, json!({})).await;
    let h = &d["host"];
    assert_eq!(h["status"], "up");
    assert_eq!(h["os"], "Linux 5.0 - 5.2");
    assert_eq!(h["hostnames"], json!(["localhost"]));
    assert_eq!(h["osMatches"][0], json!({"name": "Linux 5.0 - 5.2", "accuracy": 96}));
    assert_eq!(h["osMatches"].as_array().unwrap().len(), 10);
    let ssh = port(h, 2222);
    assert_eq!(
        (
            &ssh["state"],
            &ssh["reason"],
            &ssh["serviceName"],
            &ssh["serviceProduct"]
        ),
        (&json!("open"), &json!("syn-ack"), &json!("ssh"), &json!("OpenSSH"))
    );
    assert_eq!(ssh["serviceVersion"], "9.2p1 Debian 2+deb12u3");
    assert_eq!(ssh["serviceExtra"], "protocol 2.0");
    assert_eq!(
        ssh["cpes"],
        json!(["cpe:/a:openbsd:openssh:9.2p1", "cpe:/o:linux:linux_kernel"])
    );
    let web = port(h, 18080);
    assert_eq!(web["serviceProduct"], "SimpleHTTPServer");
    let title = &web["scripts"][0];
    assert_eq!(title["scriptId"], "http-title");
    assert_eq!(title["output"], "Directory listing for /");
    assert_eq!(title["data"], json!({"title": "Directory listing for /"}));
    assert_eq!(port(h, 22)["state"], "closed");
    assert_eq!(hosts_with(&app, 2222, "open").await, 1);
    assert_eq!(hosts_with(&app, 22, "closed").await, 1);
    assert_eq!(hosts_with(&app, 22, "open").await, 0);
    let scan = &ssh["sightings"][0]["scan"];
    assert_eq!(scan["tool"], "nmap");
    assert_eq!(scan["name"], "nmap 7.93");
    assert_eq!(scan["source"], "lab");
    assert_eq!(scan["categories"], json!(["dmz", "weekly"]));
    assert!(scan["args"].as_str().unwrap().contains("-sV -sC -O"));
    assert_eq!(scan["startedAt"], "2026-11-23T09:18:08+00:00");
    assert_eq!(scan["endedAt"], "2026-11-23T09:18:27+00:00");
    assert_eq!(ssh["lastSeen"], "2026-11-23T09:18:27+00:00");

    // An older scan (the same, a year earlier, with 2222 closed) adds to the history
    // and changes nothing else; a newer one (2222 closed) updates the port.
    let text = String::from_utf8(xml).unwrap();
    let shifted = |years: i64, closed: bool| {
        let mut t = text.clone();
        for stamp in ["1795425488", "1795425489", "1795425507"] {
            let moved = stamp.parse::<i64>().unwrap() + years * 365 * 86400;
            t = t.replace(stamp, &moved.to_string());
        }
        if closed {
            t = t.replace(
                r#"portid="2222"><state state="open" reason="syn-ack""#,
                r#"portid="2222"><state state="closed" reason="reset""#,
            );
        }
        t.into_bytes()
    };
    let s = import(&app, NMAP, "old.xml", shifted(-1, true), json!({})).await;
    assert_eq!(
        (&s["inserted"], &s["updated"]),
        (&json!(0), &json!(1)),
        "only the host counts: {s}"
    );
    let d = app.data(LOCALHOST, json!({})).await;
    let ssh = port(&d["host"], 2222);
    assert_eq!(ssh["state"], "open", "an older scan does not overwrite");
    assert_eq!(ssh["firstSeen"], "2025-11-23T09:18:27+00:00");
    let states: Vec<&str> = ssh["sightings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["closed", "open"], "history, oldest first");
    let s = import(&app, NMAP, "new.xml", gzip(&shifted(1, true)), json!({})).await;
    assert_eq!(s["updated"], 6, "{s}");
    let d = app.data(LOCALHOST, json!({})).await;
    let ssh = port(&d["host"], 2222);
    assert_eq!((&ssh["state"], &ssh["reason"]), (&json!("closed"), &json!("reset")));
    assert_eq!(ssh["sightings"].as_array().unwrap().len(), 3);
    assert_eq!(hosts_with(&app, 2222, "open").await, 0, "2222 closed by the newer scan");
    assert_eq!(hosts_with(&app, 2222, "closed").await, 1);
    let d = app.data("{ hosts { totalCount } }", json!({})).await;
    assert_eq!(d["hosts"]["totalCount"], 1);

    // Imports are on record.
    let d = app
        .data(
            "{ auditEvents(filter: {action: {in: [\"importNmap\"]}}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(d["auditEvents"]["totalCount"], 3);
});

both_dbs!(masscan_and_ipv6_scans, |app: TestApp| async move {
    let s = import(
        &app,
        NMAP,
        "test-T22.xml",
        fixture("ivre-test-samples/test-T22.xml"),
        json!({}),
    )
    .await;
    assert_eq!(s["read"], 101, "{s}");
    let d = app
        .data(
            r#"{ hosts { totalCount } host(ip: "178.33.91.90") { ports { nodes { port state reason scripts { scriptId output } sightings { scan { tool } } } } } }"#,
            json!({}),
        )
        .await;
    let p = &d["host"]["ports"]["nodes"][0];
    assert_eq!(
        (&p["port"], &p["state"], &p["reason"]),
        (&json!(22), &json!("open"), &json!("response"))
    );
    assert_eq!(p["scripts"][0]["scriptId"], "banner");
    assert_eq!(p["scripts"][0]["output"], "SSH-2.0-OpenSSH_6.0p1 Debian-4+deb7u2");
    assert_eq!(p["sightings"][0]["scan"]["tool"], "masscan");
    let hosts = d["hosts"]["totalCount"].as_i64().unwrap();
    assert!(hosts > 90 && hosts <= 101, "{hosts}");

    import(
        &app,
        NMAP,
        "ipv6_all.xml",
        fixture("ivre-test-samples/ipv6_all.xml"),
        json!({}),
    )
    .await;
    let d = app
        .data(
            r#"{ host(ip: "2601:449:4200:577c:3e15:c2ff:feea:b872") { ip ports(first: 50) { nodes { port scripts { scriptId data } } } } }"#,
            json!({}),
        )
        .await;
    let ports = d["host"]["ports"]["nodes"].as_array().unwrap();
    assert!(ports.iter().any(|p| p["port"] == 111), "{d}");
    let rpc = ports.iter().find(|p| p["port"] == 111).unwrap();
    assert_eq!(rpc["scripts"][0]["scriptId"], "rpcinfo");
    assert!(rpc["scripts"][0]["data"].is_object() || rpc["scripts"][0]["data"].is_array());
});

both_dbs!(bad_input_changes_nothing, |app: TestApp| async move {
    let counts = "{ hosts { totalCount } flows { totalCount } alerts { totalCount } dnsRecords { totalCount } }";
    let before = app.data(counts, json!({})).await;
    let xml = fixture("nmap-localhost.xml");
    let half = xml[..xml.len() / 2].to_vec();
    let m = import_error(&app, NMAP, "cut.xml", half).await;
    assert!(m.starts_with("file: cut.xml: byte"), "{m}");
    assert!(m.contains("truncated"), "{m}");
    let m = import_error(&app, NMAP, "page.html", b"<html><body>hi</body></html>".to_vec()).await;
    assert!(m.contains("not an nmap XML file"), "{m}");
    let m = import_error(&app, ZEEK, "conn-bad.log", sample("zeek/conn-bad.log")).await;
    assert_eq!(m, "file: conn-bad.log: line 12: id.orig_p \"notaport\" is not a port");
    let m = import_error(&app, SURICATA, "eve-bad.json", gzip(&sample("suricata/eve-bad.json"))).await;
    assert!(
        m.starts_with("file: eve-bad.json: line 3: not an EVE JSON event"),
        "{m}"
    );
    assert_eq!(
        app.data(counts, json!({})).await,
        before,
        "nothing of a failed import is kept"
    );

    // Importing needs write access to what the file holds.
    let viewer = app.user("vic", Role::Viewer, "").await;
    let res = app
        .upload_as(&viewer, NMAP, "nmap-localhost.xml", xml.clone(), json!({}))
        .await;
    assert_eq!(res["errors"][0]["extensions"]["code"], "FORBIDDEN", "{res}");
    let analyst = app.user("ann", Role::Analyst, "").await;
    let res = app
        .upload_as(&analyst, NMAP, "nmap-localhost.xml", xml, json!({}))
        .await;
    assert_eq!(res["data"]["importNmap"]["inserted"], 6, "{res}");
    // A multipart request that is not a GraphQL one is refused clearly.
    let res = app
        .anonymous
        .post(app.url("/graphql"))
        .bearer_auth(&app.token)
        .header("content-type", "multipart/form-data; boundary=x")
        .body("--x\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{}\r\n--x--\r\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("bad GraphQL multipart request"),
        "{body}"
    );
});

both_dbs!(zeek_and_suricata, |app: TestApp| async move {
    // A real conn.log (TSV).
    let s = import(
        &app,
        ZEEK,
        "mongo_conn.log",
        fixture("ivre-test-samples/mongo_conn.log"),
        json!({"s": "zeek-1"}),
    )
    .await;
    let rows = String::from_utf8(fixture("ivre-test-samples/mongo_conn.log"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .count();
    assert_eq!(
        (s["read"].as_u64(), count(&s, "FLOWS", "added")),
        (Some(rows as u64), rows as u64)
    );
    let d = app
        .data(
            r#"{ flows(first: 1) { totalCount nodes { uid state srcIp srcPort dstIp dstPort protocol application
                srcBytes dstBytes srcPackets dstPackets startedAt endedAt sensor src { ip } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(d["flows"]["totalCount"], rows);
    assert_eq!(
        d["flows"]["nodes"][0],
        json!({"uid": "Cukjzi3EYnZDPh5Stf", "state": "SF", "srcIp": "192.168.4.11", "srcPort": 44220,
               "dstIp": "192.168.4.10", "dstPort": 27017, "protocol": "TCP", "application": null,
               "srcBytes": 254, "dstBytes": 205, "srcPackets": 6, "dstPackets": 4,
               "startedAt": "2019-11-12T10:13:06.964924+00:00", "endedAt": "2019-11-12T10:13:07.490398+00:00",
               "sensor": "zeek-1", "src": {"ip": "192.168.4.11"}})
    );

    // Time filters take dates as people type them: a day (its midnight), a minute
    // (UTC), or RFC 3339; a bad one says what is accepted.
    let within =
        r#"query($from: Instant, $to: Instant) { flows(filter: {startedAt: {gte: $from, lt: $to}}) { totalCount } }"#;
    let starts: Vec<f64> = String::from_utf8(fixture("ivre-test-samples/mongo_conn.log"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').next().unwrap().parse().unwrap())
        .collect();
    // 2019-11-12T10:13:00Z and 10:20:00Z.
    let between = starts
        .iter()
        .filter(|&&t| (1_573_553_580.0..1_573_554_000.0).contains(&t))
        .count();
    assert!(between > 0 && between < rows);
    for (from, to, expected) in [
        ("2019-11-12", "2019-11-13", rows),
        ("2019-11-12T10:13", "2019-11-12T10:20", between),
        ("2019-11-12T11:13:00+01:00", "2019-11-12 10:20", between),
    ] {
        let d = app.data(within, json!({"from": from, "to": to})).await;
        assert_eq!(d["flows"]["totalCount"], expected, "{from} .. {to}");
    }
    let d = app.data(within, json!({"from": "2019-11-13"})).await;
    assert_eq!(d["flows"]["totalCount"], 0);
    let message = app
        .expect_error("BAD_USER_INPUT", within, json!({"from": "12/11/2019"}))
        .await;
    assert!(
        message.contains("\"12/11/2019\" is not a time") && message.contains("2026-01-14 (its midnight, UTC)"),
        "{message}"
    );

    // JSON lines: IPv6 and missing fields.
    let s = import(&app, ZEEK, "conn.json", sample("zeek/conn.json"), json!({})).await;
    assert_eq!(count(&s, "FLOWS", "added"), 5);
    let d = app
        .data(
            r#"{ v6: flows(filter: {host: {eq: "2001:db8::10"}}) { nodes { dstIp dstPort application } }
                 bare: flows(filter: {host: {eq: "192.0.2.99"}}) { nodes { application srcBytes endedAt state } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        d["v6"]["nodes"][0],
        json!({"dstIp": "2001:db8:ffff::1", "dstPort": 443, "application": "ssl"})
    );
    assert_eq!(
        d["bare"]["nodes"][0],
        json!({"application": null, "srcBytes": 0, "endedAt": null, "state": "S0"})
    );

    // dns.log (TSV) and dns.json: passive DNS with counts, CNAME chains, no-answer skips.
    let s = import(&app, ZEEK, "dns.log", sample("zeek/dns.log"), json!({})).await;
    assert_eq!((&s["read"], &s["skipped"]), (&json!(9), &json!(2)), "{s}");
    assert_eq!(
        s["skippedBecause"],
        json!([{"reason": "DNS query without an answer", "count": 2}])
    );
    let records = r#"query($n: String) { dnsRecords(filter: {name: {eq: $n}}) { nodes { type value count firstSeen lastSeen host { ip } } } }"#;
    let d = app.data(records, json!({"n": "www.example.com"})).await;
    let www: Vec<&Value> = d["dnsRecords"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"] == "A")
        .collect();
    assert_eq!(www.len(), 1);
    assert_eq!(
        (&www[0]["value"], &www[0]["count"]),
        (&json!("198.51.100.20"), &json!(2))
    );
    assert_eq!(www[0]["firstSeen"], "2026-01-15T09:59:59.950112+00:00");
    assert_eq!(www[0]["lastSeen"], "2026-01-15T10:07:00.500+00:00");
    let d = app.data(records, json!({"n": "cdn.example.com"})).await;
    let mut cdn: Vec<(String, String)> = d["dnsRecords"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["type"].as_str().unwrap().into(), r["value"].as_str().unwrap().into()))
        .collect();
    cdn.sort();
    assert_eq!(
        cdn,
        [
            ("A".into(), "198.51.100.80".into()),
            ("CNAME".into(), "edge.example.net".into())
        ]
    );
    let s = import(&app, ZEEK, "dns.json", sample("zeek/dns.json"), json!({})).await;
    assert_eq!((&s["updated"], &s["skipped"]), (&json!(4), &json!(1)), "{s}");
    let d = app.data(records, json!({"n": "www.example.com"})).await;
    assert!(d["dnsRecords"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["count"] == 3));

    // Suricata: alerts only, mapped, linked to their flow when it is known.
    let s = import(
        &app,
        SURICATA,
        "eve.json.gz",
        gzip(&sample("suricata/eve.json")),
        json!({}),
    )
    .await;
    assert_eq!(
        (&s["read"], &s["inserted"], &s["skipped"]),
        (&json!(10), &json!(4), &json!(6)),
        "{s}"
    );
    let skipped: u64 = s["skippedBecause"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["count"].as_u64().unwrap())
        .sum();
    assert_eq!(skipped, 6);
    let d = app
        .data(
            r#"{ alerts(first: 10) { nodes { kind type severity title message srcIp dstIp srcPort dstPort occurredAt flow { srcPort application } } } }"#,
            json!({}),
        )
        .await;
    let alerts = d["alerts"]["nodes"].as_array().unwrap();
    let linked = alerts.iter().find(|a| a["srcPort"] == 49152).unwrap();
    assert_eq!(linked["flow"], json!({"srcPort": 49152, "application": "http"}));
    assert_eq!(linked["severity"], "ERROR");
    assert_eq!(linked["kind"], "network");
    assert_eq!(linked["occurredAt"], "2026-01-15T10:00:01.500+00:00");
    assert!(linked["message"].as_str().unwrap().contains("1000001"));
    let severities: Vec<&str> = alerts.iter().map(|a| a["severity"].as_str().unwrap()).collect();
    for s in ["CRITICAL", "ERROR", "WARNING", "NOTICE"] {
        assert!(severities.contains(&s), "{severities:?}");
    }
    let v6 = alerts.iter().find(|a| a["dstPort"] == 22).unwrap();
    assert_eq!(v6["srcIp"], "2001:db8::25");
    assert!(v6["flow"].is_null());
    let icmp = alerts.iter().find(|a| a["dstIp"] == "203.0.113.9").unwrap();
    assert!(icmp["srcPort"].is_null() && icmp["flow"].is_null());
});

// Every file imported is an `Import` (name, size, SHA-256 of its bytes, format,
// source, who, via the API, counts), which the objects it brought name; importing the
// same content again is skipped and says so, and the same records in another file
// are left as they were.
both_dbs!(imports_are_recorded_and_never_double, |app: TestApp| async move {
    use sha2::Digest;
    const PROVENANCE: &str = "{ read inserted unchanged counts { kind added updated unchanged }
        imports { id fileName size sha256 format source via user { username } read inserted unchanged
                  counts { kind added unchanged } }
        alreadyImported { id fileName } }";
    let zeek = format!("mutation($file: Upload!, $s: String) {{ importZeek(file: $file, source: $s) {PROVENANCE} }}");
    let suricata = format!("mutation($file: Upload!) {{ importSuricata(file: $file) {PROVENANCE} }}");
    let conn = sample("zeek/conn.json");
    let flows = String::from_utf8(conn.clone())
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count() as u64;

    let first = import(&app, &zeek, "conn.json", conn.clone(), json!({"s": "tap-1"})).await;
    let record = &first["imports"][0];
    assert_eq!(first["imports"].as_array().unwrap().len(), 1, "{first}");
    assert_eq!(record["fileName"], "conn.json");
    assert_eq!(record["size"], conn.len());
    assert_eq!(record["sha256"], format!("{:x}", sha2::Sha256::digest(&conn)));
    assert_eq!(
        (
            &record["format"],
            &record["source"],
            &record["via"],
            &record["user"]["username"]
        ),
        (&json!("zeek"), &json!("tap-1"), &json!("api"), &json!("admin"))
    );
    assert_eq!(
        (record["read"].as_u64(), count(&first, "FLOWS", "added")),
        (Some(flows), flows)
    );
    assert_eq!(
        record["counts"],
        first["counts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| json!({"kind": c["kind"], "added": c["added"], "unchanged": c["unchanged"]}))
            .collect::<Value>()
    );
    assert_eq!(first["alreadyImported"], json!([]));

    // The same bytes again, under another name: skipped, pointing at the first import.
    let again = import(&app, &zeek, "copy-of-conn.json", conn.clone(), json!({"s": "tap-1"})).await;
    assert_eq!(again["imports"], json!([]), "{again}");
    assert_eq!(
        again["alreadyImported"],
        json!([{"id": record["id"], "fileName": "conn.json"}])
    );
    assert_eq!((&again["read"], &again["inserted"]), (&json!(0), &json!(0)));

    // The same flows in other bytes (gzip): read, and left as they were.
    let packed = import(&app, &zeek, "conn.json.gz", gzip(&conn), json!({"s": "tap-1"})).await;
    assert_eq!(
        (count(&packed, "FLOWS", "added"), count(&packed, "FLOWS", "unchanged")),
        (0, flows),
        "{packed}"
    );
    // From another sensor they are other flows.
    let other = import(&app, &zeek, "conn.json", conn.clone(), json!({"s": "tap-2"})).await;
    assert_eq!(count(&other, "FLOWS", "added"), flows, "{other}");
    let d = app
        .data(
            r#"{ flows(first: 100) { totalCount nodes { sensor import { id fileName source } src { imports { id } } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(d["flows"]["totalCount"], flows * 2);
    for f in d["flows"]["nodes"].as_array().unwrap() {
        let expected = if f["sensor"] == "tap-1" {
            record
        } else {
            &other["imports"][0]
        };
        assert_eq!(f["import"]["id"], expected["id"], "{f}");
        assert_eq!(f["import"]["source"], f["sensor"]);
        // Every end of a flow names each import that saw it.
        assert!(
            f["src"]["imports"]
                .as_array()
                .unwrap()
                .contains(&json!({"id": expected["id"]})),
            "{f}"
        );
    }

    // Suricata: the same alerts in a file with one more blank line are not added again.
    let eve = sample("suricata/eve.json");
    let alerts = String::from_utf8(eve.clone())
        .unwrap()
        .lines()
        .filter(|l| l.contains(r#""event_type":"alert""#))
        .count() as u64;
    let s = import(&app, &suricata, "eve.json", eve.clone(), json!({})).await;
    assert_eq!(count(&s, "ALERTS", "added"), alerts, "{s}");
    let mut longer = eve.clone();
    longer.extend_from_slice(b"\n");
    let s = import(&app, &suricata, "eve-2.json", longer, json!({})).await;
    assert_eq!(
        (count(&s, "ALERTS", "added"), count(&s, "ALERTS", "unchanged")),
        (0, alerts),
        "{s}"
    );
    assert_eq!((&s["inserted"], &s["unchanged"]), (&json!(0), &json!(alerts)));
    let d = app
        .data(
            r#"{ alerts(first: 50) { totalCount nodes { import { fileName format } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(d["alerts"]["totalCount"], alerts);
    assert!(d["alerts"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["import"] == json!({"fileName": "eve.json", "format": "suricata"})));

    // The imports, from the newest; one by its ID; the audit log names them.
    let d = app
        .data(
            r#"query($id: ID!) { imports(last: 10) { totalCount nodes { fileName } }
                 node(id: $id) { ... on Import { fileName } }
                 auditEvents(last: 1, filter: {action: {in: ["importSuricata"]}}) { nodes { objectType } } }"#,
            json!({"id": record["id"]}),
        )
        .await;
    assert_eq!(d["imports"]["totalCount"], 5, "{d}");
    assert_eq!(d["node"]["fileName"], "conn.json");
    assert_eq!(d["auditEvents"]["nodes"][0]["objectType"], "Import");

    // Bad lines of an upload are skipped on request, and listed.
    let bad = r#"mutation($file: Upload!) { importSuricata(file: $file, skipBadRecords: true) {
        read skipped badRecords { file location reason } counts { kind added } } }"#;
    let text = String::from_utf8(sample("suricata/eve-bad.json")).unwrap();
    let lines = text.lines().count();
    let s = import(&app, bad, "eve-bad.json", text.into_bytes(), json!({})).await;
    assert_eq!((&s["read"], &s["skipped"]), (&json!(lines), &json!(1)), "{s}");
    assert_eq!(count(&s, "ALERTS", "added"), lines as u64 - 1);
    assert_eq!(s["badRecords"][0]["file"], "eve-bad.json");
    assert_eq!(s["badRecords"][0]["location"], format!("line {lines}"));
    assert!(
        s["badRecords"][0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("not an EVE JSON event"),
        "{s}"
    );
});

/// An import of a thousand objects or more leaves its tables analyzed on PostgreSQL,
/// so that the next queries are planned for what is there (not for empty tables).
#[tokio::test]
async fn large_imports_leave_fresh_statistics_on_postgres() {
    let app = TestApp::postgres().await;
    let mut xml = String::from("<?xml version=\"1.0\"?><nmaprun scanner=\"nmap\" start=\"1768384800\">");
    for h in 0..120 {
        xml.push_str(&format!(
            "<host><status state=\"up\"/><address addr=\"10.77.{}.{}\" addrtype=\"ipv4\"/><ports>",
            h / 250,
            1 + h % 250
        ));
        for p in [21, 22, 25, 53, 80, 110, 143, 443, 3306, 8080] {
            xml.push_str(&format!(
                "<port protocol=\"tcp\" portid=\"{p}\"><state state=\"open\" reason=\"syn-ack\"/></port>"
            ));
        }
        xml.push_str("</ports></host>");
    }
    xml.push_str("</nmaprun>");
    let summary = import(&app, NMAP, "scan.xml", xml.into_bytes(), json!({})).await;
    assert_eq!(count(&summary, "PORTS", "added"), 1200, "{summary}");
    let analyzed = number(
        &app.db,
        "SELECT count(*) FROM pg_stat_user_tables WHERE relname IN ('hosts', 'ports') AND last_analyze IS NOT NULL",
    )
    .await;
    assert_eq!(analyzed, 2, "hosts and ports are analyzed after the import");
    // The kept count of each port is one row again (folded after the import), and right.
    let rows = number(&app.db, "SELECT count(*) FROM port_tallies WHERE port = 22").await;
    assert_eq!(rows, 1, "one row for 22/open after the import");
    assert_eq!(hosts_with(&app, 22, "open").await, 120);
}

// IPDR records uploaded (the web app's import page): into the context named, with
// times read in the timezone given; a user limited to some contexts writes only there.
both_dbs!(ipdr_uploads, |app: TestApp| async move {
    const IPDR: &str = "mutation($file: Upload!, $c: String, $tz: String) {
        importIpdr(file: $file, context: $c, timezone: $tz) { read inserted counts { kind added } } }";
    let csv = "Protocol,SrcIP,SrcPort,DestIP,DestPort,StartTime,Duration,SubscriberID\n\
               TCP,10.20.0.1,40000,198.51.100.1,443,2026-04-02 10:00:00,5,SUB-1\n\
               UDP,10.20.0.2,40001,198.51.100.2,53,2026-04-02 10:00:01,1,SUB-2\n";
    let s = import(
        &app,
        IPDR,
        "records.csv",
        csv.as_bytes().to_vec(),
        json!({"c": "web", "tz": "Europe/Paris"}),
    )
    .await;
    assert_eq!(s["read"], 2, "{s}");
    assert_eq!(count(&s, "IPDR_RECORDS", "added"), 2, "{s}");
    let d = app
        .data(
            "{ ipdrRecords(filter: {context: {eq: \"web\"}}, orderBy: [{field: START_TIME, direction: ASC}]) { nodes { subscriberId startTime } } }",
            json!({}),
        )
        .await;
    // 10:00 in Paris in April (summer time) is 08:00 UTC.
    assert_eq!(d["ipdrRecords"]["nodes"][0]["subscriberId"], "SUB-1");
    assert!(
        d["ipdrRecords"]["nodes"][0]["startTime"]
            .as_str()
            .unwrap()
            .starts_with("2026-04-02T08:00:00"),
        "{d}"
    );

    // A timezone that is not one is refused, and nothing lands.
    let r = app
        .upload(
            IPDR,
            "more.csv",
            csv.replace("SUB-", "X-").into_bytes(),
            json!({"tz": "Mars/Olympus"}),
        )
        .await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{r}");
    assert!(r["errors"][0]["message"].as_str().unwrap().contains("timezone"), "{r}");
    assert_eq!(number(&app.db, "SELECT COUNT(*) FROM ipdr_records").await, 2);

    // An analyst limited to the context "web" imports there, and nowhere else.
    let analyst = app.user("collector", Role::Analyst, "").await;
    let id = app.user_id("collector").await;
    app.data(
        "mutation($id: ID!) { updateUser(id: $id, input: {ipdrContexts: [\"web\"]}) { id } }",
        json!({"id": id}),
    )
    .await;
    let other = csv.replace("SUB-", "A-");
    for context in ["other", "brand-new"] {
        let r = app
            .upload_as(
                &analyst,
                IPDR,
                "a.csv",
                other.clone().into_bytes(),
                json!({"c": context}),
            )
            .await;
        assert_eq!(r["errors"][0]["extensions"]["code"], "FORBIDDEN", "{context}: {r}");
    }
    let r = app
        .upload_as(&analyst, IPDR, "a.csv", other.into_bytes(), json!({"c": "web"}))
        .await;
    assert_eq!(r["data"]["importIpdr"]["read"], 2, "{r}");
    // A viewer imports nothing.
    let viewer = app.user("onlooker", Role::Viewer, "").await;
    let r = app
        .upload_as(
            &viewer,
            IPDR,
            "v.csv",
            csv.replace("SUB-", "V-").into_bytes(),
            json!({}),
        )
        .await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "FORBIDDEN", "{r}");
    assert_eq!(number(&app.db, "SELECT COUNT(*) FROM ipdr_records").await, 4);
});
