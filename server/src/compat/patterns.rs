//! `LIKE` patterns over addresses, as other tools' searches take them (`10.0.0.%`).
//!
//! Pivot stores addresses as 16-byte keys, not text, so such a pattern cannot be a
//! `LIKE`: it becomes the ranges of IPv4 addresses whose dotted text it matches
//! (`10.0.0.0–10.0.0.255`), each an `IpOp` range and an index range scan. A pattern
//! matching too scattered a set (`%1`) is refused rather than scanned.

use std::net::{IpAddr, Ipv4Addr};

/// Ranges one address pattern may expand to, octet prefixes it may visit (each tries
/// 256 octets), and its length: bounds on the work one pattern costs.
const MAX_RANGES: usize = 256;
const MAX_VISITS: usize = 2048;
const MAX_TOKENS: usize = 40;

/// Whether `value` reads as an address or an IPv4 address pattern (digits, dots and
/// wildcards only), rather than as a MAC or a name.
pub fn is_address_pattern(value: &str) -> bool {
    let v = value.trim();
    v.parse::<IpAddr>().is_ok()
        || (!v.is_empty()
            && v.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | '%' | '_'))
            && v.chars().any(|c| c.is_ascii_digit() || c == '.'))
}

/// The inclusive ranges of addresses `pattern` stands for (see the module doc): a whole
/// address (IPv4 or IPv6) is itself; an IPv4 pattern is the ranges of addresses whose
/// dotted text it matches (none when no address does). The error says what is wrong
/// with the pattern, which it quotes.
pub fn address_ranges(pattern: &str) -> Result<Vec<(IpAddr, IpAddr)>, String> {
    let p = pattern.trim();
    if let Ok(ip) = p.parse::<IpAddr>() {
        return Ok(vec![(ip, ip)]);
    }
    if p.contains(':') {
        return Err(format!(
            "{p:?}: wildcards work in IPv4 addresses only; give IPv6 addresses whole"
        ));
    }
    let ranges = ipv4_ranges(p).map_err(|why| format!("{p:?}: {why}"))?;
    Ok(ranges
        .into_iter()
        .map(|(lo, hi)| (Ipv4Addr::from(lo).into(), Ipv4Addr::from(hi).into()))
        .collect())
}

/// The inclusive ranges of IPv4 addresses whose dotted text `pattern` matches, merged
/// and in order (empty when none does).
fn ipv4_ranges(pattern: &str) -> Result<Vec<(u32, u32)>, &'static str> {
    let p = Pattern::new(pattern)?;
    let mut walk = Walk {
        p: &p,
        ranges: Vec::new(),
        visits: 0,
    };
    walk.octet(0, 0, p.start())?;
    Ok(walk.ranges)
}

/// A `LIKE` pattern as a small NFA over its positions.
struct Pattern {
    tokens: Vec<Token>,
}

#[derive(Clone, Copy, PartialEq)]
enum Token {
    Any,
    One,
    Char(char),
}

/// The positions the pattern may be at, as bits (patterns are short).
type States = u128;

impl Pattern {
    fn new(pattern: &str) -> Result<Self, &'static str> {
        let mut tokens = Vec::new();
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            let t = match c {
                '%' => Token::Any,
                '_' => Token::One,
                '\\' => Token::Char(chars.next().unwrap_or('\\')),
                c => Token::Char(c),
            };
            // `%%` matches what `%` does.
            if !(t == Token::Any && tokens.last() == Some(&Token::Any)) {
                tokens.push(t);
            }
        }
        if tokens.len() > MAX_TOKENS {
            return Err("the pattern is too long for an address");
        }
        Ok(Self { tokens })
    }

    fn start(&self) -> States {
        self.close(1)
    }

    /// Adds the positions reachable by letting a `%` match nothing.
    fn close(&self, mut s: States) -> States {
        for (i, t) in self.tokens.iter().enumerate() {
            if s & (1 << i) != 0 && *t == Token::Any {
                s |= 1 << (i + 1);
            }
        }
        s
    }

    fn step(&self, s: States, c: char) -> States {
        let mut next = 0;
        for (i, t) in self.tokens.iter().enumerate() {
            if s & (1 << i) == 0 {
                continue;
            }
            match t {
                Token::Any => next |= 1 << i,
                Token::One => next |= 1 << (i + 1),
                Token::Char(x) if *x == c => next |= 1 << (i + 1),
                Token::Char(_) => {}
            }
        }
        self.close(next)
    }

    fn feed(&self, mut s: States, text: &str) -> States {
        for c in text.chars() {
            s = self.step(s, c);
            if s == 0 {
                break;
            }
        }
        s
    }

    fn accepts(&self, s: States) -> bool {
        s & (1 << self.tokens.len()) != 0
    }

    /// Whether every continuation matches: some position has only `%` left.
    fn universal(&self, s: States) -> bool {
        (0..self.tokens.len()).any(|i| s & (1 << i) != 0 && self.tokens[i..].iter().all(|t| *t == Token::Any))
    }
}

