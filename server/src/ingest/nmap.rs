//! nmap's XML output (`-oX`, nmap 7.x) and masscan's dialect of it, read as a stream
//! of events with quick-xml: one host at a time, whatever the file's size.

use std::io::BufRead;

use super::bounds;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use serde_json::{Map, Value};

use super::ParseError;

/// The scan itself, from the root element.
#[derive(Clone, Debug, Default)]
pub struct ScanInfo {
    /// `nmap` or `masscan`.
    pub tool: String,
    pub version: Option<String>,
    pub args: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Script {
    pub id: String,
    pub output: String,
    /// The structured `<elem>`/`<table>` content, when there is some.
    pub data: Option<Value>,
}

#[derive(Clone, Debug, Default)]
pub struct PortRecord {
    pub protocol: String,
    pub port: i32,
    pub state: String,
    pub reason: Option<String>,
    pub service: Option<String>,
    pub product: Option<String>,
    pub version: Option<String>,
    pub extra: Option<String>,
    pub cpes: Vec<String>,
    pub scripts: Vec<Script>,
}

#[derive(Clone, Debug)]
pub struct OsMatch {
    pub name: String,
    pub accuracy: i32,
    /// `[{type, vendor, osfamily, osgen, accuracy, cpes}]`.
    pub classes: Value,
}

#[derive(Clone, Debug)]
pub struct Hop {
    pub ttl: i32,
    pub ip: Option<IpAddr>,
    pub rtt: Option<f64>,
    pub hostname: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct HostRecord {
    pub ip: Option<IpAddr>,
    pub mac: Option<String>,
    pub status: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    /// (name, type) as nmap reports them (`user`, `PTR`).
    pub hostnames: Vec<(String, String)>,
    pub ports: Vec<PortRecord>,
    pub scripts: Vec<Script>,
    pub os: Vec<OsMatch>,
    pub hops: Vec<Hop>,
}

impl HostRecord {
    /// When the host was seen: its end time, else its start time.
    pub fn seen_at(&self) -> Option<DateTime<Utc>> {
        self.ended_at.or(self.started_at)
    }
}

pub enum Item {
    Scan(ScanInfo),
    Host(HostRecord),
    /// `<runstats><finished time=…>`.
    Finished(Option<DateTime<Utc>>),
}

/// A script's structured output being built: a table is an object when its entries
/// have keys, an array when they have none.
struct Table {
    key: Option<String>,
    entries: Vec<(Option<String>, Value)>,
}

impl Table {
    fn into_value(self) -> Value {
        if self.entries.iter().all(|(k, _)| k.is_none()) {
            Value::Array(self.entries.into_iter().map(|(_, v)| v).collect())
        } else {
            let mut map = Map::new();
            for (i, (k, v)) in self.entries.into_iter().enumerate() {
                map.insert(k.unwrap_or_else(|| i.to_string()), v);
            }
            Value::Object(map)
        }
    }
}

#[derive(Default)]
struct State {
    host: Option<HostRecord>,
    port: Option<PortRecord>,
    script: Option<Script>,
    tables: Vec<Table>,
    elem_key: Option<Option<String>>,
    os: Option<OsMatch>,
    in_service: bool,
    text: String,
    hosts: u64,
}

fn attrs(e: &BytesStart<'_>) -> Result<Vec<(String, String)>, String> {
    e.attributes()
        .map(|a| {
            let a = a.map_err(|e| e.to_string())?;
            let key = a.key.as_ref().to_string();
            let value = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|e| e.to_string())?
                .into_owned();
            // What is stored as a name, a product or a version is short; anything else
            // (script output, masscan's banner, service and OS fingerprints, the scan's
            // arguments) may be long, within the bound of script output.
            let short = matches!(
                key.as_str(),
                "name"
                    | "product"
                    | "version"
                    | "extrainfo"
                    | "ostype"
                    | "devicetype"
                    | "hostname"
                    | "addr"
                    | "addrtype"
                    | "vendor"
                    | "state"
                    | "reason"
                    | "protocol"
                    | "method"
            );
            let max = if short { bounds::MAX_FIELD } else { bounds::MAX_OUTPUT };
            bounds::field(&format!("attribute {key}"), &value, max)?;
            Ok((key, value))
        })
        .collect()
}

fn get<'a>(attrs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn epoch(value: Option<&str>) -> Result<Option<DateTime<Utc>>, String> {
    value
        .map(|v| {
            v.parse::<i64>()
                .ok()
                .and_then(|s| DateTime::from_timestamp(s, 0))
                .ok_or_else(|| format!("{v:?} is not a time in seconds since 1970"))
        })
        .transpose()
}

