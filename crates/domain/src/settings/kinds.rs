//! Reading a setting's value from the wire, per [`Kind`], with pretix's messages.

use super::registry::Kind;
use super::reldate;
use crate::validation::python_type;
use crate::values::{I18nString, TimeZone};
use rust_decimal::Decimal;
use serde_json::Value;
use std::str::FromStr;
use validator::{ValidateEmail, ValidateUrl};

pub(crate) const NOT_BLANK: &str = "This field may not be blank.";
const NOT_A_STRING: &str = "Not a valid string.";
const INVALID_URL: &str = "Enter a valid URL.";
const INVALID_EMAIL: &str = "Enter a valid email address.";
const INVALID_BOOL: &str = "Must be a valid boolean.";
const INVALID_INT: &str = "A valid integer is required.";
const INVALID_NUMBER: &str = "A valid number is required.";
const INVALID_COLOR: &str = "Please enter the hexadecimal code of a color, e.g. #990000.";
const INVALID_RELDATE: &str = "Invalid relative date";

impl Kind {
    /// The value to store for `value` as sent: `Ok(Some(v))` sets `v`, `Ok(None)` removes
    /// the own value (`null`, and what pretix takes as empty), `Err` is the field's message.
    pub fn parse(&self, value: &Value) -> Result<Option<Value>, String> {
        if value.is_null() {
            return Ok(None);
        }
        let parsed = match *self {
            Kind::Bool => Value::Bool(boolean(value)?),
            Kind::Int { min, max } => Value::from(int_in(value, min, max)?),
            Kind::Text => Value::String(text(value)?),
            Kind::I18n => i18n(value)?.to_json(),
            Kind::Url => {
                let s = text(value).map_err(|e| invalid_type_as(e, INVALID_URL))?;
                if !is_url(&s) {
                    return Err(INVALID_URL.into());
                }
                Value::String(s)
            }
            Kind::I18nUrl => {
                let s = i18n(value)?;
                if s.entries().any(|(_, t)| !t.is_empty() && !is_url(t)) {
                    return Err(INVALID_URL.into());
                }
                s.to_json()
            }
            Kind::Email => {
                let s = text(value).map_err(|e| invalid_type_as(e, INVALID_EMAIL))?;
                if !is_email(&s) {
                    return Err(INVALID_EMAIL.into());
                }
                Value::String(s)
            }
            Kind::Color => {
                let s = text(value)?;
                let hex = s.strip_prefix('#').unwrap_or_default();
                if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(INVALID_COLOR.into());
                }
                Value::String(s)
            }
            Kind::Decimal { max_digits, places } => match decimal(value, max_digits, places)? {
                Some(d) => Value::String(d),
                None => return Ok(None),
            },
            Kind::RelativeDate => {
                let blank = match value {
                    Value::String(s) => s.trim().is_empty(),
                    _ => false,
                };
                if blank {
                    return Err(NOT_BLANK.into());
                }
                let s = value.as_str().ok_or(INVALID_RELDATE)?;
                Value::String(reldate::normalize(s).ok_or(INVALID_RELDATE)?)
            }
            Kind::Choice(choices) => Value::String(choice(value, choices)?),
            Kind::TimeZone => {
                let name = python_str(value);
                Value::from(TimeZone::parse(&name).map_err(|e| e.to_string())?.name())
            }
            Kind::ChoiceList(choices) => {
                // A dict counts as the list of its keys, as in Python.
                let keys: Vec<Value>;
                let items = match value {
                    Value::Array(items) => items,
                    Value::Object(map) => {
                        keys = map.keys().cloned().map(Value::String).collect();
                        &keys
                    }
                    other => {
                        return Err(format!(
                            "Expected a list of items but got type \"{}\".",
                            python_type(other)
                        ))
                    }
                };
                let mut out: Vec<String> = Vec::with_capacity(items.len());
                for item in items {
                    let c = choice(item, choices)?;
                    if !out.contains(&c) {
                        out.push(c);
                    }
                }
                Value::from(out)
            }
        };
        Ok(Some(parsed))
    }
}

