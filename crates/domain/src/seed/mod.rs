//! Fixtures: an organizer's whole configuration as one declarative document (the `presale seed`
//! and `presale export` format), validated with the API's own rules and written in one
//! transaction.
//!
//! - A document is `{"version": 1, "organizers": [...]}`; every entry has the API's field
//!   names and shapes (an event entry is a `POST /events/` body plus nested `settings`,
//!   `items`, `subevents`, `quotas`, `digital_contents` and `imported_secrets`).
//! - [`validate`] reads the document with an [`ApiReader`] (the HTTP edge's body readers),
//!   loads what is already stored for each organizer ([`FixtureStore::export`]), and runs the
//!   API's use cases ([`crate::event::create_event`], [`crate::item::create_item`], ...) on an
//!   in-memory copy of it. Entries are matched by natural key (organizer slug, event slug,
//!   team name, `id` where given, ...) and replaced with the file's values (PUT semantics);
//!   nothing absent from the file is deleted. Every error is collected with the path of its
//!   entry ([`EntryError`]); nothing is written unless the whole document passed.
//! - [`FixtureStore::apply`] then writes the resulting [`ValidatedFixture`] in one transaction.
//!
//! ```
//! use presale_domain::seed::check_fixed_token;
//!
//! assert!(check_fixed_token("ci-admin-token-0001").is_ok());
//! assert_eq!(
//!     check_fixed_token("short"),
//!     Err("A token has 16 to 128 characters of a-z, A-Z, 0-9, '-' and '_'.")
//! );
//! ```

mod staging;
#[cfg(test)]
mod tests;
mod validate;

pub use validate::{validate, SeedError};

use crate::auth::{ApiToken, TokenHash};
use crate::device::{Device, DeviceChanges};
use crate::digital_content::{DigitalContent, DigitalContentChanges};
use crate::error::RepositoryError;
use crate::event::{Event, EventChanges, EventKeys};
use crate::imported_secret::{ImportedSecret, SecretChanges};
use crate::item::{Item, ItemChanges, ItemErrors, VariationChanges};
use crate::meta::{MetaProperty, MetaPropertyFields};
use crate::organizer::Organizer;
use crate::quota::{Quota, QuotaChanges};
use crate::sales_channel::{SalesChannel, SalesChannelFields};
use crate::subevent::{SubEvent, SubEventChanges};
use crate::team::TeamFields;
use crate::validation::FieldErrors;
use async_trait::async_trait;
use serde_json::{Map, Value};
use std::fmt;

/// The document version this module reads and writes.
pub const VERSION: i64 = 1;

/// One refused entry of a document: where it is, which field, and the API's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryError {
    /// `organizers[0].events[1]`, or `` for the document itself.
    pub path: String,
    /// The entry's natural key as written (an event's slug, a product's name, ...).
    pub label: Option<String>,
    /// `None` for an error of the entry as a whole.
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for EntryError {
    /// `organizers[0].events[1] (conference): date_from: This field is required.`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "document"
        } else {
            &self.path
        };
        f.write_str(path)?;
        if let Some(label) = &self.label {
            write!(f, " ({label})")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": {field}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The smallest and largest length of a token given in a fixture.
pub const FIXED_TOKEN_MIN: usize = 16;
pub const FIXED_TOKEN_MAX: usize = 128;
const FIXED_TOKEN_SHAPE: &str = "A token has 16 to 128 characters of a-z, A-Z, 0-9, '-' and '_'.";

/// A token written in a fixture (a team's API token, a device's API or initialization token):
/// 16 to 128 characters of `A-Za-z0-9_-`, so that tests can use fixed, readable values.
/// Generated tokens (64 characters of `a-z0-9`) have this shape too.
pub fn check_fixed_token(token: &str) -> Result<(), &'static str> {
    let ok = (FIXED_TOKEN_MIN..=FIXED_TOKEN_MAX).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(FIXED_TOKEN_SHAPE)
    }
}

/// A token hash as written by `export` (`token_sha256`): 64 lower-case hex digits.
pub fn parse_token_hash(hex: &str) -> Option<TokenHash> {
    if hex.len() != 64 {
        return None;
    }
    let mut bytes = [0u8; 32];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    let hash = TokenHash::from_bytes(bytes);
    (hash.to_hex() == hex).then_some(hash)
}

/// A team's API token as stored: the token, and the hash it is looked up by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSnapshot {
    pub token: ApiToken,
    pub hash: TokenHash,
}

/// A team with its event limits (by slug) and its tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamSnapshot {
    pub team: crate::auth::TeamWithEvents,
    pub tokens: Vec<TokenSnapshot>,
}

/// A device with the hash of its API token (once initialized).
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceSnapshot {
    pub device: Device,
    pub api_token: Option<TokenHash>,
}

/// An event with its settings and catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct EventSnapshot {
    pub event: Event,
    /// The event's own setting values (not the inherited ones).
    pub settings: Vec<(String, Value)>,
    /// Ordered by position, then id.
    pub items: Vec<Item>,
    pub subevents: Vec<SubEvent>,
    pub quotas: Vec<Quota>,
    pub digital_contents: Vec<DigitalContent>,
    /// Ordered by id.
    pub imported_secrets: Vec<ImportedSecret>,
    /// The signing keys of an event a [`ValidatedFixture`] creates; `None` otherwise.
    pub keys: Option<EventKeys>,
}