fn number<T: std::str::FromStr>(what: &str, value: Option<&str>) -> Result<Option<T>, String> {
    value
        .map(|v| {
            v.trim()
                .parse::<T>()
                .map_err(|_| format!("{what} {v:?} is not a number"))
        })
        .transpose()
}

/// Reads the whole document, handing each item to `sink` as soon as it is complete.
pub fn parse<R: BufRead>(input: R, mut sink: impl FnMut(Item) -> Result<(), ParseError>) -> Result<(), ParseError> {
    let mut reader = Reader::from_reader(input);
    reader.config_mut().check_end_names = true;
    let mut buf = Vec::new();
    let mut st = State::default();
    let mut depth = 0usize;
    let mut seen_root = false;
    loop {
        let at = |st: &State, reader: &Reader<R>| {
            let host = if st.host.is_some() {
                format!(", in host #{}", st.hosts + 1)
            } else {
                String::new()
            };
            format!("byte {}{host}", reader.buffer_position())
        };
        let event = match reader.read_event_into(&mut buf) {
            Ok(e) => e,
            Err(e) => {
                let location = format!("byte {}", reader.error_position());
                return Err(ParseError::new(location, format!("malformed XML: {e}")));
            }
        };
        let fail = |st: &State, reader: &Reader<R>, reason: String| Err(ParseError::new(at(st, reader), reason));
        match event {
            Event::Start(e) => {
                depth += 1;
                let name = e.local_name().as_ref().as_bytes().to_vec();
                if depth == 1 {
                    if name != b"nmaprun" {
                        return fail(&st, &reader, "not an nmap XML file (no <nmaprun> root)".into());
                    }
                    seen_root = true;
                }
                let a = match attrs(&e) {
                    Ok(a) => a,
                    Err(reason) => return fail(&st, &reader, reason),
                };
                if let Err(reason) = open(&mut st, &name, &a, &mut sink, false) {
                    return fail(&st, &reader, reason);
                }
            }
            Event::Empty(e) => {
                let name = e.local_name().as_ref().as_bytes().to_vec();
                let a = match attrs(&e) {
                    Ok(a) => a,
                    Err(reason) => return fail(&st, &reader, reason),
                };
                if let Err(reason) = open(&mut st, &name, &a, &mut sink, true) {
                    return fail(&st, &reader, reason);
                }
                if let Err(reason) = close(&mut st, &name, &mut sink) {
                    return fail(&st, &reader, reason);
                }
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                let name = e.local_name().as_ref().as_bytes().to_vec();
                if let Err(reason) = close(&mut st, &name, &mut sink) {
                    return fail(&st, &reader, reason);
                }
            }
            Event::Text(t) => st.text.push_str(&t.xml10_content()),
            Event::CData(t) => st.text.push_str(&t),
            Event::GeneralRef(r) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    st.text.push(c);
                } else if let Some(s) = resolve_predefined_entity(&r) {
                    st.text.push_str(s);
                }
            }
            Event::Eof => {
                if !seen_root {
                    return Err(ParseError::new("byte 0", "not an nmap XML file (no <nmaprun> root)"));
                }
                if depth > 0 {
                    return fail(
                        &st,
                        &reader,
                        "the file ends in the middle of the document (truncated?)".into(),
                    );
                }
                return Ok(());
            }
            _ => {}
        }
        if st.text.len() > bounds::MAX_OUTPUT {
            let reason = format!("the text of an element is longer than {} bytes", bounds::MAX_OUTPUT);
            return fail(&st, &reader, reason);
        }
        buf.clear();
    }
}

