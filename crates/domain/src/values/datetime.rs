use chrono::{
    DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone as _, Timelike,
    Utc,
};
use std::fmt;

/// A point in time in UTC, read and written in pretix's wire format.
///
/// Out: UTC with a `Z`, microseconds only when non-zero (`2017-12-27T10:00:00Z`,
/// `2017-12-27T10:00:00.596934Z`). In: `YYYY-MM-DDThh:mm[:ss[.uuuuuu]]` with `Z`, `±HH:MM` or no
/// offset (then UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WireDateTime(DateTime<Utc>);

/// The input is not a datetime in an accepted format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].")]
pub struct DateTimeFormatError;

impl WireDateTime {
    /// Truncates to microseconds, the precision pretix and both databases keep.
    pub fn from_utc(dt: DateTime<Utc>) -> Self {
        let micros = dt.nanosecond() / 1_000 * 1_000;
        WireDateTime(dt.with_nanosecond(micros).unwrap_or(dt))
    }

    pub fn now() -> Self {
        Self::from_utc(Utc::now())
    }

    pub fn utc(&self) -> DateTime<Utc> {
        self.0
    }

    pub fn parse(input: &str) -> Result<Self, DateTimeFormatError> {
        let s = input.trim();
        if s.len() < 16 || !s.is_char_boundary(10) {
            return Err(DateTimeFormatError);
        }
        let (date, rest) = s.split_at(10);
        let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| DateTimeFormatError)?;
        let rest = rest
            .strip_prefix('T')
            .or_else(|| rest.strip_prefix(' '))
            .ok_or(DateTimeFormatError)?;
        let tz_at = rest.find(['Z', 'z', '+', '-']).unwrap_or(rest.len());
        let (time, zone) = rest.split_at(tz_at);
        let time = parse_time(time)?;
        let naive = NaiveDateTime::new(date, time);
        let utc = match zone {
            "" | "Z" | "z" => Utc.from_utc_datetime(&naive),
            offset => parse_offset(offset)?
                .from_local_datetime(&naive)
                .single()
                .ok_or(DateTimeFormatError)?
                .with_timezone(&Utc),
        };
        Ok(Self::from_utc(utc))
    }

    /// A list filter's value, read as leniently as pretix's filters read it: everything
    /// [`WireDateTime::parse`] takes, a date alone (`2020-01-01`, midnight UTC) or a date with
    /// the hour alone (`2020-01-01T05`).
    pub fn parse_filter(input: &str) -> Result<Self, DateTimeFormatError> {
        let s = input.trim();
        if let Ok(t) = Self::parse(s) {
            return Ok(t);
        }
        let (date, hour) = match s.len() {
            10 => (s, 0),
            13 if s.is_char_boundary(10) && matches!(&s[10..11], "T" | " ") => {
                let hour = s[11..].parse::<u32>().map_err(|_| DateTimeFormatError)?;
                (&s[..10], hour)
            }
            _ => return Err(DateTimeFormatError),
        };
        let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| DateTimeFormatError)?;
        let naive = date.and_hms_opt(hour, 0, 0).ok_or(DateTimeFormatError)?;
        Ok(Self::from_utc(Utc.from_utc_datetime(&naive)))
    }
}

fn parse_time(s: &str) -> Result<NaiveTime, DateTimeFormatError> {
    let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
    let (hms, frac) = match s.split_once(['.', ',']) {
        Some((hms, frac)) if !frac.is_empty() && frac.len() <= 6 && digits(frac, frac.len()) => {
            (hms, Some(frac))
        }
        Some(_) => return Err(DateTimeFormatError),
        None => (s, None),
    };
    let parts: Vec<&str> = hms.split(':').collect();
    if !(2..=3).contains(&parts.len()) || !parts.iter().all(|p| digits(p, 2)) {
        return Err(DateTimeFormatError);
    }
    if frac.is_some() && parts.len() != 3 {
        return Err(DateTimeFormatError);
    }
    let num = |p: &str| p.parse::<u32>().map_err(|_| DateTimeFormatError);
    let micros = match frac {
        Some(f) => num(&format!("{f:0<6}"))?,
        None => 0,
    };
    let sec = match parts.get(2) {
        Some(p) => num(p)?,
        None => 0,
    };
    NaiveTime::from_hms_micro_opt(num(parts[0])?, num(parts[1])?, sec, micros)
        .ok_or(DateTimeFormatError)
}

fn parse_offset(s: &str) -> Result<FixedOffset, DateTimeFormatError> {
    let sign = match s.as_bytes().first() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return Err(DateTimeFormatError),
    };
    let body = &s[1..];
    let (h, m) = match body.len() {
        2 => (body, "00"),
        4 => body.split_at(2),
        5 if body.as_bytes()[2] == b':' => (&body[..2], &body[3..]),
        _ => return Err(DateTimeFormatError),
    };
    if !(h.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit()) {
        return Err(DateTimeFormatError);
    }
    let h: i32 = h.parse().map_err(|_| DateTimeFormatError)?;
    let m: i32 = m.parse().map_err(|_| DateTimeFormatError)?;
    if h > 23 || m > 59 {
        return Err(DateTimeFormatError);
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60)).ok_or(DateTimeFormatError)
}

