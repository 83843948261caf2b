//! Local times as the REST dialects write them (`2026-06-03 10:30:00`), in the
//! configured timezone; GraphQL carries UTC instants.

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// `YYYY-MM-DD HH:MM:SS` in `tz`, of an RFC 3339 instant from GraphQL (empty when
/// there is none).
pub fn render(tz: Tz, instant: Option<&str>) -> String {
    instant
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| crate::domain::data::local_time(tz, t.with_timezone(&Utc)))
        .unwrap_or_default()
}

/// Trisul's windows: `DD-MM-YYYY HH:MM:SS`.
const WINDOW: &str = "%d-%m-%Y %H:%M:%S";

/// `DD-MM-YYYY HH:MM:SS` in `tz`, of an RFC 3339 instant from GraphQL (empty when
/// there is none).
pub fn render_window(tz: Tz, instant: Option<&str>) -> String {
    instant
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&tz).format(WINDOW).to_string())
        .unwrap_or_default()
}

/// A `DD-MM-YYYY HH:MM:SS` local time in `tz` as an RFC 3339 UTC instant; `None` when
/// it is not one (or does not exist there: a clock change skips it).
pub fn parse_window(tz: Tz, text: &str, bound: Bound) -> Option<String> {
    let naive = NaiveDateTime::parse_from_str(text.trim(), WINDOW).ok()?;
    if !(1..=9999).contains(&naive.year()) {
        return None;
    }
    resolve(tz, &naive, bound).map(|t| t.to_rfc3339())
}

/// The instant of a local time: of one that happens twice (clocks going back), the
/// first as a lower bound and the second as an upper one.
fn resolve(tz: Tz, naive: &NaiveDateTime, bound: Bound) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(naive) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, second) => Some(
            match bound {
                Bound::Lower => first,
                Bound::Upper => second,
            }
            .with_timezone(&Utc),
        ),
        LocalResult::None => None,
    }
}

/// How precise a local time was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    Day,
    Minute,
    Second,
}

/// Which end of a range a time is: a local time that happens twice (clocks going
/// back) is its first occurrence as a lower bound, its second as an upper one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    Lower,
    Upper,
}

/// A local time in `tz` written in one of `accepted` precisions, as an RFC 3339 UTC
/// instant for GraphQL, with the precision it was written in. An upper bound written
/// as a date takes in the whole day. A day whose midnight a clock change skips starts
/// at its first instant.
pub fn parse(
    tz: Tz,
    field: &str,
    text: &str,
    accepted: &[Precision],
    bound: Bound,
) -> Result<(String, Precision), String> {
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
    if !(1..=9999).contains(&naive.year()) {
        return Err(format!("{field}: {t:?} is not a year between 1 and 9999"));
    }
    let instant = if precision == Precision::Day {
        let day = naive.date();
        match bound {
            Bound::Lower => start_of(tz, day),
            // The last instant before the next day begins.
            Bound::Upper => day
                .succ_opt()
                .and_then(|next| start_of(tz, next))
                .map(|t| t - chrono::Duration::microseconds(1)),
        }
    } else {
        match resolve(tz, &naive, bound) {
            Some(t) => Some(t),
            None => return Err(format!("{field}: {t} does not exist in {tz} (a clock change skips it)")),
        }
    };
    let instant = instant.ok_or_else(|| format!("{field}: {t:?} is out of range"))?;
    Ok((instant.to_rfc3339(), precision))
}

/// The first instant of a local day (its midnight, or later when a clock change skips it).
fn start_of(tz: Tz, day: NaiveDate) -> Option<DateTime<Utc>> {
    (0..=24 * 4).find_map(|quarter| {
        let t = day.and_hms_opt(0, 0, 0)? + chrono::Duration::minutes(15 * quarter);
        tz.from_local_datetime(&t).earliest().map(|t| t.with_timezone(&Utc))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Precision; 3] = [Precision::Day, Precision::Minute, Precision::Second];

    #[test]
    fn local_times_round_trip_through_utc() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        let (utc, p) = parse(paris, "from", "2026-06-03 10:30", &[Precision::Minute], Bound::Lower).unwrap();
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
        let (utc, lower) = (chrono_tz::UTC, Bound::Lower);
        assert!(parse(utc, "from", "2026-06-03", &[Precision::Minute], lower).is_err());
        assert_eq!(parse(utc, "to", "2026-06-03", &ALL, lower).unwrap().1, Precision::Day);
        assert_eq!(
            parse(utc, "to", "2026-06-03 01:02:03", &ALL, lower).unwrap().1,
            Precision::Second
        );
        let e = parse(utc, "from", "03/06/2026", &[Precision::Minute], lower).unwrap_err();
        assert!(e.contains("YYYY-MM-DD HH:MM"), "{e}");
        let paris: Tz = "Europe/Paris".parse().unwrap();
        assert!(parse(paris, "from", "2026-03-29 02:30", &[Precision::Minute], lower).is_err());
        // Years outside 1-9999 are refused, never a panic.
        assert!(parse(utc, "to", "9999-12-31", &ALL, Bound::Upper).is_ok());
        for far in ["+10000-01-01", "0000-01-01", "+262143-12-31"] {
            assert!(parse(utc, "to", far, &ALL, Bound::Upper).is_err(), "{far}");
        }
    }

    #[test]
    fn trisul_windows() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        let utc = parse_window(paris, "01-04-2026 10:30:15", Bound::Lower).unwrap();
        assert_eq!(utc, "2026-04-01T08:30:15+00:00");
        assert_eq!(render_window(paris, Some(&utc)), "01-04-2026 10:30:15");
        for bad in [
            "2026-04-01 10:30:15",
            "01-04-2026",
            "32-01-2026 00:00:00",
            "01-04-2026 24:00:00",
            "",
        ] {
            assert_eq!(parse_window(paris, bad, Bound::Lower), None, "{bad}");
        }
        // A local time a clock change skips is not a time there.
        assert_eq!(parse_window(paris, "29-03-2026 02:30:00", Bound::Lower), None);
    }

    #[test]
    fn whole_days_and_clock_changes() {
        let utc = chrono_tz::UTC;
        let end = parse(utc, "to", "2026-06-03", &ALL, Bound::Upper).unwrap().0;
        assert_eq!(end, "2026-06-03T23:59:59.999999+00:00");
        // Santiago skips midnight on 2026-09-06: the day starts at 01:00 local.
        let santiago: Tz = "America/Santiago".parse().unwrap();
        let start = parse(santiago, "from", "2026-09-06", &ALL, Bound::Lower).unwrap().0;
        assert_eq!(start, "2026-09-06T04:00:00+00:00");
        assert!(parse(santiago, "to", "2026-09-05", &ALL, Bound::Upper).is_ok());
        // Paris repeats 02:00-03:00 on 2026-10-25: an upper bound takes the second 02:30.
        let paris: Tz = "Europe/Paris".parse().unwrap();
        let first = parse(paris, "from", "2026-10-25 02:30", &ALL, Bound::Lower).unwrap().0;
        let second = parse(paris, "to", "2026-10-25 02:30", &ALL, Bound::Upper).unwrap().0;
        assert_eq!(
            (first.as_str(), second.as_str()),
            ("2026-10-25T00:30:00+00:00", "2026-10-25T01:30:00+00:00")
        );
    }
}
