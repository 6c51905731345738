use std::fmt;

/// Slugs an event may not have, because pretix routes them itself.
pub const EVENT_RESERVED_SLUGS: &[&str] = &[
    "download",
    "healthcheck",
    "locale",
    "control",
    "redirect",
    "jsi18n",
    "metrics",
    "_global",
    "__debug__",
    "api",
    "events",
    "csp_report",
    "widget",
    "customer",
    "account",
    "lead",
    "accessibility",
];

const MAX_LEN: usize = 50;

/// A short name used in URLs, for organizers and events: at most 50 characters of letters,
/// digits, dots and dashes, starting and ending with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slug(String);

/// Why a string is not a slug.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error("This field may not be blank.")]
    Blank,
    #[error("Ensure this field has no more than 50 characters.")]
    TooLong,
    #[error("The slug may only contain letters, numbers, dots and dashes.")]
    InvalidCharacters,
    #[error("This field has an invalid value: {0}.")]
    Reserved(String),
}

impl Slug {
    /// Parses an organizer or event slug (without the event reserved-word check).
    pub fn parse(value: &str) -> Result<Self, SlugError> {
        if value.is_empty() {
            return Err(SlugError::Blank);
        }
        if value.chars().count() > MAX_LEN {
            return Err(SlugError::TooLong);
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-';
        let bytes = value.as_bytes();
        let edges_ok = bytes.first().is_some_and(u8::is_ascii_alphanumeric)
            && bytes.last().is_some_and(u8::is_ascii_alphanumeric);
        if !edges_ok || !value.chars().all(allowed) {
            return Err(SlugError::InvalidCharacters);
        }
        Ok(Slug(value.to_owned()))
    }

    /// Parses an event slug: a slug that is not one of [`EVENT_RESERVED_SLUGS`].
    pub fn parse_event(value: &str) -> Result<Self, SlugError> {
        if EVENT_RESERVED_SLUGS.contains(&value) {
            return Err(SlugError::Reserved(value.to_owned()));
        }
        Self::parse(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Slug {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_letters_digits_dots_dashes() {
        for ok in ["a", "sampleconf", "2024.conf-b", "A1", "x-y.z"] {
            assert_eq!(Slug::parse(ok).map(|s| s.to_string()), Ok(ok.to_owned()));
        }
    }

    #[test]
    fn rejects_bad_characters_and_edges() {
        for bad in ["-a", "a-", ".a", "a.", "a b", "ä", "a_b", "a/b"] {
            assert_eq!(Slug::parse(bad), Err(SlugError::InvalidCharacters), "{bad}");
        }
        assert_eq!(Slug::parse(""), Err(SlugError::Blank));
        assert_eq!(Slug::parse(&"a".repeat(51)), Err(SlugError::TooLong));
        assert!(Slug::parse(&"a".repeat(50)).is_ok());
    }

    #[test]
    fn reserved_event_slugs() {
        assert_eq!(
            Slug::parse_event("api").map_err(|e| e.to_string()),
            Err("This field has an invalid value: api.".to_owned())
        );
        assert_eq!(
            Slug::parse("api").map(|s| s.to_string()),
            Ok("api".to_owned())
        );
    }
}
