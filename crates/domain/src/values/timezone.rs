use std::fmt;
use std::str::FromStr;

/// An IANA time zone name such as `Europe/Berlin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(chrono_tz::Tz);

/// Not a known IANA time zone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not a valid choice.")]
pub struct TimeZoneError(pub String);

impl TimeZone {
    pub const UTC: TimeZone = TimeZone(chrono_tz::Tz::UTC);

    pub fn parse(name: &str) -> Result<Self, TimeZoneError> {
        chrono_tz::Tz::from_str(name)
            .map(TimeZone)
            .map_err(|_| TimeZoneError(name.to_owned()))
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    pub fn tz(&self) -> chrono_tz::Tz {
        self.0
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_iana_names() {
        assert_eq!(
            TimeZone::parse("Europe/Berlin").map(|t| t.name()),
            Ok("Europe/Berlin")
        );
        assert_eq!(TimeZone::parse("UTC"), Ok(TimeZone::UTC));
        assert_eq!(
            TimeZone::parse("Foo/Bar").map_err(|e| e.to_string()),
            Err("\"Foo/Bar\" is not a valid choice.".to_owned())
        );
    }
}
