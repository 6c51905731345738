//! Reading a document entry by entry and running the API's use cases on a [`Staging`] copy of
//! each organizer; every refused entry is collected with its path.

use super::staging::{Hinted, Hints, Staged, Staging, State};
use super::{
    check_fixed_token, owner_message, parse_token_hash, ApiReader, Claims, DeviceSnapshot,
    EntryError, EventSnapshot, FixtureOrganizer, FixtureStore, OrganizerSnapshot, TeamSnapshot,
    TokenSnapshot, ValidatedFixture, VERSION,
};
use crate::auth::{
    ApiToken, EventId, EventScope, Permission, PermissionSet, Principal, Team, TeamId, TokenHash,
    TokenId,
};
use crate::device::{self, DeviceError, DeviceId, DevicePorts, WriteMode, DEVICE_FIELDS};
use crate::digital_content::{
    self, DigitalContent, DigitalContentChanges, DigitalContentError, DigitalContentId,
    DIGITAL_CONTENT_FIELDS,
};
use crate::error::RepositoryError;
use crate::event::{self, Event, EventChanges, EventError, EventPorts, UpdateMode, EVENT_FIELDS};
use crate::imported_secret::{
    self, ImportedSecretError, ImportedSecretId, SecretChanges, BULK_MAX, DUPLICATE_IN_REQUEST,
    IMPORTED_SECRET_FIELDS,
};
use crate::item::{
    self, Item, ItemChanges, ItemError, ItemErrors, ItemId, Write, ITEM_FIELDS, VARIATION_FIELDS,
};
use crate::meta::{self, MetaPropertyError, MetaPropertyId, DUPLICATE_NAME};
use crate::organizer::{change_plugins, ChangePluginsError, Organizer};
use crate::quota::{self, Quota, QuotaChanges, QuotaError, QuotaId, QUOTA_FIELDS};
use crate::sales_channel::{self, SalesChannelError, DUPLICATE_IDENTIFIER};
use crate::settings::{self, keys_for, ChangeError, Target};
use crate::subevent::{
    self, SubEvent, SubEventChanges, SubEventError, SubEventId, SUBEVENT_FIELDS,
};
use crate::team::{self, TeamError};
use crate::validation::FieldErrors;
use crate::values::{Slug, WireDateTime};
use serde_json::{Map, Value};
use std::collections::HashSet;
use std::future::Future;

/// Why a document was not validated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeedError {
    /// Refused entries, in document order; nothing was written.
    #[error("{} error(s) in the document", .0.len())]
    Invalid(Vec<EntryError>),
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

const REQUIRED: &str = "This field is required.";
const UNKNOWN_FIELD: &str = "Unknown field.";
const EARLIER_ID: &str = "This id is used by an earlier entry of the document.";
const SAME_NAME: &str =
    "An earlier entry of this event has the same name; give the entries their ids.";
const TOO_LONG: &str = "Ensure this field has no more than 190 characters.";

const ORGANIZER_KEYS: &[&str] = &[
    "slug",
    "name",
    "plugins",
    "public_url",
    "settings",
    "meta_properties",
    "sales_channels",
    "events",
    "teams",
    "devices",
];
const META_PROPERTY_KEYS: &[&str] = &[
    "id",
    "name",
    "default",
    "required",
    "allowed_values",
    "protected",
    "filter_allowed",
];
const SALES_CHANNEL_KEYS: &[&str] = &["identifier", "label", "type", "position"];
const EVENT_NESTED: &[&str] = &[
    "settings",
    "items",
    "subevents",
    "quotas",
    "digital_contents",
    "imported_secrets",
];
const TOKEN_KEYS: &[&str] = &["id", "name", "active", "token", "token_sha256"];
const DEVICE_EXTRA: &[&str] = &["api_token", "api_token_sha256"];
const HARDWARE: &[&str] = &[
    "hardware_brand",
    "hardware_model",
    "os_name",
    "os_version",
    "software_brand",
    "software_version",
];

/// The Python type name pretix's messages use for a JSON value.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Object(_) => "dict",
        Value::Array(_) => "list",
        Value::String(_) => "str",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::Bool(_) => "bool",
        Value::Null => "NoneType",
    }
}

/// A label for messages: a string, or the first text of a multilingual object.
fn label_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(crate::values::number_text(n)),
        Value::Object(m) => m.values().find_map(|v| v.as_str().map(str::to_owned)),
        _ => None,
    }
}