/// DRF's URL and e-mail fields report a value of the wrong type with their own message.
fn invalid_type_as(message: String, invalid: &str) -> String {
    if message == NOT_A_STRING {
        invalid.to_owned()
    } else {
        message
    }
}

/// `str(value)` as Python would print it in a message.
fn python_str(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => "None".into(),
        other => other.to_string(),
    }
}

fn boolean(value: &Value) -> Result<bool, String> {
    const TRUE: &[&str] = &["true", "1", "yes", "y", "on", "t"];
    const FALSE: &[&str] = &["false", "0", "no", "n", "off", "f"];
    match value {
        Value::Bool(b) => Ok(*b),
        Value::Number(n) if n.as_i64() == Some(1) => Ok(true),
        Value::Number(n) if n.as_i64() == Some(0) => Ok(false),
        Value::String(s) if TRUE.contains(&s.to_lowercase().as_str()) => Ok(true),
        Value::String(s) if FALSE.contains(&s.to_lowercase().as_str()) => Ok(false),
        _ => Err(INVALID_BOOL.into()),
    }
}

/// DRF's IntegerField: an integer, or its text; `"3.0"` and `3.0` are 3, `1.5` is not.
fn int_in(value: &Value, min: i64, max: i64) -> Result<i64, String> {
    let text = match value {
        Value::Number(n) => crate::values::number_text(n),
        Value::String(s) => s.clone(),
        _ => return Err(INVALID_INT.into()),
    };
    let trimmed = text.trim();
    let digits = match trimmed.split_once('.') {
        Some((whole, zeros)) if zeros.bytes().all(|b| b == b'0') => whole,
        _ => trimmed,
    };
    let n: i64 = digits.parse().map_err(|_| INVALID_INT.to_owned())?;
    if n < min {
        return Err(format!(
            "Ensure this value is greater than or equal to {min}."
        ));
    }
    if n > max {
        return Err(format!("Ensure this value is less than or equal to {max}."));
    }
    Ok(n)
}

/// DRF's CharField: a string or number, trimmed, not blank.
fn text(value: &Value) -> Result<String, String> {
    let s = match value {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => crate::values::number_text(n),
        _ => return Err(NOT_A_STRING.into()),
    };
    if s.is_empty() {
        return Err(NOT_BLANK.into());
    }
    Ok(s)
}

fn i18n(value: &Value) -> Result<I18nString, String> {
    I18nString::from_json(value).map_err(|e| e.to_string())
}

fn choice(value: &Value, choices: &[&str]) -> Result<String, String> {
    let s = python_str(value);
    if choices.contains(&s.as_str()) {
        Ok(s)
    } else {
        Err(format!("\"{s}\" is not a valid choice."))
    }
}

/// DRF's DecimalField: the value with `places` decimals; `""` removes the own value.
fn decimal(value: &Value, max_digits: u32, places: u32) -> Result<Option<String>, String> {
    let text = match value {
        Value::Number(n) => crate::values::number_text(n),
        Value::String(s) => s.trim().to_owned(),
        _ => return Err(INVALID_NUMBER.into()),
    };
    if text.is_empty() {
        return Ok(None);
    }
    let d = Decimal::from_str(&text).map_err(|_| INVALID_NUMBER.to_owned())?;
    // Python's Decimal digit counting: the digits of the coefficient and the exponent.
    let coefficient = d.mantissa().unsigned_abs().to_string().len() as u32;
    let scale = d.scale();
    let (digits, decimals) = if scale > coefficient {
        (scale, scale)
    } else {
        (coefficient, scale)
    };
    let whole = max_digits - places;
    if digits > max_digits {
        return Err(format!(
            "Ensure that there are no more than {max_digits} digits in total."
        ));
    }
    if decimals > places {
        return Err(format!(
            "Ensure that there are no more than {places} decimal places."
        ));
    }
    if digits - decimals > whole {
        return Err(format!(
            "Ensure that there are no more than {whole} digits before the decimal point."
        ));
    }
    Ok(Some(format!("{:.*}", places as usize, d)))
}

