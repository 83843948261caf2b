//! IVRE's `q` parameter read into terms (notes §1.2): split on whitespace, quotes
//! (`'` or `"`) grouping text with spaces and joining what touches them, a backslash
//! and `#` being ordinary characters (IVRE 0.9.20's server, since it stopped honouring
//! backslash escapes); a leading `!` or `-` negates; then an address or a CIDR is a
//! term of its own, and anything else with a `:` is `keyword:value`, split at the
//! first `:` (so `host:2001:db8::1` is the keyword `host`).
//!
//! Where IVRE answers unbalanced quotes with a 500, this says what is wrong. An
//! address is what Rust's parsers take: IVRE's pattern also took IPv4 parts with
//! leading zeros (`010.0.0.1`) and link-local zones (`fe80::1%eth0`), which here are
//! not addresses (the second then reads as a keyword and its value).

use std::net::IpAddr;

use ipnet::IpNet;

/// One term of a query: `[!]keyword:value`, or a bare word or address (no value).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    pub negated: bool,
    pub keyword: String,
    pub value: Option<String>,
}

/// The terms of `q`, in order.
pub fn terms(q: &str) -> Result<Vec<Term>, String> {
    Ok(split(q)?.into_iter().map(|t| term(&t)).collect())
}

/// The words of `q` as POSIX `shlex` splits them with whitespace splitting and no
/// escape character.
fn split(q: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    // Whether a word has begun: `""` is an empty word, not none.
    let mut begun = false;
    let mut quote = None;
    for c in q.chars() {
        match quote {
            Some(open) if c == open => quote = None,
            Some(_) => word.push(c),
            None if matches!(c, ' ' | '\t' | '\r' | '\n') => {
                if begun {
                    words.push(std::mem::take(&mut word));
                    begun = false;
                }
            }
            None => {
                begun = true;
                if c == '"' || c == '\'' {
                    quote = Some(c);
                } else {
                    word.push(c);
                }
            }
        }
    }
    if let Some(open) = quote {
        return Err(format!("q: a {open} quote is not closed"));
    }
    if begun {
        words.push(word);
    }
    Ok(words)
}

fn term(word: &str) -> Term {
    // As IVRE's `x[:1] in "!-"`: an empty word counts as negated too.
    let (negated, rest) = match word.chars().next() {
        Some('!' | '-') => (true, &word[1..]),
        None => (true, word),
        Some(_) => (false, word),
    };
    let address = is_address(rest);
    match rest.split_once(':') {
        Some((keyword, value)) if !address => Term {
            negated,
            keyword: keyword.to_string(),
            value: Some(value.to_string()),
        },
        _ => Term {
            negated,
            keyword: rest.to_string(),
            value: None,
        },
    }
}

/// An address, or a network by prefix length or by netmask (`10.0.0.0/255.0.0.0`).
fn is_address(word: &str) -> bool {
    let by_mask = || {
        let (addr, mask) = word.split_once('/')?;
        IpNet::with_netmask(addr.parse().ok()?, mask.parse().ok()?).ok()
    };
    word.parse::<IpAddr>().is_ok() || word.parse::<IpNet>().is_ok() || by_mask().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(negated: bool, keyword: &str, value: Option<&str>) -> Term {
        Term {
            negated,
            keyword: keyword.into(),
            value: value.map(Into::into),
        }
    }

    #[test]
    fn backslashes_and_hashes_are_ordinary() {
        let plain = r"cert.subject:/.*\.EXAMPLE\.COM/";
        assert_eq!(
            terms(plain).unwrap(),
            [t(false, "cert.subject", Some(r"/.*\.EXAMPLE\.COM/"))]
        );
        assert_eq!(
            terms(r#""cert.subject:/.* \.EXAMPLE\.COM/""#).unwrap(),
            [t(false, "cert.subject", Some(r"/.* \.EXAMPLE\.COM/"))]
        );
        assert_eq!(
            terms(r"'cert.subject:/.*\.EXAMPLE\.COM/'").unwrap(),
            [t(false, "cert.subject", Some(r"/.*\.EXAMPLE\.COM/"))]
        );
        assert_eq!(
            terms(r"script:http-title:/C:\\Windows/").unwrap(),
            [t(false, "script", Some(r"http-title:/C:\\Windows/"))]
        );
        assert_eq!(terms("banner:#test").unwrap(), [t(false, "banner", Some("#test"))]);
    }

    #[test]
    fn quotes_group_join_and_must_close() {
        assert_eq!(
            terms(r#"banner:'say "hi"' banner:"it's""#).unwrap(),
            [
                t(false, "banner", Some(r#"say "hi""#)),
                t(false, "banner", Some("it's"))
            ]
        );
        // A backslash does not protect a quote: each `"` opens or closes.
        assert_eq!(
            terms(r#"banner:"say \"hi\"""#).unwrap(),
            [t(false, "banner", Some(r"say \hi\"))]
        );
        assert_eq!(
            terms(r#"a"b c"d  e"#).unwrap(),
            [t(false, "ab cd", None), t(false, "e", None)]
        );
        assert_eq!(terms(r#""""#).unwrap(), [t(true, "", None)]);
        assert!(terms("\"").unwrap_err().contains("not closed"));
        assert!(terms("banner:'oops").is_err());
        assert_eq!(terms(" \t\n").unwrap(), []);
    }

    #[test]
    fn negation_addresses_and_keywords() {
        assert_eq!(
            terms(r"!hostname:/\.example\.com$/ -port:22 open").unwrap(),
            [
                t(true, "hostname", Some(r"/\.example\.com$/")),
                t(true, "port", Some("22")),
                t(false, "open", None)
            ]
        );
        assert_eq!(
            terms("2001:db8::1 !10.0.0.0/8 host:2001:db8::1 fe80::/10").unwrap(),
            [
                t(false, "2001:db8::1", None),
                t(true, "10.0.0.0/8", None),
                t(false, "host", Some("2001:db8::1")),
                t(false, "fe80::/10", None)
            ]
        );
        assert_eq!(
            terms("10.0.0.0/255.0.0.0").unwrap(),
            [t(false, "10.0.0.0/255.0.0.0", None)]
        );
        // Not an address: a keyword with its value.
        assert_eq!(terms("10.0.0.1:80").unwrap(), [t(false, "10.0.0.1", Some("80"))]);
    }
}