fn without(body: &Map<String, Value>, keys: &[&str]) -> Map<String, Value> {
    body.iter()
        .filter(|(k, _)| !keys.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Where an entry is in the document.
#[derive(Debug, Clone)]
struct At {
    path: String,
    label: Option<String>,
}

impl At {
    fn child(&self, key: &str, index: usize, label: Option<String>) -> At {
        let path = if self.path.is_empty() {
            format!("{key}[{index}]")
        } else {
            format!("{}.{key}[{index}]", self.path)
        };
        At { path, label }
    }
}

/// The rows an organizer's entries wrote, to be taken into the fixture.
#[derive(Default)]
struct Touched {
    meta: Vec<MetaPropertyId>,
    channels: Vec<String>,
    events: Vec<EventId>,
    items: Vec<ItemId>,
    subevents: Vec<SubEventId>,
    quotas: Vec<QuotaId>,
    contents: Vec<DigitalContentId>,
    secrets: Vec<ImportedSecretId>,
    teams: Vec<TeamId>,
    devices: Vec<DeviceId>,
}

fn push<T: PartialEq>(list: &mut Vec<T>, value: T) {
    if !list.contains(&value) {
        list.push(value);
    }
}

/// Values that must not repeat in the whole document.
#[derive(Default)]
struct Seen {
    organizers: HashSet<String>,
    items: HashSet<i64>,
    variations: HashSet<i64>,
    subevents: HashSet<i64>,
    quotas: HashSet<i64>,
    contents: HashSet<i64>,
    tokens: HashSet<TokenHash>,
    device_tokens: HashSet<TokenHash>,
    initialization_tokens: HashSet<String>,
    serials: HashSet<String>,
}

/// Runs a create with the ids the document gave for it (set by `hint`), then forgets them.
async fn hinted<F: Future>(
    staging: &Staging,
    hint: impl FnOnce(&mut Hints),
    create: F,
) -> Result<F::Output, RepositoryError> {
    hint(&mut staging.lock()?.hints);
    let out = create.await;
    staging.lock()?.hints = Hints::default();
    Ok(out)
}

/// An entry of an event's catalog (a product, sub-event, quota or digital content): matched
/// with a staged row by its `id` when it gives one (which it then claims in the whole
/// document), else by its name within the event.
trait Keyed: Staged {
    /// The kind in messages (`Quota 12 belongs to another event.`).
    const KIND: &'static str;
    /// The field that names an entry: its label in messages, and the field an entry is
    /// refused on when an earlier one without id has the same name.
    const NAME: &'static str;
    /// An entry as the API reads it.
    type Changes;
    /// Whether this row has the name the entry gives.
    fn same_name(&self, changes: &Self::Changes) -> bool;
    /// The ids of this kind given so far in the document.
    fn seen(seen: &mut Seen) -> &mut HashSet<i64>;
    /// The ids of this kind rows of other organizers have.
    fn taken(claims: &Claims) -> &[i64];
}

/// A [`Keyed`] entry the API's use cases replace (`PUT`) or create (`POST`) from the entry
/// as read, alone: sub-events, quotas and digital contents.
trait EventEntry: Keyed + Hinted {
    /// The event entry's list of these entries.
    const LIST: &'static str;
    /// The known fields of an entry.
    const FIELDS: &'static [&'static str];
    fn read(reader: &dyn ApiReader, body: &Map<String, Value>) -> (Self::Changes, FieldErrors);
    fn touched(touched: &mut Touched) -> &mut Vec<Self::Id>;
    /// Replaces `current` with the entry, or (`None`) creates it; `Ok(Err(_))` is a refused
    /// entry, `Err` an error of the staging itself.
    fn write(
        staging: &Staging,
        event: &Event,
        current: Option<&Self>,
        changes: Self::Changes,
        errors: FieldErrors,
    ) -> impl Future<Output = Result<Result<Self, FieldErrors>, RepositoryError>> + Send;
}

impl Keyed for Item {
    const KIND: &'static str = "Product";
    const NAME: &'static str = "name";
    type Changes = ItemChanges;
    fn same_name(&self, changes: &ItemChanges) -> bool {
        Some(&self.fields.name) == changes.name.as_ref()
    }
    fn seen(seen: &mut Seen) -> &mut HashSet<i64> {
        &mut seen.items
    }
    fn taken(claims: &Claims) -> &[i64] {
        &claims.items
    }
}

impl Keyed for SubEvent {
    const KIND: &'static str = "Sub-event";
    const NAME: &'static str = "name";
    type Changes = SubEventChanges;
    /// A sub-event is named by its name and start.
    fn same_name(&self, changes: &SubEventChanges) -> bool {
        Some(&self.data.name) == changes.name.as_ref()
            && Some(self.data.date_from) == changes.date_from
    }
    fn seen(seen: &mut Seen) -> &mut HashSet<i64> {
        &mut seen.subevents
    }
    fn taken(claims: &Claims) -> &[i64] {
        &claims.subevents
    }
}

impl EventEntry for SubEvent {
    const LIST: &'static str = "subevents";
    const FIELDS: &'static [&'static str] = SUBEVENT_FIELDS;
    fn read(reader: &dyn ApiReader, body: &Map<String, Value>) -> (SubEventChanges, FieldErrors) {
        reader.subevent(body)
    }
    fn touched(touched: &mut Touched) -> &mut Vec<SubEventId> {
        &mut touched.subevents
    }
    async fn write(
        staging: &Staging,
        event: &Event,
        current: Option<&Self>,
        changes: SubEventChanges,
        errors: FieldErrors,
    ) -> Result<Result<Self, FieldErrors>, RepositoryError> {
        let result = match current {
            Some(current) => {
                subevent::update_subevent(staging, current, changes, UpdateMode::Replace, errors)
                    .await
            }
            None => subevent::create_subevent(staging, event, changes, errors).await,
        };
        match result {
            Ok(x) => Ok(Ok(x)),
            Err(SubEventError::Invalid(errors)) => Ok(Err(errors)),
            Err(SubEventError::NotFound) => Err(RepositoryError::Internal(
                "staged sub-event vanished".into(),
            )),
            Err(SubEventError::Repository(r)) => Err(r),
        }
    }
}

impl Keyed for Quota {
    const KIND: &'static str = "Quota";
    const NAME: &'static str = "name";
    type Changes = QuotaChanges;
    fn same_name(&self, changes: &QuotaChanges) -> bool {
        Some(&self.data.name) == changes.name.as_ref()
    }
    fn seen(seen: &mut Seen) -> &mut HashSet<i64> {
        &mut seen.quotas
    }
    fn taken(claims: &Claims) -> &[i64] {
        &claims.quotas
    }
}

impl EventEntry for Quota {
    const LIST: &'static str = "quotas";
    const FIELDS: &'static [&'static str] = QUOTA_FIELDS;
    fn read(reader: &dyn ApiReader, body: &Map<String, Value>) -> (QuotaChanges, FieldErrors) {
        reader.quota(body)
    }
    fn touched(touched: &mut Touched) -> &mut Vec<QuotaId> {
        &mut touched.quotas
    }
    async fn write(
        staging: &Staging,
        event: &Event,
        current: Option<&Self>,
        changes: QuotaChanges,
        errors: FieldErrors,
    ) -> Result<Result<Self, FieldErrors>, RepositoryError> {
        let result = match current {
            Some(current) => {
                let mode = UpdateMode::Replace;
                quota::update_quota(staging, event, current, changes, mode, errors).await
            }
            None => quota::create_quota(staging, event, changes, errors).await,
        };
        match result {
            Ok(q) => Ok(Ok(q)),
            Err(QuotaError::Invalid(errors)) => Ok(Err(errors)),
            Err(QuotaError::NotFound) => {
                Err(RepositoryError::Internal("staged quota vanished".into()))
            }
            Err(QuotaError::Repository(r)) => Err(r),
        }
    }
}

impl Keyed for DigitalContent {
    const KIND: &'static str = "Digital content";
    const NAME: &'static str = "title";
    type Changes = DigitalContentChanges;
    fn same_name(&self, changes: &DigitalContentChanges) -> bool {
        Some(&self.data.title) == changes.title.as_ref()
    }
    fn seen(seen: &mut Seen) -> &mut HashSet<i64> {
        &mut seen.contents
    }
    fn taken(claims: &Claims) -> &[i64] {
        &claims.digital_contents
    }
}

impl EventEntry for DigitalContent {
    const LIST: &'static str = "digital_contents";
    const FIELDS: &'static [&'static str] = DIGITAL_CONTENT_FIELDS;
    fn read(
        reader: &dyn ApiReader,
        body: &Map<String, Value>,
    ) -> (DigitalContentChanges, FieldErrors) {
        reader.digital_content(body)
    }
    fn touched(touched: &mut Touched) -> &mut Vec<DigitalContentId> {
        &mut touched.contents
    }
    async fn write(
        staging: &Staging,
        event: &Event,
        current: Option<&Self>,
        changes: DigitalContentChanges,
        errors: FieldErrors,
    ) -> Result<Result<Self, FieldErrors>, RepositoryError> {
        use digital_content::{create_digital_content, update_digital_content};
        let result = match current {
            Some(current) => {
                let mode = UpdateMode::Replace;
                update_digital_content(staging, event, current, changes, mode, errors).await
            }
            None => create_digital_content(staging, event, changes, errors).await,
        };
        match result {
            Ok(c) => Ok(Ok(c)),
            Err(DigitalContentError::Invalid(errors)) => Ok(Err(errors)),
            Err(DigitalContentError::NotFound) => Err(RepositoryError::Internal(
                "staged digital content vanished".into(),
            )),
            Err(DigitalContentError::Repository(r)) => Err(r),
        }
    }
}

struct Walker<'a> {
    reader: &'a dyn ApiReader,
    errors: Vec<EntryError>,
    seen: Seen,
}

