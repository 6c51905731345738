//! Walking a document: every entry is read with the API's body readers and written with the
//! API's use cases, on the repositories of one transaction. A refused entry writes nothing
//! (its use case refuses before writing) and is collected with its path; the caller commits
//! only when none was refused.

use super::{check_fixed_token, EntryError, VERSION};
use presale_domain::auth::{EventScope, Permission, PermissionSet, Principal, Team, TeamId};
use presale_domain::auth::{TokenHash, TokenId};
use presale_domain::device::{self, Device, DeviceError, DevicePorts, Initialization};
use presale_domain::device::{WriteMode, DEVICE_FIELDS};
use presale_domain::digital_content::{self as content, DigitalContent, DigitalContentChanges};
use presale_domain::digital_content::{DigitalContentError, DIGITAL_CONTENT_FIELDS};
use presale_domain::event::EVENT_FIELDS;
use presale_domain::event::{self, Event, EventChanges, EventError, EventPorts, UpdateMode};
use presale_domain::imported_secret::{self as secret, ImportedSecretError, SecretChanges};
use presale_domain::imported_secret::{BULK_MAX, DUPLICATE_IN_REQUEST, IMPORTED_SECRET_FIELDS};
use presale_domain::item::{self, Item, ItemError, ItemErrors, ItemId, VariationId, Write};
use presale_domain::item::{ITEM_FIELDS, VARIATION_FIELDS};
use presale_domain::meta::{self, MetaPropertyError, DUPLICATE_NAME};
use presale_domain::organizer::{change_plugins, ChangePluginsError, Organizer};
use presale_domain::pagination::Window;
use presale_domain::quota::{self, Quota, QuotaChanges, QuotaError, QUOTA_FIELDS};
use presale_domain::sales_channel::{self, SalesChannelError, DUPLICATE_IDENTIFIER};
use presale_domain::settings::{self, keys_for, ChangeError, Target};
use presale_domain::store::Repositories;
use presale_domain::subevent::{self, SubEvent, SubEventChanges, SubEventError, SUBEVENT_FIELDS};
use presale_domain::team::{self, TeamError};
use presale_domain::validation::FieldErrors;
use presale_domain::values::{number_text, Slug, WireDateTime};
use presale_domain::RepositoryError;
use presale_http_actix::fixture as api;
use serde_json::{Map, Value};
use std::collections::HashSet;
use std::future::Future;

const REQUIRED: &str = "This field is required.";
const UNKNOWN_FIELD: &str = "Unknown field.";
const EARLIER_ID: &str = "This id is used by an earlier entry of the document.";
const SAME_NAME: &str =
    "An earlier entry of this event has the same name; give the entries their ids.";
const TOO_LONG: &str = "Ensure this field has no more than 190 characters.";
const DEVICE_TOKEN_USED: &str = "This token is used by another device.";

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

/// All rows at once, for matching entries by name.
const ALL: Window = Window {
    offset: 0,
    limit: i64::MAX as u64,
};

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
        Value::Number(n) => Some(number_text(n)),
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

fn owner_message(kind: &str, id: i64, owner: &str) -> String {
    format!("{kind} {id} belongs to another {owner}.")
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

/// Values that must not repeat in the whole document.
#[derive(Default)]
struct Seen {
    organizers: HashSet<String>,
    ids: HashSet<(&'static str, i64)>,
    tokens: HashSet<TokenHash>,
    device_tokens: HashSet<TokenHash>,
    initialization_tokens: HashSet<String>,
    serials: HashSet<String>,
}

/// A refused entry, or a failure of the database that ends the walk.
enum Refusal {
    Fields(FieldErrors),
    Whole(String),
    Repository(RepositoryError),
}

impl From<RepositoryError> for Refusal {
    fn from(e: RepositoryError) -> Self {
        Refusal::Repository(e)
    }
}

/// An entry of an event's catalog (a product, sub-event, quota or digital content): matched
/// with a row of the event by its `id` when it gives one (which it then claims in the whole
/// document), else by its name.
trait Keyed: Sized + Send + Sync {
    /// The kind in messages (`Quota 12 belongs to another event.`).
    const KIND: &'static str;
    /// The field that names an entry, the entry's label.
    const NAME: &'static str;
    type Changes: Send;
    fn id(&self) -> i64;
    fn same_name(&self, changes: &Self::Changes) -> bool;
}

/// A [`Keyed`] entry that a use case replaces (`PUT`) or creates (`POST`) from the entry as
/// read, alone: sub-events, quotas and digital contents.
trait Entry: Keyed {
    const LIST: &'static str;
    const FIELDS: &'static [&'static str];
    fn read(body: &Map<String, Value>) -> (Self::Changes, FieldErrors);
    fn give_id(changes: &mut Self::Changes, id: i64);
    fn rows(
        tx: &dyn Repositories,
        event: &Event,
    ) -> impl Future<Output = Result<Vec<Self>, RepositoryError>> + Send;
    fn write(
        tx: &dyn Repositories,
        event: &Event,
        current: Option<&Self>,
        changes: Self::Changes,
        errors: FieldErrors,
    ) -> impl Future<Output = Result<Self, Refusal>> + Send;
}

impl Keyed for Item {
    const KIND: &'static str = "Product";
    const NAME: &'static str = "name";
    type Changes = item::ItemChanges;
    fn id(&self) -> i64 {
        self.id.0
    }
    fn same_name(&self, changes: &item::ItemChanges) -> bool {
        Some(&self.fields.name) == changes.name.as_ref()
    }
}

impl Keyed for SubEvent {
    const KIND: &'static str = "Sub-event";
    const NAME: &'static str = "name";
    type Changes = SubEventChanges;
    fn id(&self) -> i64 {
        self.id.0
    }
    /// A sub-event is named by its name and start.
    fn same_name(&self, changes: &SubEventChanges) -> bool {
        Some(&self.data.name) == changes.name.as_ref()
            && Some(self.data.date_from) == changes.date_from
    }
}

impl Entry for SubEvent {
    const LIST: &'static str = "subevents";
    const FIELDS: &'static [&'static str] = SUBEVENT_FIELDS;
    fn read(body: &Map<String, Value>) -> (SubEventChanges, FieldErrors) {
        api::subevent(body)
    }
    fn give_id(changes: &mut SubEventChanges, id: i64) {
        changes.id = Some(subevent::SubEventId(id));
    }
    async fn rows(tx: &dyn Repositories, event: &Event) -> Result<Vec<Self>, RepositoryError> {
        Ok(tx.subevents().list(event.id, vec![], ALL).await?.items)
    }
    async fn write(
        tx: &dyn Repositories,
        event: &Event,
        current: Option<&Self>,
        changes: SubEventChanges,
        errors: FieldErrors,
    ) -> Result<Self, Refusal> {
        let result = match current {
            Some(c) => {
                subevent::update_subevent(tx.subevents(), c, changes, UpdateMode::Replace, errors)
                    .await
            }
            None => subevent::create_subevent(tx.subevents(), event, changes, errors).await,
        };
        result.map_err(|e| match e {
            SubEventError::Invalid(errors) => Refusal::Fields(errors),
            SubEventError::NotFound => Refusal::Whole("Not found.".into()),
            SubEventError::Repository(r) => taken::<Self>(r),
        })
    }
}

