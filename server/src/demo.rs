//! `pivot demo`: a deterministic, realistic synthetic investigation, so that a new user
//! sees a living graph on first start. The same seed gives the same data (and, on an
//! empty database, the same IDs) on every backend.
//!
//! Bulk data (a scan of the hosts with their ports, flows, passive DNS, network alerts)
//! goes through the import path; the investigation (customers, cases, IOCs, assets,
//! tasks, notes, timeline, evidences, devices, networks, services, host alerts) through
//! the GraphQL API as the administrator, as a person would enter it.

use chrono::{DateTime, Duration, TimeZone, Utc};
use entities::{host, user};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait, TransactionTrait};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::domain::ports::Protocol;
use crate::graphql::{self, Caller, PivotSchema};
use crate::ingest::{self, nmap, suricata, zeek, Batch, Options};

#[derive(Clone, Copy, Debug)]
pub struct DemoOptions {
    pub hosts: usize,
    pub seed: u64,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self { hosts: 200, seed: 1 }
    }
}

/// What a service on a port looks like: (port, protocol, name, product, version).
const SERVICES: [(i32, &str, &str, &str, &str); 9] = [
    (22, "tcp", "ssh", "OpenSSH", "9.2p1 Debian 2+deb12u3"),
    (80, "tcp", "http", "nginx", "1.24.0"),
    (443, "tcp", "https", "nginx", "1.24.0"),
    (445, "tcp", "microsoft-ds", "Microsoft Windows SMB", ""),
    (3389, "tcp", "ms-wbt-server", "Microsoft Terminal Services", ""),
    (5432, "tcp", "postgresql", "PostgreSQL DB", "15.4"),
    (3306, "tcp", "mysql", "MySQL", "8.0.35"),
    (8080, "tcp", "http-proxy", "Apache Tomcat", "9.0.82"),
    (53, "udp", "domain", "ISC BIND", "9.18.19"),
];

const OSES: [&str; 4] = [
    "Linux 5.15 - 6.1",
    "Microsoft Windows 10 1809 - 21H2",
    "Microsoft Windows Server 2019",
    "FreeBSD 13.2",
];

/// External peers (documentation ranges) and the names they answer to.
const EXTERNAL: [(&str, &str); 6] = [
    ("198.51.100.23", "cdn.example.net"),
    ("198.51.100.77", "updates.example.com"),
    ("203.0.113.5", "login-example.com"),
    ("203.0.113.66", "files.example.org"),
    ("203.0.113.200", "c2.bad.example"),
    ("192.0.2.53", "resolver.example.net"),
];

const SIGNATURES: [(&str, &str, i64); 6] = [
    (
        "ET SCAN Nmap Scripting Engine User-Agent Detected",
        "Web Application Attack",
        2,
    ),
    (
        "ET MALWARE Possible Cobalt Strike Beacon",
        "A Network Trojan was detected",
        1,
    ),
    (
        "ET POLICY SMB2 NT Create AndX Request For an Executable File",
        "Potential Corporate Privacy Violation",
        3,
    ),
    ("ET DNS Query to a Suspicious Domain", "Potentially Bad Traffic", 2),
    ("ET INFO Observed DNS Query to .cloud TLD", "Misc activity", 4),
    (
        "GPL ATTACK_RESPONSE id check returned root",
        "Potentially Bad Traffic",
        1,
    ),
];

fn host_ip(i: usize) -> String {
    // 70% on the corporate LAN, the rest in the DMZ.
    let (net, n) = if i % 10 < 7 {
        (10, i / 10 * 7 + i % 10)
    } else {
        (20, i / 10 * 3 + i % 10 - 7)
    };
    format!("10.{net}.{}.{}", n / 250, n % 250 + 1)
}

fn host_name(i: usize) -> String {
    if i % 10 >= 7 {
        format!("srv-{i:04}.dmz.corp.example")
    } else {
        format!("ws-{i:04}.corp.example")
    }
}