/// Validates a document against what is stored and returns what it writes: every entry is
/// read with the API's readers and checked with the API's rules, as a `PUT` of the stored
/// object it names (by natural key) or a `POST` of a new one.
pub async fn validate(
    store: &dyn FixtureStore,
    reader: &dyn ApiReader,
    document: &Value,
) -> Result<ValidatedFixture, SeedError> {
    let mut w = Walker {
        reader,
        errors: Vec::new(),
        seen: Seen::default(),
    };
    let root = At {
        path: String::new(),
        label: None,
    };
    let mut fixture = ValidatedFixture::default();
    let Value::Object(top) = document else {
        w.error(
            &root,
            None,
            format!(
                "Invalid data. Expected a dictionary, but got {}.",
                type_name(document)
            ),
        );
        return Err(SeedError::Invalid(w.errors));
    };
    w.known_keys(&root, top, &["version", "organizers"]);
    if let Some(v) = top.get("version") {
        if w.reader.integer(v).ok() != Some(VERSION) {
            w.error(
                &root,
                Some("version"),
                format!("Unsupported version: this Presale reads version {VERSION}."),
            );
        }
    }
    if !top.contains_key("organizers") {
        w.error(&root, Some("organizers"), REQUIRED);
    }
    for (at, body) in w.objects(&root, top, "organizers", |b| label_of(b.get("slug"))) {
        if let Some(org) = w.organizer(store, at, body).await? {
            fixture.organizers.push(org);
        }
    }
    if w.errors.is_empty() {
        Ok(fixture)
    } else {
        Err(SeedError::Invalid(w.errors))
    }
}

/// The credential the use cases run as: every permission on the organizer.
fn principal(organizer: &Organizer) -> Principal {
    Principal::TeamToken {
        token: TokenId(0),
        team: Team {
            id: TeamId(0),
            organizer: organizer.id,
            name: "seed".into(),
            permissions: PermissionSet::all(),
            events: EventScope::All,
        },
    }
}

/// The values an organizer entry claims, read leniently (malformed ones are reported where
/// they are read).
fn claims(body: &Map<String, Value>) -> Claims {
    let mut c = Claims::default();
    let list = |v: Option<&Value>| -> Vec<Map<String, Value>> {
        v.and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|e| e.as_object().cloned()).collect())
            .unwrap_or_default()
    };
    let id = |m: &Map<String, Value>, key: &str| m.get(key).and_then(Value::as_i64);
    for e in list(body.get("events")) {
        for i in list(e.get("items")) {
            c.items.extend(id(&i, "id"));
            for v in list(i.get("variations")) {
                c.variations.extend(id(&v, "id"));
            }
        }
        for (key, ids) in [
            ("subevents", &mut c.subevents),
            ("quotas", &mut c.quotas),
            ("digital_contents", &mut c.digital_contents),
        ] {
            for x in list(e.get(key)) {
                ids.extend(id(&x, "id"));
            }
        }
    }
    for t in list(body.get("teams")) {
        for token in list(t.get("tokens")) {
            c.api_tokens
                .extend(given_hash(&token, "token", "token_sha256"));
        }
    }
    for d in list(body.get("devices")) {
        c.device_tokens
            .extend(given_hash(&d, "api_token", "api_token_sha256"));
        if let Some(t) = d.get("initialization_token").and_then(Value::as_str) {
            c.initialization_tokens.push(t.to_owned());
        }
        if let Some(t) = d.get("unique_serial").and_then(Value::as_str) {
            c.unique_serials.push(t.to_owned());
        }
    }
    c
}

fn given_hash(m: &Map<String, Value>, plain: &str, hashed: &str) -> Option<TokenHash> {
    match (m.get(plain), m.get(hashed)) {
        (Some(Value::String(t)), _) => Some(TokenHash::of(t)),
        (None, Some(Value::String(h))) => parse_token_hash(h),
        _ => None,
    }
}