impl Keyed for Quota {
    const KIND: &'static str = "Quota";
    const NAME: &'static str = "name";
    type Changes = QuotaChanges;
    fn id(&self) -> i64 {
        self.id.0
    }
    fn same_name(&self, changes: &QuotaChanges) -> bool {
        Some(&self.data.name) == changes.name.as_ref()
    }
}

impl Entry for Quota {
    const LIST: &'static str = "quotas";
    const FIELDS: &'static [&'static str] = QUOTA_FIELDS;
    fn read(body: &Map<String, Value>) -> (QuotaChanges, FieldErrors) {
        api::quota(body)
    }
    fn give_id(changes: &mut QuotaChanges, id: i64) {
        changes.id = Some(quota::QuotaId(id));
    }
    async fn rows(tx: &dyn Repositories, event: &Event) -> Result<Vec<Self>, RepositoryError> {
        Ok(tx.quotas().list(event.id, vec![], ALL).await?.items)
    }
    async fn write(
        tx: &dyn Repositories,
        event: &Event,
        current: Option<&Self>,
        changes: QuotaChanges,
        errors: FieldErrors,
    ) -> Result<Self, Refusal> {
        let mode = UpdateMode::Replace;
        let result = match current {
            Some(c) => quota::update_quota(tx.quotas(), event, c, changes, mode, errors).await,
            None => quota::create_quota(tx.quotas(), event, changes, errors).await,
        };
        result.map_err(|e| match e {
            QuotaError::Invalid(errors) => Refusal::Fields(errors),
            QuotaError::NotFound => Refusal::Whole("Not found.".into()),
            QuotaError::Repository(r) => taken::<Self>(r),
        })
    }
}

impl Keyed for DigitalContent {
    const KIND: &'static str = "Digital content";
    const NAME: &'static str = "title";
    type Changes = DigitalContentChanges;
    fn id(&self) -> i64 {
        self.id.0
    }
    fn same_name(&self, changes: &DigitalContentChanges) -> bool {
        Some(&self.data.title) == changes.title.as_ref()
    }
}

impl Entry for DigitalContent {
    const LIST: &'static str = "digital_contents";
    const FIELDS: &'static [&'static str] = DIGITAL_CONTENT_FIELDS;
    fn read(body: &Map<String, Value>) -> (DigitalContentChanges, FieldErrors) {
        api::digital_content(body)
    }
    fn give_id(changes: &mut DigitalContentChanges, id: i64) {
        changes.id = Some(content::DigitalContentId(id));
    }
    async fn rows(tx: &dyn Repositories, event: &Event) -> Result<Vec<Self>, RepositoryError> {
        Ok(tx.digital_contents().list(event.id, None, ALL).await?.items)
    }
    async fn write(
        tx: &dyn Repositories,
        event: &Event,
        current: Option<&Self>,
        changes: DigitalContentChanges,
        errors: FieldErrors,
    ) -> Result<Self, Refusal> {
        let (repo, mode) = (tx.digital_contents(), UpdateMode::Replace);
        let result = match current {
            Some(c) => content::update_digital_content(repo, event, c, changes, mode, errors).await,
            None => content::create_digital_content(repo, event, changes, errors).await,
        };
        result.map_err(|e| match e {
            DigitalContentError::Invalid(errors) => Refusal::Fields(errors),
            DigitalContentError::NotFound => Refusal::Whole("Not found.".into()),
            DigitalContentError::Repository(r) => taken::<Self>(r),
        })
    }
}

