//! Zeek's `conn.log` and `dns.log`, in the TSV format (`#fields`/`#types` headers,
//! read with the csv crate) or as JSON lines. Which log a record belongs to comes
//! from `#path`, or, in JSON, from its fields.

use std::collections::HashMap;
use std::io::BufRead;

use super::bounds;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::ParseError;
use crate::domain::ports::Protocol;

/// A connection (conn.log).
#[derive(Clone, Debug, PartialEq)]
pub struct Flow {
    pub started_at: DateTime<Utc>,
    pub uid: Option<String>,
    pub src: IpAddr,
    pub src_port: Option<i32>,
    pub dst: IpAddr,
    pub dst_port: Option<i32>,
    pub protocol: Protocol,
    /// Zeek's `service` (the application protocol it recognised).
    pub service: Option<String>,
    pub duration: Option<f64>,
    pub src_bytes: i64,
    pub dst_bytes: i64,
    pub src_packets: i64,
    pub dst_packets: i64,
    pub state: Option<String>,
}

/// A DNS transaction (dns.log).
#[derive(Clone, Debug, PartialEq)]
pub struct Dns {
    pub at: DateTime<Utc>,
    pub query: String,
    /// `A`, `AAAA`, `PTR` … (Zeek's `qtype_name`).
    pub qtype: String,
    pub answers: Vec<String>,
}

