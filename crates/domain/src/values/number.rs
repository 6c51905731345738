//! A JSON number as text, the way pretix's string fields turn one into text: Python's `str()`
//! of what its JSON parser made of it.

use serde_json::Number;

/// The text of a JSON number as pretix stores it in a string field: an integer keeps every
/// digit as written (`100000000000000000000`), a number with a fraction or an exponent is a
/// float and reads as Python prints floats (`1e20` → `1e+20`, `2.50` → `2.5`).
///
/// ```
/// use presale_domain::values::number_text;
/// let n = |s: &str| serde_json::from_str::<serde_json::Number>(s).unwrap();
/// assert_eq!(number_text(&n("100000000000000000000")), "100000000000000000000");
/// assert_eq!(number_text(&n("1e20")), "1e+20");
/// assert_eq!(number_text(&n("2.50")), "2.5");
/// ```
pub fn number_text(n: &Number) -> String {
    let literal = n.to_string();
    let digits = literal.strip_prefix('-').unwrap_or(&literal);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return if digits.bytes().all(|b| b == b'0') {
            "0".to_owned()
        } else {
            literal
        };
    }
    match n.as_f64() {
        Some(f) => python_float(f),
        None => literal,
    }
}

/// Python's `repr` of a float: the shortest digits that read back the same, positional for
/// decimal exponents from -4 to 15, else `d.ddde±XX`.
fn python_float(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.into();
    }
    let scientific = format!("{f:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if (-4..16).contains(&exponent) {
        let point = usize::try_from(exponent + 1).unwrap_or(0);
        if exponent >= 0 {
            let whole = format!("{digits:0<point$}");
            let (int, frac) = whole.split_at(point);
            let frac = if frac.is_empty() { "0" } else { frac };
            format!("{sign}{int}.{frac}")
        } else {
            let zeros = "0".repeat(usize::try_from(-exponent - 1).unwrap_or(0));
            format!("{sign}0.{zeros}{digits}")
        }
    } else {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        let mantissa = if rest.is_empty() {
            first.to_owned()
        } else {
            format!("{first}.{rest}")
        };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        format!("{sign}{mantissa}e{exp_sign}{:02}", exponent.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> String {
        number_text(&serde_json::from_str::<Number>(s).unwrap())
    }

    #[test]
    fn integers_keep_their_digits_and_floats_read_as_python_prints_them() {
        for (json, python) in [
            ("100000000000000000000", "100000000000000000000"),
            (
                "-123456789012345678901234567890",
                "-123456789012345678901234567890",
            ),
            ("42", "42"),
            ("-0", "0"),
            ("1e20", "1e+20"),
            ("1E-5", "1e-05"),
            ("0.0001", "0.0001"),
            ("2.50", "2.5"),
            ("3.0", "3.0"),
            ("1e15", "1000000000000000.0"),
            ("1e16", "1e+16"),
            ("-1.25e-7", "-1.25e-07"),
            ("123.456", "123.456"),
            ("1.5e300", "1.5e+300"),
        ] {
            assert_eq!(text(json), python, "{json}");
        }
    }
}
