//! The registry of setting keys: one entry per key, in the order pretix lists them.
//!
//! Labels, help texts and defaults are pretix's (`?explain=true` shows them). To add a key,
//! add one [`key`] line to [`KEYS`], chained with [`SettingKey::event_only`],
//! [`SettingKey::organizer_only`], [`SettingKey::readonly`] or [`SettingKey::device`] where
//! they apply.

use crate::values::LANGUAGES;
use serde_json::{json, Value};

/// The level a setting is read or written on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    Organizer,
    Event,
}

/// The levels that expose a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// On the organizer (as the default of its events) and on events.
    Both,
    /// On events only.
    Event,
    /// On the organizer only.
    Organizer,
}

/// A setting's type, with what it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `true/false`, `1/0` and the strings pretix accepts.
    Bool,
    /// An integer within `min..=max`.
    Int { min: i64, max: i64 },
    /// Text, trimmed, not blank (numbers are taken as their text).
    Text,
    /// A multilingual text: an object of language → text, or a plain string (English).
    I18n,
    /// A URL (`http`, `https`, `ftp`, `ftps`).
    Url,
    /// A multilingual URL: every non-empty text must be a URL.
    I18nUrl,
    /// An e-mail address.
    Email,
    /// A colour `#rrggbb` (either case).
    Color,
    /// A decimal, shown with `places` decimals.
    Decimal { max_digits: u32, places: u32 },
    /// A date relative to the event (`RELDATE/...`) or an absolute date/time.
    RelativeDate,
    /// One of the given strings.
    Choice(&'static [&'static str]),
    /// A list of the given strings (duplicates dropped).
    ChoiceList(&'static [&'static str]),
    /// An IANA time zone name.
    TimeZone,
}

/// The value a key has when neither the event nor the organizer sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultValue {
    Null,
    Bool(bool),
    Int(i64),
    Text(&'static str),
    /// `{"en": ""}`: a multilingual text with nothing in it.
    I18nEmpty,
    List(&'static [&'static str]),
}

impl DefaultValue {
    pub fn to_json(self) -> Value {
        match self {
            DefaultValue::Null => Value::Null,
            DefaultValue::Bool(b) => Value::Bool(b),
            DefaultValue::Int(i) => Value::from(i),
            DefaultValue::Text(s) => Value::from(s),
            DefaultValue::I18nEmpty => json!({"en": ""}),
            DefaultValue::List(items) => Value::from(items.to_vec()),
        }
    }
}

/// One setting key of the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettingKey {
    pub name: &'static str,
    pub kind: Kind,
    pub default: DefaultValue,
    pub label: &'static str,
    /// `None` is shown as pretix shows it: the string `"None"`.
    pub help_text: Option<&'static str>,
    pub scope: Scope,
    /// Read-only on events: shown there, but only the organizer level can change it
    /// (pretix's `readonly_fields`). PATCHes of it on events are ignored.
    pub readonly: bool,
    /// Part of the reduced set a device may read (pretix's device settings serializer).
    pub device: bool,
}

/// A key exposed on both levels, writable, not for devices.
pub const fn key(
    name: &'static str,
    kind: Kind,
    default: DefaultValue,
    label: &'static str,
    help_text: Option<&'static str>,
) -> SettingKey {
    SettingKey {
        name,
        kind,
        default,
        label,
        help_text,
        scope: Scope::Both,
        readonly: false,
        device: false,
    }
}

impl SettingKey {
    pub const fn event_only(self) -> Self {
        SettingKey {
            scope: Scope::Event,
            ..self
        }
    }

    pub const fn organizer_only(self) -> Self {
        SettingKey {
            scope: Scope::Organizer,
            ..self
        }
    }

    pub const fn readonly(self) -> Self {
        SettingKey {
            readonly: true,
            ..self
        }
    }

    pub const fn device(self) -> Self {
        SettingKey {
            device: true,
            ..self
        }
    }

    pub fn exposed_on(&self, level: Level) -> bool {
        match self.scope {
            Scope::Both => true,
            Scope::Event => level == Level::Event,
            Scope::Organizer => level == Level::Organizer,
        }
    }

