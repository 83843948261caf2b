//! Local times as the REST dialects write them (`2026-06-03 10:30:00`), in the
//! configured timezone; GraphQL carries UTC instants.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// `YYYY-MM-DD HH:MM:SS` in `tz`, of an RFC 3339 instant from GraphQL (empty when
/// there is none).
pub fn render(tz: Tz, instant: Option<&str>) -> String {
    instant
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// How precise a local time was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    Day,
    Minute,
    Second,
}

/// A local time in `tz` written in one of `accepted` precisions, as an RFC 3339 UTC
/// instant for GraphQL, with the precision it was written in.
pub fn parse(tz: Tz, field: &str, text: &str, accepted: &[Precision]) -> Result<(String, Precision), String> {
    let t = text.trim();
    let attempts = [
        (Precision::Second, "%Y-%m-%d %H:%M:%S"),
        (Precision::Minute, "%Y-%m-%d %H:%M"),
    ];
    let mut found = None;
    for (p, fmt) in attempts {
        if accepted.contains(&p) {
            if let Ok(n) = NaiveDateTime::parse_from_str(t, fmt) {
                found = Some((n, p));
                break;
            }
        }
    }
    if found.is_none() && accepted.contains(&Precision::Day) {
        if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
            found = Some((d.and_hms_opt(0, 0, 0).expect("midnight"), Precision::Day));
        }
    }
    let formats: Vec<&str> = accepted
        .iter()
        .map(|p| match p {
            Precision::Day => "YYYY-MM-DD",
            Precision::Minute => "YYYY-MM-DD HH:MM",
            Precision::Second => "YYYY-MM-DD HH:MM:SS",
        })
        .collect();
    let Some((naive, precision)) = found else {
        return Err(format!(
            "{field}: {t:?} is not a date in the format {}",
            formats.join(" or ")
        ));
    };
    let local = match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => t,
        // A time that happens twice (clocks going back): its first occurrence.
        LocalResult::Ambiguous(first, _) => first,
        LocalResult::None => return Err(format!("{field}: {t} does not exist in {tz} (a clock change skips it)")),
    };
    Ok((local.with_timezone(&Utc).to_rfc3339(), precision))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_round_trip_through_utc() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        let (utc, p) = parse(paris, "from", "2026-06-03 10:30", &[Precision::Minute]).unwrap();
        assert_eq!((utc.as_str(), p), ("2026-06-03T08:30:00+00:00", Precision::Minute));
        assert_eq!(render(paris, Some(&utc)), "2026-06-03 10:30:00");
        assert_eq!(
            render(chrono_tz::UTC, Some("2026-06-03T08:30:00Z")),
            "2026-06-03 08:30:00"
        );
        assert_eq!(render(chrono_tz::UTC, None), "");
    }

    #[test]
    fn formats_are_checked() {
        let utc = chrono_tz::UTC;
        assert!(parse(utc, "from", "2026-06-03", &[Precision::Minute]).is_err());
        let all = [Precision::Day, Precision::Minute, Precision::Second];
        assert_eq!(parse(utc, "to", "2026-06-03", &all).unwrap().1, Precision::Day);
        assert_eq!(
            parse(utc, "to", "2026-06-03 01:02:03", &all).unwrap().1,
            Precision::Second
        );
        let e = parse(utc, "from", "03/06/2026", &[Precision::Minute]).unwrap_err();
        assert!(e.contains("YYYY-MM-DD HH:MM"), "{e}");
        let paris: Tz = "Europe/Paris".parse().unwrap();
        assert!(parse(paris, "from", "2026-03-29 02:30", &[Precision::Minute]).is_err());
    }
}
