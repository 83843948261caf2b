//! Addresses are numbers (ARCHITECTURE principle 6): every IP is stored as 16 bytes,
//! big-endian, IPv4 mapped into IPv6, so that equality, CIDR and range filters are
//! index range scans on SQLite and PostgreSQL alike.

use std::net::{IpAddr, Ipv6Addr};

use ipnet::IpNet;

/// The stored form of an address.
pub fn to_key(ip: IpAddr) -> Vec<u8> {
    let v6 = match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    };
    v6.octets().to_vec()
}

/// The address a stored key holds; IPv4-mapped keys come back as IPv4.
pub fn from_key(key: &[u8]) -> Option<IpAddr> {
    let octets: [u8; 16] = key.try_into().ok()?;
    Some(Ipv6Addr::from(octets).to_canonical())
}

/// The first and last stored keys inside a network, both inclusive.
pub fn net_bounds(net: &IpNet) -> (Vec<u8>, Vec<u8>) {
    (to_key(net.network()), to_key(net.broadcast()))
}

/// The textual form Pivot renders and matches (IOC values, asset IPs).
pub fn canonical(ip: IpAddr) -> String {
    ip.to_canonical().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn v4_is_mapped_and_comes_back_as_v4() {
        let key = to_key(ip("10.1.2.3"));
        assert_eq!(key, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3]);
        assert_eq!(from_key(&key), Some(ip("10.1.2.3")));
        assert_eq!(from_key(&to_key(ip("2001:db8::1"))), Some(ip("2001:db8::1")));
        assert_eq!(from_key(&[1, 2, 3]), None);
    }

    #[test]
    fn keys_sort_like_addresses() {
        let mut keys = [
            to_key(ip("10.0.0.10")),
            to_key(ip("9.255.255.255")),
            to_key(ip("10.0.0.9")),
        ];
        keys.sort();
        assert_eq!(keys[0], to_key(ip("9.255.255.255")));
        assert_eq!(keys[2], to_key(ip("10.0.0.10")));
        // IPv4 sorts below every global IPv6 address, so a v4 CIDR never catches a v6 host.
        assert!(to_key(ip("255.255.255.255")) < to_key(ip("2000::")));
    }

    #[test]
    fn network_bounds_are_inclusive() {
        let (lo, hi) = net_bounds(&"192.168.1.0/24".parse().unwrap());
        assert_eq!(from_key(&lo), Some(ip("192.168.1.0")));
        assert_eq!(from_key(&hi), Some(ip("192.168.1.255")));
        let (lo, hi) = net_bounds(&"2001:db8::/126".parse().unwrap());
        assert_eq!(from_key(&lo), Some(ip("2001:db8::")));
        assert_eq!(from_key(&hi), Some(ip("2001:db8::3")));
    }

    #[test]
    fn canonical_text_unmaps_v4() {
        assert_eq!(canonical(ip("::ffff:10.0.0.1")), "10.0.0.1");
        assert_eq!(canonical(ip("2001:DB8::1")), "2001:db8::1");
    }
}