/// A given id that a row of another event has is the entry's error; other failures end the
/// walk.
fn taken<T: Keyed>(e: RepositoryError) -> Refusal {
    match e {
        RepositoryError::IdTaken(id) => Refusal::Fields(FieldErrors::single(
            "id",
            owner_message(T::KIND, id, "event"),
        )),
        other => Refusal::Repository(other),
    }
}

pub(super) struct Walker<'a> {
    tx: &'a dyn Repositories,
    pub(super) errors: Vec<EntryError>,
    seen: Seen,
}

/// Walks the document on `tx`; the refused entries, in document order (none: everything
/// was written, and the caller may commit). Returns how many organizers it named.
pub(super) async fn walk(
    tx: &dyn Repositories,
    document: &Value,
) -> Result<(usize, Vec<EntryError>), RepositoryError> {
    let mut w = Walker {
        tx,
        errors: Vec::new(),
        seen: Seen::default(),
    };
    let root = At {
        path: String::new(),
        label: None,
    };
    let Value::Object(top) = document else {
        let message = format!(
            "Invalid data. Expected a dictionary, but got {}.",
            type_name(document)
        );
        w.error(&root, None, message);
        return Ok((0, w.errors));
    };
    w.known_keys(&root, top, &["version", "organizers"]);
    if let Some(v) = top.get("version") {
        if api::integer(v).ok() != Some(VERSION) {
            let message = format!("Unsupported version: this Presale reads version {VERSION}.");
            w.error(&root, Some("version"), message);
        }
    }
    if !top.contains_key("organizers") {
        w.error(&root, Some("organizers"), REQUIRED);
    }
    let organizers = w.objects(&root, top, "organizers", |b| label_of(b.get("slug")));
    let count = organizers.len();
    for (at, body) in organizers {
        w.organizer(at, body).await?;
    }
    Ok((count, w.errors))
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

    /// Reports a refused entry; a database failure ends the walk.
    fn refused(&mut self, at: &At, refusal: Refusal) -> Result<(), RepositoryError> {
        match refusal {
            Refusal::Fields(errors) => self.field_errors(at, &errors, None),
            Refusal::Whole(message) => self.error(at, None, message),
            Refusal::Repository(r) => return Err(r),
        }
        Ok(())
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
        let Some(v) = body.get(key).filter(|v| !v.is_null()) else {
            return Ok(None);
        };
        let message = match api::integer(v) {
            Ok(id) if id >= 1 => return Ok(Some(id)),
            Ok(_) => "Ensure this value is greater than or equal to 1.".to_owned(),
            Err(e) => e,
        };
        self.error(at, Some(key), message);
        Err(())
    }

    /// Claims a given catalog id for the whole document; false (reported) when an earlier
    /// entry has it.
    fn claim(&mut self, at: &At, kind: &'static str, id: i64) -> bool {
        let free = self.seen.ids.insert((kind, id));
        if !free {
            self.error(at, Some("id"), EARLIER_ID);
        }
        free
    }

    /// A required string field (not blank); its error goes to `errors`.
    fn required_string(
        body: &Map<String, Value>,
        key: &str,
        errors: &mut FieldErrors,
    ) -> Option<String> {
        match body.get(key).map(|v| api::string(v, false)) {
            None => errors.add(key, REQUIRED),
            Some(Err(e)) => errors.add(key, e),
            Some(Ok(s)) => return Some(s),
        }
        None
    }

    /// A boolean field, if given; its error goes to `errors`.
    fn optional_bool(
        body: &Map<String, Value>,
        key: &str,
        errors: &mut FieldErrors,
    ) -> Option<bool> {
        match body.get(key).map(api::boolean)? {
            Ok(b) => Some(b),
            Err(e) => {
                errors.add(key, e);
                None
            }
        }
    }

    /// A token written in the document (see [`check_fixed_token`]); its error goes to
    /// `errors` under `key`.
    fn fixed_token(key: &str, value: &Value, errors: &mut FieldErrors) -> Option<String> {
        match api::string(value, false)
            .and_then(|t| check_fixed_token(&t).map(|()| t).map_err(str::to_owned))
        {
            Ok(t) => Some(t),
            Err(e) => {
                errors.add(key, e);
                None
            }
        }
    }

    /// A token read from `plain` (checked for its shape) or `hashed` (as exported).
    fn token_hash(
        body: &Map<String, Value>,
        (plain, hashed): (&str, &str),
        required: bool,
        errors: &mut FieldErrors,
    ) -> Option<TokenHash> {
        match (body.get(plain), body.get(hashed)) {
            (Some(_), Some(_)) => {
                errors.add(plain, format!("Give either {plain} or {hashed}, not both."));
                None
            }
            (Some(v), None) => Self::fixed_token(plain, v, errors).map(|t| TokenHash::of(&t)),
            (None, Some(v)) => {
                let hash = v.as_str().and_then(TokenHash::from_hex);
                if hash.is_none() {
                    let message = "Enter the 64 lower-case hexadecimal digits of a SHA-256 hash.";
                    errors.add(hashed, message);
                }
                hash
            }
            (None, None) => {
                if required {
                    errors.add(plain, REQUIRED);
                }
                None
            }
        }
    }

    async fn organizer(
        &mut self,
        at: At,
        body: &Map<String, Value>,
    ) -> Result<(), RepositoryError> {
        self.known_keys(&at, body, ORGANIZER_KEYS);
        let mut errors = FieldErrors::new();
        let slug = Self::required_string(body, "slug", &mut errors).and_then(|s| {
            Slug::parse(&s)
                .map_err(|e| errors.add("slug", e.to_string()))
                .ok()
        });
        let name = Self::required_string(body, "name", &mut errors);
        self.field_errors(&at, &errors, None);
        let (Some(slug), Some(name)) = (slug, name) else {
            return Ok(());
        };
        if !self.seen.organizers.insert(slug.as_str().to_owned()) {
            let message = "An earlier entry of the document has this slug.";
            self.error(&at, Some("slug"), message);
            return Ok(());
        }
        let organizers = self.tx.organizers();
        let mut organizer = match organizers.find_by_slug(slug.as_str()).await? {
            Some(o) if o.name == name => o,
            Some(o) => organizers.rename(o.id, &name).await?,
            None => organizers.create(slug, &name).await?,
        };
        if let Some(value) = body.get("plugins") {
            match api::string_list(value) {
                Err(e) => self.error(&at, Some("plugins"), e),
                Ok(list) => match change_plugins(organizers, &organizer, &list).await {
                    Ok(o) => organizer = o,
                    Err(ChangePluginsError::Invalid(e)) => {
                        self.error(&at, Some("plugins"), e.to_string())
                    }
                    Err(ChangePluginsError::Repository(r)) => return Err(r),
                },
            }
        }
        self.settings(Target::Organizer(organizer.id), &at, body.get("settings"))
            .await?;
        self.meta_properties(&organizer, &at, body).await?;
        self.sales_channels(&organizer, &at, body).await?;
        let principal = principal(&organizer);
        let mut slugs = HashSet::new();
        for (child, event) in self.objects(&at, body, "events", |b| label_of(b.get("slug"))) {
            self.event(&organizer, &principal, child, event, &mut slugs)
                .await?;
        }
        self.teams(&organizer, &at, body).await?;
        self.devices(&organizer, &at, body).await
    }

    /// A `settings` object: a PATCH of the level's settings (unknown keys are refused).
    async fn settings(
        &mut self,
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
        let unknown: Vec<&String> = map
            .keys()
            .filter(|key| !keys_for(target.level()).any(|k| k.name == key.as_str()))
            .collect();
        for key in &unknown {
            self.error(at, Some(&format!("settings.{key}")), "Unknown setting.");
        }
        if !unknown.is_empty() {
            return Ok(());
        }
        match settings::change_values(self.tx.settings(), target, map).await {
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
        organizer: &Organizer,
        at: &At,
        body: &Map<String, Value>,
    ) -> Result<(), RepositoryError> {
        let repo = self.tx.meta_properties();
        let stored = repo.all(organizer.id).await?;
        let mut names = HashSet::new();
        for (at, entry) in self.objects(at, body, "meta_properties", |b| label_of(b.get("name"))) {
            self.known_keys(&at, entry, META_PROPERTY_KEYS);
            let fields = match api::meta_property(entry) {
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
            let result = match stored.iter().find(|p| p.name == fields.name) {
                Some(p) => meta::update_meta_property(repo, organizer.id, p.id, fields)
                    .await
                    .map(|_| ()),
                None => meta::create_meta_property(repo, organizer.id, fields)
                    .await
                    .map(|_| ()),
            };
            match result {
                Ok(()) => {}
                Err(MetaPropertyError::Invalid(errors)) => self.field_errors(&at, &errors, None),
                Err(MetaPropertyError::Repository(r)) => return Err(r),
            }
        }
        Ok(())
    }

    async fn sales_channels(
        &mut self,
        organizer: &Organizer,
        at: &At,
        body: &Map<String, Value>,
    ) -> Result<(), RepositoryError> {
        let repo = self.tx.sales_channels();
        let stored = repo.all(organizer.id).await?;
        let mut identifiers = HashSet::new();
        for (at, entry) in self.objects(at, body, "sales_channels", |b| {
            label_of(b.get("identifier"))
        }) {
            self.known_keys(&at, entry, SALES_CHANNEL_KEYS);
            let identifier = entry
                .get("identifier")
                .and_then(Value::as_str)
                .map(str::trim)
                .unwrap_or_default();
            if !identifier.is_empty() && !identifiers.insert(identifier.to_owned()) {
                self.error(&at, Some("identifier"), DUPLICATE_IDENTIFIER);
                continue;
            }
            let existing = stored.iter().find(|c| c.identifier == identifier);
            let fields = match api::sales_channel(entry, existing) {
                Ok(f) => f,
                Err(errors) => {
                    self.field_errors(&at, &errors, None);
                    continue;
                }
            };
            let result = match existing {
                Some(channel) => sales_channel::update_sales_channel(repo, channel, fields).await,
                None => sales_channel::create_sales_channel(repo, organizer.id, fields).await,
            };
            match result {
                Ok(_) => {}
                Err(SalesChannelError::Invalid(errors)) => self.field_errors(&at, &errors, None),
                Err(SalesChannelError::Repository(r)) => return Err(r),
                Err(e) => self.error(&at, None, e.to_string()),
            }
        }
        Ok(())
    }

    async fn event(
        &mut self,
        organizer: &Organizer,
        principal: &Principal,
        at: At,
        body: &Map<String, Value>,
        slugs: &mut HashSet<String>,
    ) -> Result<(), RepositoryError> {
        let known: Vec<&str> = EVENT_FIELDS.iter().chain(EVENT_NESTED).copied().collect();
        self.known_keys(&at, body, &known);
        let (mut changes, errors) = api::event(&without(body, EVENT_NESTED));
        let existing = match &changes.slug {
            Some(slug) if !slugs.insert(slug.as_str().to_owned()) => {
                let message = "This slug has already been used for a different event.";
                self.error(&at, Some("slug"), message);
                return Ok(());
            }
            Some(slug) => {
                self.tx
                    .events()
                    .find_by_slug(organizer.id, slug.as_str())
                    .await?
            }
            None => None,
        };
        let ports = EventPorts::of(self.tx);
        // Events are created as the API creates them, not live; they go live (with the
        // go-live checks) once their catalog is in place.
        let go_live = changes.live == Some(true);
        let result = match &existing {
            Some(current) => {
                if go_live {
                    changes.live = Some(current.data.live);
                }
                let mode = UpdateMode::Replace;
                event::update_event(&ports, principal, organizer, current, changes, mode, errors)
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
        let target = Target::Event {
            organizer: organizer.id,
            event: stored.id,
        };
        self.settings(target, &at, body.get("settings")).await?;
        self.items(&stored, &at, body).await?;
        self.entries::<SubEvent>(&stored, &at, body).await?;
        self.entries::<Quota>(&stored, &at, body).await?;
        self.entries::<DigitalContent>(&stored, &at, body).await?;
        self.secrets(&stored, &at, body).await?;
        if go_live && !stored.data.live {
            let live = EventChanges {
                live: Some(true),
                ..EventChanges::default()
            };
            let mode = UpdateMode::Partial;
            let result = event::update_event(
                &ports,
                principal,
                organizer,
                &stored,
                live,
                mode,
                FieldErrors::new(),
            )
            .await;
            self.event_result(&at, result)?;
        }
        Ok(())
    }

    fn event_result(
        &mut self,
        at: &At,
        result: Result<Event, EventError>,
    ) -> Result<Option<Event>, RepositoryError> {
        let refusal = match result {
            Ok(e) => return Ok(Some(e)),
            Err(EventError::Invalid(errors)) => Refusal::Fields(errors),
            Err(EventError::Refused(detail)) => Refusal::Whole(detail.to_string()),
            Err(EventError::Key(k)) => {
                Refusal::Repository(RepositoryError::Internal(k.to_string()))
            }
            Err(EventError::Repository(r)) => Refusal::Repository(r),
        };
        self.refused(at, refusal).map(|()| None)
    }

    /// The row an entry names: by its `id` (claimed for the document), else by name among
    /// the event's rows. `Err(())` when the entry is refused (reported).
    fn matched<'r, T: Keyed>(
        &mut self,
        at: &At,
        id: Option<i64>,
        changes: &T::Changes,
        rows: &'r [T],
        matched: &[i64],
    ) -> Result<Option<&'r T>, ()> {
        if let Some(id) = id {
            return if self.claim(at, T::KIND, id) {
                Ok(rows.iter().find(|r| r.id() == id))
            } else {
                Err(())
            };
        }
        let found = rows.iter().find(|r| r.same_name(changes));
        if found.is_some_and(|r| matched.contains(&r.id())) {
            self.error(at, Some(T::NAME), SAME_NAME);
            return Err(());
        }
        Ok(found)
    }

    /// The entries of the event's list `T::LIST`: each replaces the row it names (a `PUT`)
    /// or is created (a `POST`).
    async fn entries<T: Entry>(
        &mut self,
        event: &Event,
        at: &At,
        body: &Map<String, Value>,
    ) -> Result<(), RepositoryError> {
        let entries = self.objects(at, body, T::LIST, |b| label_of(b.get(T::NAME)));
        if entries.is_empty() {
            return Ok(());
        }
        let rows = T::rows(self.tx, event).await?;
        let mut matched = Vec::new();
        for (at, entry) in entries {
            self.known_keys(&at, entry, T::FIELDS);
            let Ok(id) = self.id_field(&at, entry, "id") else {
                continue;
            };
            let (mut changes, errors) = T::read(entry);
            let Ok(current) = self.matched::<T>(&at, id, &changes, &rows, &matched) else {
                continue;
            };
            if let (None, Some(id)) = (current, id) {
                T::give_id(&mut changes, id);
            }
            match T::write(self.tx, event, current, changes, errors).await {
                Ok(row) => matched.push(row.id()),
                Err(refusal) => self.refused(&at, refusal)?,
            }
        }
        Ok(())
    }

    fn item_error(
        &mut self,
        at: &At,
        e: ItemError,
        variations: &[(At, Option<i64>)],
    ) -> Result<(), RepositoryError> {
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
            ItemError::NotFound => {
                self.error(at, None, "Not found.");
                Ok(())
            }
            // A given id another row has: the product's, or one of its variations'.
            ItemError::Repository(RepositoryError::IdTaken(id)) => {
                match variations.iter().find(|(_, given)| *given == Some(id)) {
                    Some((vat, _)) => {
                        self.error(vat, Some("id"), owner_message("Variation", id, "product"))
                    }
                    None => self.error(at, Some("id"), owner_message("Product", id, "event")),
                }
                Ok(())
            }
            ItemError::Repository(r) => Err(r),
        }
    }

    async fn items(
        &mut self,
        event: &Event,
        at: &At,
        body: &Map<String, Value>,
    ) -> Result<(), RepositoryError> {
        let entries = self.objects(at, body, "items", |b| label_of(b.get("name")));
        if entries.is_empty() {
            return Ok(());
        }
        let repo = self.tx.items();
        let rows = repo.all(event.id).await?;
        let mut matched: Vec<i64> = Vec::new();
        for (at, entry) in entries {
            self.known_keys(&at, entry, ITEM_FIELDS);
            let Ok(id) = self.id_field(&at, entry, "id") else {
                continue;
            };
            let (mut changes, errors) = api::item(entry);
            let Ok(current) = self.matched::<Item>(&at, id, &changes, &rows, &matched) else {
                continue;
            };
            let mut variations = Vec::new();
            if let Some(Value::Array(list)) = entry.get("variations") {
                for (i, v) in list.iter().enumerate() {
                    if let Value::Object(m) = v {
                        let vat = at.child("variations", i, label_of(m.get("value")));
                        self.known_keys(&vat, m, VARIATION_FIELDS);
                        let Ok(vid) = self.id_field(&vat, m, "id") else {
                            continue;
                        };
                        variations.push((vat, vid, m));
                    }
                }
            }
            let Some(item) = current else {
                // A new product: created with its variations, under the ids given.
                let given: Vec<(At, Option<i64>)> =
                    variations.iter().map(|(a, v, _)| (a.clone(), *v)).collect();
                let mut free = true;
                for (vat, vid) in &given {
                    free &= vid.is_none_or(|vid| self.claim(vat, "Variation", vid));
                }
                if !free {
                    continue;
                }
                changes.id = id.map(ItemId);
                if let Some(inline) = changes.variations.as_mut() {
                    for (v, (_, vid)) in inline.iter_mut().zip(&given) {
                        v.id = vid.map(VariationId);
                    }
                }
                match item::create_item(repo, event.id, changes, errors).await {
                    Ok(created) => matched.push(created.id.0),
                    Err(e) => self.item_error(&at, e, &given)?,
                }
                continue;
            };
            matched.push(item.id.0);
            let inline = changes.variations.take();
            let errors = ItemErrors {
                variations: Vec::new(),
                ..errors
            };
            if let Err(e) = item::update_item(repo, item, changes, Write::Full, errors).await {
                self.item_error(&at, e, &[])?;
                continue;
            }
            if inline.is_some() {
                let mut vmatched = Vec::new();
                for (vat, vid, vbody) in variations {
                    self.variation(item, vat, vid, vbody, &mut vmatched).await?;
                }
            }
        }
        Ok(())
    }

    /// A variation entry of a stored product: replaced (by id, else by value) or added.
    async fn variation(
        &mut self,
        item: &Item,
        at: At,
        id: Option<i64>,
        body: &Map<String, Value>,
        matched: &mut Vec<VariationId>,
    ) -> Result<(), RepositoryError> {
        let (mut changes, errors) = api::variation(body);
        let current = match id {
            Some(vid) if !self.claim(&at, "Variation", vid) => return Ok(()),
            Some(vid) => item.variation(VariationId(vid)),
            None => {
                let found = item
                    .variations
                    .iter()
                    .find(|v| Some(&v.fields.value) == changes.value.as_ref());
                if found.is_some_and(|v| matched.contains(&v.id)) {
                    let message = "An earlier entry of this product has the same value; give the entries their ids.";
                    self.error(&at, Some("value"), message);
                    return Ok(());
                }
                found
            }
        };
        let repo = self.tx.items();
        let result = match current {
            Some(v) => item::update_variation(repo, v, changes, Write::Full, errors).await,
            None => {
                changes.id = id.map(VariationId);
                item::create_variation(repo, item, changes, errors).await
            }
        };
        match result {
            Ok(v) => {
                matched.push(v.id);
                Ok(())
            }
            Err(e) => self.item_error(&at, e, &[(at.clone(), id)]),
        }
    }

    fn secret_error(&mut self, at: &At, e: ImportedSecretError) -> Result<(), RepositoryError> {
        match e {
            ImportedSecretError::Invalid(errors) => self.field_errors(at, &errors, None),
            ImportedSecretError::Repository(r) => return Err(r),
            other => self.error(at, None, other.to_string()),
        }
        Ok(())
    }

    async fn secrets(
        &mut self,
        event: &Event,
        at: &At,
        body: &Map<String, Value>,
    ) -> Result<(), RepositoryError> {
        let mut seen = HashSet::new();
        let mut entries: Vec<(At, SecretChanges)> = Vec::new();
        for (at, entry) in self.objects(at, body, "imported_secrets", |_| None) {
            self.known_keys(&at, entry, IMPORTED_SECRET_FIELDS);
            let changes = api::imported_secret(&Value::Object(entry.clone()));
            if let Some(secret) = &changes.secret {
                if !seen.insert(secret.clone()) {
                    self.error(&at, Some("secret"), DUPLICATE_IN_REQUEST);
                    continue;
                }
            }
            entries.push((at, changes));
        }
        if entries.is_empty() {
            return Ok(());
        }
        let repo = self.tx.imported_secrets();
        let texts = entries
            .iter()
            .filter_map(|(_, c)| c.secret.clone())
            .collect();
        let stored = repo.existing(event.id, texts).await?;
        let mut new = Vec::new();
        for (at, changes) in entries {
            let id = stored
                .iter()
                .find(|(s, _)| Some(s) == changes.secret.as_ref())
                .map(|(_, id)| *id);
            let Some(current) = (match id {
                Some(id) => repo.find(event.id, id).await?,
                None => None,
            }) else {
                new.push((at, changes));
                continue;
            };
            let mode = UpdateMode::Replace;
            if let Err(e) = secret::update_secret(repo, event.id, current, changes, mode).await {
                self.secret_error(&at, e)?;
            }
        }
        for chunk in new.chunks(BULK_MAX) {
            let objects = chunk.iter().map(|(_, c)| c.clone()).collect();
            match secret::bulk_create_secrets(repo, event.id, objects).await {
                Ok(_) => {}
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
        organizer: &Organizer,
        at: &At,
        body: &Map<String, Value>,
    ) -> Result<(), RepositoryError> {
        let mut known = vec!["id", "name", "all_events", "limit_events", "tokens"];
        known.extend(Permission::ALL.iter().map(|p| p.name()));
        let mut names = HashSet::new();
        let (organizers, teams) = (self.tx.organizers(), self.tx.teams());
        for (at, entry) in self.objects(at, body, "teams", |b| label_of(b.get("name"))) {
            self.known_keys(&at, entry, &known);
            let (fields, errors) = api::team(&without(entry, &["tokens"]));
            if !fields.name.is_empty() && !names.insert(fields.name.clone()) {
                let message = "An earlier entry of the document has this team name.";
                self.error(&at, Some("name"), message);
                continue;
            }
            let existing = teams.find_by_name(organizer.id, &fields.name).await?;
            let result = match existing.first() {
                Some(t) => {
                    team::update_team(organizers, teams, organizer.id, t.id, fields, errors).await
                }
                None => team::create_team(organizers, teams, organizer.id, fields, errors)
                    .await
                    .map(Some),
            };
            let id = match result {
                Ok(Some(t)) => t.team.id,
                Ok(None) => continue,
                Err(TeamError::Invalid(errors)) => {
                    self.field_errors(&at, &errors, None);
                    continue;
                }
                Err(TeamError::Repository(r)) => return Err(r),
            };
            for (tat, token) in self.objects(&at, entry, "tokens", |b| label_of(b.get("name"))) {
                self.token(organizer, id, tat, token).await?;
            }
        }
        Ok(())
    }

    /// A team token, found by its hash anywhere in the organizer (and moved to this team), or
    /// created with it.
    async fn token(
        &mut self,
        organizer: &Organizer,
        team: TeamId,
        at: At,
        body: &Map<String, Value>,
    ) -> Result<(), RepositoryError> {
        self.known_keys(&at, body, TOKEN_KEYS);
        let mut errors = FieldErrors::new();
        let name = Self::required_string(body, "name", &mut errors).and_then(|n| {
            team::check_name(&n)
                .map_err(|e| errors.add("name", e.to_string()))
                .map(|()| n)
                .ok()
        });
        let active = Self::optional_bool(body, "active", &mut errors).unwrap_or(true);
        let hash = Self::token_hash(body, ("token", "token_sha256"), true, &mut errors);
        errors.sort_by_order(&["name", "active", "token", "token_sha256"]);
        if !errors.is_empty() {
            self.field_errors(&at, &errors, None);
            return Ok(());
        }
        let (Some(name), Some(hash)) = (name, hash) else {
            return Ok(());
        };
        if !self.seen.tokens.insert(hash) {
            let message = "An earlier entry of the document has this token.";
            self.error(&at, Some("token"), message);
            return Ok(());
        }
        let tokens = self.tx.tokens();
        match tokens.find_by_hash(hash).await? {
            Some((_, owner)) if owner.organizer != organizer.id => {
                self.error(
                    &at,
                    Some("token"),
                    "This token is used by another organizer.",
                );
            }
            Some((stored, _)) if !stored.active && active => {
                let message = "A deactivated token cannot be activated again.";
                self.error(&at, Some("active"), message);
            }
            Some((stored, _)) => {
                tokens.update(stored.id, team, &name, active).await?;
            }
            None => {
                let created = tokens.create(team, &name, hash).await?;
                if !active {
                    tokens.update(created.id, team, &name, false).await?;
                }
            }
        }
        Ok(())
    }

    async fn devices(
        &mut self,
        organizer: &Organizer,
        at: &At,
        body: &Map<String, Value>,
    ) -> Result<(), RepositoryError> {
        let entries = self.objects(at, body, "devices", |b| label_of(b.get("name")));
        if entries.is_empty() {
            return Ok(());
        }
        let known: Vec<&str> = DEVICE_FIELDS.iter().chain(DEVICE_EXTRA).copied().collect();
        let stored = self.tx.devices().list(organizer.id, ALL).await?.items;
        let (mut numbers, mut names, mut written) =
            (HashSet::new(), HashSet::new(), HashSet::new());
        for (at, entry) in entries {
            self.known_keys(&at, entry, &known);
            let Ok(number) = self.id_field(&at, entry, "device_id") else {
                continue;
            };
            let (mut changes, mut errors) = api::device(entry);
            // Matched by `device_id`, else by name.
            let existing = match (number, &changes.name) {
                (Some(n), _) => stored.iter().find(|d| d.device_id == n),
                (None, Some(name)) => stored.iter().find(|d| d.name == *name),
                (None, None) => None,
            };
            let duplicate = match number {
                Some(n) => !numbers.insert(n),
                None => changes
                    .name
                    .as_ref()
                    .is_some_and(|n| !names.insert(n.clone())),
            } || existing.is_some_and(|d| written.contains(&d.id));
            if duplicate {
                let field = if number.is_some() {
                    "device_id"
                } else {
                    "name"
                };
                let message = "An earlier entry of the document names this device.";
                self.error(&at, Some(field), message);
                continue;
            }
            let given = self
                .device_credentials(entry, existing, &mut errors)
                .await?;
            let result = match existing {
                Some(d) => {
                    let mode = WriteMode::Replace;
                    device::update_device(&DevicePorts::of(self.tx), d, changes, mode, errors).await
                }
                None => {
                    changes.device_id = number;
                    changes.unique_serial = given.serial;
                    changes.initialization_token = given.initialization;
                    device::create_device(&DevicePorts::of(self.tx), organizer.id, changes, errors)
                        .await
                }
            };
            let device = match result {
                Ok(d) => d,
                Err(DeviceError::Invalid(errors)) => {
                    self.field_errors(&at, &errors, None);
                    continue;
                }
                Err(DeviceError::Repository(RepositoryError::Conflict(_))) => {
                    self.error(
                        &at,
                        Some("unique_serial"),
                        "This serial is used by another device.",
                    );
                    continue;
                }
                Err(DeviceError::Repository(r)) => return Err(r),
            };
            written.insert(device.id);
            self.device_state(&device, given.api_token, given.hardware, given.revoked)
                .await?;
        }
        Ok(())
    }

    /// The credentials and state a device entry gives, checked against the other devices
    /// and the rest of the document; errors go to `errors`.
    async fn device_credentials(
        &mut self,
        entry: &Map<String, Value>,
        existing: Option<&Device>,
        errors: &mut FieldErrors,
    ) -> Result<DeviceState, RepositoryError> {
        let fixed = |key: &str, errors: &mut FieldErrors| match entry.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => Self::fixed_token(key, v, errors),
        };
        let serial = fixed("unique_serial", errors);
        let initialization = fixed("initialization_token", errors);
        let api_token = Self::token_hash(entry, ("api_token", "api_token_sha256"), false, errors);
        let revoked = Self::optional_bool(entry, "revoked", errors);
        let mut hardware = Vec::new();
        for key in HARDWARE {
            let value = match entry
                .get(*key)
                .filter(|v| !v.is_null())
                .map(|v| api::string(v, true))
            {
                None => None,
                Some(Ok(t)) if t.chars().count() > 190 => {
                    errors.add(key, TOO_LONG);
                    None
                }
                Some(Ok(t)) => Some(t),
                Some(Err(e)) => {
                    errors.add(key, e);
                    None
                }
            };
            hardware.push(value);
        }
        let devices = self.tx.devices();
        let mine = existing.map(|d| d.id);
        if let Some(t) = &initialization {
            let other = devices
                .find_by_initialization_token(t)
                .await?
                .filter(|d| Some(d.id) != mine);
            if other.is_some() || !self.seen.initialization_tokens.insert(t.clone()) {
                errors.add("initialization_token", DEVICE_TOKEN_USED);
            }
            if existing.is_some_and(|d| d.initialization_token != *t) {
                errors.add(
                    "initialization_token",
                    "A device's initialization token cannot be changed.",
                );
            }
        }
        if let Some(t) = &serial {
            if !self.seen.serials.insert(t.clone()) {
                errors.add("unique_serial", "This serial is used by another device.");
            }
            if existing.is_some_and(|d| d.unique_serial != *t) {
                errors.add("unique_serial", "A device's serial cannot be changed.");
            }
        }
        if let Some(h) = &api_token {
            let field = if entry.contains_key("api_token") {
                "api_token"
            } else {
                "api_token_sha256"
            };
            let other = devices
                .find_by_api_token(*h)
                .await?
                .filter(|d| Some(d.id) != mine);
            if other.is_some() || !self.seen.device_tokens.insert(*h) {
                errors.add(field, DEVICE_TOKEN_USED);
            }
        }
        if revoked == Some(false) && existing.is_some_and(|d| d.revoked) {
            errors.add("revoked", "A revoked device cannot be restored.");
        }
        let mut h = hardware.into_iter();
        let mut next = || h.next().flatten();
        Ok(DeviceState {
            serial,
            initialization,
            api_token,
            hardware: device::Hardware {
                hardware_brand: next(),
                hardware_model: next(),
                os_name: next(),
                os_version: next(),
                software_brand: next(),
                software_version: next(),
            },
            revoked,
        })
    }

    /// A device with an API token is initialized with it (what it reports, as given);
    /// `revoked: true` revokes it.
    async fn device_state(
        &mut self,
        device: &Device,
        api_token: Option<TokenHash>,
        hardware: device::Hardware,
        revoked: Option<bool>,
    ) -> Result<(), RepositoryError> {
        let devices = self.tx.devices();
        if let Some(new) = api_token {
            if device.initialized.is_none() {
                let init = Initialization {
                    hardware,
                    info: None,
                    rsa_pubkey: None,
                    api_token: new,
                    at: WireDateTime::now(),
                };
                devices.initialize(device.id, init).await?;
            } else {
                if let Some(current) = devices
                    .api_token_hash(device.id)
                    .await?
                    .filter(|c| *c != new)
                {
                    devices.set_api_token(device.id, current, new).await?;
                }
                if device.hardware != hardware {
                    let (info, key) = (device.info.clone(), device.rsa_pubkey.clone());
                    devices
                        .update_report(device.id, hardware, info, key)
                        .await?;
                }
            }
        }
        if revoked == Some(true) && !device.revoked {
            devices.revoke(device.id).await?;
        }
        Ok(())
    }
}

/// What a device entry gives beyond the API's body.
struct DeviceState {
    serial: Option<String>,
    initialization: Option<String>,
    api_token: Option<TokenHash>,
    hardware: device::Hardware,
    revoked: Option<bool>,
}
