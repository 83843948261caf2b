//! Suricata's EVE JSON (`eve.json`): one event per line; alerts are imported, every
//! other event type is skipped and counted.

use std::io::BufRead;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::ParseError;
use crate::domain::alerts::Severity;
use crate::domain::ports::Protocol;

#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    pub at: DateTime<Utc>,
    pub src: Option<IpAddr>,
    pub src_port: Option<i32>,
    pub dst: Option<IpAddr>,
    pub dst_port: Option<i32>,
    pub protocol: Protocol,
    pub signature: String,
    pub signature_id: Option<i64>,
    pub category: Option<String>,
    pub severity: Severity,
    pub action: Option<String>,
    /// The sensor's interface or host name.
    pub sensor: Option<String>,
}

pub enum Event {
    Alert(Alert),
    /// Another event type, skipped.
    Other(String),
}

#[derive(Deserialize)]
struct Line {
    event_type: Option<String>,
    timestamp: Option<String>,
    src_ip: Option<String>,
    src_port: Option<i64>,
    dest_ip: Option<String>,
    dest_port: Option<i64>,
    proto: Option<String>,
    in_iface: Option<String>,
    host: Option<String>,
    alert: Option<AlertPart>,
}

#[derive(Deserialize)]
struct AlertPart {
    signature: Option<String>,
    signature_id: Option<i64>,
    category: Option<String>,
    severity: Option<i64>,
    action: Option<String>,
}

/// Suricata's severity counts down from 1 (most severe); Pivot's counts up.
pub fn severity(suricata: i64) -> Severity {
    match suricata {
        i64::MIN..=1 => Severity::Critical,
        2 => Severity::Error,
        3 => Severity::Warning,
        _ => Severity::Notice,
    }
}

/// `2026-01-15T10:00:01.500000+0000` (Suricata's own form) or RFC 3339.
fn time(v: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S%.f%z")
        .or_else(|_| DateTime::parse_from_rfc3339(v))
        .map(|t| t.to_utc())
        .map_err(|_| format!("timestamp {v:?} is not a time"))
}

fn ip(name: &str, v: Option<String>) -> Result<Option<IpAddr>, String> {
    v.map(|v| {
        v.parse::<IpAddr>()
            .map_err(|_| format!("{name} {v:?} is not an IP address"))
    })
    .transpose()
}

fn port(name: &str, v: Option<i64>) -> Result<Option<i32>, String> {
    v.map(|p| {
        i32::try_from(p)
            .ok()
            .filter(|p| (0..=65535).contains(p))
            .ok_or_else(|| format!("{name} {p} is not a port"))
    })
    .transpose()
}

fn alert(line: Line) -> Result<Alert, String> {
    let part = line.alert.ok_or("an alert event without `alert`")?;
    let protocol = match line.proto.as_deref().map(str::to_ascii_lowercase).as_deref() {
        Some("tcp") => Protocol::Tcp,
        Some("udp") => Protocol::Udp,
        Some("icmp" | "ipv6-icmp") => Protocol::Icmp,
        Some("sctp") => Protocol::Sctp,
        _ => Protocol::Other,
    };
    Ok(Alert {
        at: time(line.timestamp.as_deref().ok_or("timestamp is missing")?)?,
        src: ip("src_ip", line.src_ip)?,
        src_port: port("src_port", line.src_port)?,
        dst: ip("dest_ip", line.dest_ip)?,
        dst_port: port("dest_port", line.dest_port)?,
        protocol,
        signature: part
            .signature
            .filter(|s| !s.trim().is_empty())
            .ok_or("alert.signature is missing")?,
        signature_id: part.signature_id,
        category: part.category.filter(|c| !c.trim().is_empty()),
        severity: severity(part.severity.unwrap_or(3)),
        action: part.action,
        sensor: line.host.or(line.in_iface),
    })
}

pub fn parse<R: BufRead>(input: R, mut sink: impl FnMut(Event) -> Result<(), ParseError>) -> Result<(), ParseError> {
    for (i, line) in input.lines().enumerate() {
        let at = format!("line {}", i + 1);
        let line = line.map_err(|e| ParseError::new(&at, format!("cannot read: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let parsed: Line =
            serde_json::from_str(&line).map_err(|e| ParseError::new(&at, format!("not an EVE JSON event: {e}")))?;
        let event = match parsed.event_type.as_deref() {
            Some("alert") => Event::Alert(alert(parsed).map_err(|reason| ParseError::new(&at, reason))?),
            Some(other) => Event::Other(other.to_string()),
            None => return Err(ParseError::new(&at, "an event without event_type")),
        };
        sink(event)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suricata_times_and_severities() {
        assert_eq!(
            time("2026-01-15T10:00:01.500000+0000").unwrap().to_rfc3339(),
            "2026-01-15T10:00:01.500+00:00"
        );
        assert!(time("yesterday").is_err());
        assert_eq!(severity(1), Severity::Critical);
        assert_eq!(severity(3), Severity::Warning);
        assert_eq!(severity(200), Severity::Notice);
    }
}
