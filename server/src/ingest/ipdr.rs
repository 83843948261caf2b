//! IPDR records in CSV (issue 6's record store reads them): a header row naming the
//! Trisul IPDR columns, in any order and any letter case, then one record per row.
//! `Protocol`, `SrcIP`, `DestIP` and `StartTime` are required; the other nine columns
//! (`SrcPort`, `DestPort`, `EndTime`, `Duration`, `UserID`, `SubscriberID`, `NatIP`,
//! `NatPort`, `DeviceIP`) may be absent from the header or empty in a row. A column
//! Pivot does not know is refused rather than dropped: a misspelt `NatIP` would
//! otherwise lose the one column NAT lookups need.
//!
//! Times are RFC 3339 (`2026-04-01T10:30:15Z`), Unix seconds (`1775039415.25`), or
//! `YYYY-MM-DD HH:MM:SS[.fff]` (Trisul's row format) in the timezone the import is
//! given. `Duration` is in seconds; an absent end is the start plus the duration.

use std::io::BufRead;
use std::net::IpAddr;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

use super::{zeek, ParseError};
use crate::domain::text;

/// The columns of an IPDR record, as Trisul names them (the API's `headers`).
pub const COLUMNS: [&str; 13] = [
    "Protocol",
    "SrcIP",
    "SrcPort",
    "DestIP",
    "DestPort",
    "StartTime",
    "EndTime",
    "Duration",
    "UserID",
    "SubscriberID",
    "NatIP",
    "NatPort",
    "DeviceIP",
];

/// The longest record: a year, in seconds (a flow, or a NAT binding, lasts less).
const MAX_DURATION: f64 = 366.0 * 86_400.0;

/// Records are of these years: anything else is a misread time (milliseconds taken for
/// seconds, a day and month swapped into a year).
const YEARS: std::ops::RangeInclusive<i32> = 1990..=2100;

/// One IPDR record.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// `TCP`, `UDP`, `ICMP` … (the IANA numbers of those and ICMPv6 are named).
    pub protocol: String,
    pub src: IpAddr,
    pub src_port: Option<i32>,
    pub dst: IpAddr,
    pub dst_port: Option<i32>,
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
    /// Seconds.
    pub duration: Option<f64>,
    pub user_id: Option<String>,
    pub subscriber_id: Option<String>,
    pub nat_ip: Option<IpAddr>,
    pub nat_port: Option<i32>,
    pub device_ip: Option<IpAddr>,
}

impl Record {
    /// Seconds from start to end, if it has an end.
    pub fn span(&self) -> Option<f64> {
        self.end.map(|end| seconds(end - self.start))
    }

    /// The record's identity besides its start (which the unique index holds beside
    /// it): 16 bytes of the SHA-256 of every other field, each written with its length
    /// or presence so that no two records write the same bytes.
    pub fn key(&self) -> Vec<u8> {
        use sha2::{Digest, Sha256};
        fn text(h: &mut Sha256, v: Option<&str>) {
            match v {
                Some(v) => {
                    h.update([1]);
                    h.update((v.len() as u64).to_le_bytes());
                    h.update(v.as_bytes());
                }
                None => h.update([0]),
            }
        }
        fn number(h: &mut Sha256, v: Option<i64>) {
            match v {
                Some(v) => {
                    h.update([1]);
                    h.update(v.to_le_bytes());
                }
                None => h.update([0]),
            }
        }
        let mut h = Sha256::new();
        text(&mut h, Some(&self.protocol));
        text(&mut h, Some(&self.src.to_string()));
        number(&mut h, self.src_port.map(i64::from));
        text(&mut h, Some(&self.dst.to_string()));
        number(&mut h, self.dst_port.map(i64::from));
        number(&mut h, self.end.map(|e| e.timestamp_micros()));
        number(&mut h, self.duration.map(|d| d.to_bits() as i64));
        text(&mut h, self.user_id.as_deref());
        text(&mut h, self.subscriber_id.as_deref());
        text(&mut h, self.nat_ip.map(|a| a.to_string()).as_deref());
        number(&mut h, self.nat_port.map(i64::from));
        text(&mut h, self.device_ip.map(|a| a.to_string()).as_deref());
        h.finalize()[..16].to_vec()
    }
}

fn seconds(d: chrono::Duration) -> f64 {
    d.num_milliseconds() as f64 / 1000.0
}