    pub fn readonly_on(&self, level: Level) -> bool {
        self.readonly && level == Level::Event
    }
}

/// Country codes for `region` (`""` is pretix's "Select country").
#[rustfmt::skip]
pub const COUNTRIES: &[&str] = &[
    "", "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX",
    "AZ", "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR",
    "BS", "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM",
    "CN", "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC",
    "EE", "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE",
    "GF", "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK",
    "HM", "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE",
    "JM", "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB",
    "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH",
    "MK", "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ",
    "NA", "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF",
    "PG", "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU",
    "RW", "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR",
    "SS", "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN",
    "TO", "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG",
    "VI", "VN", "VU", "WF", "WS", "XK", "YE", "YT", "ZA", "ZM", "ZW",
];

/// pretix's person name schemes.
pub const NAME_SCHEMES: &[&str] = &[
    "given_family",
    "title_given_family",
    "given_middle_family",
    "title_given_middle_family",
    "family_given",
    "family_nospace_given",
    "family_comma_given",
    "full",
    "calling_full",
    "full_transcription",
    "salutation_given_family",
    "salutation_title_given_family",
    "salutation_title_given_family_degree",
];

use DefaultValue::{Bool as B, I18nEmpty, Int as I, List, Null, Text as T};
use Kind::*;

const MONEY: Kind = Decimal {
    max_digits: 13,
    places: 2,
};

