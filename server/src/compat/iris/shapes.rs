//! IRIS's renderings: integer ids from Pivot's global ids, and its date formats —
//! each endpoint family had its own (notes §1, "Date formats"). Times are UTC.

use async_graphql::ID;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::super::Refusal;
use crate::domain::ids::{self, Kind};

/// The row id in a global ID (the graph's answers hold only IDs of their kind).
pub fn number(id: &str) -> i64 {
    ids::decode_any("id", id).map(|(_, n)| n).unwrap_or_default()
}

/// The global ID of an integer id of `kind` from a path or body; `what` is IRIS's
/// refusal of an id that is no number ("Invalid case ID").
pub fn global(kind: Kind, raw: &str, what: &str) -> Result<Value, Refusal> {
    match raw.trim().parse::<i64>() {
        Ok(n) if n > 0 => Ok(json!(ids::encode(kind, n).0)),
        _ => Err(Refusal::bad(what)),
    }
}

pub fn global_of(kind: Kind, n: i64) -> ID {
    ids::encode(kind, n)
}

/// A schema dump's datetime: ISO 8601 without a zone, microseconds.
pub fn iso(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// A date column: `2021-10-21`.
pub fn day(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

/// The cases list's dates: `10/19/2021`.
pub fn us_day(t: &DateTime<Utc>) -> String {
    t.format("%m/%d/%Y").to_string()
}

/// Raw rows through Flask's JSON encoder: `Wed, 20 Oct 2021 09:54:28 GMT`.
pub fn http_date(t: &DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// IRIS stores a case's name as `#<id> - <name>`.
pub fn case_name(id: i64, name: &str) -> String {
    format!("#{id} - {name}")
}

/// A case name sent back as IRIS shows it, without its `#<id> - ` prefix.
pub fn bare_case_name(name: &str) -> &str {
    if let Some(rest) = name.strip_prefix('#') {
        if let Some((digits, tail)) = rest.split_once(" - ") {
            if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
                return tail;
            }
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn dates_as_each_endpoint_wrote_them() {
        let t = Utc.with_ymd_and_hms(2021, 10, 20, 9, 54, 28).unwrap();
        assert_eq!(iso(&t), "2021-10-20T09:54:28.000000");
        assert_eq!(day(&t), "2021-10-20");
        assert_eq!(us_day(&t), "10/20/2021");
        assert_eq!(http_date(&t), "Wed, 20 Oct 2021 09:54:28 GMT");
    }

    #[test]
    fn case_names_lose_their_prefix_once() {
        assert_eq!(case_name(97, "My Case API"), "#97 - My Case API");
        assert_eq!(bare_case_name("#97 - My Case API"), "My Case API");
        assert_eq!(bare_case_name("#1 - #2 - x"), "#2 - x");
        assert_eq!(bare_case_name("#x - y"), "#x - y");
        assert_eq!(bare_case_name("Plain"), "Plain");
    }
}