/// Reads every record of `input`, handing each to `each`; times without an offset are
/// local times of `tz`.
pub fn parse(
    input: impl BufRead,
    tz: chrono_tz::Tz,
    mut each: impl FnMut(Result<Record, ParseError>) -> Result<(), ParseError>,
) -> Result<(), ParseError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(input);
    let header = reader
        .headers()
        .map_err(|e| ParseError::new("line 1", format!("cannot read the header: {e}")))?
        .clone();
    let at = columns(&header)?;
    let mut row = csv::StringRecord::new();
    loop {
        let line = reader.position().line() + 1;
        match reader.read_record(&mut row) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                let long = row
                    .iter()
                    .zip(header.iter())
                    .find_map(|(v, name)| super::bounds::field(name, v, super::bounds::MAX_FIELD).err());
                let record = long.map_or_else(|| record(&row, &at, tz), Err).map_err(|reason| {
                    ParseError::new(format!("line {}", row.position().map_or(line, |p| p.line())), reason)
                });
                each(record)?;
            }
            Err(e) => {
                let bad = ParseError::new(
                    format!("line {}", e.position().map_or(line, |p| p.line())),
                    e.to_string(),
                );
                if !super::record_level(&e) {
                    return Err(bad);
                }
                each(Err(bad))?;
            }
        }
    }
}

/// Where each of [`COLUMNS`] is in a row, from the header.
fn columns(header: &csv::StringRecord) -> Result<[Option<usize>; 13], ParseError> {
    let mut at = [None; 13];
    for (i, name) in header.iter().enumerate() {
        let Some(c) = COLUMNS.iter().position(|c| c.eq_ignore_ascii_case(name)) else {
            return Err(ParseError::new(
                "line 1",
                format!("unknown column {name:?}: the columns are {}", COLUMNS.join(", ")),
            ));
        };
        if at[c].replace(i).is_some() {
            return Err(ParseError::new(
                "line 1",
                format!("column {} is named twice", COLUMNS[c]),
            ));
        }
    }
    let missing: Vec<&str> = [PROTOCOL, SRC_IP, DEST_IP, START_TIME]
        .into_iter()
        .filter(|c| at[*c].is_none())
        .map(|c| COLUMNS[c])
        .collect();
    if !missing.is_empty() {
        return Err(ParseError::new(
            "line 1",
            format!("the header lacks {}", missing.join(", ")),
        ));
    }
    Ok(at)
}

/// Positions in [`COLUMNS`].
const PROTOCOL: usize = 0;
const SRC_IP: usize = 1;
const SRC_PORT: usize = 2;
const DEST_IP: usize = 3;
const DEST_PORT: usize = 4;
const START_TIME: usize = 5;
const END_TIME: usize = 6;
const DURATION: usize = 7;
const USER_ID: usize = 8;
const SUBSCRIBER_ID: usize = 9;
const NAT_IP: usize = 10;
const NAT_PORT: usize = 11;
const DEVICE_IP: usize = 12;

fn record(row: &csv::StringRecord, at: &[Option<usize>; 13], tz: chrono_tz::Tz) -> Result<Record, String> {
    let get = |c: usize| at[c].and_then(|i| row.get(i)).filter(|v| !v.is_empty());
    let name = |c: usize| COLUMNS[c];
    let required = |c: usize| get(c).ok_or_else(|| format!("{} is empty", name(c)));
    let address = |c: usize| zeek::ip(name(c), get(c));
    let optional_address = |c: usize| get(c).map(|v| zeek::ip(name(c), Some(v))).transpose();
    let port = |c: usize| zeek::port(name(c), get(c));
    let time = |c: usize| {
        get(c)
            .map(|v| instant(v, tz).map_err(|why| format!("{} {v:?}: {why}", name(c))))
            .transpose()
    };
    let text = |c: usize| text::optional(name(c), get(c), 256).map_err(|e| e.to_string());
    let start = time(START_TIME)?.ok_or("StartTime is empty")?;
    let duration = get(DURATION)
        .map(|v| match v.parse::<f64>() {
            Ok(d) if (0.0..=MAX_DURATION).contains(&d) => Ok(d),
            _ => Err(format!(
                "Duration {v:?} is not a number of seconds between 0 and {MAX_DURATION}"
            )),
        })
        .transpose()?;
    let end = match (time(END_TIME)?, duration) {
        (Some(end), _) => Some(end),
        (None, Some(d)) => Some(start + chrono::Duration::milliseconds((d * 1000.0).round() as i64)),
        (None, None) => None,
    };
    if end.is_some_and(|e| e < start) {
        return Err("EndTime is before StartTime".into());
    }
    // Both given: they must tell the same (to the second), or one of them is wrong.
    if let (Some(end), Some(d)) = (end, duration) {
        if (seconds(end - start) - d).abs() >= 1.0 {
            return Err(format!("Duration {d} does not match EndTime - StartTime"));
        }
    }
    Ok(Record {
        protocol: protocol(required(PROTOCOL)?)?,
        src: address(SRC_IP)?,
        src_port: port(SRC_PORT)?,
        dst: address(DEST_IP)?,
        dst_port: port(DEST_PORT)?,
        start,
        end,
        duration: duration.or_else(|| end.map(|e| seconds(e - start))),
        user_id: text(USER_ID)?,
        subscriber_id: text(SUBSCRIBER_ID)?,
        nat_ip: optional_address(NAT_IP)?,
        nat_port: port(NAT_PORT)?,
        device_ip: optional_address(DEVICE_IP)?,
    })
}