/// A URL as Django's URLValidator takes it: `validator`'s check, plus a scheme of `http`,
/// `https`, `ftp` or `ftps`, no whitespace, and a host that is `localhost`, an IP address or
/// a domain name with a top-level domain.
pub(crate) fn is_url(s: &str) -> bool {
    if !s.validate_url() || s.chars().any(char::is_whitespace) {
        return false;
    }
    let Some((scheme, rest)) = s.split_once("://") else {
        return false;
    };
    if !["http", "https", "ftp", "ftps"].contains(&scheme.to_ascii_lowercase().as_str()) {
        return false;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        match v6.split_once(']') {
            Some((addr, port))
                if port.is_empty() || port.strip_prefix(':').is_some_and(valid_port) =>
            {
                return addr.parse::<std::net::Ipv6Addr>().is_ok();
            }
            _ => return false,
        }
    } else {
        match host_port.split_once(':') {
            Some((h, port)) if valid_port(port) => h,
            Some(_) => return false,
            None => host_port,
        }
    };
    let host = host.to_lowercase();
    host == "localhost" || host.parse::<std::net::Ipv4Addr>().is_ok() || is_domain(&host)
}

/// A port's digits (after the colon): one to five of them.
fn valid_port(port: &str) -> bool {
    (1..=5).contains(&port.len()) && port.bytes().all(|b| b.is_ascii_digit())
}

/// Labels of letters, digits and inner hyphens, and a top-level domain of at least two
/// letters (or `xn--...`); a trailing dot is allowed.
fn is_domain(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    let labels: Vec<&str> = host.split('.').collect();
    let Some((tld, rest)) = labels.split_last() else {
        return false;
    };
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.chars().count() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    let tld_ok = (tld.starts_with("xn--") && label_ok(tld))
        || (tld.chars().count() >= 2 && label_ok(tld) && tld.chars().all(|c| !c.is_ascii_digit()));
    !rest.is_empty() && rest.iter().all(|l| label_ok(l)) && tld_ok
}

