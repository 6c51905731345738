use rust_decimal::Decimal;
use std::fmt;
use std::str::FromStr;

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
}

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// Parses a decimal string such as `"23.4"` or `"-1"`.
    pub fn parse(value: &str) -> Result<Self, MoneyError> {
        let d = Decimal::from_str(value.trim()).map_err(|_| MoneyError::NotANumber)?;
        Self::from_decimal(d)
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
        ] {
            assert_eq!(
                Money::parse(input).map(|m| m.to_string()),
                Ok(out.to_owned())
            );
        }
    }

    #[test]
    fn rejects_garbage_and_precision() {
        assert_eq!(Money::parse("abc"), Err(MoneyError::NotANumber));
        assert_eq!(Money::parse("1.234"), Err(MoneyError::TooManyDecimals));
        assert_eq!(
            Money::parse("1.230").map(|m| m.to_string()),
            Ok("1.23".to_owned())
        );
        assert_eq!(Money::parse("100000000000"), Err(MoneyError::TooManyDigits));
        assert!(Money::parse("-0.01").is_ok_and(|m| m.is_negative()));
        assert!(!Money::ZERO.is_negative());
    }
}