/// Every key, in pretix's order (responses and error bodies follow it).
///
/// Devices (later) read the keys marked `.device()`: pretix's device set, limited to the
/// keys here: languages, what the checkout asks for, limits and the name scheme, which
/// point-of-sale and check-in apps need to render forms and tickets.
#[rustfmt::skip]
pub const KEYS: &[SettingKey] = &[
    key("imprint_url", I18nUrl, Null, "Imprint URL", Some("This should point e.g. to a part of your website that has your contact details and legal information.")),
    key("presale_has_ended_text", I18n, I18nEmpty, "End of presale text", Some("This text will be shown above the ticket shop once the designated sales timeframe for this event is over. You can use it to describe other options to get a ticket, such as a box office.")),
    key("banner_text", I18n, I18nEmpty, "Banner text (top)", Some("This text will be shown above every page of your shop. Please only use this for very important messages.")),
    key("show_dates_on_frontpage", Bool, B(true), "This shop represents an event", Some("Uncheck this box if you are only selling something that has no specific date, such as gift cards or a ticket that can be used any time. The system will then stop showing the event date in some places like the event start page. Note that pretix still is a system built around events and the date may still show up in other places.")).device(),
    key("show_date_to", Bool, B(true), "Show event end date", Some("If disabled, only event's start date will be displayed to the public.")),
    key("show_times", Bool, B(true), "Show dates with time", Some("If disabled, the event's start and end date will be displayed without the time of day.")),
    key("locales", ChoiceList(LANGUAGES), List(&["en"]), "Available languages", None).device(),
    key("locale", Choice(LANGUAGES), T("en"), "Default language", None).device(),
    key("region", Choice(COUNTRIES), Null, "Region", Some("Will be used to determine date and time formatting as well as default country for customer addresses and phone numbers. For formatting, this takes less priority than the language and is therefore mostly relevant for languages used in different regions globally (like English).")),
    // Not in pretix's API: the organizer's default for new events' `timezone`.
    key("timezone", TimeZone, T("UTC"), "Default timezone", None).organizer_only(),
    key("last_order_modification_date", RelativeDate, Null, "Last date of modifications", Some("The last date users can modify details of their orders, such as attendee names or answers to questions. If you use the event series feature and an order contains tickets for multiple event dates, the earliest date will be used.")).device(),
    key("show_quota_left", Bool, B(false), "Show number of tickets left", Some("Publicly show how many tickets of a certain type are still available.")).device(),
    key("waiting_list_enabled", Bool, B(false), "Enable waiting list", Some("Once a ticket is sold out, people can add themselves to a waiting list. As soon as a ticket becomes available again, it will be reserved for the first person on the waiting list and this person will receive an email notification with a voucher that can be used to buy a ticket.")),
    key("max_items_per_order", Int { min: 1, max: 500 }, I(10), "Maximum number of items per order", Some("Add-on products will not be counted.")).device(),
    key("reservation_time", Int { min: 0, max: 10_080 }, I(30), "Reservation period", Some("The number of minutes the items in a user's cart are reserved for this user.")),
    key("contact_mail", Email, Null, "Contact address", Some("We'll show this publicly to allow attendees to contact you.")),
    key("contact_url", I18nUrl, Null, "Contact URL", Some("If you set this, the footer contact link will point here instead of using the email address above. Please note that you still need to add a contact email address that will be shared with all emails you send.")),
    key("privacy_url", I18nUrl, Null, "Privacy Policy URL", Some("This should point e.g. to a part of your website that explains how you use data gathered in your ticket shop.")).organizer_only(),
    key("accessibility_url", I18nUrl, Null, "Accessibility information URL", Some("This should point e.g. to a part of your website that explains how your ticket shop complies with accessibility regulation.")).organizer_only(),
    key("hide_sold_out", Bool, B(false), "Hide all products that are sold out", None),
    key("frontpage_text", I18n, I18nEmpty, "Frontpage text", None),
    key("attendee_names_asked", Bool, B(true), "Ask for attendee names", Some("Ask for a name for all personalized tickets.")).device(),
    key("attendee_names_required", Bool, B(false), "Require attendee names", Some("Require customers to fill in the names of all attendees.")).device(),
    key("attendee_emails_asked", Bool, B(false), "Ask for email addresses per ticket", Some("Normally, pretix asks for one email address per order and the order confirmation will be sent only to that email address. If you enable this option, the system will additionally ask for individual email addresses for every personalized ticket. This might be useful if you want to obtain individual addresses for every attendee even in case of group orders. However, pretix will send the order confirmation by default only to the one primary email address, not to the per-attendee addresses. You can however enable this in the email settings.")).device(),
    key("attendee_emails_required", Bool, B(false), "Require email addresses per ticket", Some("Require customers to fill in individual email addresses for all personalized tickets. See the above option for more details. One email address for the order confirmation will always be required regardless of this setting.")).device(),
    key("payment_term_days", Int { min: 0, max: 1_000_000 }, I(14), "Payment term in days", Some("The number of days after placing an order the user has to pay to preserve their reservation. If you use slow payment methods like bank transfer, we recommend 14 days. If you only use real-time payment methods, we recommend still setting two or three days to allow people to retry failed payments.")),
    key("ticket_download", Bool, B(false), "Allow users to download tickets", Some("If this is off, nobody can download a ticket.")).device(),
    key("mail_prefix", Text, Null, "Subject prefix", Some("This will be prepended to the subject of all outgoing emails, formatted as [prefix]. Choose, for example, a short form of your event name.")),
    key("invoice_address_asked", Bool, B(true), "Ask for invoice address", None).device(),
    key("invoice_address_required", Bool, B(false), "Require invoice address", None).device(),
    key("cancel_allow_user", Bool, B(true), "Customers can cancel their unpaid orders", None),
    key("cancel_allow_user_until", RelativeDate, Null, "Do not allow cancellations after", None),
    key("cancel_allow_user_paid_keep", MONEY, T("0.00"), "Keep a fixed cancellation fee", None),
    key("cancel_allow_user_paid_keep_percentage", MONEY, T("0.00"), "Keep a percentual cancellation fee", None),
    key("primary_color", Color, T("#8E44B3"), "Primary color", None),
    key("theme_color_success", Color, T("#408252"), "Accent color for success", Some("We strongly suggest to use a shade of green.")),
    key("theme_color_danger", Color, T("#c44f4f"), "Accent color for errors", Some("We strongly suggest to use a shade of red.")),
    key("theme_color_background", Color, T("#f5f5f5"), "Page background color", None),
    // pretix's global default is "full", but it stores "given_family" on every new event.
    key("name_scheme", Choice(NAME_SCHEMES), T("given_family"), "name_scheme", None).device(),
    key("reusable_media_active", Bool, B(false), "Activate reusable media", Some("The reusable media feature allows you to connect tickets and gift cards with physical media such as wristbands or chip cards that may be reused for different tickets or gift cards later.")).readonly(),
];