/// 64 hex digits, like a SHA-256.
fn sha256_like(rng: &mut ChaCha8Rng) -> String {
    format!("{:032x}{:032x}", rng.random::<u128>(), rng.random::<u128>())
}

/// The moment the story starts (fixed, so that the data is the same every time).
fn origin() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 12, 8, 0, 0).unwrap()
}

/// Generates the dataset into an empty database, as `admin`. Returns a line per kind.
pub async fn generate(db: &DatabaseConnection, admin: user::Model, opts: DemoOptions) -> anyhow::Result<Vec<String>> {
    if host::Entity::find().count(db).await? > 0 {
        anyhow::bail!("the database already holds hosts: demo data goes into an empty database");
    }
    anyhow::ensure!(
        (1..=100_000).contains(&opts.hosts),
        "--hosts must be between 1 and 100000"
    );
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let batches = bulk(&mut rng, opts.hosts);
    let tx = db.begin().await?;
    let (sender, receiver) = mpsc::channel(batches.len() + 1);
    for b in batches {
        sender.send(b).await.ok();
    }
    drop(sender);
    let mut summary = ingest::Summary::default();
    let options = Options {
        source: Some("demo".into()),
        categories: vec!["demo".into()],
        ..Options::default()
    };
    let mut writer = ingest::write::Writer::new();
    writer
        .run(&tx, &options, "demo", receiver, &mut summary, &|_| {})
        .await?;
    writer.finish(&tx).await?;
    tx.commit().await?;

    let schema = graphql::build(
        db.clone(),
        crate::db::WriteGate::for_backend(db),
        None,
        Default::default(),
        Default::default(),
        Default::default(),
    );
    let caller = Caller::acting_as(admin);
    let api = Api {
        schema: &schema,
        db,
        caller: &caller,
    };
    investigation(&api, &mut rng, opts.hosts).await?;

    let counts = api
        .run(
            "{ hosts { totalCount } ports { totalCount } flows { totalCount } alerts { totalCount }
               dnsRecords { totalCount } cases { totalCount } iocs { totalCount } customers { totalCount } }",
            json!({}),
        )
        .await?;
    Ok(counts
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}: {}", v["totalCount"]))
        .collect())
}