fn open(
    st: &mut State,
    name: &[u8],
    a: &[(String, String)],
    sink: &mut impl FnMut(Item) -> Result<(), ParseError>,
    empty: bool,
) -> Result<(), String> {
    st.text.clear();
    match name {
        b"nmaprun" => {
            let info = ScanInfo {
                tool: get(a, "scanner").unwrap_or("nmap").to_string(),
                version: get(a, "version").map(str::to_string),
                args: get(a, "args").map(str::to_string),
                started_at: epoch(get(a, "start"))?,
            };
            sink(Item::Scan(info)).map_err(|e| e.reason)?;
        }
        b"host" => {
            st.host = Some(HostRecord {
                started_at: epoch(get(a, "starttime"))?,
                ended_at: epoch(get(a, "endtime"))?,
                ..Default::default()
            });
        }
        b"finished" => sink(Item::Finished(epoch(get(a, "time"))?)).map_err(|e| e.reason)?,
        _ => {}
    }
    let Some(host) = st.host.as_mut() else {
        return Ok(());
    };
    match name {
        b"status" => host.status = get(a, "state").map(str::to_string),
        b"address" => match get(a, "addrtype") {
            Some("mac") => host.mac = get(a, "addr").map(str::to_uppercase),
            _ => {
                let addr = get(a, "addr").ok_or("an <address> without addr")?;
                host.ip = Some(addr.parse().map_err(|_| format!("{addr:?} is not an IP address"))?);
            }
        },
        b"hostname" => {
            if let Some(n) = get(a, "name") {
                host.hostnames
                    .push((n.to_string(), get(a, "type").unwrap_or("user").to_string()));
            }
        }
        b"port" => {
            let port = number::<i32>("portid", get(a, "portid"))?.ok_or("a <port> without portid")?;
            if !(0..=65535).contains(&port) {
                return Err(format!("port {port} is out of range"));
            }
            st.port = Some(PortRecord {
                protocol: get(a, "protocol").unwrap_or("tcp").to_string(),
                port,
                ..Default::default()
            });
        }
        b"state" => {
            if let Some(p) = st.port.as_mut() {
                p.state = get(a, "state").unwrap_or("unknown").to_string();
                p.reason = get(a, "reason").map(str::to_string);
            }
        }
        b"service" => {
            if let Some(p) = st.port.as_mut() {
                p.service = get(a, "name").map(str::to_string);
                p.product = get(a, "product").map(str::to_string);
                p.version = get(a, "version").map(str::to_string);
                p.extra = get(a, "extrainfo").map(str::to_string);
                // masscan puts what the service said in a `banner` attribute.
                if let Some(banner) = get(a, "banner") {
                    p.scripts.push(Script {
                        id: "banner".into(),
                        output: banner.to_string(),
                        data: None,
                    });
                }
                st.in_service = !empty;
            }
        }
        b"script" => {
            st.script = Some(Script {
                id: get(a, "id").ok_or("a <script> without id")?.to_string(),
                output: get(a, "output").unwrap_or_default().to_string(),
                data: None,
            });
            st.tables = vec![Table {
                key: None,
                entries: Vec::new(),
            }];
        }
        b"table" if st.script.is_some() => st.tables.push(Table {
            key: get(a, "key").map(str::to_string),
            entries: Vec::new(),
        }),
        b"elem" if st.script.is_some() => st.elem_key = Some(get(a, "key").map(str::to_string)),
        b"osmatch" => {
            st.os = Some(OsMatch {
                name: get(a, "name").unwrap_or_default().to_string(),
                accuracy: number("accuracy", get(a, "accuracy"))?.unwrap_or(0),
                classes: Value::Array(Vec::new()),
            });
        }
        b"osclass" => {
            if let Some(Value::Array(classes)) = st.os.as_mut().map(|o| &mut o.classes) {
                let mut c = Map::new();
                for k in ["type", "vendor", "osfamily", "osgen", "accuracy"] {
                    if let Some(v) = get(a, k) {
                        c.insert(k.into(), Value::String(v.into()));
                    }
                }
                c.insert("cpes".into(), Value::Array(Vec::new()));
                classes.push(Value::Object(c));
            }
        }
        b"hop" => host.hops.push(Hop {
            ttl: number("ttl", get(a, "ttl"))?.ok_or("a <hop> without ttl")?,
            ip: get(a, "ipaddr").and_then(|v| v.parse().ok()),
            rtt: number("rtt", get(a, "rtt"))?,
            hostname: get(a, "host").map(str::to_string),
        }),
        _ => {}
    }
    Ok(())
}

