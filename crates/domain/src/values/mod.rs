//! Value objects: each constructor validates, so an invalid value cannot exist in the domain.
//! The error messages are the exact strings pretix answers with.

mod currency;
mod datetime;
mod i18n;
mod money;
mod number;
mod slug;
mod timezone;

pub use currency::{Currency, CurrencyError};
pub use datetime::{DateTimeFormatError, WireDateTime};
pub use i18n::{I18nError, I18nString, LANGUAGES};
pub use money::{Money, MoneyError};
pub use number::number_text;
pub use slug::{Slug, SlugError, EVENT_RESERVED_SLUGS};
pub use timezone::{TimeZone, TimeZoneError};