/// The scan, flows, passive DNS and network alerts.
fn bulk(rng: &mut ChaCha8Rng, hosts: usize) -> Vec<Batch> {
    let t0 = origin();
    let mut out = vec![Batch::Scan(nmap::ScanInfo {
        tool: "nmap".into(),
        version: Some("7.94".into()),
        args: Some("nmap -sV -O -T4 10.10.0.0/16 10.20.0.0/16".into()),
        started_at: Some(t0),
    })];
    let mut records = Vec::with_capacity(hosts);
    for i in 0..hosts {
        let n_ports = rng.random_range(1..=4);
        let mut ports = Vec::new();
        for _ in 0..n_ports {
            let (port, protocol, name, product, version) = SERVICES[rng.random_range(0..SERVICES.len())];
            if ports.iter().any(|p: &nmap::PortRecord| p.port == port) {
                continue;
            }
            ports.push(nmap::PortRecord {
                protocol: protocol.into(),
                port,
                state: if rng.random_bool(0.9) { "open" } else { "filtered" }.into(),
                reason: Some("syn-ack".into()),
                service: Some(name.into()),
                product: Some(product.into()),
                version: (!version.is_empty()).then(|| version.into()),
                ..Default::default()
            });
        }
        let seen = t0 + Duration::seconds(i as i64);
        records.push(nmap::HostRecord {
            ip: host_ip(i).parse().ok(),
            mac: Some(format!(
                "02:00:5E:{:02X}:{:02X}:{:02X}",
                i >> 16 & 255,
                i >> 8 & 255,
                i & 255
            )),
            status: Some("up".into()),
            started_at: Some(seen),
            ended_at: Some(seen + Duration::seconds(20)),
            hostnames: vec![(host_name(i), "PTR".into())],
            ports,
            os: vec![nmap::OsMatch {
                name: OSES[rng.random_range(0..OSES.len())].into(),
                accuracy: rng.random_range(85..=100),
                classes: json!([]),
            }],
            ..Default::default()
        });
    }
    out.push(Batch::Hosts(records));
    out.push(Batch::ScanFinished(Some(t0 + Duration::seconds(hosts as i64 + 30))));

    let mut flows = Vec::new();
    for i in 0..hosts {
        for _ in 0..8 {
            let external = rng.random_bool(0.4);
            let dst = if external {
                EXTERNAL[rng.random_range(0..EXTERNAL.len())].0.to_string()
            } else {
                host_ip(rng.random_range(0..hosts))
            };
            let (port, app, proto) = [
                (443, "ssl", Protocol::Tcp),
                (80, "http", Protocol::Tcp),
                (53, "dns", Protocol::Udp),
                (445, "smb", Protocol::Tcp),
                (22, "ssh", Protocol::Tcp),
                (3389, "rdp", Protocol::Tcp),
            ][rng.random_range(0..6)];
            flows.push(zeek::Flow {
                started_at: t0 + Duration::seconds(rng.random_range(0..3 * 86400)),
                uid: Some(format!("C{:016x}", rng.random::<u64>())),
                src: host_ip(i).parse().expect("a host address"),
                src_port: Some(rng.random_range(1024..65535)),
                dst: dst.parse().expect("an address"),
                dst_port: Some(port),
                protocol: proto,
                service: Some(app.into()),
                duration: Some(rng.random_range(0.01..600.0)),
                src_bytes: rng.random_range(60..2_000_000),
                dst_bytes: rng.random_range(60..20_000_000),
                src_packets: rng.random_range(1..5000),
                dst_packets: rng.random_range(1..20000),
                state: Some(["SF", "S0", "REJ", "RSTO"][rng.random_range(0..4)].into()),
            });
        }
    }
    flows.sort_by_key(|f| f.started_at);
    out.push(Batch::Flows(flows));

    let mut dns = Vec::new();
    for i in 0..hosts.min(500) {
        let at = t0 + Duration::seconds(rng.random_range(0..3 * 86400));
        dns.push(zeek::Dns {
            at,
            query: host_name(i),
            qtype: "A".into(),
            answers: vec![host_ip(i)],
        });
    }
    for (ip, name) in EXTERNAL {
        for _ in 0..rng.random_range(1..20) {
            dns.push(zeek::Dns {
                at: t0 + Duration::seconds(rng.random_range(0..3 * 86400)),
                query: name.into(),
                qtype: "A".into(),
                answers: vec![format!("edge.{name}"), ip.into()],
            });
        }
    }
    out.push(Batch::Dns(dns));

    let mut alerts = Vec::new();
    for i in 0..(hosts / 5).max(6) {
        let (signature, category, severity) = SIGNATURES[rng.random_range(0..SIGNATURES.len())];
        let (ext, _) = EXTERNAL[rng.random_range(0..EXTERNAL.len())];
        // Drawn in the order they always were, so that a seed gives the same data.
        let at = t0 + Duration::seconds(rng.random_range(0..3 * 86400));
        let (src, src_port) = (host_ip(rng.random_range(0..hosts)), rng.random_range(1024..65535));
        alerts.push(suricata::Alert {
            at,
            flow_id: Some(i as u64),
            tx_id: None,
            // Every other alert comes with the packet that raised it, as sensors log them.
            packet: (i % 2 == 0).then(|| suricata::Packet {
                linktype: crate::domain::pcaps::LINKTYPE_ETHERNET,
                data: syn_packet(&src, src_port, ext, 443),
            }),
            src: src.parse().ok(),
            src_port: Some(src_port as i32),
            dst: ext.parse().ok(),
            dst_port: Some(443),
            protocol: Protocol::Tcp,
            signature: signature.into(),
            signature_id: Some(2_000_000 + rng.random_range(0..100_000)),
            category: Some(category.into()),
            severity: suricata::severity(severity),
            action: Some("allowed".into()),
            sensor: Some("suricata-edge".into()),
        });
    }
    alerts.sort_by_key(|a| a.at);
    out.push(Batch::Alerts(alerts));
    out
}

