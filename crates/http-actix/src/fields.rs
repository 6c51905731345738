//! Reading single JSON fields the way pretix's serializer fields read them, with its
//! messages.

pub(crate) use presale_domain::validation::python_type;
use presale_domain::validation::FieldErrors;
use presale_domain::values::{number_text, I18nString, Money, MoneyError, WireDateTime};
use serde_json::{Map, Value};

pub(crate) const NOT_NULL: &str = "This field may not be null.";
pub(crate) const NOT_BLANK: &str = "This field may not be blank.";

pub(crate) use presale_domain::validation::REQUIRED;
const INVALID_INTEGER: &str = "A valid integer is required.";

/// A string field: numbers become their text, surrounding whitespace is trimmed, an empty
/// result is refused unless `allow_blank`, and NUL characters (which PostgreSQL cannot store)
/// are refused.
pub fn string(value: &Value, allow_blank: bool) -> Result<String, &'static str> {
    let text = match value {
        Value::Null => return Err(NOT_NULL),
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => number_text(n),
        _ => return Err("Not a valid string."),
    };
    if text.is_empty() && !allow_blank {
        Err(NOT_BLANK)
    } else if text.contains('\0') {
        Err("Null characters are not allowed.")
    } else {
        Ok(text)
    }
}

/// A boolean: `true/false`, `1/0`, or the words `true/false`, `yes/no`, `on/off`, `1/0`
/// (docs/api-compatibility.md; case-insensitive, as form-encoded Python clients send `True`).
pub fn boolean(value: &Value) -> Result<bool, &'static str> {
    const INVALID: &str = "Must be a valid boolean.";
    match value {
        Value::Null => Err(NOT_NULL),
        Value::Bool(b) => Ok(*b),
        Value::Number(n) => match n.as_f64() {
            Some(1.0) => Ok(true),
            Some(0.0) => Ok(false),
            _ => Err(INVALID),
        },
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok(true),
            "false" | "no" | "off" | "0" => Ok(false),
            _ => Err(INVALID),
        },
        _ => Err(INVALID),
    }
}

/// An integer: a JSON integer, a float without fraction, or the text of one (`" 4 "`,
/// `"3.0"`). Values beyond `i64` saturate, so that range checks report them.
pub fn integer(value: &Value) -> Result<i64, &'static str> {
    match value {
        Value::Null => Err(NOT_NULL),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(i)
            } else if n.as_u64().is_some() {
                Ok(i64::MAX)
            } else {
                // Python writes floats from 1e16 on in exponent form, which int() refuses.
                match n.as_f64() {
                    Some(x) if x.fract() == 0.0 && x.abs() < 1e16 => Ok(x as i64),
                    _ => Err(INVALID_INTEGER),
                }
            }
        }
        Value::String(s) => integer_text(s),
        _ => Err(INVALID_INTEGER),
    }
}

fn integer_text(text: &str) -> Result<i64, &'static str> {
    if text.chars().count() > 1000 {
        return Err("String value too large.");
    }
    let mut t = text.trim();
    if let Some(dot) = t.rfind('.') {
        if t[dot + 1..].bytes().all(|b| b == b'0') {
            t = t[..dot].trim();
        }
    }
    let (negative, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(INVALID_INTEGER);
    }
    Ok(match (digits.parse::<i64>(), negative) {
        (Ok(v), false) => v,
        (Ok(v), true) => -v,
        (Err(_), false) => i64::MAX,
        (Err(_), true) => i64::MIN,
    })
}

/// A datetime in the wire format; `null` only where `nullable`.
pub(crate) fn datetime(value: &Value, nullable: bool) -> Result<Option<WireDateTime>, String> {
    match value {
        Value::Null if nullable => Ok(None),
        Value::Null => Err(NOT_NULL.into()),
        Value::String(s) => WireDateTime::parse(s).map(Some).map_err(|e| e.to_string()),
        _ => Err(presale_domain::values::DateTimeFormatError.to_string()),
    }
}