/// A protocol's name, upper case; the IANA numbers of TCP, UDP, ICMP and ICMPv6 are named.
fn protocol(v: &str) -> Result<String, String> {
    let name = match v {
        "6" => "TCP",
        "17" => "UDP",
        "1" => "ICMP",
        "58" => "ICMPV6",
        v if v.len() <= 16 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => {
            return Ok(v.to_ascii_uppercase())
        }
        _ => return Err(format!("Protocol {v:?} is not a protocol name or number")),
    };
    Ok(name.into())
}

/// `YYYY-MM-DD HH:MM:SS[.fff]`, read by chrono with the format parsed once (parsing
/// it for every time was a tenth of the parser's work).
fn local_time(v: &str) -> Option<NaiveDateTime> {
    use chrono::format::{parse, Item, Parsed, StrftimeItems};
    static ITEMS: std::sync::LazyLock<Vec<Item<'static>>> = std::sync::LazyLock::new(|| {
        StrftimeItems::new("%Y-%m-%d %H:%M:%S%.f")
            .parse()
            .expect("a valid format")
    });
    let mut parsed = Parsed::new();
    parse(&mut parsed, v, ITEMS.iter()).ok()?;
    parsed.to_naive_datetime_with_offset(0).ok()
}

/// A time as IPDR exports write them (see the module's comment), of [`YEARS`].
fn instant(v: &str, tz: chrono_tz::Tz) -> Result<DateTime<Utc>, String> {
    use chrono::{Datelike, LocalResult};
    // A local time (Trisul's format) first, the common case; else Unix seconds or
    // RFC 3339, as Zeek writes them.
    let t = if let Some(local) = local_time(v) {
        match tz.from_local_datetime(&local) {
            LocalResult::Single(t) => t.with_timezone(&Utc),
            // Which subscriber had an address may hang on that hour: no guessing.
            LocalResult::Ambiguous(..) => {
                return Err(format!(
                    "happens twice in {tz} (clocks went back): write it with its offset (RFC 3339)"
                ))
            }
            LocalResult::None => return Err(format!("does not exist in {tz} (clocks went forward)")),
        }
    } else {
        zeek::time(v).map_err(|_| "not a time: write YYYY-MM-DD HH:MM:SS, RFC 3339 or Unix seconds".to_string())?
    };
    if !YEARS.contains(&t.year()) {
        return Err(format!(
            "is in {}: times are of {} to {} (milliseconds are not seconds)",
            t.year(),
            YEARS.start(),
            YEARS.end()
        ));
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(csv: &str, tz: chrono_tz::Tz) -> Result<Vec<Record>, ParseError> {
        let mut out = Vec::new();
        parse(csv.as_bytes(), tz, |r| {
            out.push(r?);
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn all_thirteen_columns_in_any_order_and_case() {
        let csv = "protocol,SRCIP,SrcPort,DestIP,DestPort,StartTime,EndTime,Duration,UserID,SubscriberID,NatIP,NatPort,DeviceIP\n\
                   TCP,192.168.1.100,54321,203.0.113.50,443,2026-04-01 10:30:15,2026-04-01 10:32:15,120,user123,SUB-001,100.64.0.1,10234,10.0.0.1\n\
                   17,2001:db8::1,,2001:db8::2,53,2026-04-01T10:30:15+02:00,,1.5,,,,,\n";
        let rows = read(csv, chrono_tz::UTC).unwrap();
        assert_eq!(rows.len(), 2);
        let r = &rows[0];
        assert_eq!(r.protocol, "TCP");
        assert_eq!(r.src, "192.168.1.100".parse::<IpAddr>().unwrap());
        assert_eq!(r.dst, "203.0.113.50".parse::<IpAddr>().unwrap());
        assert_eq!(
            (r.src_port, r.dst_port, r.nat_port),
            (Some(54321), Some(443), Some(10234))
        );
        assert_eq!(r.start, Utc.with_ymd_and_hms(2026, 4, 1, 10, 30, 15).unwrap());
        assert_eq!(r.end, Some(Utc.with_ymd_and_hms(2026, 4, 1, 10, 32, 15).unwrap()));
        assert_eq!(r.duration, Some(120.0));
        assert_eq!(
            (r.user_id.as_deref(), r.subscriber_id.as_deref()),
            (Some("user123"), Some("SUB-001"))
        );
        assert_eq!(r.nat_ip, Some("100.64.0.1".parse().unwrap()));
        assert_eq!(r.device_ip, Some("10.0.0.1".parse().unwrap()));
        let v6 = &rows[1];
        assert_eq!(v6.protocol, "UDP");
        assert_eq!(v6.src_port, None);
        assert_eq!(v6.start, Utc.with_ymd_and_hms(2026, 4, 1, 8, 30, 15).unwrap());
        // No end: the start plus the duration.
        assert_eq!(v6.end, Some(v6.start + chrono::Duration::milliseconds(1500)));
        assert_eq!((v6.nat_ip, v6.user_id.clone()), (None, None));
    }

    #[test]
    fn column_positions_name_their_columns() {
        let named = [
            (PROTOCOL, "Protocol"),
            (SRC_IP, "SrcIP"),
            (SRC_PORT, "SrcPort"),
            (DEST_IP, "DestIP"),
            (DEST_PORT, "DestPort"),
            (START_TIME, "StartTime"),
            (END_TIME, "EndTime"),
            (DURATION, "Duration"),
            (USER_ID, "UserID"),
            (SUBSCRIBER_ID, "SubscriberID"),
            (NAT_IP, "NatIP"),
            (NAT_PORT, "NatPort"),
            (DEVICE_IP, "DeviceIP"),
        ];
        for (at, name) in named {
            assert_eq!(COLUMNS[at], name);
        }
    }

    #[test]
    fn times_with_fractions_and_offsets() {
        let csv = "Protocol,SrcIP,DestIP,StartTime\n\
                   TCP,10.0.0.1,10.0.0.2,2026-04-01 10:30:15.250\n\
                   TCP,10.0.0.1,10.0.0.2,1775039415.25\n\
                   TCP,10.0.0.1,10.0.0.2,2026-04-01 10:30:15+02:00\n\
                   TCP,10.0.0.1,10.0.0.2,2026-04-01T10:30:15.5Z\n";
        let starts: Vec<_> = read(csv, chrono_tz::UTC)
            .unwrap()
            .into_iter()
            .map(|r| r.start)
            .collect();
        let at = |h, m, s, ms| Utc.with_ymd_and_hms(2026, 4, 1, h, m, s).unwrap() + chrono::Duration::milliseconds(ms);
        assert_eq!(
            starts,
            [
                at(10, 30, 15, 250),
                DateTime::from_timestamp(1_775_039_415, 250_000_000).unwrap(),
                at(8, 30, 15, 0),
                at(10, 30, 15, 500)
            ]
        );
        let bad = "Protocol,SrcIP,DestIP,StartTime\nTCP,10.0.0.1,10.0.0.2,2026-04-01T10:30:15\n";
        assert!(read(bad, chrono_tz::UTC).unwrap_err().reason.contains("not a time"));
    }

    #[test]
    fn local_times_are_read_in_the_import_timezone() {
        let paris: chrono_tz::Tz = "Europe/Paris".parse().unwrap();
        let csv = "Protocol,SrcIP,DestIP,StartTime\nTCP,10.0.0.1,10.0.0.2,2026-06-01 12:00:00\nTCP,10.0.0.1,10.0.0.2,1775039415\n";
        let rows = read(csv, paris).unwrap();
        assert_eq!(rows[0].start, Utc.with_ymd_and_hms(2026, 6, 1, 10, 0, 0).unwrap());
        assert_eq!(rows[1].start, DateTime::from_timestamp(1_775_039_415, 0).unwrap());
        // The hour clocks skip does not exist.
        let gap = "Protocol,SrcIP,DestIP,StartTime\nTCP,10.0.0.1,10.0.0.2,2026-03-29 02:30:00\n";
        let e = read(gap, paris).unwrap_err();
        assert_eq!(e.location, "line 2");
        assert!(e.reason.contains("clocks went forward"), "{e:?}");
        // The hour that happens twice is refused rather than guessed.
        let twice = "Protocol,SrcIP,DestIP,StartTime\nTCP,10.0.0.1,10.0.0.2,2026-10-25 02:30:00\n";
        assert!(read(twice, paris).unwrap_err().reason.contains("happens twice"));
        let with_offset = "Protocol,SrcIP,DestIP,StartTime\nTCP,10.0.0.1,10.0.0.2,2026-10-25T02:30:00+01:00\n";
        assert_eq!(
            read(with_offset, paris).unwrap()[0].start,
            Utc.with_ymd_and_hms(2026, 10, 25, 1, 30, 0).unwrap()
        );
    }

    #[test]
    fn csv_as_spreadsheets_write_it() {
        // A byte order mark, CRLF line ends, quoted fields and blank lines.
        let csv = "\u{feff}Protocol,SrcIP,DestIP,StartTime,UserID\r\nTCP,10.0.0.1,10.0.0.2,2026-04-01 00:00:00,\"Doe, J\"\r\n\r\nUDP,10.0.0.3,10.0.0.4,2026-04-01 00:00:01,\r\n";
        let rows = read(csv, chrono_tz::UTC).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].user_id.as_deref(), Some("Doe, J"));
        assert_eq!(rows[1].protocol, "UDP");
        // An end and a duration that disagree: one of them is wrong.
        let both = "Protocol,SrcIP,DestIP,StartTime,EndTime,Duration\nTCP,10.0.0.1,10.0.0.2,2026-04-01 00:00:00,2026-04-01 00:02:00,120\nTCP,10.0.0.1,10.0.0.2,2026-04-01 00:00:00,2026-04-01 00:02:00,45\n";
        let e = read(both, chrono_tz::UTC).unwrap_err();
        assert_eq!(e.location, "line 3");
        assert!(e.reason.contains("Duration 45 does not match"), "{e:?}");
        // An absurd duration is refused, not added.
        let long = "Protocol,SrcIP,DestIP,StartTime,Duration\nTCP,10.0.0.1,10.0.0.2,2026-04-01 00:00:00,1e300\n";
        assert!(read(long, chrono_tz::UTC)
            .unwrap_err()
            .reason
            .contains("Duration \"1e300\""));
    }

    #[test]
    fn bad_headers_and_rows_say_where_and_why() {
        let bad = |csv: &str| read(csv, chrono_tz::UTC).unwrap_err();
        let e = bad("Protocol,SrcIP,DestIP,StartTime,NATIp4\n");
        assert_eq!(e.location, "line 1");
        assert!(e.reason.contains("unknown column \"NATIp4\""), "{e:?}");
        assert!(bad("Protocol,SrcIP,StartTime\n").reason.contains("lacks DestIP"));
        assert!(bad("Protocol,SrcIP,srcip,DestIP,StartTime\n")
            .reason
            .contains("SrcIP is named twice"));
        let header = "Protocol,SrcIP,SrcPort,DestIP,StartTime,EndTime\n";
        for (row, why) in [
            (
                "TCP,10.0.0.300,1,10.0.0.2,2026-04-01 00:00:00,",
                "SrcIP \"10.0.0.300\" is not an IP address",
            ),
            (
                "TCP,10.0.0.1,70000,10.0.0.2,2026-04-01 00:00:00,",
                "SrcPort \"70000\" is not a port",
            ),
            (
                "TCP,10.0.0.1,1,10.0.0.2,01-04-2026 00:00:00,",
                "StartTime \"01-04-2026 00:00:00\": not a time",
            ),
            (
                "TCP,10.0.0.1,1,10.0.0.2,2026-04-01 00:00:00,2026-03-31 00:00:00",
                "EndTime is before StartTime",
            ),
            (",10.0.0.1,1,10.0.0.2,2026-04-01 00:00:00,", "Protocol is empty"),
            (
                "TCP,10.0.0.1,1,10.0.0.2,1775039415123,",
                "(milliseconds are not seconds)",
            ),
            ("TCP,10.0.0.1,1,10.0.0.2", "found record with 4 fields"),
        ] {
            let e = bad(&format!(
                "{header}TCP,10.0.0.1,1,10.0.0.2,2026-04-01 00:00:00,\n{row}\n"
            ));
            assert_eq!(e.location, "line 3", "{row}: {e:?}");
            assert!(e.reason.contains(why), "{row}: {e:?}");
        }
    }
}