/// A check across keys, on the effective values after a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// When `field` is true, this key must be true too.
    Requires(&'static str),
    /// `field`'s value must be an element of this key's list.
    MemberOf(&'static str),
}

/// A cross-field check: on failure, `{field: [message]}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrossCheck {
    pub field: &'static str,
    pub rule: Rule,
    pub message: &'static str,
}

/// pretix's checks, in its order; the first failing one is reported.
pub const CROSS_CHECKS: &[CrossCheck] = &[
    CrossCheck {
        field: "locale",
        rule: Rule::MemberOf("locales"),
        message: "Your default locale must also be enabled for your event (see box above).",
    },
    CrossCheck {
        field: "attendee_names_required",
        rule: Rule::Requires("attendee_names_asked"),
        message: "You cannot require specifying attendee names if you do not ask for them.",
    },
    CrossCheck {
        field: "attendee_emails_required",
        rule: Rule::Requires("attendee_emails_asked"),
        message: "You have to ask for attendee emails if you want to make them required.",
    },
    CrossCheck {
        field: "invoice_address_required",
        rule: Rule::Requires("invoice_address_asked"),
        message: "You have to ask for invoice addresses if you want to make them required.",
    },
];

/// The key with this name, on any level.
pub fn find(name: &str) -> Option<&'static SettingKey> {
    KEYS.iter().find(|k| k.name == name)
}

/// The keys a level exposes, in registry order.
pub fn keys_for(level: Level) -> impl Iterator<Item = &'static SettingKey> {
    KEYS.iter().filter(move |k| k.exposed_on(level))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_and_defaults_are_valid_values() {
        let mut seen = HashSet::new();
        for k in KEYS {
            assert!(seen.insert(k.name), "{} twice", k.name);
            let default = k.default.to_json();
            if !default.is_null() {
                assert_eq!(
                    k.kind.parse(&default),
                    Ok(Some(default.clone())),
                    "{}",
                    k.name
                );
            }
        }
    }

    #[test]
    fn behaviour_keys_are_on_both_levels() {
        for name in [
            "imprint_url",
            "contact_mail",
            "locales",
            "locale",
            "region",
            "show_quota_left",
            "max_items_per_order",
            "reservation_time",
            "attendee_names_asked",
            "attendee_names_required",
            "attendee_emails_asked",
            "attendee_emails_required",
            "invoice_address_asked",
            "invoice_address_required",
            "payment_term_days",
            "ticket_download",
            "mail_prefix",
            "primary_color",
            "name_scheme",
            "presale_has_ended_text",
            "frontpage_text",
            "banner_text",
            "waiting_list_enabled",
            "cancel_allow_user",
        ] {
            let k = find(name).unwrap_or_else(|| panic!("{name} missing"));
            assert!(
                k.exposed_on(Level::Organizer) && k.exposed_on(Level::Event),
                "{name}"
            );
            assert!(!k.readonly, "{name}");
        }
    }

    #[test]
    fn cross_checks_name_keys_of_the_registry() {
        for c in CROSS_CHECKS {
            let other = match c.rule {
                Rule::Requires(k) | Rule::MemberOf(k) => k,
            };
            assert!(
                find(c.field).is_some() && find(other).is_some(),
                "{}",
                c.field
            );
        }
    }

    #[test]
    fn levels_and_read_only() {
        let privacy = find("privacy_url").unwrap();
        assert_eq!(find("timezone").map(|k| k.scope), Some(Scope::Organizer));
        assert!(privacy.exposed_on(Level::Organizer) && !privacy.exposed_on(Level::Event));
        let media = find("reusable_media_active").unwrap();
        assert!(media.readonly_on(Level::Event) && !media.readonly_on(Level::Organizer));
        assert!(keys_for(Level::Event).all(|k| k.name != "privacy_url"));
        let device: Vec<_> = KEYS.iter().filter(|k| k.device).map(|k| k.name).collect();
        assert!(device.contains(&"locales") && !device.contains(&"contact_mail"));
    }
}