struct Walk<'a> {
    p: &'a Pattern,
    ranges: Vec<(u32, u32)>,
    visits: usize,
}

impl Walk<'_> {
    /// Octets `k..4` of addresses whose first `k` octets are `prefix`.
    fn octet(&mut self, k: u32, prefix: u32, s: States) -> Result<(), &'static str> {
        self.visits += 1;
        if self.visits > MAX_VISITS {
            return Err("the pattern matches too scattered a set of addresses; narrow it");
        }
        if self.p.universal(s) {
            let free = 32 - 8 * k;
            let lo = if k == 0 { 0 } else { prefix << free };
            let hi = if k == 0 {
                u32::MAX
            } else {
                lo | ((1u64 << free) - 1) as u32
            };
            return self.push(lo, hi);
        }
        for v in 0..=255u32 {
            let text = if k < 3 { format!("{v}.") } else { v.to_string() };
            let next = self.p.feed(s, &text);
            if next == 0 {
                continue;
            }
            let addr = (prefix << 8) | v;
            if k == 3 {
                if self.p.accepts(next) {
                    self.push(addr, addr)?;
                }
            } else {
                self.octet(k + 1, addr, next)?;
            }
        }
        Ok(())
    }

    fn push(&mut self, lo: u32, hi: u32) -> Result<(), &'static str> {
        match self.ranges.last_mut() {
            Some(last) if last.1.checked_add(1) == Some(lo) => last.1 = hi,
            _ => self.ranges.push((lo, hi)),
        }
        if self.ranges.len() > MAX_RANGES {
            return Err("the pattern matches too scattered a set of addresses; narrow it");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> u32 {
        u32::from(s.parse::<Ipv4Addr>().unwrap())
    }

    #[test]
    fn trailing_wildcards_are_networks() {
        assert_eq!(
            ipv4_ranges("10.0.0.%").unwrap(),
            vec![(ip("10.0.0.0"), ip("10.0.0.255"))]
        );
        assert_eq!(
            ipv4_ranges("10.%").unwrap(),
            vec![(ip("10.0.0.0"), ip("10.255.255.255"))]
        );
        assert_eq!(ipv4_ranges("%").unwrap(), vec![(0, u32::MAX)]);
    }

    #[test]
    fn digits_and_single_characters() {
        // 10.0.0.1, 10.0.0.10-19, 10.0.0.100-199
        assert_eq!(
            ipv4_ranges("10.0.0.1%").unwrap(),
            vec![
                (ip("10.0.0.1"), ip("10.0.0.1")),
                (ip("10.0.0.10"), ip("10.0.0.19")),
                (ip("10.0.0.100"), ip("10.0.0.199"))
            ]
        );
        assert_eq!(
            ipv4_ranges("10.0.0.2_").unwrap(),
            vec![(ip("10.0.0.20"), ip("10.0.0.29"))]
        );
        assert_eq!(
            ipv4_ranges("10.0.0.25").unwrap(),
            vec![(ip("10.0.0.25"), ip("10.0.0.25"))]
        );
        // A wildcard in the middle: every third octet.
        let r = ipv4_ranges("192.168.%.1").unwrap();
        assert_eq!(r.len(), 256);
        assert_eq!(r[0], (ip("192.168.0.1"), ip("192.168.0.1")));
    }

    #[test]
    fn impossible_and_scattered_patterns() {
        assert!(ipv4_ranges("10.0.0.256").unwrap().is_empty());
        assert!(ipv4_ranges("abc").unwrap().is_empty());
        assert!(ipv4_ranges("%1").is_err());
        assert!(ipv4_ranges("%.1").is_err());
        // Long runs of `%` cost nothing more than one; long patterns are refused.
        assert_eq!(
            ipv4_ranges(&format!("10.{}", "%".repeat(100))).unwrap(),
            vec![(ip("10.0.0.0"), ip("10.255.255.255"))]
        );
        assert!(ipv4_ranges(&format!("1_.1_.{}", "_".repeat(50))).is_err());
        let started = std::time::Instant::now();
        let _ = ipv4_ranges(&format!("1_.1_.{}.999", "%".repeat(110)));
        assert!(started.elapsed() < std::time::Duration::from_secs(1), "bounded work");
        // An escaped wildcard is a literal character, which no address has.
        assert!(ipv4_ranges("10.0.0.\\%").unwrap().is_empty());
    }

    #[test]
    fn what_reads_as_an_address() {
        assert!(is_address_pattern("10.0.0.%"));
        assert!(is_address_pattern("::1"));
        assert!(!is_address_pattern("AA:BB:%"));
        assert!(!is_address_pattern("server-01"));
        assert!(!is_address_pattern("%"));
    }
}