/// An Ethernet frame carrying a TCP SYN from `src` to `dst` (IPv4, checksums computed).
fn syn_packet(src: &str, src_port: u16, dst: &str, dst_port: u16) -> Vec<u8> {
    let (src, dst): (std::net::Ipv4Addr, std::net::Ipv4Addr) = (
        src.parse().unwrap_or(std::net::Ipv4Addr::UNSPECIFIED),
        dst.parse().unwrap_or(std::net::Ipv4Addr::UNSPECIFIED),
    );
    let sum = |bytes: &[u8], start: u32| {
        let mut s = bytes.chunks(2).fold(start, |s, c| {
            s + u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
        });
        while s > 0xffff {
            s = (s & 0xffff) + (s >> 16);
        }
        !(s as u16)
    };
    let mut ip = vec![0x45, 0, 0, 40, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0];
    ip.extend_from_slice(&src.octets());
    ip.extend_from_slice(&dst.octets());
    let ip_sum = sum(&ip, 0);
    ip[10..12].copy_from_slice(&ip_sum.to_be_bytes());
    let mut tcp = Vec::with_capacity(20);
    tcp.extend_from_slice(&src_port.to_be_bytes());
    tcp.extend_from_slice(&dst_port.to_be_bytes());
    tcp.extend_from_slice(&[0, 0, 0x10, 0, 0, 0, 0, 0, 0x50, 0x02, 0xfa, 0xf0, 0, 0, 0, 0]);
    let pseudo: u32 = [src.octets(), dst.octets()]
        .iter()
        .flat_map(|o| o.chunks(2).map(|c| u32::from(u16::from_be_bytes([c[0], c[1]]))))
        .sum::<u32>()
        + 6
        + 20;
    let tcp_sum = sum(&tcp, pseudo);
    tcp[16..18].copy_from_slice(&tcp_sum.to_be_bytes());
    let mut frame = vec![0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x08, 0x00];
    frame.extend(ip);
    frame.extend(tcp);
    frame
}

struct Api<'a> {
    schema: &'a PivotSchema,
    db: &'a DatabaseConnection,
    caller: &'a Caller,
}

impl Api<'_> {
    async fn run(&self, query: &str, variables: Value) -> anyhow::Result<Value> {
        let request = async_graphql::Request::new(query).variables(async_graphql::Variables::from_json(variables));
        let response = graphql::execute(self.schema, self.db, self.caller, request).await;
        if let Some(e) = response.errors.first() {
            anyhow::bail!("demo data: {}: {query}", e.message);
        }
        Ok(response.data.into_json()?)
    }

    /// Runs a mutation and returns the `id` of what its one field returned.
    async fn id(&self, query: &str, variables: Value) -> anyhow::Result<String> {
        let data = self.run(query, variables).await?;
        let first = data
            .as_object()
            .and_then(|o| o.values().next())
            .cloned()
            .unwrap_or_default();
        first["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| anyhow::anyhow!("demo data: no id from {query}"))
    }
}