#[derive(Debug)]
pub enum Record {
    Flow(Flow),
    Dns(Dns),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Log {
    Conn,
    Dns,
}

/// Zeek's TSV header.
struct Header {
    separator: u8,
    set_separator: String,
    empty: String,
    unset: String,
    fields: Vec<String>,
    log: Option<Log>,
}

impl Default for Header {
    fn default() -> Self {
        Self {
            separator: b'\t',
            set_separator: ",".into(),
            empty: "(empty)".into(),
            unset: "-".into(),
            fields: Vec::new(),
            log: None,
        }
    }
}

/// `\x09` → tab.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("\\x") {
        out.push_str(&rest[..i]);
        match u8::from_str_radix(rest.get(i + 2..i + 4).unwrap_or(""), 16) {
            Ok(b) => {
                out.push(b as char);
                rest = &rest[i + 4..];
            }
            Err(_) => {
                out.push_str("\\x");
                rest = &rest[i + 2..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn log_of_path(path: &str) -> Option<Log> {
    match path {
        "conn" => Some(Log::Conn),
        "dns" => Some(Log::Dns),
        _ => None,
    }
}

/// Reads every record of `input`, handing each to `sink`, or what is wrong with it
/// (`sink` decides whether that stops the import). What stops reading stops it.
pub fn parse<R: BufRead>(
    mut input: R,
    mut sink: impl FnMut(Result<Record, ParseError>) -> Result<(), ParseError>,
) -> Result<(), ParseError> {
    let first = input
        .fill_buf()
        .map_err(|e| ParseError::new("line 1", format!("cannot read: {e}")))?;
    let json = first.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if json {
        parse_json(input, sink)
    } else {
        parse_tsv(input, &mut sink)
    }
}

fn parse_tsv<R: BufRead>(
    mut input: R,
    sink: &mut impl FnMut(Result<Record, ParseError>) -> Result<(), ParseError>,
) -> Result<(), ParseError> {
    let mut header = Header::default();
    let mut line_no = 0u64;
    // Header lines first; the csv reader takes the rest (and skips `#close`).
    loop {
        let starts_header = input
            .fill_buf()
            .map_err(|e| ParseError::new(format!("line {}", line_no + 1), format!("cannot read: {e}")))?
            .first()
            == Some(&b'#');
        if !starts_header {
            break;
        }
        let mut line = String::new();
        input
            .read_line(&mut line)
            .map_err(|e| ParseError::new(format!("line {}", line_no + 1), format!("cannot read: {e}")))?;
        line_no += 1;
        let line = line.trim_end_matches(['\n', '\r']);
        let (key, value) = line.split_once([' ', '\t']).unwrap_or((line, ""));
        match key {
            "#separator" => {
                let sep = unescape(value.trim());
                header.separator = *sep.as_bytes().first().unwrap_or(&b'\t');
            }
            "#set_separator" => header.set_separator = value.to_string(),
            "#empty_field" => header.empty = value.to_string(),
            "#unset_field" => header.unset = value.to_string(),
            "#path" => {
                header.log = Some(log_of_path(value).ok_or_else(|| {
                    ParseError::new(
                        format!("line {line_no}"),
                        format!("a Zeek {value:?} log: only conn and dns logs are imported"),
                    )
                })?)
            }
            "#fields" => header.fields = value.split(header.separator as char).map(str::to_string).collect(),
            _ => {}
        }
    }
    if header.fields.is_empty() {
        return Err(ParseError::new(
            "line 1",
            "not a Zeek log: no #fields header (and not JSON lines)",
        ));
    }
    let log = match header.log {
        Some(l) => l,
        None if header.fields.iter().any(|f| f == "query") => Log::Dns,
        None => Log::Conn,
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(header.separator)
        .has_headers(false)
        .comment(Some(b'#'))
        .quoting(false)
        // Lengths are checked against #fields below, row by row: the csv crate's own
        // check compares with the first row, which may be the bad one.
        .flexible(true)
        .from_reader(input);
    let index: HashMap<&str, usize> = header.fields.iter().enumerate().map(|(i, f)| (f.as_str(), i)).collect();
    let mut record = csv::StringRecord::new();
    loop {
        let at = |record: &csv::StringRecord| format!("line {}", line_no + record.position().map_or(0, |p| p.line()));
        match reader.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line()) + line_no;
                let bad = ParseError::new(format!("line {line}"), format!("bad line: {e}"));
                if super::record_level(&e) {
                    sink(Err(bad))?;
                    continue;
                }
                return Err(bad);
            }
        }
        if record.len() != header.fields.len() {
            sink(Err(ParseError::new(
                at(&record),
                format!("{} fields where #fields names {}", record.len(), header.fields.len()),
            )))?;
            continue;
        }
        // Every field, or every item of a set, within the bound of a stored text.
        if let Some((i, v)) = record.iter().enumerate().find(|(_, v)| {
            v.split(header.set_separator.as_str())
                .any(|item| item.len() > bounds::MAX_FIELD)
        }) {
            let reason = bounds::field(&header.fields[i], v, bounds::MAX_FIELD).unwrap_err();
            sink(Err(ParseError::new(at(&record), reason)))?;
            continue;
        }
        let get = |name: &str| -> Option<&str> {
            let v = record.get(*index.get(name)?)?;
            (v != header.unset && !v.is_empty()).then_some(v)
        };
        let list = |name: &str| -> Vec<String> {
            match get(name) {
                Some(v) if v == header.empty => Vec::new(),
                Some(v) => v.split(header.set_separator.as_str()).map(str::to_string).collect(),
                None => Vec::new(),
            }
        };
        let fields = Fields { get: &get, list: &list };
        let parsed = match log {
            Log::Conn => flow(&fields).map(Record::Flow),
            Log::Dns => dns(&fields).map(Record::Dns),
        };
        sink(parsed.map_err(|reason| ParseError::new(at(&record), reason)))?;
    }
}

/// A record's fields, however the log spells them.
struct Fields<'a> {
    get: &'a dyn Fn(&str) -> Option<&'a str>,
    list: &'a dyn Fn(&str) -> Vec<String>,
}

/// Seconds since 1970 as Zeek writes them (`1573553586.964924`), read digit by digit
/// (a float would blur the microseconds), or RFC 3339.
pub(super) fn time(v: &str) -> Result<DateTime<Utc>, String> {
    let (whole, fraction) = v.split_once('.').unwrap_or((v, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if digits(whole) && (fraction.is_empty() || digits(fraction)) {
        let micros: String = fraction.chars().chain(std::iter::repeat('0')).take(6).collect();
        let secs = whole
            .parse::<i64>()
            .map_err(|_| format!("time {v:?} is out of range"))?;
        let micros = micros.parse::<u32>().expect("six digits");
        return DateTime::from_timestamp(secs, micros * 1000).ok_or_else(|| format!("time {v:?} is out of range"));
    }
    DateTime::parse_from_rfc3339(v)
        .map(|t| t.to_utc())
        .map_err(|_| format!("{v:?} is not a time (seconds since 1970, or RFC 3339)"))
}

pub(super) fn ip(name: &str, v: Option<&str>) -> Result<IpAddr, String> {
    let v = v.ok_or_else(|| format!("{name} is missing"))?;
    v.parse().map_err(|_| format!("{name} {v:?} is not an IP address"))
}

pub(super) fn port(name: &str, v: Option<&str>) -> Result<Option<i32>, String> {
    v.map(|v| match v.parse::<i32>() {
        Ok(p) if (0..=65535).contains(&p) => Ok(p),
        _ => Err(format!("{name} {v:?} is not a port")),
    })
    .transpose()
}

fn count(name: &str, v: Option<&str>) -> Result<i64, String> {
    v.map(|v| v.parse::<i64>().map_err(|_| format!("{name} {v:?} is not a count")))
        .transpose()
        .map(Option::unwrap_or_default)
}

fn flow(f: &Fields<'_>) -> Result<Flow, String> {
    let get = f.get;
    let protocol = match get("proto") {
        Some("tcp") => Protocol::Tcp,
        Some("udp") => Protocol::Udp,
        Some("icmp") => Protocol::Icmp,
        Some("sctp") => Protocol::Sctp,
        _ => Protocol::Other,
    };
    Ok(Flow {
        started_at: time(get("ts").ok_or("ts is missing")?)?,
        uid: get("uid").map(str::to_string),
        src: ip("id.orig_h", get("id.orig_h"))?,
        src_port: port("id.orig_p", get("id.orig_p"))?,
        dst: ip("id.resp_h", get("id.resp_h"))?,
        dst_port: port("id.resp_p", get("id.resp_p"))?,
        protocol,
        service: get("service").map(str::to_string),
        duration: get("duration")
            .map(|v| {
                v.parse::<f64>()
                    .ok()
                    .filter(|d| *d >= 0.0)
                    .ok_or_else(|| format!("duration {v:?} is not a number of seconds"))
            })
            .transpose()?,
        src_bytes: count("orig_bytes", get("orig_bytes"))?,
        dst_bytes: count("resp_bytes", get("resp_bytes"))?,
        src_packets: count("orig_pkts", get("orig_pkts"))?,
        dst_packets: count("resp_pkts", get("resp_pkts"))?,
        state: get("conn_state").map(str::to_string),
    })
}

fn dns(f: &Fields<'_>) -> Result<Dns, String> {
    let get = f.get;
    Ok(Dns {
        at: time(get("ts").ok_or("ts is missing")?)?,
        query: get("query").unwrap_or_default().trim_end_matches('.').to_lowercase(),
        qtype: get("qtype_name").unwrap_or("UNKNOWN").to_string(),
        answers: (f.list)("answers"),
    })
}

fn parse_json<R: BufRead>(
    input: R,
    mut sink: impl FnMut(Result<Record, ParseError>) -> Result<(), ParseError>,
) -> Result<(), ParseError> {
    super::each_line(input, &mut sink, |line| {
        let value: serde_json::Map<String, Value> =
            serde_json::from_str(line).map_err(|e| format!("not a JSON object: {e}"))?;
        // Numbers and strings alike, as text; arrays for sets and vectors.
        let text: HashMap<&str, String> = value
            .iter()
            .filter_map(|(k, v)| {
                let s = match v {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => return None,
                };
                Some((k.as_str(), s))
            })
            .collect();
        let long = value.iter().find_map(|(k, v)| {
            let items: Vec<&str> = match v {
                Value::String(s) => vec![s.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            items
                .into_iter()
                .find_map(|item| bounds::field(k, item, bounds::MAX_FIELD).err())
        });
        if let Some(reason) = long {
            return Err(reason);
        }
        let get = |name: &str| text.get(name).map(String::as_str);
        let list = |name: &str| match value.get(name) {
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        let fields = Fields { get: &get, list: &list };
        if value.contains_key("query") || value.contains_key("qtype_name") {
            dns(&fields).map(Record::Dns)
        } else if value.contains_key("id.orig_h") {
            flow(&fields).map(Record::Flow)
        } else {
            Err("neither a conn.log nor a dns.log record".to_string())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_first_row_does_not_set_the_length_of_the_others() {
        let text = "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n\
                    1.0\tC1\t10.0.0.1\n\
                    2.0\tC2\t10.0.0.1\t1\t10.0.0.2\t80\ttcp\n\
                    3.0\tC3\t10.0.0.1\t2\t10.0.0.2\t80\ttcp\n";
        let mut out = Vec::new();
        parse(text.as_bytes(), |r| {
            out.push(r.map(|_| ()).map_err(|e| e.location));
            Ok(())
        })
        .unwrap();
        assert_eq!(out, [Err("line 3".to_string()), Ok(()), Ok(())]);
    }

    fn records(text: &str) -> Result<Vec<Record>, ParseError> {
        let mut out = Vec::new();
        parse(text.as_bytes(), |r| {
            out.push(r?);
            Ok(())
        })?;
        Ok(out)
    }

    const HEAD: &str = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\n";

    #[test]
    fn tsv_with_unset_fields() {
        let text =
            format!("{HEAD}1573553586.5\tC1\t10.0.0.1\t44220\t10.0.0.2\t27017\ttcp\t-\t-\t-\t-\tS0\n#close\tx\n");
        let r = records(&text).unwrap();
        let Record::Flow(f) = &r[0] else { panic!() };
        assert_eq!(f.started_at.timestamp_millis(), 1573553586500);
        assert_eq!(time("1573553586.964924").unwrap().timestamp_subsec_nanos(), 964_924_000);
        assert_eq!(time("2026-01-15T09:59:59.950112Z").unwrap().timestamp(), 1768471199);
        assert!(time("12e5").is_err());
        assert_eq!((f.service.clone(), f.duration, f.src_bytes), (None, None, 0));
        assert_eq!(f.state.as_deref(), Some("S0"));
    }

    #[test]
    fn bad_lines_are_named() {
        let text = format!("{HEAD}1.0\tC1\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\t-\t-\t-\t-\tS0\n1.0\tC2\t10.0.0.1\tx\t10.0.0.2\t2\ttcp\t-\t-\t-\t-\tS0\n");
        let e = records(&text).unwrap_err();
        assert_eq!(e.location, "line 9");
        assert!(e.reason.contains("id.orig_p \"x\" is not a port"), "{e:?}");
        let e = records(&format!("{HEAD}1.0\tC1\n")).unwrap_err();
        assert_eq!(e.location, "line 8");
        let e = records("{\"ts\": 1.0, \"id.orig_h\": \"nope\"}\n").unwrap_err();
        assert_eq!(e.location, "line 1");
        let e = records("{\"ts\": 1.0\n").unwrap_err();
        assert!(e.reason.starts_with("not a JSON object"), "{e:?}");
        assert!(records("hello\n").unwrap_err().reason.contains("not a Zeek log"));
    }
}