/// A multilingual string; `null` only where `nullable`.
pub(crate) fn i18n(value: &Value, nullable: bool) -> Result<Option<I18nString>, String> {
    match value {
        Value::Null if nullable => Ok(None),
        Value::Null => Err(NOT_NULL.into()),
        v => I18nString::from_json(v)
            .map(Some)
            .map_err(|e| e.to_string()),
    }
}

/// A datetime in the wire format that may not be `null`.
pub(crate) fn required_datetime(value: &Value) -> Result<WireDateTime, String> {
    datetime(value, false)?.ok_or_else(|| NOT_NULL.to_owned())
}

/// A multilingual string that may not be `null`.
pub(crate) fn required_i18n(value: &Value) -> Result<I18nString, String> {
    i18n(value, false)?.ok_or_else(|| NOT_NULL.to_owned())
}

/// A float within `[min, max]`; `null` allowed.
pub(crate) fn float_in(value: &Value, min: f64, max: f64) -> Result<Option<f64>, String> {
    let n = match value {
        Value::Null => return Ok(None),
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
    .ok_or_else(|| "A valid number is required.".to_owned())?;
    let show = |f: f64| {
        if f.fract() == 0.0 {
            format!("{f:.0}")
        } else {
            f.to_string()
        }
    };
    if n < min {
        return Err(format!(
            "Ensure this value is greater than or equal to {}.",
            show(min)
        ));
    }
    if n > max {
        return Err(format!(
            "Ensure this value is less than or equal to {}.",
            show(max)
        ));
    }
    Ok(Some(n))
}

/// A list of strings, or the message for the field.
pub fn string_list(value: &Value) -> Result<Vec<String>, String> {
    match value {
        Value::Null => Err(NOT_NULL.into()),
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(number_text(n)),
                other => Err(format!("Not a valid string. Got {}.", python_type(other))),
            })
            .collect(),
        other => Err(format!(
            "Expected a list of items but got type \"{}\".",
            python_type(other)
        )),
    }
}

/// A value as Python's `str()` shows it after JSON parsing (`True`, `None`, `{'a': 1}`), as
/// pretix's messages quote what was sent.
pub(crate) fn python_str(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => python_repr(other),
    }
}

fn python_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => number_text(n),
        Value::String(s) if s.contains('\'') && !s.contains('"') => {
            format!("\"{}\"", s.replace('\\', "\\\\"))
        }
        Value::String(s) => {
            let escaped = s.replace('\\', "\\\\").replace('\'', "\\'");
            format!("'{escaped}'")
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(python_repr).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let items: Vec<String> = map
                .iter()
                .map(|(k, v)| {
                    let key = python_repr(&Value::String(k.clone()));
                    format!("{key}: {}", python_repr(v))
                })
                .collect();
            format!("{{{}}}", items.join(", "))
        }
    }
}

/// A list of slugs as DRF's `SlugRelatedField(many=True)` reads it: any element is looked
/// up by its Python text (so `1` and `true` name the slugs `1` and `True`); the caller
/// reports one that names nothing with `Object with slug=<text> does not exist.`.
pub(crate) fn slug_list(value: &Value) -> Result<Vec<String>, String> {
    match value {
        Value::Null => Err(NOT_NULL.into()),
        Value::Array(items) => items
            .iter()
            .map(|v| match python_str(v) {
                s if s.contains('\0') => Err("Null characters are not allowed.".to_owned()),
                s => Ok(s),
            })
            .collect(),
        other => Err(format!(
            "Expected a list of items but got type \"{}\".",
            python_type(other)
        )),
    }
}

/// An object of string values, in the order sent.
pub(crate) fn string_map(value: &Value) -> Result<Vec<(String, String)>, String> {
    match value {
        Value::Null => Err(NOT_NULL.into()),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                string(v, true)
                    .map(|s| (k.clone(), s))
                    .map_err(str::to_owned)
            })
            .collect(),
        other => Err(format!(
            "Expected a dictionary of items but got type \"{}\".",
            python_type(other)
        )),
    }
}