/// The investigation around the data: what analysts entered.
async fn investigation(api: &Api<'_>, rng: &mut ChaCha8Rng, hosts: usize) -> anyhow::Result<()> {
    let t0 = origin();
    let at = |h: i64| (t0 + Duration::hours(h)).to_rfc3339();
    for (name, cidr, gateway) in [
        ("Corporate LAN", "10.10.0.0/16", "10.10.0.1"),
        ("DMZ", "10.20.0.0/16", "10.20.0.1"),
    ] {
        api.id(
            "mutation($i: CreateNetworkInput!) { createNetwork(input: $i) { id } }",
            json!({"i": {"name": name, "cidr": cidr, "gatewayIp": gateway, "alertLevel": 20}}),
        )
        .await?;
    }
    for i in 0..hosts.min(12) {
        let vendor = ["Dell", "Lenovo", "HP"][i % 3];
        api.id(
            "mutation($i: CreateDeviceInput!) { createDevice(input: $i) { id } }",
            json!({"i": {"mac": format!("02:00:5E:00:00:{i:02X}"), "lastIp": host_ip(i),
                         "hostname": host_name(i), "vendor": vendor,
                         "firstSeen": at(0), "lastSeen": at(48)}}),
        )
        .await?;
    }
    for i in (7..hosts).step_by(10).take(8) {
        let (port, _, name, _, _) = SERVICES[i % SERVICES.len()];
        api.id(
            "mutation($i: CreateServiceInput!) { createService(input: $i) { id } }",
            json!({"i": {"ip": host_ip(i), "port": port, "protocol": "TCP", "name": name,
                         "authorized": i % 3 != 0, "firstSeen": at(0), "lastSeen": at(60)}}),
        )
        .await?;
    }
    for (kind, kind_type, title, severity) in [
        ("host", "brute_force", "Repeated SSH login failures", "WARNING"),
        (
            "host",
            "blacklisted_contact",
            "Contact with a blacklisted host",
            "ERROR",
        ),
        ("flow", "long_lived", "Long-lived flow to an external host", "NOTICE"),
        ("flow", "data_exfiltration", "Unusually large upload", "CRITICAL"),
        ("system", "disk_space", "Sensor disk almost full", "INFO"),
    ] {
        let i = rng.random_range(0..hosts);
        api.id(
            "mutation($i: CreateAlertInput!) { createAlert(input: $i) { id } }",
            json!({"i": {"kind": kind, "type": kind_type, "title": title, "severity": severity,
                         "occurredAt": at(rng.random_range(1..70)), "srcIp": host_ip(i), "sensor": "ntopng"}}),
        )
        .await?;
    }

    let acme = api
        .id(
            "mutation { createCustomer(name: \"ACME Corp\", input: {description: \"Manufacturing, 4,000 seats\"}) { id } }",
            json!({}),
        )
        .await?;
    let globex = api
        .id(
            "mutation { createCustomer(name: \"Globex\", input: {description: \"Logistics\"}) { id } }",
            json!({}),
        )
        .await?;
    let alerts = api
        .run("{ alerts(first: 40) { nodes { id title } } }", json!({}))
        .await?;
    let alert_ids: Vec<Value> = alerts["alerts"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|a| a["id"].clone())
        .collect();

    let cases = [
        (&acme, "Phishing wave against finance", "SOC-2026-0142", "OPEN", 0),
        (
            &acme,
            "Cobalt Strike beacon on a workstation",
            "SOC-2026-0151",
            "OPEN",
            3,
        ),
        (&globex, "DNS tunnelling from the DMZ", "SOC-2026-0163", "CLOSED", 7),
    ];
    for (n, (customer, name, soc, status, victim)) in cases.into_iter().enumerate() {
        let victim = victim.min(hosts - 1);
        let case = api
            .id(
                "mutation($i: CreateCaseInput!) { createCase(input: $i) { id } }",
                json!({"i": {"name": name, "customerId": customer, "socId": soc, "status": status,
                             "description": format!("{name}: opened from the SOC queue.")}}),
            )
            .await?;
        let ioc_values = [
            ("ip-dst", EXTERNAL[4 - n % 2].0.to_string()),
            ("domain", EXTERNAL[4 - n % 2].1.to_string()),
            ("sha256", sha256_like(rng)),
        ];
        let mut iocs = Vec::new();
        for (kind, value) in ioc_values {
            let id = api
                .id(
                    "mutation($i: CreateIocInput!) { addIoc(input: $i) { id } }",
                    json!({"i": {"type": kind, "value": value, "caseIds": [case], "tlp": "AMBER",
                                 "tags": ["demo"]}}),
                )
                .await;
            // The same indicator in two cases: link the existing one.
            match id {
                Ok(id) => iocs.push(id),
                Err(_) => {
                    let found = api
                        .run(
                            "query($v: String) { iocs(filter: {value: {eq: $v}}) { nodes { id } } }",
                            json!({"v": value}),
                        )
                        .await?;
                    let id = found["iocs"]["nodes"][0]["id"].clone();
                    api.run(
                        "mutation($i: ID!, $c: ID!) { linkIoc(iocId: $i, caseId: $c) { id } }",
                        json!({"i": id, "c": case}),
                    )
                    .await?;
                }
            }
        }
        let asset = api
            .id(
                "mutation($i: CreateAssetInput!) { createAsset(input: $i) { id } }",
                json!({"i": {"caseId": case, "name": host_name(victim), "assetTypeId": "QXNzZXRUeXBlOjE",
                             "ip": host_ip(victim), "compromiseStatus": "COMPROMISED", "iocIds": iocs}}),
            )
            .await?;
        for (h, title, category) in [
            (1, "First malicious connection", "Initial access"),
            (5, "Persistence established", "Persistence"),
            (30, "Host isolated", "Containment"),
        ] {
            api.id(
                "mutation($i: CreateTimelineEventInput!) { createTimelineEvent(input: $i) { id } }",
                json!({"i": {"caseId": case, "title": title, "occurredAt": at(h + n as i64 * 24),
                             "category": category, "assetIds": [asset]}}),
            )
            .await?;
        }
        for (title, status) in [
            ("Collect memory image", "DONE"),
            ("Reset credentials", "IN_PROGRESS"),
            ("Write the report", "TODO"),
        ] {
            api.id(
                "mutation($i: CreateTaskInput!) { createTask(input: $i) { id } }",
                json!({"i": {"caseId": case, "title": title, "status": status}}),
            )
            .await?;
        }
        api.id(
            "mutation($i: CreateNoteInput!) { createNote(input: $i) { id } }",
            json!({"i": {"subjectId": case, "title": "Summary", "body": format!("{name}. Scope so far: {}.", host_name(victim))}}),
        )
        .await?;
        api.id(
            "mutation($i: CreateEvidenceInput!) { createEvidence(input: $i) { id } }",
            json!({"i": {"caseId": case, "filename": format!("{}-memory.raw", host_name(victim)),
                         "size": 8_589_934_592i64 / (n as i64 + 1), "hash": sha256_like(rng)}}),
        )
        .await?;
        let attached: Vec<Value> = alert_ids.iter().skip(n * 3).take(3).cloned().collect();
        if !attached.is_empty() {
            api.run(
                "mutation($c: ID!, $a: [ID!]!) { attachAlerts(caseId: $c, alertIds: $a) { id } }",
                json!({"c": case, "a": attached}),
            )
            .await?;
        }
    }
    // An analyst's note about a host outside any case.
    let first = api
        .run(
            "query($ip: IpAddr!) { host(ip: $ip) { id } }",
            json!({"ip": host_ip(0)}),
        )
        .await?;
    api.id(
        "mutation($i: CreateNoteInput!) { createNote(input: $i) { id } }",
        json!({"i": {"subjectId": first["host"]["id"], "body": "Patched on Monday; still beacons at night."}}),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_distinct_and_in_their_networks() {
        let ips: std::collections::HashSet<String> = (0..5000).map(host_ip).collect();
        assert_eq!(ips.len(), 5000);
        assert!(host_ip(7).starts_with("10.20.") && host_ip(0).starts_with("10.10."));
    }
}