/// An address as Django's EmailValidator takes it: `validator`'s check, plus a domain that
/// is `localhost`, an address literal, or has a top-level domain of two or more characters.
pub(crate) fn is_email(s: &str) -> bool {
    if !s.validate_email() {
        return false;
    }
    let domain = s.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
    if domain == "localhost" || domain.starts_with('[') {
        return true;
    }
    match domain.rsplit_once('.') {
        Some((_, tld)) => tld.chars().count() >= 2 && !tld.ends_with('-'),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::LANGUAGES;
    use serde_json::json;

    fn parse(kind: Kind, v: Value) -> Result<Option<Value>, String> {
        kind.parse(&v)
    }

    #[test]
    fn booleans() {
        for v in [
            json!(true),
            json!(1),
            json!("yes"),
            json!("On"),
            json!("TRUE"),
        ] {
            assert_eq!(parse(Kind::Bool, v), Ok(Some(json!(true))));
        }
        for v in [
            json!(false),
            json!(0),
            json!("no"),
            json!("off"),
            json!("false"),
        ] {
            assert_eq!(parse(Kind::Bool, v), Ok(Some(json!(false))));
        }
        for v in [json!(2), json!("maybe"), json!(""), json!([])] {
            assert_eq!(parse(Kind::Bool, v), Err(INVALID_BOOL.into()));
        }
    }

    #[test]
    fn integers_like_drf() {
        let k = Kind::Int { min: 1, max: 500 };
        assert_eq!(parse(k, json!(12)), Ok(Some(json!(12))));
        assert_eq!(parse(k, json!("12")), Ok(Some(json!(12))));
        assert_eq!(parse(k, json!("3.0")), Ok(Some(json!(3))));
        assert_eq!(parse(k, json!(3.0)), Ok(Some(json!(3))));
        for bad in [
            json!(1.5),
            json!("abc"),
            json!(""),
            json!(true),
            json!("1e3"),
        ] {
            assert_eq!(parse(k, bad), Err(INVALID_INT.into()));
        }
        assert_eq!(
            parse(k, json!(0)),
            Err("Ensure this value is greater than or equal to 1.".into())
        );
        assert_eq!(
            parse(k, json!(501)),
            Err("Ensure this value is less than or equal to 500.".into())
        );
    }

    #[test]
    fn texts_are_trimmed_and_not_blank() {
        assert_eq!(parse(Kind::Text, json!("  x ")), Ok(Some(json!("x"))));
        assert_eq!(parse(Kind::Text, json!(5)), Ok(Some(json!("5"))));
        assert_eq!(parse(Kind::Text, json!("  ")), Err(NOT_BLANK.into()));
        assert_eq!(parse(Kind::Text, json!(true)), Err(NOT_A_STRING.into()));
        assert_eq!(parse(Kind::Text, json!(["a"])), Err(NOT_A_STRING.into()));
    }

    #[test]
    fn urls_like_django() {
        for ok in [
            "https://example.org/imprint/",
            "ftp://example.com",
            "http://localhost",
            "http://1.2.3.4:80/x",
            "http://[::1]:8080/",
            "HTTPS://user:pw@sub.example.co.uk/path?q=1#f",
            "http://xn--bcher-kva.example",
        ] {
            assert!(is_url(ok), "{ok}");
        }
        for bad in [
            "nope",
            "example.com",
            "mailto:a@b.com",
            "http://foo",
            "https://ex ample.org",
            "javascript://example.com",
            "http://example.c0m",
            "http://-a.com",
            "http://a.com:abc/",
        ] {
            assert!(!is_url(bad), "{bad}");
        }
        assert_eq!(parse(Kind::Url, json!("nope")), Err(INVALID_URL.into()));
        assert_eq!(parse(Kind::Url, json!("")), Err(NOT_BLANK.into()));
    }

    #[test]
    fn multilingual_urls() {
        assert_eq!(
            parse(Kind::I18nUrl, json!("https://a.com")),
            Ok(Some(json!({"en": "https://a.com"})))
        );
        assert_eq!(parse(Kind::I18nUrl, json!("")), Ok(Some(json!({"en": ""}))));
        assert_eq!(
            parse(
                Kind::I18nUrl,
                json!({"de": "https://a.de", "en": "https://a.com"})
            ),
            Ok(Some(json!({"de": "https://a.de", "en": "https://a.com"})))
        );
        assert_eq!(
            parse(Kind::I18nUrl, json!({"de": "nope", "en": "https://a.com"})),
            Err(INVALID_URL.into())
        );
        assert_eq!(
            parse(Kind::I18nUrl, json!({"xx": "https://a.com"})),
            Err("Invalid languages included.".into())
        );
        assert_eq!(
            parse(Kind::I18nUrl, json!(5)),
            Err("Invalid data type.".into())
        );
    }

    #[test]
    fn emails_like_django() {
        for ok in [
            "a@b.co",
            "a@localhost",
            "first.last+tag@example.org",
            "a@[127.0.0.1]",
        ] {
            assert!(is_email(ok), "{ok}");
        }
        for bad in ["a@b", "a@b.c", "a b@c.de", "nope", "@example.org"] {
            assert!(!is_email(bad), "{bad}");
        }
        assert_eq!(parse(Kind::Email, json!("nope")), Err(INVALID_EMAIL.into()));
        assert_eq!(parse(Kind::Email, json!("")), Err(NOT_BLANK.into()));
        assert_eq!(parse(Kind::Email, json!(true)), Err(INVALID_EMAIL.into()));
        assert_eq!(parse(Kind::Url, json!([])), Err(INVALID_URL.into()));
    }

    #[test]
    fn colours() {
        assert_eq!(
            parse(Kind::Color, json!("#8E44b3")),
            Ok(Some(json!("#8E44b3")))
        );
        for bad in ["red", "#12345", "#1234567", "8E44B3", "#GGGGGG"] {
            assert_eq!(
                parse(Kind::Color, json!(bad)),
                Err(INVALID_COLOR.into()),
                "{bad}"
            );
        }
    }

    #[test]
    fn decimals_like_drf() {
        let k = Kind::Decimal {
            max_digits: 13,
            places: 2,
        };
        assert_eq!(parse(k, json!("12.5")), Ok(Some(json!("12.50"))));
        assert_eq!(parse(k, json!(12.5)), Ok(Some(json!("12.50"))));
        assert_eq!(parse(k, json!("-1")), Ok(Some(json!("-1.00"))));
        assert_eq!(parse(k, json!("")), Ok(None));
        assert_eq!(parse(k, json!("abc")), Err(INVALID_NUMBER.into()));
        assert_eq!(parse(k, json!(true)), Err(INVALID_NUMBER.into()));
        assert_eq!(
            parse(k, json!("1.234")),
            Err("Ensure that there are no more than 2 decimal places.".into())
        );
        assert_eq!(
            parse(k, json!("12345678901234")),
            Err("Ensure that there are no more than 13 digits in total.".into())
        );
        assert_eq!(
            parse(k, json!("123456789012")),
            Err("Ensure that there are no more than 11 digits before the decimal point.".into())
        );
    }

    #[test]
    fn relative_dates() {
        let k = Kind::RelativeDate;
        assert_eq!(
            parse(k, json!("RELDATE/3/-/date_from/")),
            Ok(Some(json!("RELDATE/3/-/event__date_from/")))
        );
        assert_eq!(parse(k, json!("garbage")), Err(INVALID_RELDATE.into()));
        assert_eq!(parse(k, json!(5)), Err(INVALID_RELDATE.into()));
        assert_eq!(parse(k, json!(" ")), Err(NOT_BLANK.into()));
    }

    #[test]
    fn choices_and_lists() {
        let one = Kind::Choice(LANGUAGES);
        assert_eq!(parse(one, json!("de")), Ok(Some(json!("de"))));
        assert_eq!(
            parse(one, json!("xx")),
            Err("\"xx\" is not a valid choice.".into())
        );
        assert_eq!(
            parse(one, json!("")),
            Err("\"\" is not a valid choice.".into())
        );
        assert_eq!(
            parse(one, json!(true)),
            Err("\"True\" is not a valid choice.".into())
        );
        let list = Kind::ChoiceList(LANGUAGES);
        assert_eq!(
            parse(list, json!(["en", "de", "en"])),
            Ok(Some(json!(["en", "de"])))
        );
        assert_eq!(parse(list, json!([])), Ok(Some(json!([]))));
        assert_eq!(parse(list, json!({"en": 1})), Ok(Some(json!(["en"]))));
        assert_eq!(
            parse(list, json!("en")),
            Err("Expected a list of items but got type \"str\".".into())
        );
        assert_eq!(
            parse(list, json!([5])),
            Err("\"5\" is not a valid choice.".into())
        );
    }

    #[test]
    fn time_zones() {
        assert_eq!(
            parse(Kind::TimeZone, json!("Europe/Berlin")),
            Ok(Some(json!("Europe/Berlin")))
        );
        assert_eq!(
            parse(Kind::TimeZone, json!("Foo/Bar")),
            Err("\"Foo/Bar\" is not a valid choice.".into())
        );
    }

    #[test]
    fn null_removes() {
        assert_eq!(parse(Kind::Bool, Value::Null), Ok(None));
    }
}