/// A primary key as DRF's `PrimaryKeyRelatedField` reads it: an integer, a float without
/// fraction, or the text of an integer; anything else that is a number or `null` names no
/// object (`Invalid pk "1.5" - object does not exist.`), other types are refused with their
/// Python type name. `null` for a nullable field is the caller's business.
pub(crate) fn pk(value: &Value) -> Result<i64, String> {
    let unknown = |shown: &str| format!("Invalid pk \"{shown}\" - object does not exist.");
    match value {
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Ok(i),
            (None, Some(x)) if x.fract() == 0.0 && x.abs() < 9e15 => Ok(x as i64),
            _ => Err(unknown(&number_text(n))),
        },
        Value::String(s) => {
            let t = s.trim();
            if !t.is_empty()
                && t.strip_prefix('-')
                    .unwrap_or(t)
                    .bytes()
                    .all(|b| b.is_ascii_digit())
            {
                t.parse::<i64>().map_err(|_| unknown(t))
            } else {
                Err("Incorrect type. Expected pk value, received str.".into())
            }
        }
        Value::Null => Err(unknown("None")),
        other => Err(format!(
            "Incorrect type. Expected pk value, received {}.",
            python_type(other)
        )),
    }
}

/// A list of primary keys (see [`pk`]), as sent; the first bad element gives the message.
pub(crate) fn pk_list(value: &Value) -> Result<Vec<i64>, String> {
    match value {
        Value::Null => Err(NOT_NULL.into()),
        Value::Array(items) => items.iter().map(pk).collect(),
        other => Err(format!(
            "Expected a list of items but got type \"{}\".",
            python_type(other)
        )),
    }
}

/// A money amount as pretix's decimal fields read it ([`Money::parse`]): the text of a
/// number, or a JSON number (read as Python prints it).
pub(crate) fn money(value: &Value) -> Result<Money, String> {
    match value {
        Value::Null => Err(NOT_NULL.into()),
        Value::String(s) => Money::parse(s).map_err(|e| e.to_string()),
        Value::Number(n) => Money::parse(&number_text(n)).map_err(|e| e.to_string()),
        _ => Err(MoneyError::NotANumber.to_string()),
    }
}

/// A money amount that may be `null`; text that is empty or blank is `null` too, as pretix
/// reads its nullable prices.
pub(crate) fn nullable_money(value: &Value) -> Result<Option<Money>, String> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        v => money(v).map(Some),
    }
}

/// The text a DRF `ChoiceField` compares with its choices: a string as sent (not trimmed),
/// a number's or boolean's Python text; the caller reports an unknown one as
/// `"<text>" is not a valid choice.`.
pub(crate) fn choice(value: &Value) -> Result<String, &'static str> {
    match value {
        Value::Null => Err(NOT_NULL),
        Value::String(s) => Ok(s.clone()),
        Value::Bool(true) => Ok("True".into()),
        Value::Bool(false) => Ok("False".into()),
        other => Ok(other.to_string()),
    }
}

/// Reads the fields of a request body one by one, collecting the first error of each.
pub(crate) struct FieldReader<'a> {
    body: &'a Map<String, Value>,
    pub errors: FieldErrors,
}

impl<'a> FieldReader<'a> {
    pub(crate) fn new(body: &'a Map<String, Value>) -> Self {
        FieldReader {
            body,
            errors: FieldErrors::new(),
        }
    }

