//! Input checks for text and small values, and the stored form of tag lists.

use super::error::{DomainError, DomainResult};

/// Trimmed, non-empty, at most `max` characters.
pub fn required(field: &str, value: &str, max: usize) -> DomainResult<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(DomainError::bad(field, "must not be empty"));
    }
    optional(field, Some(v), max).map(|v| v.unwrap_or_default())
}

/// Trimmed and at most `max` characters; empty becomes `None`.
pub fn optional(field: &str, value: Option<&str>, max: usize) -> DomainResult<Option<String>> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if v.chars().count() > max {
        return Err(DomainError::bad(field, format!("must be at most {max} characters")));
    }
    Ok(Some(v.to_string()))
}

/// A TCP/UDP port number.
pub fn port(field: &str, value: i32) -> DomainResult<i32> {
    if (0..=65535).contains(&value) {
        Ok(value)
    } else {
        Err(DomainError::bad(
            field,
            format!("{value} is not a port number (0-65535)"),
        ))
    }
}

/// A count that cannot be negative (bytes, packets).
pub fn non_negative(field: &str, value: i64) -> DomainResult<i64> {
    if value >= 0 {
        Ok(value)
    } else {
        Err(DomainError::bad(field, "must not be negative"))
    }
}

/// Tag lists are stored as `,a,b,` so that one tag is matched with `LIKE '%,a,%'` on
/// every backend. Tags are trimmed, deduplicated, and may not contain commas.
pub fn encode_tags(field: &str, tags: &[String]) -> DomainResult<String> {
    let mut out: Vec<String> = Vec::new();
    for tag in tags {
        let t = required(field, tag, 64)?;
        if t.contains(',') {
            return Err(DomainError::bad(field, format!("tag {t:?} must not contain a comma")));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(if out.is_empty() {
        String::new()
    } else {
        format!(",{},", out.join(","))
    })
}

pub fn decode_tags(stored: &str) -> Vec<String> {
    stored
        .split(',')
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// The `LIKE` pattern that finds one tag in a stored list.
pub fn tag_pattern(tag: &str) -> String {
    format!("%,{},%", escape_like(tag.trim()))
}

/// Escapes `LIKE` wildcards with `\` (patterns are built with `ESCAPE '\'`).
pub fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// A user wildcard (`*` any run, `?` one character) as a `LIKE` pattern.
pub fn wildcard_pattern(s: &str) -> String {
    escape_like(s).replace('*', "%").replace('?', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_round_trip() {
        let stored = encode_tags("tags", &[" a ".into(), "b".into(), "a".into()]).unwrap();
        assert_eq!(stored, ",a,b,");
        assert_eq!(decode_tags(&stored), vec!["a", "b"]);
        assert_eq!(encode_tags("tags", &[]).unwrap(), "");
        assert!(encode_tags("tags", &["a,b".into()]).is_err());
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(tag_pattern("x_1"), "%,x\\_1,%");
        assert_eq!(wildcard_pattern("*.evil_co?"), "%.evil\\_co_");
    }

    #[test]
    fn text_limits() {
        assert_eq!(required("name", "  x ", 5).unwrap(), "x");
        assert!(required("name", "   ", 5).is_err());
        assert!(required("name", "abcdef", 5).is_err());
        assert_eq!(optional("n", Some(" "), 5).unwrap(), None);
        assert!(port("port", 65536).is_err());
    }
}