impl Walker<'_> {
    fn error(&mut self, at: &At, field: Option<&str>, message: impl Into<String>) {
        self.errors.push(EntryError {
            path: at.path.clone(),
            label: at.label.clone(),
            field: field.map(str::to_owned),
            message: message.into(),
        });
    }

    /// Field errors of an entry; `non_field_errors` are errors of the entry as a whole.
    /// `prefix` names the nested object they belong to (`settings`).
    fn field_errors(&mut self, at: &At, errors: &FieldErrors, prefix: Option<&str>) {
        for (field, message) in errors.iter() {
            let field = match (field, prefix) {
                ("non_field_errors", None) => None,
                ("non_field_errors", Some(p)) => Some(p.to_owned()),
                (f, None) => Some(f.to_owned()),
                (f, Some(p)) => Some(format!("{p}.{f}")),
            };
            self.error(at, field.as_deref(), message);
        }
    }

    fn known_keys(&mut self, at: &At, body: &Map<String, Value>, known: &[&str]) {
        for key in body.keys() {
            if !known.contains(&key.as_str()) {
                self.error(at, Some(key), UNKNOWN_FIELD);
            }
        }
    }

    /// The objects of the list `key` (absent: none), each with its place.
    fn objects<'v>(
        &mut self,
        at: &At,
        body: &'v Map<String, Value>,
        key: &str,
        label: impl Fn(&Map<String, Value>) -> Option<String>,
    ) -> Vec<(At, &'v Map<String, Value>)> {
        let items = match body.get(key) {
            None => return Vec::new(),
            Some(Value::Array(items)) => items,
            Some(other) => {
                let message = format!(
                    "Expected a list of items but got type \"{}\".",
                    type_name(other)
                );
                self.error(at, Some(key), message);
                return Vec::new();
            }
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            match item {
                Value::Object(map) => out.push((at.child(key, i, label(map)), map)),
                other => {
                    let message = format!(
                        "Invalid data. Expected a dictionary, but got {}.",
                        type_name(other)
                    );
                    self.error(&at.child(key, i, None), None, message);
                }
            }
        }
        out
    }

    /// A given `id` (or `device_id`): absent or null is none; else a positive integer.
    fn id_field(
        &mut self,
        at: &At,
        body: &Map<String, Value>,
        key: &str,
    ) -> Result<Option<i64>, ()> {
        match body.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => match self.reader.integer(v) {
                Ok(id) if id >= 1 => Ok(Some(id)),
                Ok(_) => {
                    self.error(
                        at,
                        Some(key),
                        "Ensure this value is greater than or equal to 1.",
                    );
                    Err(())
                }
                Err(e) => {
                    self.error(at, Some(key), e);
                    Err(())
                }
            },
        }
    }

    /// A required string field (not blank); its error goes to `errors`.
    fn required_string(
        &self,
        body: &Map<String, Value>,
        key: &str,
        errors: &mut FieldErrors,
    ) -> Option<String> {
        match body.get(key).map(|v| self.reader.string(v, false)) {
            None => {
                errors.add(key, REQUIRED);
                None
            }
            Some(Err(e)) => {
                errors.add(key, e);
                None
            }
            Some(Ok(s)) => Some(s),
        }
    }

    /// A boolean field, if given; its error goes to `errors`.
    fn optional_bool(
        &self,
        body: &Map<String, Value>,
        key: &str,
        errors: &mut FieldErrors,
    ) -> Option<bool> {
        match body.get(key).map(|v| self.reader.boolean(v)) {
            None => None,
            Some(Ok(b)) => Some(b),
            Some(Err(e)) => {
                errors.add(key, e);
                None
            }
        }
    }

    /// A token written in the document (see [`check_fixed_token`]); its error goes to
    /// `errors` under `key`.
    fn fixed_token(&self, key: &str, value: &Value, errors: &mut FieldErrors) -> Option<String> {
        match self.reader.string(value, false) {
            Ok(t) => match check_fixed_token(&t) {
                Ok(()) => Some(t),
                Err(e) => {
                    errors.add(key, e);
                    None
                }
            },
            Err(e) => {
                errors.add(key, e);
                None
            }
        }
    }

    async fn organizer(
        &mut self,
        store: &dyn FixtureStore,
        at: At,
        body: &Map<String, Value>,
    ) -> Result<Option<FixtureOrganizer>, RepositoryError> {
        self.known_keys(&at, body, ORGANIZER_KEYS);
        let mut errors = FieldErrors::new();
        let slug = self
            .required_string(body, "slug", &mut errors)
            .and_then(|s| match Slug::parse(&s) {
                Ok(slug) => Some(slug),
                Err(e) => {
                    errors.add("slug", e.to_string());
                    None
                }
            });
        let name = self.required_string(body, "name", &mut errors);
        self.field_errors(&at, &errors, None);
        let (Some(slug), Some(name)) = (slug, name) else {
            return Ok(None);
        };
        if !self.seen.organizers.insert(slug.as_str().to_owned()) {
            self.error(
                &at,
                Some("slug"),
                "An earlier entry of the document has this slug.",
            );
            return Ok(None);
        }
        let state = match store.export(slug.as_str()).await? {
            Some(snapshot) => State::from_snapshot(snapshot),
            None => State::new_organizer(slug, name.clone()),
        };
        let taken = store.taken(claims(body)).await?;
        let staging = Staging::new(state);
        staging.lock()?.organizer.name = name;
        let mut touched = Touched::default();
        let withdrawn = self.plugins(&staging, &at, body).await?;
        let organizer = staging.lock()?.organizer.clone();
        let principal = principal(&organizer);
        self.settings(
            &staging,
            Target::Organizer(organizer.id),
            &at,
            body.get("settings"),
        )
        .await?;
        self.meta_properties(&staging, &organizer, &at, body, &mut touched)
            .await?;
        self.sales_channels(&staging, &organizer, &at, body, &mut touched)
            .await?;
        let mut slugs = HashSet::new();
        for (child, event) in self.objects(&at, body, "events", |b| label_of(b.get("slug"))) {
            self.event(
                &staging,
                &organizer,
                &principal,
                child,
                event,
                &mut touched,
                &taken,
                &mut slugs,
            )
            .await?;
        }
        self.teams(&staging, &organizer, &at, body, &mut touched, &taken)
            .await?;
        self.devices(&staging, &organizer, &at, body, &mut touched, &taken)
            .await?;
        let state = staging.into_state()?;
        Ok(Some(build(state, touched, withdrawn)))
    }

    /// The organizer's plugins, if given; returns those its events lose.
    async fn plugins(
        &mut self,
        staging: &Staging,
        at: &At,
        body: &Map<String, Value>,
    ) -> Result<Vec<String>, RepositoryError> {
        let Some(value) = body.get("plugins") else {
            return Ok(Vec::new());
        };
        let list = match self.reader.string_list(value) {
            Ok(list) => list,
            Err(e) => {
                self.error(at, Some("plugins"), e);
                return Ok(Vec::new());
            }
        };
        let before = staging.lock()?.organizer.clone();
        match change_plugins(staging, &before, &list).await {
            Ok(after) => {
                Ok(crate::plugins::CORE.withdrawn_from_events(&before.plugins, &after.plugins))
            }
            Err(ChangePluginsError::Invalid(e)) => {
                self.error(at, Some("plugins"), e.to_string());
                Ok(Vec::new())
            }
            Err(ChangePluginsError::Repository(r)) => Err(r),
        }
    }

    /// A `settings` object: a PATCH of the level's settings (unknown keys are refused).
    async fn settings(
        &mut self,
        staging: &Staging,
        target: Target,
        at: &At,
        value: Option<&Value>,
    ) -> Result<(), RepositoryError> {
        let Some(value) = value else {
            return Ok(());
        };
        let Value::Object(map) = value else {
            let message = format!(
                "Invalid data. Expected a dictionary, but got {}.",
                type_name(value)
            );
            self.error(at, Some("settings"), message);
            return Ok(());
        };
        let level = target.level();
        let mut unknown = false;
        for key in map.keys() {
            if !keys_for(level).any(|k| k.name == key) {
                self.error(at, Some(&format!("settings.{key}")), "Unknown setting.");
                unknown = true;
            }
        }
        if unknown {
            return Ok(());
        }
        match settings::change_values(staging, target, map).await {
            Ok(_) => Ok(()),
            Err(ChangeError::Invalid(errors)) => {
                self.field_errors(at, &errors, Some("settings"));
                Ok(())
            }
            Err(ChangeError::Repository(r)) => Err(r),
        }
    }

    async fn meta_properties(
        &mut self,
        staging: &Staging,
        organizer: &Organizer,
        at: &At,
        body: &Map<String, Value>,
        touched: &mut Touched,
    ) -> Result<(), RepositoryError> {
        let mut names = HashSet::new();
        for (at, entry) in self.objects(at, body, "meta_properties", |b| label_of(b.get("name"))) {
            self.known_keys(&at, entry, META_PROPERTY_KEYS);
            let fields = match self.reader.meta_property(entry) {
                Ok(f) => f,
                Err(errors) => {
                    self.field_errors(&at, &errors, None);
                    continue;
                }
            };
            if !names.insert(fields.name.clone()) {
                self.error(&at, Some("name"), DUPLICATE_NAME);
                continue;
            }
            let existing = staging
                .lock()?
                .meta
                .iter()
                .find(|p| p.name == fields.name)
                .map(|p| p.id);
            let result = match existing {
                Some(id) => meta::update_meta_property(staging, organizer.id, id, fields)
                    .await
                    .map(|p| p.map(|p| p.id)),
                None => meta::create_meta_property(staging, organizer.id, fields)
                    .await
                    .map(|p| Some(p.id)),
            };
            match result {
                Ok(Some(id)) => push(&mut touched.meta, id),
                Ok(None) => {}
                Err(MetaPropertyError::Invalid(errors)) => self.field_errors(&at, &errors, None),
                Err(MetaPropertyError::Repository(r)) => return Err(r),
            }
        }
        Ok(())
    }

    async fn sales_channels(
        &mut self,
        staging: &Staging,
        organizer: &Organizer,
        at: &At,
        body: &Map<String, Value>,
        touched: &mut Touched,
    ) -> Result<(), RepositoryError> {
        let mut identifiers = HashSet::new();
        for (at, entry) in self.objects(at, body, "sales_channels", |b| {
            label_of(b.get("identifier"))
        }) {
            self.known_keys(&at, entry, SALES_CHANNEL_KEYS);
            let identifier = entry
                .get("identifier")
                .and_then(Value::as_str)
                .map(str::trim)
                .unwrap_or_default()
                .to_owned();
            if !identifier.is_empty() && !identifiers.insert(identifier.clone()) {
                self.error(&at, Some("identifier"), DUPLICATE_IDENTIFIER);
                continue;
            }
            let existing = staging
                .lock()?
                .channels
                .iter()
                .find(|c| c.identifier == identifier)
                .cloned();
            let fields = match self.reader.sales_channel(entry, existing.as_ref()) {
                Ok(f) => f,
                Err(errors) => {
                    self.field_errors(&at, &errors, None);
                    continue;
                }
            };
            let result = match &existing {
                Some(channel) => {
                    sales_channel::update_sales_channel(staging, channel, fields).await
                }
                None => sales_channel::create_sales_channel(staging, organizer.id, fields).await,
            };
            match result {
                Ok(c) => push(&mut touched.channels, c.identifier),
                Err(SalesChannelError::Invalid(errors)) => self.field_errors(&at, &errors, None),
                Err(SalesChannelError::Repository(r)) => return Err(r),
                Err(e) => self.error(&at, None, e.to_string()),
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn event(
        &mut self,
        staging: &Staging,
        organizer: &Organizer,
        principal: &Principal,
        at: At,
        body: &Map<String, Value>,
        touched: &mut Touched,
        taken: &Claims,
        slugs: &mut HashSet<String>,
    ) -> Result<(), RepositoryError> {
        let known: Vec<&str> = EVENT_FIELDS.iter().chain(EVENT_NESTED).copied().collect();
        self.known_keys(&at, body, &known);
        let (mut changes, errors) = self.reader.event(&without(body, EVENT_NESTED));
        if let Some(slug) = &changes.slug {
            if !slugs.insert(slug.as_str().to_owned()) {
                self.error(
                    &at,
                    Some("slug"),
                    "This slug has already been used for a different event.",
                );
                return Ok(());
            }
        }
        let existing = match &changes.slug {
            Some(slug) => staging
                .lock()?
                .events
                .iter()
                .find(|e| e.data.slug == *slug)
                .cloned(),
            None => None,
        };
        let ports = EventPorts {
            events: staging,
            meta: staging,
            channels: staging,
            settings: staging,
        };
        // Events are created as the API creates them, not live; they go live (with the
        // go-live checks) once their catalog is in place.
        let go_live = changes.live == Some(true);
        let result = match &existing {
            Some(current) => {
                if go_live {
                    changes.live = Some(current.data.live);
                }
                event::update_event(
                    &ports,
                    principal,
                    organizer,
                    current,
                    changes,
                    UpdateMode::Replace,
                    errors,
                )
                .await
            }
            None => {
                if go_live {
                    changes.live = None;
                }
                event::create_event(&ports, principal, organizer, changes, errors).await
            }
        };
        let Some(stored) = self.event_result(&at, result)? else {
            return Ok(());
        };
        push(&mut touched.events, stored.id);
        let target = Target::Event {
            organizer: organizer.id,
            event: stored.id,
        };
        self.settings(staging, target, &at, body.get("settings"))
            .await?;
        self.items(staging, &stored, &at, body, touched, taken)
            .await?;
        self.entries::<SubEvent>(staging, &stored, &at, body, touched, taken)
            .await?;
        self.entries::<Quota>(staging, &stored, &at, body, touched, taken)
            .await?;
        self.entries::<DigitalContent>(staging, &stored, &at, body, touched, taken)
            .await?;
        self.secrets(staging, &stored, &at, body, touched).await?;
        if go_live && !stored.data.live {
            let current = staging.lock()?.event(stored.id).cloned();
            if let Some(current) = current {
                let live = EventChanges {
                    live: Some(true),
                    ..EventChanges::default()
                };
                let result = event::update_event(
                    &ports,
                    principal,
                    organizer,
                    &current,
                    live,
                    UpdateMode::Partial,
                    FieldErrors::new(),
                )
                .await;
                self.event_result(&at, result)?;
            }
        }
        Ok(())
    }

    fn event_result(
        &mut self,
        at: &At,
        result: Result<Event, EventError>,
    ) -> Result<Option<Event>, RepositoryError> {
        match result {
            Ok(e) => Ok(Some(e)),
            Err(EventError::Invalid(errors)) => {
                self.field_errors(at, &errors, None);
                Ok(None)
            }
            Err(EventError::Refused(detail)) => {
                self.error(at, None, detail);
                Ok(None)
            }
            Err(EventError::Key(k)) => Err(RepositoryError::Internal(k.to_string())),
            Err(EventError::Repository(r)) => Err(r),
        }
    }

    fn item_error(&mut self, at: &At, e: ItemError) -> Result<(), RepositoryError> {
        match e {
            ItemError::Invalid(errors) => {
                self.field_errors(at, &errors.fields, None);
                if let Some(message) = errors.variations_not_a_list {
                    self.error(at, Some("variations"), message);
                }
                for (i, v) in errors.variations.iter().enumerate() {
                    self.field_errors(&at.child("variations", i, None), v, None);
                }
                Ok(())
            }
            ItemError::Refused(detail) => {
                self.error(at, None, detail);
                Ok(())
            }
            ItemError::NotFound => Err(RepositoryError::Internal("staged product vanished".into())),
            ItemError::Repository(r) => Err(r),
        }
    }

    /// Checks a given catalog id: not used earlier in the document, and not a row of another
    /// event (or product, for variations). Returns whether it may be used.
    fn claim(
        &mut self,
        at: &At,
        id: i64,
        seen: fn(&mut Seen) -> &mut HashSet<i64>,
        owner_here: Option<bool>,
        taken: bool,
        (kind, owner): (&str, &str),
    ) -> bool {
        if !seen(&mut self.seen).insert(id) {
            self.error(at, Some("id"), EARLIER_ID);
            return false;
        }
        match owner_here {
            Some(true) => true,
            Some(false) => {
                self.error(at, Some("id"), owner_message(kind, id, owner));
                false
            }
            None if taken => {
                self.error(at, Some("id"), owner_message(kind, id, owner));
                false
            }
            None => true,
        }
    }

    /// The staged row an entry of `event` names: the one with its `id` (which the entry
    /// claims), else the event's row with its name. `Err(())` when the entry is refused (its
    /// id is used by an earlier entry or by another event, or an earlier entry without id
    /// matched the same row); the error is reported.
    #[allow(clippy::too_many_arguments)]
    fn existing<T: Keyed>(
        &mut self,
        staging: &Staging,
        event: EventId,
        at: &At,
        id: Option<i64>,
        changes: &T::Changes,
        matched: &[T::Id],
        taken: &Claims,
    ) -> Result<Result<Option<T>, ()>, RepositoryError> {
        let s = staging.lock()?;
        match id {
            Some(id) => {
                let staged = s.row::<T>(id).cloned();
                drop(s);
                let here = staged.as_ref().map(|x| x.event() == event);
                let taken = T::taken(taken).contains(&id);
                let free = self.claim(at, id, T::seen, here, taken, (T::KIND, "event"));
                Ok(if free { Ok(staged) } else { Err(()) })
            }
            None => {
                let found = T::rows(&s)
                    .iter()
                    .find(|x| x.event() == event && x.same_name(changes))
                    .cloned();
                drop(s);
                if found.as_ref().is_some_and(|x| matched.contains(&x.id())) {
                    self.error(at, Some(T::NAME), SAME_NAME);
                    return Ok(Err(()));
                }
                Ok(Ok(found))
            }
        }
    }

    /// The entries of the event's list `T::LIST`: each replaces the staged row it names (a
    /// `PUT`) or is created (a `POST`).
    async fn entries<T: EventEntry>(
        &mut self,
        staging: &Staging,
        event: &Event,
        at: &At,
        body: &Map<String, Value>,
        touched: &mut Touched,
        taken: &Claims,
    ) -> Result<(), RepositoryError> {
        let mut matched = Vec::new();
        for (at, entry) in self.objects(at, body, T::LIST, |b| label_of(b.get(T::NAME))) {
            self.known_keys(&at, entry, T::FIELDS);
            let Ok(id) = self.id_field(&at, entry, "id") else {
                continue;
            };
            let (changes, errors) = T::read(self.reader, entry);
            let Ok(existing) =
                self.existing::<T>(staging, event.id, &at, id, &changes, &matched, taken)?
            else {
                continue;
            };
            let result = match &existing {
                Some(current) => T::write(staging, event, Some(current), changes, errors).await?,
                None => {
                    let create = T::write(staging, event, None, changes, errors);
                    hinted(staging, |h| *T::hint(h) = id, create).await??
                }
            };
            match result {
                Ok(x) => {
                    matched.push(x.id());
                    push(T::touched(touched), x.id());
                }
                Err(errors) => self.field_errors(&at, &errors, None),
            }
        }
        Ok(())
    }

    async fn items(
        &mut self,
        staging: &Staging,
        event: &Event,
        at: &At,
        body: &Map<String, Value>,
        touched: &mut Touched,
        taken: &Claims,
    ) -> Result<(), RepositoryError> {
        let mut matched: Vec<ItemId> = Vec::new();
        for (at, entry) in self.objects(at, body, "items", |b| label_of(b.get("name"))) {
            self.known_keys(&at, entry, ITEM_FIELDS);
            let Ok(id) = self.id_field(&at, entry, "id") else {
                continue;
            };
            let (mut changes, errors) = self.reader.item(entry);
            let Ok(existing) =
                self.existing::<Item>(staging, event.id, &at, id, &changes, &matched, taken)?
            else {
                continue;
            };
            let variation_bodies: Vec<(At, Map<String, Value>)> = match entry.get("variations") {
                Some(Value::Array(list)) => list
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| {
                        v.as_object().map(|m| {
                            (
                                at.child("variations", i, label_of(m.get("value"))),
                                m.clone(),
                            )
                        })
                    })
                    .collect(),
                _ => Vec::new(),
            };
            match existing {
                Some(item) => {
                    matched.push(item.id);
                    let inline = changes.variations.take();
                    let item_errors = ItemErrors {
                        fields: errors.fields,
                        variations_not_a_list: errors.variations_not_a_list,
                        variations: Vec::new(),
                    };
                    match item::update_item(staging, &item, changes, Write::Full, item_errors).await
                    {
                        Ok(i) => push(&mut touched.items, i.id),
                        Err(e) => {
                            self.item_error(&at, e)?;
                            continue;
                        }
                    }
                    if inline.is_some() {
                        let mut vmatched = Vec::new();
                        for (vat, vbody) in variation_bodies {
                            self.variation(
                                staging,
                                item.id,
                                event.id,
                                vat,
                                &vbody,
                                taken,
                                &mut vmatched,
                            )
                            .await?;
                        }
                    }
                }
                None => {
                    let mut ids = Vec::new();
                    let mut ok = true;
                    for (vat, vbody) in &variation_bodies {
                        match self.id_field(vat, vbody, "id") {
                            Ok(Some(vid)) => {
                                let here = staging
                                    .lock()?
                                    .items
                                    .iter()
                                    .any(|i| i.variation(item::VariationId(vid)).is_some())
                                    .then_some(false);
                                ok &= self.claim(
                                    vat,
                                    vid,
                                    |s| &mut s.variations,
                                    here,
                                    taken.variations.contains(&vid),
                                    ("Variation", "product"),
                                );
                                ids.push(Some(vid));
                            }
                            Ok(None) => ids.push(None),
                            Err(()) => ok = false,
                        }
                    }
                    if !ok {
                        continue;
                    }
                    let create = item::create_item(staging, event.id, changes, errors);
                    let hint = |h: &mut Hints| {
                        h.item = id;
                        h.item_variations = ids;
                    };
                    match hinted(staging, hint, create).await? {
                        Ok(i) => {
                            matched.push(i.id);
                            push(&mut touched.items, i.id);
                        }
                        Err(e) => self.item_error(&at, e)?,
                    }
                }
            }
        }
        Ok(())
    }

    /// A variation entry of a stored product: replaced (by id, else by value) or added.
    #[allow(clippy::too_many_arguments)]
    async fn variation(
        &mut self,
        staging: &Staging,
        item: ItemId,
        event: EventId,
        at: At,
        body: &Map<String, Value>,
        taken: &Claims,
        matched: &mut Vec<item::VariationId>,
    ) -> Result<(), RepositoryError> {
        self.known_keys(&at, body, VARIATION_FIELDS);
        let Ok(id) = self.id_field(&at, body, "id") else {
            return Ok(());
        };
        let (changes, errors) = self.reader.variation(body);
        let current: Option<Item> = staging
            .lock()?
            .items
            .iter()
            .find(|i| i.id == item && i.event == event)
            .cloned();
        let Some(current) = current else {
            return Ok(());
        };
        let existing = match id {
            Some(vid) => {
                let vid_t = item::VariationId(vid);
                let elsewhere = staging
                    .lock()?
                    .items
                    .iter()
                    .any(|i| i.id != item && i.variation(vid_t).is_some());
                let here = match (current.variation(vid_t), elsewhere) {
                    (Some(_), _) => Some(true),
                    (None, true) => Some(false),
                    (None, false) => None,
                };
                if !self.claim(
                    &at,
                    vid,
                    |s| &mut s.variations,
                    here,
                    taken.variations.contains(&vid),
                    ("Variation", "product"),
                ) {
                    return Ok(());
                }
                current.variation(vid_t).cloned()
            }
            None => {
                let found = current
                    .variations
                    .iter()
                    .find(|v| Some(&v.fields.value) == changes.value.as_ref())
                    .cloned();
                if found.as_ref().is_some_and(|v| matched.contains(&v.id)) {
                    self.error(
                        &at,
                        Some("value"),
                        "An earlier entry of this product has the same value; give the entries their ids.",
                    );
                    return Ok(());
                }
                found
            }
        };
        let result = match existing {
            Some(v) => {
                matched.push(v.id);
                item::update_variation(staging, &v, changes, Write::Full, errors).await
            }
            None => {
                let create = item::create_variation(staging, &current, changes, errors);
                hinted(staging, |h| h.variation = id, create).await?
            }
        };
        match result {
            Ok(v) => {
                matched.push(v.id);
                Ok(())
            }
            Err(e) => self.item_error(&at, e),
        }
    }

    fn secret_error(&mut self, at: &At, e: ImportedSecretError) -> Result<(), RepositoryError> {
        match e {
            ImportedSecretError::Invalid(errors) => {
                self.field_errors(at, &errors, None);
                Ok(())
            }
            ImportedSecretError::Repository(r) => Err(r),
            other => {
                self.error(at, None, other.to_string());
                Ok(())
            }
        }
    }

    async fn secrets(
        &mut self,
        staging: &Staging,
        event: &Event,
        at: &At,
        body: &Map<String, Value>,
        touched: &mut Touched,
    ) -> Result<(), RepositoryError> {
        let mut seen = HashSet::new();
        let mut new: Vec<(At, SecretChanges)> = Vec::new();
        for (at, entry) in self.objects(at, body, "imported_secrets", |_| None) {
            self.known_keys(&at, entry, IMPORTED_SECRET_FIELDS);
            let changes = self.reader.imported_secret(&Value::Object(entry.clone()));
            if let Some(secret) = &changes.secret {
                if !seen.insert(secret.clone()) {
                    self.error(&at, Some("secret"), DUPLICATE_IN_REQUEST);
                    continue;
                }
            }
            let existing = changes.secret.as_ref().and_then(|secret| {
                staging.lock().ok().and_then(|s| {
                    s.secrets
                        .iter()
                        .find(|x| x.event == event.id && x.data.secret == *secret)
                        .cloned()
                })
            });
            match existing {
                Some(current) => {
                    match imported_secret::update_secret(
                        staging,
                        event.id,
                        current,
                        changes,
                        UpdateMode::Replace,
                    )
                    .await
                    {
                        Ok(x) => push(&mut touched.secrets, x.id),
                        Err(e) => self.secret_error(&at, e)?,
                    }
                }
                None => new.push((at, changes)),
            }
        }
        for chunk in new.chunks(BULK_MAX) {
            let objects = chunk.iter().map(|(_, c)| c.clone()).collect();
            match imported_secret::bulk_create_secrets(staging, event.id, objects).await {
                Ok(created) => {
                    for x in created {
                        push(&mut touched.secrets, x.id);
                    }
                }
                Err(ImportedSecretError::InvalidObjects(list)) => {
                    for ((at, _), errors) in chunk.iter().zip(list) {
                        self.field_errors(at, &errors, None);
                    }
                }
                Err(e) => {
                    if let Some((at, _)) = chunk.first() {
                        self.secret_error(at, e)?;
                    }
                }
            }
        }
        Ok(())
    }

    async fn teams(
        &mut self,
        staging: &Staging,
        organizer: &Organizer,
        at: &At,
        body: &Map<String, Value>,
        touched: &mut Touched,
        taken: &Claims,
    ) -> Result<(), RepositoryError> {
        let mut known = vec!["id", "name", "all_events", "limit_events", "tokens"];
        known.extend(Permission::ALL.iter().map(|p| p.name()));
        let mut names = HashSet::new();
        for (at, entry) in self.objects(at, body, "teams", |b| label_of(b.get("name"))) {
            self.known_keys(&at, entry, &known);
            let (fields, errors) = self.reader.team(&without(entry, &["tokens"]));
            if !fields.name.is_empty() && !names.insert(fields.name.clone()) {
                self.error(
                    &at,
                    Some("name"),
                    "An earlier entry of the document has this team name.",
                );
                continue;
            }
            let existing = staging
                .lock()?
                .teams
                .iter()
                .find(|t| t.team.team.name == fields.name)
                .map(|t| t.team.team.id);
            let result = match existing {
                Some(id) => team::update_team(staging, staging, organizer.id, id, fields, errors)
                    .await
                    .map(|t| t.map(|t| t.team.id)),
                None => team::create_team(staging, staging, organizer.id, fields, errors)
                    .await
                    .map(|t| Some(t.team.id)),
            };
            let id = match result {
                Ok(Some(id)) => id,
                Ok(None) => continue,
                Err(TeamError::Invalid(errors)) => {
                    self.field_errors(&at, &errors, None);
                    continue;
                }
                Err(TeamError::Repository(r)) => return Err(r),
            };
            push(&mut touched.teams, id);
            for (tat, token) in self.objects(&at, entry, "tokens", |b| label_of(b.get("name"))) {
                self.token(staging, id, tat, token, taken)?;
            }
        }
        Ok(())
    }

    /// A token read from `plain` (checked for its shape) or `hashed` (as exported).
    fn token_hash(
        &mut self,
        at: &At,
        body: &Map<String, Value>,
        plain: &str,
        hashed: &str,
        required: bool,
        errors: &mut FieldErrors,
    ) -> Option<TokenHash> {
        match (body.get(plain), body.get(hashed)) {
            (Some(_), Some(_)) => {
                errors.add(plain, format!("Give either {plain} or {hashed}, not both."));
                None
            }
            (Some(v), None) => self
                .fixed_token(plain, v, errors)
                .map(|t| TokenHash::of(&t)),
            (None, Some(v)) => match v.as_str().and_then(parse_token_hash) {
                Some(h) => Some(h),
                None => {
                    errors.add(
                        hashed,
                        "Enter the 64 lower-case hexadecimal digits of a SHA-256 hash.",
                    );
                    None
                }
            },
            (None, None) => {
                if required {
                    errors.add(plain, REQUIRED);
                }
                let _ = at;
                None
            }
        }
    }

    fn token(
        &mut self,
        staging: &Staging,
        team: TeamId,
        at: At,
        body: &Map<String, Value>,
        taken: &Claims,
    ) -> Result<(), RepositoryError> {
        self.known_keys(&at, body, TOKEN_KEYS);
        let mut errors = FieldErrors::new();
        let name = self
            .required_string(body, "name", &mut errors)
            .and_then(|n| match team::check_name(&n) {
                Ok(()) => Some(n),
                Err(e) => {
                    errors.add("name", e.to_string());
                    None
                }
            });
        let active = self
            .optional_bool(body, "active", &mut errors)
            .unwrap_or(true);
        let hash = self.token_hash(&at, body, "token", "token_sha256", true, &mut errors);
        errors.sort_by_order(&["name", "active", "token", "token_sha256"]);
        if !errors.is_empty() {
            self.field_errors(&at, &errors, None);
            return Ok(());
        }
        let (Some(name), Some(hash)) = (name, hash) else {
            return Ok(());
        };
        if !self.seen.tokens.insert(hash) {
            self.error(
                &at,
                Some("token"),
                "An earlier entry of the document has this token.",
            );
            return Ok(());
        }
        let mut s = staging.lock()?;
        let mut found = None;
        for t in &mut s.teams {
            if let Some(pos) = t.tokens.iter().position(|x| x.hash == hash) {
                found = Some(t.tokens.remove(pos));
            }
        }
        let token = match found {
            Some(stored) if !stored.token.active && active => {
                drop(s);
                self.error(
                    &at,
                    Some("active"),
                    "A deactivated token cannot be activated again.",
                );
                return Ok(());
            }
            Some(stored) => TokenSnapshot {
                token: ApiToken {
                    id: stored.token.id,
                    team,
                    name,
                    active,
                },
                hash,
            },
            None if taken.api_tokens.contains(&hash) => {
                drop(s);
                self.error(
                    &at,
                    Some("token"),
                    "This token is used by another organizer.",
                );
                return Ok(());
            }
            None => TokenSnapshot {
                token: ApiToken {
                    id: TokenId(s.provisional()),
                    team,
                    name,
                    active,
                },
                hash,
            },
        };
        if let Some(t) = s.teams.iter_mut().find(|t| t.team.team.id == team) {
            t.tokens.push(token);
        }
        Ok(())
    }

    async fn devices(
        &mut self,
        staging: &Staging,
        organizer: &Organizer,
        at: &At,
        body: &Map<String, Value>,
        touched: &mut Touched,
        taken: &Claims,
    ) -> Result<(), RepositoryError> {
        let known: Vec<&str> = DEVICE_FIELDS.iter().chain(DEVICE_EXTRA).copied().collect();
        let mut device_ids = HashSet::new();
        let mut names = HashSet::new();
        for (at, entry) in self.objects(at, body, "devices", |b| label_of(b.get("name"))) {
            self.known_keys(&at, entry, &known);
            let Ok(device_id) = self.id_field(&at, entry, "device_id") else {
                continue;
            };
            let (changes, mut errors) = self.reader.device(entry);
            let fixed = |w: &Self, key: &str, errors: &mut FieldErrors| match entry.get(key) {
                None | Some(Value::Null) => None,
                Some(v) => w.fixed_token(key, v, errors),
            };
            let serial = fixed(self, "unique_serial", &mut errors);
            let init = fixed(self, "initialization_token", &mut errors);
            let api = self.token_hash(
                &at,
                entry,
                "api_token",
                "api_token_sha256",
                false,
                &mut errors,
            );
            let revoked = self.optional_bool(entry, "revoked", &mut errors);
            let mut hardware = Vec::new();
            for key in HARDWARE {
                match entry.get(*key) {
                    None | Some(Value::Null) => hardware.push(None),
                    Some(v) => match self.reader.string(v, true) {
                        Ok(t) if t.chars().count() > 190 => {
                            errors.add(key, TOO_LONG);
                            hardware.push(None);
                        }
                        Ok(t) => hardware.push(Some(t)),
                        Err(e) => {
                            errors.add(key, e);
                            hardware.push(None);
                        }
                    },
                }
            }
            // Matched by `device_id`, else by name.
            let existing = {
                let s = staging.lock()?;
                match (device_id, &changes.name) {
                    (Some(n), _) => s.devices.iter().find(|d| d.device.device_id == n).cloned(),
                    (None, Some(name)) => {
                        s.devices.iter().find(|d| d.device.name == *name).cloned()
                    }
                    (None, None) => None,
                }
            };
            let duplicate = match device_id {
                Some(n) => !device_ids.insert(n),
                None => changes
                    .name
                    .as_ref()
                    .is_some_and(|n| !names.insert(n.clone())),
            } || existing
                .as_ref()
                .is_some_and(|d| touched.devices.contains(&d.device.id));
            if duplicate {
                let field = if device_id.is_some() {
                    "device_id"
                } else {
                    "name"
                };
                self.error(
                    &at,
                    Some(field),
                    "An earlier entry of the document names this device.",
                );
                continue;
            }
            let mine = existing.as_ref().map(|d| d.device.id);
            {
                let s = staging.lock()?;
                // Used by another device of the organizer, or (no device of it has the value)
                // by a device of another organizer.
                let clash = |same: &dyn Fn(&DeviceSnapshot) -> bool, elsewhere: bool| {
                    s.devices
                        .iter()
                        .any(|d| Some(d.device.id) != mine && same(d))
                        || (!s.devices.iter().any(same) && elsewhere)
                };
                if let Some(t) = &init {
                    let used = clash(
                        &|d| d.device.initialization_token == *t,
                        taken.initialization_tokens.contains(t),
                    ) || !self.seen.initialization_tokens.insert(t.clone());
                    if used {
                        errors.add(
                            "initialization_token",
                            "This token is used by another device.",
                        );
                    }
                }
                if let Some(t) = &serial {
                    let used = clash(
                        &|d| d.device.unique_serial == *t,
                        taken.unique_serials.contains(t),
                    ) || !self.seen.serials.insert(t.clone());
                    if used {
                        errors.add("unique_serial", "This serial is used by another device.");
                    }
                }
                if let Some(h) = &api {
                    let field = if entry.contains_key("api_token") {
                        "api_token"
                    } else {
                        "api_token_sha256"
                    };
                    let used = clash(
                        &|d| d.api_token == Some(*h),
                        taken.device_tokens.contains(h),
                    ) || !self.seen.device_tokens.insert(*h);
                    if used {
                        errors.add(field, "This token is used by another device.");
                    }
                }
                if revoked == Some(false) && existing.as_ref().is_some_and(|d| d.device.revoked) {
                    errors.add("revoked", "A revoked device cannot be restored.");
                }
            }
            let ports = DevicePorts {
                devices: staging,
                organizers: staging,
            };
            let result = match &existing {
                Some(d) => {
                    device::update_device(&ports, &d.device, changes, WriteMode::Replace, errors)
                        .await
                }
                None => {
                    let hint = |h: &mut Hints| {
                        h.device_id = device_id;
                        h.serial = serial.clone();
                        h.initialization_token = init.clone();
                    };
                    let create = device::create_device(&ports, organizer.id, changes, errors);
                    hinted(staging, hint, create).await?
                }
            };
            let stored = match result {
                Ok(d) => d,
                Err(DeviceError::Invalid(errors)) => {
                    self.field_errors(&at, &errors, None);
                    continue;
                }
                Err(DeviceError::Repository(r)) => return Err(r),
            };
            push(&mut touched.devices, stored.id);
            let mut s = staging.lock()?;
            if let Some(d) = s.devices.iter_mut().find(|d| d.device.id == stored.id) {
                if let Some(t) = serial {
                    d.device.unique_serial = t;
                }
                if let Some(t) = init {
                    d.device.initialization_token = t;
                }
                if let Some(h) = api {
                    d.api_token = Some(h);
                    d.device.initialized.get_or_insert_with(WireDateTime::now);
                    let hw = &mut d.device.hardware;
                    for (slot, value) in [
                        &mut hw.hardware_brand,
                        &mut hw.hardware_model,
                        &mut hw.os_name,
                        &mut hw.os_version,
                        &mut hw.software_brand,
                        &mut hw.software_version,
                    ]
                    .into_iter()
                    .zip(hardware)
                    {
                        *slot = value;
                    }
                }
                if revoked == Some(true) {
                    d.device.revoked = true;
                }
            }
        }
        Ok(())
    }
}

/// The rows of one kind of an event that the document's entries wrote.
fn written<T: Staged>(state: &State, event: EventId, ids: &[T::Id]) -> Vec<T> {
    T::rows(state)
        .iter()
        .filter(|x| x.event() == event && ids.contains(&x.id()))
        .cloned()
        .collect()
}

/// The fixture of one organizer: the rows its entries wrote, as the staging left them.
fn build(mut state: State, touched: Touched, withdrawn_plugins: Vec<String>) -> FixtureOrganizer {
    let mut events = Vec::new();
    for id in &touched.events {
        let Some(event) = state.event(*id).cloned() else {
            continue;
        };
        let settings = state
            .event_settings
            .iter()
            .find(|(e, _)| e == id)
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let keys = state
            .keys
            .iter()
            .position(|(e, _)| e == id)
            .map(|i| state.keys.remove(i).1);
        let mut items: Vec<Item> = written(&state, *id, &touched.items);
        items.sort_by_key(|i| (i.fields.position, i.id.0 <= 0, i.id.0.abs()));
        events.push(EventSnapshot {
            event,
            settings,
            items,
            subevents: written(&state, *id, &touched.subevents),
            quotas: written(&state, *id, &touched.quotas),
            digital_contents: written(&state, *id, &touched.contents),
            imported_secrets: written(&state, *id, &touched.secrets),
            keys,
        });
    }
    let teams: Vec<TeamSnapshot> = state
        .teams
        .iter()
        .filter(|t| touched.teams.contains(&t.team.team.id))
        .cloned()
        .collect();
    let devices: Vec<DeviceSnapshot> = state
        .devices
        .iter()
        .filter(|d| touched.devices.contains(&d.device.id))
        .cloned()
        .collect();
    FixtureOrganizer {
        snapshot: OrganizerSnapshot {
            organizer: state.organizer,
            settings: state.settings,
            meta_properties: state
                .meta
                .into_iter()
                .filter(|p| touched.meta.contains(&p.id))
                .collect(),
            sales_channels: state
                .channels
                .into_iter()
                .filter(|c| touched.channels.contains(&c.identifier))
                .collect(),
            events,
            teams,
            devices,
        },
        withdrawn_plugins,
    }
}
