//! The scalar values of the graph: IP addresses, networks, MAC addresses and the
//! instants of time filters. Each parses strictly and renders in one canonical form.

use std::fmt;
use std::str::FromStr;

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use serde::Serialize;

/// An IPv4 or IPv6 address, as text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct IpAddr(pub std::net::IpAddr);

/// A network in CIDR notation; host bits are cleared (`10.1.2.3/8` is `10.0.0.0/8`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Cidr(pub ipnet::IpNet);

/// A MAC address, rendered upper case and colon separated (`AA:BB:CC:DD:EE:FF`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct MacAddr(pub String);

/// A point in time as people type it in a filter: RFC 3339, or a UTC date and time
/// without an offset, or a date alone (its midnight, UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Instant(pub chrono::DateTime<chrono::Utc>);

impl FromStr for Instant {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        use chrono::{DateTime, NaiveDate, NaiveDateTime};
        let t = s.trim();
        if let Ok(at) = DateTime::parse_from_rfc3339(t) {
            return Ok(Self(at.to_utc()));
        }
        // With an offset but without seconds, or with a space: `Z` is +00:00.
        let zoned = match t.strip_suffix(['Z', 'z']) {
            Some(local) => format!("{local}+00:00"),
            None => t.to_string(),
        };
        for format in ["%Y-%m-%dT%H:%M%#z", "%Y-%m-%d %H:%M%#z", "%Y-%m-%d %H:%M:%S%.f%#z"] {
            if let Ok(at) = DateTime::parse_from_str(&zoned, format) {
                return Ok(Self(at.to_utc()));
            }
        }
        for format in [
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%d %H:%M",
        ] {
            if let Ok(at) = NaiveDateTime::parse_from_str(t, format) {
                return Ok(Self(at.and_utc()));
            }
        }
        if let Ok(day) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
            return Ok(Self(day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc()));
        }
        Err(format!(
            "{s:?} is not a time: write 2026-01-14T10:00:00Z (RFC 3339, any offset), \
             2026-01-14T10:00 (UTC) or 2026-01-14 (its midnight, UTC)"
        ))
    }
}

impl From<Instant> for sea_orm::Value {
    fn from(i: Instant) -> Self {
        i.0.into()
    }
}

/// A point in time: RFC 3339 (`2026-01-14T10:00:00Z`, `2026-01-14T11:00:00+01:00`),
/// `2026-01-14T10:00` with or without seconds and an offset (UTC without one), or a
/// date alone, `2026-01-14`, for its midnight UTC. Rendered in RFC 3339.
#[Scalar(name = "Instant")]
impl ScalarType for Instant {
    fn parse(value: Value) -> InputValueResult<Self> {
        from_string(value)
    }
    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339())
    }
}

fn from_string<T: FromStr<Err = String> + async_graphql::InputType>(value: Value) -> InputValueResult<T> {
    match value {
        Value::String(s) => s.parse().map_err(InputValueError::custom),
        other => Err(InputValueError::expected_type(other)),
    }
}

impl FromStr for IpAddr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        s.trim()
            .parse::<std::net::IpAddr>()
            .map(|ip| Self(ip.to_canonical()))
            .map_err(|_| format!("{s:?} is not an IPv4 or IPv6 address"))
    }
}

