//! Reading a document entry by entry and running the API's use cases on a [`Staging`] copy of
//! each organizer; every refused entry is collected with its path.

use super::staging::{Hints, Staging, State};
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
use crate::digital_content::{self, DigitalContentError, DigitalContentId, DIGITAL_CONTENT_FIELDS};
use crate::error::RepositoryError;
use crate::event::{self, Event, EventChanges, EventError, EventPorts, UpdateMode, EVENT_FIELDS};
use crate::imported_secret::{
    self, ImportedSecretError, ImportedSecretId, SecretChanges, BULK_MAX, DUPLICATE_IN_REQUEST,
    IMPORTED_SECRET_FIELDS,
};
use crate::item::{
    self, Item, ItemError, ItemErrors, ItemId, Write, ITEM_FIELDS, VARIATION_FIELDS,
};
use crate::meta::{self, MetaPropertyError, MetaPropertyId, DUPLICATE_NAME};
use crate::organizer::{change_plugins, ChangePluginsError, Organizer};
use crate::quota::{self, QuotaError, QuotaId, QUOTA_FIELDS};
use crate::sales_channel::{self, SalesChannelError, DUPLICATE_IDENTIFIER};
use crate::settings::{self, keys_for, ChangeError, Target};
use crate::subevent::{self, SubEventError, SubEventId, SUBEVENT_FIELDS};
use crate::team::{self, TeamError};
use crate::validation::FieldErrors;
use crate::values::{Slug, WireDateTime};
use serde_json::{Map, Value};
use std::collections::HashSet;

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
        Value::Number(n) => Some(n.to_string()),
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

    async fn organizer(
        &mut self,
        store: &dyn FixtureStore,
        at: At,
        body: &Map<String, Value>,
    ) -> Result<Option<FixtureOrganizer>, RepositoryError> {
        self.known_keys(&at, body, ORGANIZER_KEYS);
        let mut errors = FieldErrors::new();
        let slug = match body.get("slug").map(|v| self.reader.string(v, false)) {
            None => {
                errors.add("slug", REQUIRED);
                None
            }
            Some(Err(e)) => {
                errors.add("slug", e);
                None
            }
            Some(Ok(s)) => match Slug::parse(&s) {
                Ok(slug) => Some(slug),
                Err(e) => {
                    errors.add("slug", e.to_string());
                    None
                }
            },
        };
        let name = match body.get("name").map(|v| self.reader.string(v, false)) {
            None => {
                errors.add("name", REQUIRED);
                None
            }
            Some(Err(e)) => {
                errors.add("name", e);
                None
            }
            Some(Ok(n)) => Some(n),
        };
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
            Ok(after) => Ok(before
                .plugins
                .iter()
                .filter(|m| !after.plugins.contains(m))
                .filter(|m| crate::plugins::find(m).is_some_and(|p| p.needs_organizer))
                .cloned()
                .collect()),
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
        self.subevents(staging, &stored, &at, body, touched, taken)
            .await?;
        self.quotas(staging, &stored, &at, body, touched, taken)
            .await?;
        self.contents(staging, &stored, &at, body, touched, taken)
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
            let existing = match id {
                Some(id) => {
                    let staged = staging.lock()?.items.iter().find(|i| i.id.0 == id).cloned();
                    let here = staged.as_ref().map(|i| i.event == event.id);
                    let free = self.claim(
                        &at,
                        id,
                        |s| &mut s.items,
                        here,
                        taken.items.contains(&id),
                        ("Product", "event"),
                    );
                    if !free {
                        continue;
                    }
                    staged
                }
                None => {
                    let found = staging
                        .lock()?
                        .items
                        .iter()
                        .find(|i| {
                            i.event == event.id && Some(&i.fields.name) == changes.name.as_ref()
                        })
                        .cloned();
                    if found.as_ref().is_some_and(|i| matched.contains(&i.id)) {
                        self.error(&at, Some("name"), SAME_NAME);
                        continue;
                    }
                    found
                }
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
                    {
                        let mut s = staging.lock()?;
                        s.hints.item = id;
                        s.hints.item_variations = ids;
                    }
                    let result = item::create_item(staging, event.id, changes, errors).await;
                    staging.lock()?.hints = Hints::default();
                    match result {
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
                staging.lock()?.hints.variation = id;
                let r = item::create_variation(staging, &current, changes, errors).await;
                staging.lock()?.hints = Hints::default();
                r
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

    async fn subevents(
        &mut self,
        staging: &Staging,
        event: &Event,
        at: &At,
        body: &Map<String, Value>,
        touched: &mut Touched,
        taken: &Claims,
    ) -> Result<(), RepositoryError> {
        let mut matched = Vec::new();
        for (at, entry) in self.objects(at, body, "subevents", |b| label_of(b.get("name"))) {
            self.known_keys(&at, entry, SUBEVENT_FIELDS);
            let Ok(id) = self.id_field(&at, entry, "id") else {
                continue;
            };
            let (changes, errors) = self.reader.subevent(entry);
            let existing = match id {
                Some(id) => {
                    let staged = staging
                        .lock()?
                        .subevents
                        .iter()
                        .find(|x| x.id.0 == id)
                        .cloned();
                    let here = staged.as_ref().map(|x| x.event == event.id);
                    if !self.claim(
                        &at,
                        id,
                        |s| &mut s.subevents,
                        here,
                        taken.subevents.contains(&id),
                        ("Sub-event", "event"),
                    ) {
                        continue;
                    }
                    staged
                }
                None => {
                    let found = staging
                        .lock()?
                        .subevents
                        .iter()
                        .find(|x| {
                            x.event == event.id
                                && Some(&x.data.name) == changes.name.as_ref()
                                && Some(x.data.date_from) == changes.date_from
                        })
                        .cloned();
                    if found.as_ref().is_some_and(|x| matched.contains(&x.id)) {
                        self.error(&at, Some("name"), SAME_NAME);
                        continue;
                    }
                    found
                }
            };
            let result = match existing {
                Some(current) => {
                    subevent::update_subevent(
                        staging,
                        &current,
                        changes,
                        UpdateMode::Replace,
                        errors,
                    )
                    .await
                }
                None => {
                    staging.lock()?.hints.subevent = id;
                    let r = subevent::create_subevent(staging, event, changes, errors).await;
                    staging.lock()?.hints = Hints::default();
                    r
                }
            };
            match result {
                Ok(x) => {
                    matched.push(x.id);
                    push(&mut touched.subevents, x.id);
                }
                Err(SubEventError::Invalid(errors)) => self.field_errors(&at, &errors, None),
                Err(SubEventError::NotFound) => {
                    return Err(RepositoryError::Internal(
                        "staged sub-event vanished".into(),
                    ))
                }
                Err(SubEventError::Repository(r)) => return Err(r),
            }
        }
        Ok(())
    }

    async fn quotas(
        &mut self,
        staging: &Staging,
        event: &Event,
        at: &At,
        body: &Map<String, Value>,
        touched: &mut Touched,
        taken: &Claims,
    ) -> Result<(), RepositoryError> {
        let mut matched = Vec::new();
        for (at, entry) in self.objects(at, body, "quotas", |b| label_of(b.get("name"))) {
            self.known_keys(&at, entry, QUOTA_FIELDS);
            let Ok(id) = self.id_field(&at, entry, "id") else {
                continue;
            };
            let (changes, errors) = self.reader.quota(entry);
            let existing = match id {
                Some(id) => {
                    let staged = staging
                        .lock()?
                        .quotas
                        .iter()
                        .find(|q| q.id.0 == id)
                        .cloned();
                    let here = staged.as_ref().map(|q| q.event == event.id);
                    if !self.claim(
                        &at,
                        id,
                        |s| &mut s.quotas,
                        here,
                        taken.quotas.contains(&id),
                        ("Quota", "event"),
                    ) {
                        continue;
                    }
                    staged
                }
                None => {
                    let found = staging
                        .lock()?
                        .quotas
                        .iter()
                        .find(|q| {
                            q.event == event.id && Some(&q.data.name) == changes.name.as_ref()
                        })
                        .cloned();
                    if found.as_ref().is_some_and(|q| matched.contains(&q.id)) {
                        self.error(&at, Some("name"), SAME_NAME);
                        continue;
                    }
                    found
                }
            };
            let result = match existing {
                Some(current) => {
                    quota::update_quota(
                        staging,
                        event,
                        &current,
                        changes,
                        UpdateMode::Replace,
                        errors,
                    )
                    .await
                }
                None => {
                    staging.lock()?.hints.quota = id;
                    let r = quota::create_quota(staging, event, changes, errors).await;
                    staging.lock()?.hints = Hints::default();
                    r
                }
            };
            match result {
                Ok(q) => {
                    matched.push(q.id);
                    push(&mut touched.quotas, q.id);
                }
                Err(QuotaError::Invalid(errors)) => self.field_errors(&at, &errors, None),
                Err(QuotaError::NotFound) => {
                    return Err(RepositoryError::Internal("staged quota vanished".into()))
                }
                Err(QuotaError::Repository(r)) => return Err(r),
            }
        }
        Ok(())
    }

    async fn contents(
        &mut self,
        staging: &Staging,
        event: &Event,
        at: &At,
        body: &Map<String, Value>,
        touched: &mut Touched,
        taken: &Claims,
    ) -> Result<(), RepositoryError> {
        let mut matched = Vec::new();
        for (at, entry) in self.objects(at, body, "digital_contents", |b| label_of(b.get("title")))
        {
            self.known_keys(&at, entry, DIGITAL_CONTENT_FIELDS);
            let Ok(id) = self.id_field(&at, entry, "id") else {
                continue;
            };
            let (changes, errors) = self.reader.digital_content(entry);
            let existing = match id {
                Some(id) => {
                    let staged = staging
                        .lock()?
                        .contents
                        .iter()
                        .find(|c| c.id.0 == id)
                        .cloned();
                    let here = staged.as_ref().map(|c| c.event == event.id);
                    if !self.claim(
                        &at,
                        id,
                        |s| &mut s.contents,
                        here,
                        taken.digital_contents.contains(&id),
                        ("Digital content", "event"),
                    ) {
                        continue;
                    }
                    staged
                }
                None => {
                    let found = staging
                        .lock()?
                        .contents
                        .iter()
                        .find(|c| {
                            c.event == event.id && Some(&c.data.title) == changes.title.as_ref()
                        })
                        .cloned();
                    if found.as_ref().is_some_and(|c| matched.contains(&c.id)) {
                        self.error(&at, Some("title"), SAME_NAME);
                        continue;
                    }
                    found
                }
            };
            let result = match existing {
                Some(current) => {
                    digital_content::update_digital_content(
                        staging,
                        event,
                        &current,
                        changes,
                        UpdateMode::Replace,
                        errors,
                    )
                    .await
                }
                None => {
                    staging.lock()?.hints.content = id;
                    let r =
                        digital_content::create_digital_content(staging, event, changes, errors)
                            .await;
                    staging.lock()?.hints = Hints::default();
                    r
                }
            };
            match result {
                Ok(c) => {
                    matched.push(c.id);
                    push(&mut touched.contents, c.id);
                }
                Err(DigitalContentError::Invalid(errors)) => self.field_errors(&at, &errors, None),
                Err(DigitalContentError::NotFound) => {
                    return Err(RepositoryError::Internal(
                        "staged digital content vanished".into(),
                    ))
                }
                Err(DigitalContentError::Repository(r)) => return Err(r),
            }
        }
        Ok(())
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
            (Some(v), None) => match self.reader.string(v, false) {
                Ok(t) => match check_fixed_token(&t) {
                    Ok(()) => Some(TokenHash::of(&t)),
                    Err(e) => {
                        errors.add(plain, e);
                        None
                    }
                },
                Err(e) => {
                    errors.add(plain, e);
                    None
                }
            },
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
        let name = match body.get("name").map(|v| self.reader.string(v, false)) {
            None => {
                errors.add("name", REQUIRED);
                None
            }
            Some(Err(e)) => {
                errors.add("name", e);
                None
            }
            Some(Ok(n)) => match team::check_name(&n) {
                Ok(()) => Some(n),
                Err(e) => {
                    errors.add("name", e.to_string());
                    None
                }
            },
        };
        let active = match body.get("active").map(|v| self.reader.boolean(v)) {
            None => true,
            Some(Ok(b)) => b,
            Some(Err(e)) => {
                errors.add("active", e);
                true
            }
        };
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
            let fixed = |w: &mut Self, key: &str, errors: &mut FieldErrors| match entry.get(key) {
                None | Some(Value::Null) => None,
                Some(v) => match w.reader.string(v, false) {
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
                },
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
            let revoked = match entry.get("revoked").map(|v| self.reader.boolean(v)) {
                None => None,
                Some(Ok(b)) => Some(b),
                Some(Err(e)) => {
                    errors.add("revoked", e);
                    None
                }
            };
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
                let others = || s.devices.iter().filter(|d| Some(d.device.id) != mine);
                if let Some(t) = &init {
                    let used = others().any(|d| d.device.initialization_token == *t)
                        || (!s
                            .devices
                            .iter()
                            .any(|d| d.device.initialization_token == *t)
                            && taken.initialization_tokens.contains(t))
                        || !self.seen.initialization_tokens.insert(t.clone());
                    if used {
                        errors.add(
                            "initialization_token",
                            "This token is used by another device.",
                        );
                    }
                }
                if let Some(t) = &serial {
                    let used = others().any(|d| d.device.unique_serial == *t)
                        || (!s.devices.iter().any(|d| d.device.unique_serial == *t)
                            && taken.unique_serials.contains(t))
                        || !self.seen.serials.insert(t.clone());
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
                    let used = others().any(|d| d.api_token == Some(*h))
                        || (!s.devices.iter().any(|d| d.api_token == Some(*h))
                            && taken.device_tokens.contains(h))
                        || !self.seen.device_tokens.insert(*h);
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
                    {
                        let mut s = staging.lock()?;
                        s.hints.device_id = device_id;
                        s.hints.serial = serial.clone();
                        s.hints.initialization_token = init.clone();
                    }
                    let r = device::create_device(&ports, organizer.id, changes, errors).await;
                    staging.lock()?.hints = Hints::default();
                    r
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
        let mut items: Vec<Item> = state
            .items
            .iter()
            .filter(|i| i.event == *id && touched.items.contains(&i.id))
            .cloned()
            .collect();
        items.sort_by_key(|i| (i.fields.position, i.id.0 <= 0, i.id.0.abs()));
        events.push(EventSnapshot {
            event,
            settings,
            items,
            subevents: state
                .subevents
                .iter()
                .filter(|x| x.event == *id && touched.subevents.contains(&x.id))
                .cloned()
                .collect(),
            quotas: state
                .quotas
                .iter()
                .filter(|q| q.event == *id && touched.quotas.contains(&q.id))
                .cloned()
                .collect(),
            digital_contents: state
                .contents
                .iter()
                .filter(|c| c.event == *id && touched.contents.contains(&c.id))
                .cloned()
                .collect(),
            imported_secrets: state
                .secrets
                .iter()
                .filter(|x| x.event == *id && touched.secrets.contains(&x.id))
                .cloned()
                .collect(),
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