/// Everything stored for one organizer.
#[derive(Debug, Clone, PartialEq)]
pub struct OrganizerSnapshot {
    pub organizer: Organizer,
    /// The organizer's own setting values.
    pub settings: Vec<(String, Value)>,
    pub meta_properties: Vec<MetaProperty>,
    pub sales_channels: Vec<SalesChannel>,
    /// Ordered by slug.
    pub events: Vec<EventSnapshot>,
    /// Ordered by id.
    pub teams: Vec<TeamSnapshot>,
    /// Ordered by `device_id`.
    pub devices: Vec<DeviceSnapshot>,
}

/// What a validated document writes, per organizer: the entries it names, as they are to be
/// stored (the other rows stay as they are). A row whose id is zero or negative is new and
/// gets the next id of its table; a positive id is stored under that id (inserted when no
/// row has it yet). Events, teams and devices refer to events by slug.
#[derive(Debug, Clone, PartialEq)]
pub struct FixtureOrganizer {
    pub snapshot: OrganizerSnapshot,
    /// Plugins the organizer disabled that its other events lose too (as when the API
    /// changes the organizer's plugins).
    pub withdrawn_plugins: Vec<String>,
}

/// A document that passed every rule, ready for [`FixtureStore::apply`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ValidatedFixture {
    pub organizers: Vec<FixtureOrganizer>,
}

/// Values a document gives that must be unique in the whole database (ids are global, so are
/// API tokens, device tokens and serials).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claims {
    pub items: Vec<i64>,
    pub variations: Vec<i64>,
    pub subevents: Vec<i64>,
    pub quotas: Vec<i64>,
    pub digital_contents: Vec<i64>,
    pub api_tokens: Vec<TokenHash>,
    pub device_tokens: Vec<TokenHash>,
    pub initialization_tokens: Vec<String>,
    pub unique_serials: Vec<String>,
}

impl Claims {
    pub fn is_empty(&self) -> bool {
        *self == Claims::default()
    }
}

/// Port: fixtures, for `presale seed` and `presale export`.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait FixtureStore: Send + Sync {
    /// Everything stored for the organizer with this slug; `None` if there is none.
    async fn export(&self, organizer: &str) -> Result<Option<OrganizerSnapshot>, RepositoryError>;

    /// Those of the claimed values that some row of the database already has (in any
    /// organizer).
    async fn taken(&self, claims: Claims) -> Result<Claims, RepositoryError>;

    /// Writes the fixture in one transaction: all of it, or (on any error) nothing. Given
    /// ids are used as they are, and the id sequences continue after them.
    async fn apply(&self, fixture: ValidatedFixture) -> Result<(), RepositoryError>;
}

/// The API's readers of request bodies, which the HTTP edge supplies, so that a document's
/// entries are read exactly as the API reads a `POST`/`PUT` body, with its messages.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait ApiReader: Send + Sync {
    fn event(&self, body: &Map<String, Value>) -> (EventChanges, FieldErrors);
    /// A full (PUT) meta property body.
    fn meta_property(&self, body: &Map<String, Value>) -> Result<MetaPropertyFields, FieldErrors>;
    /// A full (PUT) sales channel body; `existing` is the stored channel it replaces.
    // mockall needs the lifetime named.
    #[allow(clippy::needless_lifetimes)]
    fn sales_channel<'a>(
        &self,
        body: &Map<String, Value>,
        existing: Option<&'a SalesChannel>,
    ) -> Result<SalesChannelFields, FieldErrors>;
    /// A full (PUT) team body, without tokens.
    fn team(&self, body: &Map<String, Value>) -> (TeamFields, FieldErrors);
    fn item(&self, body: &Map<String, Value>) -> (ItemChanges, ItemErrors);
    fn variation(&self, body: &Map<String, Value>) -> (VariationChanges, FieldErrors);
    fn quota(&self, body: &Map<String, Value>) -> (QuotaChanges, FieldErrors);
    fn subevent(&self, body: &Map<String, Value>) -> (SubEventChanges, FieldErrors);
    fn digital_content(&self, body: &Map<String, Value>) -> (DigitalContentChanges, FieldErrors);
    fn imported_secret(&self, body: &Value) -> SecretChanges;
    fn device(&self, body: &Map<String, Value>) -> (DeviceChanges, FieldErrors);
    /// A string field (trimmed; blank refused unless `allow_blank`).
    fn string(&self, value: &Value, allow_blank: bool) -> Result<String, String>;
    fn boolean(&self, value: &Value) -> Result<bool, String>;
    fn integer(&self, value: &Value) -> Result<i64, String>;
    fn string_list(&self, value: &Value) -> Result<Vec<String>, String>;
}

/// The event an id of the catalog belongs to, for messages.
pub(crate) fn owner_message(kind: &str, id: i64, owner: &str) -> String {
    format!("{kind} {id} belongs to another {owner}.")
}