impl fmt::Display for IpAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An IPv4 or IPv6 address in its textual form, e.g. `192.0.2.1` or `2001:db8::1`.
#[Scalar(name = "IpAddr")]
impl ScalarType for IpAddr {
    fn parse(value: Value) -> InputValueResult<Self> {
        from_string(value)
    }
    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

impl FromStr for Cidr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let net = match s.parse::<ipnet::IpNet>() {
            Ok(net) => net,
            // A bare address is the network of that one address.
            Err(_) => s
                .parse::<std::net::IpAddr>()
                .map(ipnet::IpNet::from)
                .map_err(|_| format!("{s:?} is not a network in CIDR notation (e.g. 10.0.0.0/8)"))?,
        };
        Ok(Self(net.trunc()))
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A network in CIDR notation, e.g. `10.0.0.0/8` or `2001:db8::/32`.
#[Scalar(name = "Cidr")]
impl ScalarType for Cidr {
    fn parse(value: Value) -> InputValueResult<Self> {
        from_string(value)
    }
    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

impl FromStr for MacAddr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let hex: String = s.chars().filter(|c| !matches!(c, ':' | '-' | '.')).collect();
        if hex.len() != 12 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(format!("{s:?} is not a MAC address (e.g. AA:BB:CC:DD:EE:FF)"));
        }
        let hex = hex.to_ascii_uppercase();
        let pairs: Vec<&str> = (0..6).map(|i| &hex[i * 2..i * 2 + 2]).collect();
        Ok(Self(pairs.join(":")))
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A MAC address, e.g. `AA:BB:CC:DD:EE:FF` (dashes and Cisco dots are accepted on input).
#[Scalar(name = "MacAddr")]
impl ScalarType for MacAddr {
    fn parse(value: Value) -> InputValueResult<Self> {
        from_string(value)
    }
    fn to_value(&self) -> Value {
        Value::String(self.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_as_people_type_them() {
        let at = |s: &str| s.parse::<Instant>().map(|i| i.0.to_rfc3339());
        assert_eq!(at("2026-01-14").unwrap(), "2026-01-14T00:00:00+00:00");
        assert_eq!(at("2026-01-14T10:00").unwrap(), "2026-01-14T10:00:00+00:00");
        assert_eq!(at(" 2026-01-14 10:00:30.5 ").unwrap(), "2026-01-14T10:00:30.500+00:00");
        assert_eq!(at("2026-01-14T11:00:00+01:00").unwrap(), "2026-01-14T10:00:00+00:00");
        assert_eq!(at("2026-01-14T10:00:00Z").unwrap(), "2026-01-14T10:00:00+00:00");
        assert_eq!(at("2026-01-14T11:00+01:00").unwrap(), "2026-01-14T10:00:00+00:00");
        assert_eq!(at("2026-01-14T10:00Z").unwrap(), "2026-01-14T10:00:00+00:00");
        assert_eq!(at("2026-01-14 11:00:00+0100").unwrap(), "2026-01-14T10:00:00+00:00");
        for bad in ["2026-13-01", "14/01/2026", "yesterday", "2026-01-14T25:00"] {
            assert!(at(bad).unwrap_err().contains("2026-01-14T10:00 (UTC)"), "{bad}");
        }
    }

    #[test]
    fn ip_parses_strictly() {
        assert_eq!("10.0.0.1".parse::<IpAddr>().unwrap().to_string(), "10.0.0.1");
        assert_eq!("::ffff:10.0.0.1".parse::<IpAddr>().unwrap().to_string(), "10.0.0.1");
        assert!("10.0.0.256".parse::<IpAddr>().is_err());
        assert!("host.example".parse::<IpAddr>().is_err());
    }

    #[test]
    fn cidr_clears_host_bits_and_accepts_bare_addresses() {
        assert_eq!("10.1.2.3/8".parse::<Cidr>().unwrap().to_string(), "10.0.0.0/8");
        assert_eq!("10.1.2.3".parse::<Cidr>().unwrap().to_string(), "10.1.2.3/32");
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
    }

    #[test]
    fn mac_is_normalised() {
        assert_eq!("aa-bb-cc-dd-ee-ff".parse::<MacAddr>().unwrap().0, "AA:BB:CC:DD:EE:FF");
        assert_eq!("aabb.ccdd.eeff".parse::<MacAddr>().unwrap().0, "AA:BB:CC:DD:EE:FF");
        assert!("aa:bb:cc:dd:ee".parse::<MacAddr>().is_err());
        assert!("gg:bb:cc:dd:ee:ff".parse::<MacAddr>().is_err());
    }
}