impl fmt::Display for WireDateTime {
    /// `2030-01-01T10:00:00Z`, with `.ffffff` (microseconds, cut) when there is a fraction.
    /// Written field by field: a page of events shows hundreds, and chrono's `format` parses
    /// its pattern every time. Years outside 0..=9999 and leap seconds take chrono's way.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nanos = self.0.nanosecond();
        let year = self.0.year();
        if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
            return if nanos == 0 {
                write!(f, "{}", self.0.format("%Y-%m-%dT%H:%M:%SZ"))
            } else {
                write!(f, "{}", self.0.format("%Y-%m-%dT%H:%M:%S%.6fZ"))
            };
        }
        write!(
            f,
            "{year:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.0.month(),
            self.0.day(),
            self.0.hour(),
            self.0.minute(),
            self.0.second()
        )?;
        if nanos != 0 {
            write!(f, ".{:06}", nanos / 1000)?;
        }
        f.write_str("Z")
    }
}

impl serde::Serialize for WireDateTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(input: &str) -> Result<String, DateTimeFormatError> {
        WireDateTime::parse(input).map(|d| d.to_string())
    }

    #[test]
    fn display_writes_what_chrono_writes() {
        let chrono = |d: &WireDateTime| {
            if d.0.nanosecond() == 0 {
                d.0.format("%Y-%m-%dT%H:%M:%SZ").to_string()
            } else {
                d.0.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
            }
        };
        for input in [
            "2030-01-01T10:00:00Z",
            "0001-02-03T04:05:06Z",
            "9999-12-31T23:59:59.999999Z",
            "2020-06-07T08:09:10.000001Z",
            "2020-06-07T08:09:10.123456Z",
            "2020-06-07T08:09:10.5+02:00",
        ] {
            let d = WireDateTime::parse(input).expect(input);
            assert_eq!(d.to_string(), chrono(&d), "{input}");
        }
        assert_eq!(
            WireDateTime::parse("2020-06-07T08:09:10.5+02:00")
                .unwrap()
                .to_string(),
            "2020-06-07T06:09:10.500000Z"
        );
    }

    #[test]
    fn filters_also_take_a_date_or_a_date_and_hour() {
        let filter = |input: &str| WireDateTime::parse_filter(input).map(|d| d.to_string());
        assert_eq!(filter("2020-01-01").as_deref(), Ok("2020-01-01T00:00:00Z"));
        assert_eq!(
            filter(" 2020-01-01T05 ").as_deref(),
            Ok("2020-01-01T05:00:00Z")
        );
        assert_eq!(
            filter("2020-01-01 05").as_deref(),
            Ok("2020-01-01T05:00:00Z")
        );
        assert_eq!(
            filter("2020-01-01T06:00+01:00").as_deref(),
            Ok("2020-01-01T05:00:00Z")
        );
        for bad in [
            "2020",
            "01/01/2020",
            "2020-01-01T25",
            "2020-01-01Tab",
            "2020-13-01",
            "yesterday",
        ] {
            assert_eq!(filter(bad), Err(DateTimeFormatError), "{bad}");
        }
        // Request bodies stay strict.
        assert_eq!(round_trip("2020-01-01"), Err(DateTimeFormatError));
    }

    #[test]
    fn writes_utc_with_z_and_micros_only_when_set() {
        assert_eq!(
            round_trip("2017-12-27T10:00:00Z").as_deref(),
            Ok("2017-12-27T10:00:00Z")
        );
        assert_eq!(
            round_trip("2017-12-27T10:00:00.596934Z").as_deref(),
            Ok("2017-12-27T10:00:00.596934Z")
        );
        assert_eq!(
            round_trip("2017-12-27T10:00:00.5Z").as_deref(),
            Ok("2017-12-27T10:00:00.500000Z")
        );
    }

    #[test]
    fn converts_offsets_and_treats_naive_as_utc() {
        assert_eq!(
            round_trip("2017-12-27T10:00:00+02:00").as_deref(),
            Ok("2017-12-27T08:00:00Z")
        );
        assert_eq!(
            round_trip("2017-12-27T10:00-01:30").as_deref(),
            Ok("2017-12-27T11:30:00Z")
        );
        assert_eq!(
            round_trip("2017-12-27T10:00").as_deref(),
            Ok("2017-12-27T10:00:00Z")
        );
        assert_eq!(
            round_trip("2017-12-27 10:00:05").as_deref(),
            Ok("2017-12-27T10:00:05Z")
        );
    }

    #[test]
    fn rejects_dates_and_garbage() {
        for bad in [
            "2017-12-27",
            "yesterday",
            "",
            "2017-13-27T10:00:00Z",
            "2017-12-27T25:00:00Z",
            "2017-12-27T10:00:00+25:00",
            "2017-12-27T10Z",
            "2017-12-27T10:00:00.1234567Z",
            "2017-12-27T10:00:00Zjunk",
            "2017-12-27T10:00:00.Z",
        ] {
            assert_eq!(WireDateTime::parse(bad), Err(DateTimeFormatError), "{bad}");
        }
    }

    #[test]
    fn error_text_is_pretix_exact() {
        assert_eq!(
            DateTimeFormatError.to_string(),
            "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
        );
    }
}
