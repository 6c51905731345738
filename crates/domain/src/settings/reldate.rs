//! pretix's relative dates: `RELDATE/<days>/<HH:MM:SS or ->/<base>/<after or empty>`,
//! `RELDATE/minutes/<minutes>/<base>/<after or empty>`, or an absolute date/time.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

/// The dates a relative date may refer to: key, attribute, before allowed, after allowed.
const BASES: &[(&str, &str, bool, bool)] = &[
    ("event__date_from", "date_from", true, true),
    ("event__date_to", "date_to", true, true),
    ("event__date_admission", "date_admission", true, true),
    ("event__presale_start", "presale_start", true, true),
    ("event__presale_end", "presale_end", true, true),
    ("order__datetime", "datetime", false, true),
    ("order__expires", "expires", true, true),
];

/// The value as pretix stores and shows it, or `None` if it is not a relative date.
pub(crate) fn normalize(input: &str) -> Option<String> {
    if input.starts_with("RELDATE/") {
        relative(input)
    } else {
        absolute(input.trim())
    }
}

fn relative(input: &str) -> Option<String> {
    let parts: Vec<&str> = input.split('/').collect();
    let (first, second, base) = (*parts.get(1)?, *parts.get(2)?, *parts.get(3)?);
    let after = parts.get(4) == Some(&"after");
    let base = find_base(base, after)?;
    let after_text = if after { "after" } else { "" };
    if first == "minutes" {
        let minutes: i64 = python_int(second)?;
        return Some(format!("RELDATE/minutes/{minutes}/{base}/{after_text}"));
    }
    let time = if second == "-" {
        "-".to_owned()
    } else {
        let t: Vec<&str> = second.split(':').collect();
        let (h, m, s) = (
            python_int(t.first()?)?,
            python_int(t.get(1)?)?,
            python_int(t.get(2)?)?,
        );
        let time = NaiveTime::from_hms_opt(
            u32::try_from(h).ok()?,
            u32::try_from(m).ok()?,
            u32::try_from(s).ok()?,
        )?;
        time.format("%H:%M:%S").to_string()
    };
    // pretix takes days it cannot read as 0.
    let days = if first.is_empty() {
        0
    } else {
        python_int(first).unwrap_or(0)
    };
    Some(format!("RELDATE/{days}/{time}/{base}/{after_text}"))
}

/// `int()` of a string: surrounding whitespace and a sign allowed.
fn python_int(s: &str) -> Option<i64> {
    let s = s.trim();
    s.strip_prefix('+').unwrap_or(s).parse().ok()
}

/// The base's full key (`date_from` is `event__date_from`), if it allows this direction.
fn find_base(name: &str, after: bool) -> Option<&'static str> {
    let (key, _, before_ok, after_ok) = BASES.iter().find(|(key, attribute, ..)| {
        if name.contains("__") {
            *key == name
        } else {
            *attribute == name && key.starts_with("event__")
        }
    })?;
    (if after { *after_ok } else { *before_ok }).then_some(*key)
}

/// Python's microseconds in `isoformat()`: shown only when non-zero.
fn micros(nanos: u32) -> String {
    match nanos / 1000 {
        0 => String::new(),
        us => format!(".{us:06}"),
    }
}

/// An absolute date/time, shown as Python's `isoformat()` shows it: the offset kept as sent
/// (`Z` as `+00:00`), none for a naive value, midnight for a date.
fn absolute(input: &str) -> Option<String> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(input) {
        return Some(format!(
            "{}{}{}",
            dt.format("%Y-%m-%dT%H:%M:%S"),
            micros(dt.nanosecond()),
            dt.format("%:z")
        ));
    }
    for format in ["%Y-%m-%dT%H:%M%:z", "%Y-%m-%d %H:%M%:z"] {
        if let Ok(dt) = DateTime::parse_from_str(input, format) {
            return Some(dt.format("%Y-%m-%dT%H:%M:%S%:z").to_string());
        }
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(input, format) {
            return Some(format!(
                "{}{}",
                dt.format("%Y-%m-%dT%H:%M:%S"),
                micros(dt.nanosecond())
            ));
        }
    }
    NaiveDate::parse_from_str(input, "%Y-%m-%d")
        .ok()
        .map(|d| format!("{}T00:00:00", d.format("%Y-%m-%d")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_dates_as_pretix_writes_them() {
        for (input, out) in [
            ("RELDATE/3/-/date_from/", "RELDATE/3/-/event__date_from/"),
            (
                "RELDATE/3/10:00:00/event__presale_end/after",
                "RELDATE/3/10:00:00/event__presale_end/after",
            ),
            (
                "RELDATE/minutes/30/date_from/",
                "RELDATE/minutes/30/event__date_from/",
            ),
            ("RELDATE/x/-/date_from/", "RELDATE/0/-/event__date_from/"),
            (
                "RELDATE/3/-/date_from/after",
                "RELDATE/3/-/event__date_from/after",
            ),
            ("RELDATE/3/-/order__expires", "RELDATE/3/-/order__expires/"),
            (
                "RELDATE/-2/9:5:0/date_to/",
                "RELDATE/-2/09:05:00/event__date_to/",
            ),
        ] {
            assert_eq!(normalize(input).as_deref(), Some(out), "{input}");
        }
        for bad in [
            "RELDATE/3/-/nope/",
            "RELDATE/3",
            "RELDATE/3/-/order__datetime/",
            "RELDATE/3/25:00:00/date_from/",
            "RELDATE/3/10:00/date_from/",
            "RELDATE/minutes/x/date_from/",
        ] {
            assert_eq!(normalize(bad), None, "{bad}");
        }
    }

    #[test]
    fn absolute_dates_as_python_isoformat() {
        for (input, out) in [
            ("2025-01-01T10:00:00Z", "2025-01-01T10:00:00+00:00"),
            ("2025-01-01T10:00:00+02:00", "2025-01-01T10:00:00+02:00"),
            ("2025-01-01T10:00:00.5Z", "2025-01-01T10:00:00.500000+00:00"),
            ("2025-01-01T10:00", "2025-01-01T10:00:00"),
            ("2025-01-01", "2025-01-01T00:00:00"),
        ] {
            assert_eq!(normalize(input).as_deref(), Some(out), "{input}");
        }
        assert_eq!(normalize("garbage"), None);
        assert_eq!(normalize("2025-13-01"), None);
    }
}
