use rust_decimal::Decimal;
use std::fmt;

/// An amount of money, exact, shown with two decimals (`"23.40"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(Decimal);

/// Not a decimal amount with at most two decimal places.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("A valid number is required.")]
    NotANumber,
    #[error("Ensure that there are no more than 2 decimal places.")]
    TooManyDecimals,
    #[error("Ensure that there are no more than 13 digits in total.")]
    TooManyDigits,
    #[error("Ensure that there are no more than 11 digits before the decimal point.")]
    TooManyWholeDigits,
    #[error("String value too large.")]
    TooLong,
}

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// Parses a decimal string such as `"23.4"`, `"-1"` or `"1e3"` the way pretix's money
    /// fields (`max_digits=13, decimal_places=2`) read it: surrounding whitespace is ignored,
    /// the digits are counted as written (`"1.230"` has three decimal places), and the checks
    /// run in pretix's order (total digits, decimal places, digits before the point).
    pub fn parse(value: &str) -> Result<Self, MoneyError> {
        let text = value.trim();
        if text.chars().count() > 1000 {
            return Err(MoneyError::TooLong);
        }
        let (negative, coefficient, exponent) =
            python_decimal(text).ok_or(MoneyError::NotANumber)?;
        let digits = i64::try_from(coefficient.len()).unwrap_or(i64::MAX);
        let (total, whole, places) = if exponent >= 0 {
            let total = digits.saturating_add(exponent);
            (total, total, 0)
        } else if digits > -exponent {
            (digits, digits + exponent, -exponent)
        } else {
            (-exponent, 0, -exponent)
        };
        if total > 13 {
            return Err(MoneyError::TooManyDigits);
        }
        if places > 2 {
            return Err(MoneyError::TooManyDecimals);
        }
        if whole > 11 {
            return Err(MoneyError::TooManyWholeDigits);
        }
        // At most 13 digits and an exponent in -2..=12 from here on: no overflow.
        let mut units: i128 = coefficient
            .bytes()
            .fold(0, |n, b| n * 10 + i128::from(b - b'0'));
        if exponent > 0 {
            units *= 10i128.pow(u32::try_from(exponent).unwrap_or(0));
        }
        if negative {
            units = -units;
        }
        let scale = u32::try_from(-exponent.min(0)).unwrap_or(0);
        let mut d = Decimal::from_i128_with_scale(units, scale);
        d.rescale(2);
        Ok(Money(d))
    }

    /// At most two decimal places and 13 digits, as pretix's money fields.
    pub fn from_decimal(d: Decimal) -> Result<Self, MoneyError> {
        let d = d.normalize();
        if d.scale() > 2 {
            return Err(MoneyError::TooManyDecimals);
        }
        if d.abs() >= Decimal::from(100_000_000_000i64) {
            return Err(MoneyError::TooManyDigits);
        }
        let mut d = d;
        d.rescale(2);
        Ok(Money(d))
    }

    pub fn amount(&self) -> Decimal {
        self.0
    }

    pub fn is_negative(&self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }
}

/// Python's decimal syntax, `[sign] (digits [. [digits]] | . digits) [e [sign] digits]`:
/// the sign, the coefficient's digits without leading zeros (`"0"` for zero) and the
/// exponent, as `Decimal.as_tuple()` gives them. Infinity and NaN are not numbers here.
fn python_decimal(text: &str) -> Option<(bool, String, i64)> {
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, f),
        None => (mantissa, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int_part.is_empty() && frac_part.is_empty())
        || !all_digits(int_part)
        || !all_digits(frac_part)
    {
        return None;
    }
    let exponent = match exponent {
        None => 0,
        Some(e) => {
            let (sign, digits) = match e.as_bytes().first() {
                Some(b'-') => (-1, &e[1..]),
                Some(b'+') => (1, &e[1..]),
                _ => (1, e),
            };
            if digits.is_empty() || !all_digits(digits) {
                return None;
            }
            // Saturates: an exponent this large fails the digit checks anyway.
            sign * digits.parse::<i64>().unwrap_or(i64::MAX / 2)
        }
    };
    let frac_len = i64::try_from(frac_part.len()).unwrap_or(i64::MAX / 2);
    let joined = format!("{int_part}{frac_part}");
    let trimmed = joined.trim_start_matches('0');
    let coefficient = if trimmed.is_empty() { "0" } else { trimmed };
    Some((
        negative,
        coefficient.to_owned(),
        exponent.saturating_sub(frac_len),
    ))
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_two_decimals() {
        for (input, out) in [
            ("23.4", "23.40"),
            ("0", "0.00"),
            ("12.00", "12.00"),
            ("-1.5", "-1.50"),
            (" 5 ", "5.00"),
            ("+.5", "0.50"),
            ("7.", "7.00"),
            ("007.50", "7.50"),
            ("1e3", "1000.00"),
            ("1E-2", "0.01"),
            ("12.5e-1", "1.25"),
            ("-0", "0.00"),
            ("0.00", "0.00"),
            ("99999999999.99", "99999999999.99"),
        ] {
            assert_eq!(
                Money::parse(input).map(|m| m.to_string()),
                Ok(out.to_owned())
            );
        }
    }

    #[test]
    fn rejects_garbage_and_precision() {
        for garbage in [
            "abc", "", " ", "-", ".", "1..2", "1e", "1e+", "NaN", "Infinity", "0x10",
        ] {
            assert_eq!(
                Money::parse(garbage),
                Err(MoneyError::NotANumber),
                "{garbage}"
            );
        }
        assert_eq!(Money::parse("1.234"), Err(MoneyError::TooManyDecimals));
        // Digits count as written, as in pretix.
        assert_eq!(Money::parse("1.230"), Err(MoneyError::TooManyDecimals));
        assert_eq!(Money::parse("0.001"), Err(MoneyError::TooManyDecimals));
        assert_eq!(
            Money::parse("100000000000"),
            Err(MoneyError::TooManyWholeDigits)
        );
        assert_eq!(
            Money::parse("100000000000.00"),
            Err(MoneyError::TooManyDigits)
        );
        assert_eq!(Money::parse("1e20"), Err(MoneyError::TooManyDigits));
        assert_eq!(
            Money::parse("1e999999999999999999999"),
            Err(MoneyError::TooManyDigits)
        );
        assert_eq!(Money::parse(&"1".repeat(1001)), Err(MoneyError::TooLong));
        assert_eq!(
            MoneyError::TooManyWholeDigits.to_string(),
            "Ensure that there are no more than 11 digits before the decimal point."
        );
        assert!(Money::parse("-0.01").is_ok_and(|m| m.is_negative()));
        assert!(!Money::ZERO.is_negative());
    }
}