    /// The parsed field if it was sent and valid; a sent but invalid field records its
    /// error and gives `None`, like an absent one.
    pub(crate) fn read<T, E: Into<String>>(
        &mut self,
        field: &str,
        parse: impl FnOnce(&Value) -> Result<T, E>,
    ) -> Option<T> {
        let value = self.body.get(field)?;
        match parse(value) {
            Ok(v) => Some(v),
            Err(msg) => {
                self.errors.add(field, msg.into());
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn string_lists_and_their_errors() {
        assert_eq!(
            string_list(&json!(["a", "b"])),
            Ok(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            string_list(&json!("a")),
            Err("Expected a list of items but got type \"str\".".into())
        );
        assert_eq!(
            string_list(&json!(null)),
            Err("This field may not be null.".into())
        );
        assert_eq!(
            string_list(&json!({"a": 1})),
            Err("Expected a list of items but got type \"dict\".".into())
        );
    }

    #[test]
    fn primary_keys_as_drf_reads_them() {
        assert_eq!(pk(&json!(7)), Ok(7));
        assert_eq!(pk(&json!(7.0)), Ok(7));
        assert_eq!(pk(&json!(" 7 ")), Ok(7));
        assert_eq!(pk(&json!(-1)), Ok(-1));
        assert_eq!(
            pk(&json!(1.5)),
            Err("Invalid pk \"1.5\" - object does not exist.".into())
        );
        assert_eq!(
            pk(&json!(null)),
            Err("Invalid pk \"None\" - object does not exist.".into())
        );
        for (v, kind) in [
            (json!("a"), "str"),
            (json!(""), "str"),
            (json!(true), "bool"),
            (json!({}), "dict"),
            (json!([]), "list"),
        ] {
            assert_eq!(
                pk(&v),
                Err(format!(
                    "Incorrect type. Expected pk value, received {kind}."
                )),
                "{v}"
            );
        }
        assert_eq!(pk_list(&json!([3, "4"])), Ok(vec![3, 4]));
        assert_eq!(
            pk_list(&json!([3, true])),
            Err("Incorrect type. Expected pk value, received bool.".into())
        );
        assert_eq!(
            pk_list(&json!("3")),
            Err("Expected a list of items but got type \"str\".".into())
        );
        assert_eq!(pk_list(&json!(null)), Err(NOT_NULL.into()));
    }

    #[test]
    fn slug_lists_quote_values_as_python_shows_them() {
        assert_eq!(
            slug_list(&json!(["a", 1, 1.5, true, null, {"a": 1}, ["x'"]])),
            Ok(vec![
                "a".into(),
                "1".into(),
                "1.5".into(),
                "True".into(),
                "None".into(),
                "{'a': 1}".into(),
                "[\"x'\"]".into(),
            ])
        );
        assert_eq!(
            slug_list(&json!("min")),
            Err("Expected a list of items but got type \"str\".".into())
        );
        assert_eq!(slug_list(&json!(null)), Err(NOT_NULL.into()));
    }

    #[test]
    fn floats_with_ranges() {
        assert_eq!(float_in(&json!(52.5), -90.0, 90.0), Ok(Some(52.5)));
        assert_eq!(float_in(&json!("13.4"), -180.0, 180.0), Ok(Some(13.4)));
        assert_eq!(float_in(&json!(null), -90.0, 90.0), Ok(None));
        assert_eq!(
            float_in(&json!(100), -90.0, 90.0),
            Err("Ensure this value is less than or equal to 90.".into())
        );
        assert_eq!(
            float_in(&json!(-181), -180.0, 180.0),
            Err("Ensure this value is greater than or equal to -180.".into())
        );
        assert_eq!(
            float_in(&json!("a"), -90.0, 90.0),
            Err("A valid number is required.".into())
        );
    }

    #[test]
    fn strings_are_trimmed_numbers_accepted_others_refused() {
        assert_eq!(string(&json!("  a b "), false), Ok("a b".into()));
        assert_eq!(string(&json!(5), false), Ok("5".into()));
        assert_eq!(string(&json!(1.5), false), Ok("1.5".into()));
        assert_eq!(string(&json!(""), true), Ok(String::new()));
        assert_eq!(string(&json!("   "), false), Err(NOT_BLANK));
        assert_eq!(string(&json!(null), true), Err(NOT_NULL));
        assert_eq!(string(&json!(true), true), Err("Not a valid string."));
        assert_eq!(string(&json!({}), true), Err("Not a valid string."));
        assert_eq!(string(&json!([]), true), Err("Not a valid string."));
        assert_eq!(
            string(&json!("a\u{0}b"), true),
            Err("Null characters are not allowed.")
        );
    }

    #[test]
    fn booleans_take_the_documented_spellings_only() {
        for v in [
            json!(true),
            json!(1),
            json!("true"),
            json!("True"),
            json!("yes"),
            json!("ON"),
            json!("1"),
        ] {
            assert_eq!(boolean(&v), Ok(true), "{v}");
        }
        for v in [
            json!(false),
            json!(0),
            json!("false"),
            json!("no"),
            json!("off"),
            json!("0"),
        ] {
            assert_eq!(boolean(&v), Ok(false), "{v}");
        }
        for v in [
            json!(2),
            json!("y"),
            json!("t"),
            json!(""),
            json!([]),
            json!({}),
        ] {
            assert_eq!(boolean(&v), Err("Must be a valid boolean."), "{v}");
        }
        assert_eq!(boolean(&json!(null)), Err(NOT_NULL));
    }

    #[test]
    fn money_as_pretix_reads_it() {
        let shown = |v: Value| money(&v).map(|m| m.to_string());
        assert_eq!(shown(json!("23.4")), Ok("23.40".into()));
        assert_eq!(shown(json!(12.5)), Ok("12.50".into()));
        assert_eq!(shown(json!(7)), Ok("7.00".into()));
        assert_eq!(shown(json!(" 5 ")), Ok("5.00".into()));
        assert_eq!(shown(json!(null)), Err(NOT_NULL.into()));
        for v in [json!(""), json!(true), json!([]), json!({}), json!("x")] {
            assert_eq!(
                shown(v.clone()),
                Err("A valid number is required.".into()),
                "{v}"
            );
        }
        assert_eq!(
            shown(json!(1e20)),
            Err("Ensure that there are no more than 13 digits in total.".into())
        );
        assert_eq!(
            shown(json!(1.239)),
            Err("Ensure that there are no more than 2 decimal places.".into())
        );
        assert_eq!(nullable_money(&json!(null)), Ok(None));
        assert_eq!(nullable_money(&json!("  ")), Ok(None));
        assert_eq!(
            nullable_money(&json!("2.5")).map(|m| m.map(|m| m.to_string())),
            Ok(Some("2.50".into()))
        );
        assert_eq!(
            nullable_money(&json!(false)),
            Err("A valid number is required.".into())
        );
    }

    #[test]
    fn integers_as_drf_reads_them() {
        assert_eq!(integer(&json!(7)), Ok(7));
        assert_eq!(integer(&json!(-7)), Ok(-7));
        assert_eq!(integer(&json!(3.0)), Ok(3));
        assert_eq!(integer(&json!("3.0")), Ok(3));
        assert_eq!(integer(&json!(" 4 ")), Ok(4));
        assert_eq!(integer(&json!("+5")), Ok(5));
        assert_eq!(integer(&json!(u64::MAX)), Ok(i64::MAX));
        assert_eq!(integer(&json!("99999999999999999999")), Ok(i64::MAX));
        assert_eq!(integer(&json!("-99999999999999999999")), Ok(i64::MIN));
        for v in [
            json!(1.5),
            json!(1e20),
            json!("1.5"),
            json!("abc"),
            json!(""),
            json!(true),
            json!([]),
        ] {
            assert_eq!(integer(&v), Err(INVALID_INTEGER), "{v}");
        }
        assert_eq!(
            integer(&json!("1".repeat(1001))),
            Err("String value too large.")
        );
        assert_eq!(integer(&json!(null)), Err(NOT_NULL));
    }
}