fn close(st: &mut State, name: &[u8], sink: &mut impl FnMut(Item) -> Result<(), ParseError>) -> Result<(), String> {
    let text = std::mem::take(&mut st.text);
    match name {
        b"host" => {
            let host = st.host.take().ok_or("</host> without <host>")?;
            if host.ip.is_none() {
                return Err("a host without an IP address".into());
            }
            st.hosts += 1;
            sink(Item::Host(host)).map_err(|e| e.reason)?;
        }
        b"port" => {
            if let (Some(p), Some(h)) = (st.port.take(), st.host.as_mut()) {
                h.ports.push(p);
            }
        }
        b"service" => st.in_service = false,
        b"cpe" => {
            let cpe = text.trim().to_string();
            if cpe.is_empty() {
                return Ok(());
            }
            if let Some(os) = st.os.as_mut() {
                if let Some(Value::Object(c)) = os.classes.as_array_mut().and_then(|c| c.last_mut()) {
                    if let Some(Value::Array(cpes)) = c.get_mut("cpes") {
                        cpes.push(Value::String(cpe));
                    }
                }
            } else if let (true, Some(p)) = (st.in_service, st.port.as_mut()) {
                p.cpes.push(cpe);
            }
        }
        b"elem" if st.script.is_some() => {
            let key = st.elem_key.take().flatten();
            if let Some(t) = st.tables.last_mut() {
                t.entries.push((key, Value::String(text)));
            }
        }
        b"table" if st.script.is_some() && st.tables.len() > 1 => {
            let t = st.tables.pop().expect("a table is open");
            let key = t.key.clone();
            if let Some(parent) = st.tables.last_mut() {
                parent.entries.push((key, t.into_value()));
            }
        }
        b"script" => {
            let mut script = st.script.take().ok_or("</script> without <script>")?;
            let root = st.tables.drain(..).next();
            script.data = root.filter(|t| !t.entries.is_empty()).map(Table::into_value);
            match (st.port.as_mut(), st.host.as_mut()) {
                (Some(p), _) => p.scripts.push(script),
                (None, Some(h)) => h.scripts.push(script),
                // Pre- and post-scan scripts describe no host.
                (None, None) => {}
            }
        }
        b"osmatch" => {
            if let (Some(os), Some(h)) = (st.os.take(), st.host.as_mut()) {
                h.os.push(os);
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(xml: &str) -> Result<Vec<HostRecord>, ParseError> {
        let mut out = Vec::new();
        parse(xml.as_bytes(), |item| {
            if let Item::Host(h) = item {
                out.push(h);
            }
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn scripts_keep_their_structure() {
        let xml = r#"<nmaprun scanner="nmap" start="1700000000"><host><address addr="10.0.0.1" addrtype="ipv4"/>
            <ports><port protocol="tcp" portid="443"><state state="open" reason="syn-ack"/>
            <service name="https"><cpe>cpe:/a:x:y</cpe></service>
            <script id="ssl-cert" output="Subject: a &amp; b&#xa;"><table key="subject"><elem key="commonName">a</elem></table>
            <table key="names"><elem>x</elem><elem>y</elem></table><elem key="sig">sha256</elem></script></port></ports>
            <hostscript><script id="smb-os" output="Windows"/></hostscript></host></nmaprun>"#;
        let h = &hosts(xml).unwrap()[0];
        let p = &h.ports[0];
        assert_eq!(
            (p.port, p.state.as_str(), p.cpes.clone()),
            (443, "open", vec!["cpe:/a:x:y".to_string()])
        );
        assert_eq!(p.scripts[0].output, "Subject: a & b\n");
        assert_eq!(
            p.scripts[0].data,
            Some(serde_json::json!({"subject": {"commonName": "a"}, "names": ["x", "y"], "sig": "sha256"}))
        );
        assert_eq!(h.scripts[0].id, "smb-os");
        assert_eq!(h.scripts[0].data, None);
    }

    #[test]
    fn truncated_and_wrong_documents_fail_with_a_place() {
        let err = hosts(r#"<nmaprun scanner="nmap"><host><address addr="10.0.0.1" addrtype="ipv4"/>"#).unwrap_err();
        assert!(err.reason.contains("truncated"), "{err:?}");
        let err = hosts(r#"<nmaprun><host><address addr="10.0.0.300" addrtype="ipv4"/></host></nmaprun>"#).unwrap_err();
        assert!(
            err.reason.contains("not an IP address") && err.location.contains("host #1"),
            "{err:?}"
        );
        let err = hosts("<html></html>").unwrap_err();
        assert!(err.reason.contains("not an nmap XML file"), "{err:?}");
        let err = hosts("<nmaprun><host></nmaprun>").unwrap_err();
        assert!(err.reason.contains("malformed XML"), "{err:?}");
    }
}
