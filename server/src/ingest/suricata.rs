//! Suricata's EVE JSON (`eve.json`): one event per line; alerts are imported, every
//! other event type is skipped and counted.

use std::io::BufRead;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::ParseError;
use crate::domain::alerts::Severity;
use crate::domain::pcaps;
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
    /// The packet that raised the alert, when the sensor logs it (`packet: yes` in
    /// the alert output's settings).
    pub packet: Option<Packet>,
    /// Suricata's id of the flow the alert was raised in.
    pub flow_id: Option<u64>,
    /// The transaction within the flow (one packet may carry several: pipelined HTTP).
    pub tx_id: Option<u64>,
}

impl Alert {
    /// What makes the alert itself besides its time and sensor: the flow it was raised
    /// in, the transaction within it, and the signature (one signature fires once per
    /// packet and transaction, and a packet has a time of its own). Without a flow id,
    /// the endpoints stand for the flow.
    pub fn event_key(&self) -> String {
        let signature = self
            .signature_id
            .map_or_else(|| self.signature.clone(), |sid| sid.to_string());
        let signature = match self.tx_id {
            Some(tx) => format!("{signature} tx {tx}"),
            None => signature,
        };
        match self.flow_id {
            Some(flow) => format!("flow {flow} signature {signature}"),
            None => format!(
                "{}:{} {}:{} {} signature {signature}",
                self.src.map(|a| a.to_string()).unwrap_or_default(),
                self.src_port.unwrap_or_default(),
                self.dst.map(|a| a.to_string()).unwrap_or_default(),
                self.dst_port.unwrap_or_default(),
                self.protocol.as_str(),
            ),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Packet {
    /// libpcap's link type of the bytes: 1 for Ethernet.
    pub linktype: u32,
    pub data: Vec<u8>,
}

pub enum Event {
    /// Boxed: an alert is ten times the size of the other kind.
    Alert(Box<Alert>),
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
    packet: Option<String>,
    packet_info: Option<PacketInfo>,
    flow_id: Option<u64>,
    tx_id: Option<u64>,
}

#[derive(Deserialize)]
struct PacketInfo {
    linktype: Option<u32>,
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

fn packet(data: Option<String>, info: Option<PacketInfo>) -> Result<Option<Packet>, String> {
    use base64::Engine;
    let Some(data) = data else { return Ok(None) };
    let data = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|e| format!("packet is not base64: {e}"))?;
    if data.len() > pcaps::MAX_PACKET {
        return Err(format!(
            "packet is {} bytes long, more than the {} a capture keeps",
            data.len(),
            pcaps::MAX_PACKET
        ));
    }
    let linktype = info.and_then(|i| i.linktype).unwrap_or(pcaps::LINKTYPE_ETHERNET);
    Ok(Some(Packet { linktype, data }))
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
        packet: packet(line.packet, line.packet_info)?,
        flow_id: line.flow_id,
        tx_id: line.tx_id,
    })
}

/// The alert, if its texts are within the bound of a stored field.
fn bounded(a: Alert) -> Result<Alert, String> {
    use super::bounds::{field, MAX_FIELD};
    field("alert.signature", &a.signature, MAX_FIELD)?;
    for (name, v) in [
        ("alert.category", &a.category),
        ("alert.action", &a.action),
        ("host", &a.sensor),
    ] {
        if let Some(v) = v {
            field(name, v, MAX_FIELD)?;
        }
    }
    Ok(a)
}

/// Reads every event of `input`, handing each to `sink`, or what is wrong with it
/// (`sink` decides whether that stops the import). What stops reading stops it.
pub fn parse<R: BufRead>(
    input: R,
    mut sink: impl FnMut(Result<Event, ParseError>) -> Result<(), ParseError>,
) -> Result<(), ParseError> {
    super::each_line(input, &mut sink, |line| {
        let parsed: Line = serde_json::from_str(line).map_err(|e| format!("not an EVE JSON event: {e}"))?;
        match parsed.event_type.as_deref() {
            Some("alert") => alert(parsed).and_then(bounded).map(|a| Event::Alert(Box::new(a))),
            Some(other) => Ok(Event::Other(other.to_string())),
            None => Err("an event without event_type".into()),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_that_is_not_utf8_is_a_bad_record_and_transactions_are_alerts_of_their_own() {
        let alert = |tx: u32| {
            format!(
                r#"{{"timestamp":"2026-01-15T10:00:01.500000+0000","flow_id":7,"tx_id":{tx},"event_type":"alert","src_ip":"192.0.2.1","src_port":1,"dest_ip":"192.0.2.2","dest_port":80,"proto":"TCP","alert":{{"signature":"S","signature_id":9}}}}"#
            )
        };
        let mut input = alert(0).into_bytes();
        input.extend_from_slice(b"\n{\"event_type\": \"alert\xff\"}\n");
        input.extend_from_slice(alert(1).as_bytes());
        let mut keys = Vec::new();
        let mut bad = Vec::new();
        parse(&input[..], |e| {
            match e {
                Ok(Event::Alert(a)) => keys.push(a.event_key()),
                Ok(Event::Other(_)) => {}
                Err(e) => bad.push((e.location, e.reason)),
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(keys, ["flow 7 signature 9 tx 0", "flow 7 signature 9 tx 1"]);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].0, "line 2");
        assert!(bad[0].1.starts_with("not UTF-8 text"), "{bad:?}");
    }

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

    #[test]
    fn packets_are_base64_and_bounded() {
        let p = packet(Some("3q2+7w==".into()), Some(PacketInfo { linktype: Some(101) })).unwrap();
        assert_eq!(
            p,
            Some(Packet {
                linktype: 101,
                data: vec![0xde, 0xad, 0xbe, 0xef]
            })
        );
        assert_eq!(packet(Some("3q2+7w==".into()), None).unwrap().unwrap().linktype, 1);
        assert!(packet(Some("not base64!".into()), None)
            .unwrap_err()
            .contains("not base64"));
        let huge = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, vec![0u8; 300_000]);
        assert!(packet(Some(huge), None).unwrap_err().contains("more than"));
        assert_eq!(packet(None, None).unwrap(), None);
    }
}
