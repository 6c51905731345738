//! Walking a document: every entry is read with the API's body readers and written with the
//! API's use cases, on the repositories of one transaction. A refused entry writes nothing
//! (its use case refuses before writing) and is collected with its path; the caller commits
//! only when none was refused. The database inside the transaction is the truth: a later
//! entry sees what an earlier one wrote (a device token used twice is "used by another
//! device" the second time).

use super::fields::{self, Fields};
use super::{check_fixed_token, EntryError, VERSION};
use presale_domain::access::TokenHash;
use presale_domain::access::{EventScope, Permission, PermissionSet, Principal, Team};
use presale_domain::device::{self, Device, DeviceError, DevicePorts, Hardware, Initialization};
use presale_domain::digital_content::DigitalContentError;
use presale_domain::digital_content::{self as content, DigitalContent, DigitalContentChanges};
use presale_domain::event::{self, Event, EventChanges, EventError, EventPorts};
use presale_domain::ids::DigitalContentId;
use presale_domain::ids::ItemId;
use presale_domain::ids::QuotaId;
use presale_domain::ids::SubEventId;
use presale_domain::ids::TeamId;
use presale_domain::ids::TokenId;
use presale_domain::ids::VariationId;
use presale_domain::imported_secret::{self as secret, ImportedSecretError, SecretChanges};
use presale_domain::imported_secret::{BULK_MAX, DUPLICATE_IN_REQUEST};
use presale_domain::item::{self, Item, ItemChanges, ItemError, ItemErrors};
use presale_domain::meta::{self, MetaPropertyError, DUPLICATE_NAME};
use presale_domain::organizer::{change_plugins, ChangePluginsError, Organizer};
use presale_domain::pagination::Window;
use presale_domain::quota::{self, Quota, QuotaChanges, QuotaError};
use presale_domain::sales_channel::{self, SalesChannelError, DUPLICATE_IDENTIFIER};
use presale_domain::settings::{self, keys_for, ChangeError, Target};
use presale_domain::store::Repositories;
use presale_domain::subevent::{self, SubEvent, SubEventChanges, SubEventError};
use presale_domain::team::{self, TeamError};
use presale_domain::validation::{python_type, FieldErrors};
use presale_domain::values::{number_text, Slug, WireDateTime};
use presale_domain::write::WriteMode;
use presale_domain::RepositoryError;
use presale_http_actix::fixture as api;
use serde_json::{Map, Value};
use std::collections::HashSet;
use std::future::Future;

type Body = Map<String, Value>;
type Done<T = ()> = Result<T, RepositoryError>;

const REQUIRED: &str = "This field is required.";
const SAME_NAME: &str =
    "An earlier entry of this event has the same name; give the entries their ids.";
const DEVICE_TOKEN_USED: &str = "This token is used by another device.";

/// All rows at once, for matching entries by name.
pub(super) const ALL: Window = Window {
    offset: 0,
    limit: i64::MAX as u64,
};

fn not_a_dict(value: &Value) -> String {
    format!(
        "Invalid data. Expected a dictionary, but got {}.",
        python_type(value)
    )
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

fn without<'k>(body: &Body, keys: impl Fields<'k>) -> Body {
    let kept = body.iter().filter(|(k, _)| !keys.has(k));
    kept.map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn belongs_elsewhere(kind: &str, id: i64, owner: &str) -> String {
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
        let path = match self.path.as_str() {
            "" => format!("{key}[{index}]"),
            parent => format!("{parent}.{key}[{index}]"),
        };
        At { path, label }
    }
}

/// A refused entry, or a failure of the database that ends the walk.
enum Refusal {
    Fields(FieldErrors),
    Whole(String),
    Repository(RepositoryError),
}

impl Refusal {
    /// A given id another row has is an error of the entry's `id`.
    fn id_taken(self, kind: &str) -> Self {
        match self {
            Refusal::Repository(RepositoryError::IdTaken(id)) => {
                let message = belongs_elsewhere(kind, id, "event");
                Refusal::Fields(FieldErrors::single("id", message))
            }
            other => other,
        }
    }
}

/// The use case errors that are field errors, a missing row, or the database's.
macro_rules! refusals {
    ($($error:ident),*) => {$(
        impl From<$error> for Refusal {
            fn from(e: $error) -> Self {
                match e {
                    $error::Invalid(errors) => Refusal::Fields(errors),
                    $error::NotFound => Refusal::Whole("Not found.".into()),
                    $error::Repository(r) => Refusal::Repository(r),
                }
            }
        }
    )*};
}
refusals!(SubEventError, QuotaError, DigitalContentError);

impl From<EventError> for Refusal {
    fn from(e: EventError) -> Self {
        match e {
            EventError::Invalid(errors) => Refusal::Fields(errors),
            EventError::Refused(detail) => Refusal::Whole(detail.to_string()),
            EventError::Key(k) => Refusal::Repository(RepositoryError::Internal(k.to_string())),
            EventError::Repository(r) => Refusal::Repository(r),
        }
    }
}

impl From<ImportedSecretError> for Refusal {
    fn from(e: ImportedSecretError) -> Self {
        match e {
            ImportedSecretError::Invalid(errors) => Refusal::Fields(errors),
            ImportedSecretError::Repository(r) => Refusal::Repository(r),
            other => Refusal::Whole(other.to_string()),
        }
    }
}

impl From<DeviceError> for Refusal {
    fn from(e: DeviceError) -> Self {
        match e {
            DeviceError::Invalid(errors) => Refusal::Fields(errors),
            // The checks passed, so it is the serial: given, and another device's.
            DeviceError::Repository(RepositoryError::Conflict(_)) => Refusal::Fields(
                FieldErrors::single("unique_serial", "This serial is used by another device."),
            ),
            DeviceError::Repository(r) => Refusal::Repository(r),
        }
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

/// A [`Keyed`] entry that a use case replaces (`PUT`) or creates (`POST`, under the given id)
/// from the entry as read, alone: sub-events, quotas and digital contents.
trait Entry: Keyed {
    const LIST: &'static str;
    const FIELDS: &'static [&'static str];
    fn read(body: &Body, id: Option<i64>) -> (Self::Changes, FieldErrors);
    fn rows(tx: &dyn Repositories, event: &Event) -> impl Future<Output = Done<Vec<Self>>> + Send;
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
    type Changes = ItemChanges;
    fn id(&self) -> i64 {
        self.id.0
    }
    fn same_name(&self, changes: &ItemChanges) -> bool {
        Some(&self.fields.name) == changes.name.as_ref()
    }
}

/// The [`Keyed`] and [`Entry`] implementations of a catalog resource: its names, how an entry
/// names a row, the rows of an event, and the use cases that replace and create one.
macro_rules! catalog_entry {
    ($row:ident, $changes:ident, $id:ident, $kind:literal, $name:literal, $list:literal,
     fields: $fields:expr, read: $read:path,
     same: |$r:ident, $c:ident| $same:expr,
     rows: |$tx:ident, $e:ident| $rows:expr,
     update: |$cur:ident, $ch:ident, $err:ident| $update:expr,
     create: |$ch2:ident, $err2:ident| $create:expr $(,)?) => {
        impl Keyed for $row {
            const KIND: &'static str = $kind;
            const NAME: &'static str = $name;
            type Changes = $changes;
            fn id(&self) -> i64 {
                self.id.0
            }
            fn same_name(&self, $c: &$changes) -> bool {
                let $r = self;
                $same
            }
        }

        impl Entry for $row {
            const LIST: &'static str = $list;
            const FIELDS: &'static [&'static str] = $fields;
            fn read(body: &Body, id: Option<i64>) -> ($changes, FieldErrors) {
                let (changes, errors) = $read(body);
                (
                    $changes {
                        id: id.map($id),
                        ..changes
                    },
                    errors,
                )
            }
            async fn rows($tx: &dyn Repositories, $e: &Event) -> Done<Vec<Self>> {
                Ok($rows.await?.items)
            }
            async fn write(
                $tx: &dyn Repositories,
                $e: &Event,
                current: Option<&Self>,
                changes: $changes,
                errors: FieldErrors,
            ) -> Result<Self, Refusal> {
                let result = match current {
                    Some($cur) => {
                        let ($ch, $err) = (changes, errors);
                        $update.await
                    }
                    None => {
                        let ($ch2, $err2) = (changes, errors);
                        $create.await
                    }
                };
                Ok(result?)
            }
        }
    };
}

catalog_entry!(SubEvent, SubEventChanges, SubEventId, "Sub-event", "name", "subevents",
    fields: subevent::SUBEVENT_FIELDS, read: api::subevent,
    // A sub-event is named by its name and start.
    same: |r, c| Some(&r.data.name) == c.name.as_ref() && Some(r.data.date_from) == c.date_from,
    rows: |tx, e| tx.subevents().list(e.id, vec![], ALL),
    update: |cur, c, err| subevent::update_subevent(tx.subevents(), cur, c, WriteMode::Replace, err),
    create: |c, err| subevent::create_subevent(tx.subevents(), e, c, err),
);

catalog_entry!(Quota, QuotaChanges, QuotaId, "Quota", "name", "quotas",
    fields: quota::QUOTA_FIELDS, read: api::quota,
    same: |r, c| Some(&r.data.name) == c.name.as_ref(),
    rows: |tx, e| tx.quotas().list(e.id, vec![], ALL),
    update: |cur, c, err| quota::update_quota(tx.quotas(), e, cur, c, WriteMode::Replace, err),
    create: |c, err| quota::create_quota(tx.quotas(), e, c, err),
);

catalog_entry!(DigitalContent, DigitalContentChanges, DigitalContentId, "Digital content",
    "title", "digital_contents",
    fields: content::DIGITAL_CONTENT_FIELDS, read: api::digital_content,
    same: |r, c| Some(&r.data.title) == c.title.as_ref(),
    rows: |tx, e| tx.digital_contents().list(e.id, None, ALL),
    update: |cur, c, err| {
        content::update_digital_content(tx.digital_contents(), e, cur, c, WriteMode::Replace, err)
    },
    create: |c, err| content::create_digital_content(tx.digital_contents(), e, c, err),
);

pub(super) struct Walker<'a> {
    tx: &'a dyn Repositories,
    errors: Vec<EntryError>,
    organizers: HashSet<String>,
    /// Catalog ids (by kind) and team tokens given so far in the document.
    ids: HashSet<(&'static str, i64)>,
    tokens: HashSet<TokenHash>,
}

/// Walks the document on `tx`: how many organizers it names, and the refused entries in
/// document order (none: everything was written, and the caller may commit).
pub(super) async fn walk(
    tx: &dyn Repositories,
    document: &Value,
) -> Done<(usize, Vec<EntryError>)> {
    let mut w = Walker {
        tx,
        errors: Vec::new(),
        organizers: HashSet::new(),
        ids: HashSet::new(),
        tokens: HashSet::new(),
    };
    let root = At {
        path: String::new(),
        label: None,
    };
    let Value::Object(top) = document else {
        w.error(&root, None, not_a_dict(document));
        return Ok((0, w.errors));
    };
    w.known_keys(&root, top, "version organizers");
    if top
        .get("version")
        .is_some_and(|v| api::integer(v) != Ok(VERSION))
    {
        let message = format!("Unsupported version: this Presale reads version {VERSION}.");
        w.error(&root, Some("version"), message);
    }
    if !top.contains_key("organizers") {
        w.error(&root, Some("organizers"), REQUIRED);
    }
    let organizers = w.objects(&root, top, "organizers", "slug");
    let count = organizers.len();
    for (at, body) in organizers {
        w.organizer(at, body).await?;
    }
    Ok((count, w.errors))
}

/// The credential the use cases run as: every permission on the organizer.
fn principal(organizer: &Organizer) -> Principal {
    let team = Team {
        id: TeamId(0),
        organizer: organizer.id,
        name: "seed".into(),
        permissions: PermissionSet::all(),
        events: EventScope::All,
    };
    Principal::TeamToken {
        token: TokenId(0),
        team,
    }
}

/// A required string field (not blank); its error goes to `errors`.
fn required_string(body: &Body, key: &str, errors: &mut FieldErrors) -> Option<String> {
    let read = body.get(key).map(|v| api::string(v, false));
    read.unwrap_or(Err(REQUIRED))
        .map_err(|e| errors.add(key, e))
        .ok()
}

/// A boolean field, if given; its error goes to `errors`.
fn optional_bool(body: &Body, key: &str, errors: &mut FieldErrors) -> Option<bool> {
    api::boolean(body.get(key)?)
        .map_err(|e| errors.add(key, e))
        .ok()
}

/// A token written in the document (see [`check_fixed_token`]); its error goes to `errors`.
fn fixed_token(body: &Body, key: &str, errors: &mut FieldErrors) -> Option<String> {
    let value = body.get(key).filter(|v| !v.is_null())?;
    let token = api::string(value, false).and_then(|t| check_fixed_token(&t).map(|()| t));
    token.map_err(|e| errors.add(key, e)).ok()
}

/// A token given as `plain` (checked for its shape) or as `hashed` (as exported).
fn token_hash(
    body: &Body,
    (plain, hashed): (&str, &str),
    errors: &mut FieldErrors,
) -> Option<TokenHash> {
    match (body.get(plain), body.get(hashed)) {
        (Some(_), Some(_)) => {
            errors.add(plain, format!("Give either {plain} or {hashed}, not both."))
        }
        (Some(_), None) => return fixed_token(body, plain, errors).map(|t| TokenHash::of(&t)),
        (None, Some(v)) => match v.as_str().and_then(TokenHash::from_hex) {
            Some(hash) => return Some(hash),
            None => errors.add(
                hashed,
                "Enter the 64 lower-case hexadecimal digits of a SHA-256 hash.",
            ),
        },
        (None, None) => {}
    }
    None
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
                ("non_field_errors", p) => p.map(str::to_owned),
                (f, None) => Some(f.to_owned()),
                (f, Some(p)) => Some(format!("{p}.{f}")),
            };
            self.error(at, field.as_deref(), message);
        }
    }

    /// The written row, or `None` with the refusal reported; a database failure ends the
    /// walk.
    fn outcome<T, E: Into<Refusal>>(&mut self, at: &At, result: Result<T, E>) -> Done<Option<T>> {
        match result.map_err(Into::into) {
            Ok(row) => return Ok(Some(row)),
            Err(Refusal::Fields(errors)) => self.field_errors(at, &errors, None),
            Err(Refusal::Whole(message)) => self.error(at, None, message),
            Err(Refusal::Repository(r)) => return Err(r),
        }
        Ok(None)
    }

    fn known_keys<'k>(&mut self, at: &At, body: &Body, known: impl Fields<'k>) {
        for key in body.keys().filter(|k| !known.has(k)) {
            self.error(at, Some(key), "Unknown field.");
        }
    }

    /// The objects of the list `key` (absent: none), each with its place and the text of
    /// its field `label` as its label.
    fn objects<'v>(
        &mut self,
        at: &At,
        body: &'v Body,
        key: &str,
        label: &str,
    ) -> Vec<(At, &'v Body)> {
        let items = match body.get(key) {
            None => return Vec::new(),
            Some(Value::Array(items)) => items,
            Some(other) => {
                let got = python_type(other);
                let message = format!("Expected a list of items but got type \"{got}\".");
                self.error(at, Some(key), message);
                return Vec::new();
            }
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            match item {
                Value::Object(map) => out.push((at.child(key, i, label_of(map.get(label))), map)),
                other => self.error(&at.child(key, i, None), None, not_a_dict(other)),
            }
        }
        out
    }

    /// A given `id` (or `device_id`): absent or null is none; else a positive integer. A
    /// catalog id (`kind`) is claimed for the whole document. `Err(())` when refused.
    fn given_id(
        &mut self,
        at: &At,
        body: &Body,
        key: &str,
        kind: Option<&'static str>,
    ) -> Result<Option<i64>, ()> {
        let Some(v) = body.get(key).filter(|v| !v.is_null()) else {
            return Ok(None);
        };
        let message = match api::integer(v) {
            Ok(id) if id < 1 => "Ensure this value is greater than or equal to 1.",
            Ok(id) if kind.is_some_and(|k| !self.ids.insert((k, id))) => {
                "This id is used by an earlier entry of the document."
            }
            Ok(id) => return Ok(Some(id)),
            Err(e) => e,
        };
        self.error(at, Some(key), message);
        Err(())
    }

    async fn organizer(&mut self, at: At, body: &Body) -> Done {
        self.known_keys(&at, body, fields::ORGANIZER);
        let mut errors = FieldErrors::new();
        let slug = required_string(body, "slug", &mut errors).and_then(|s| {
            Slug::parse(&s)
                .map_err(|e| errors.add("slug", e.to_string()))
                .ok()
        });
        let name = required_string(body, "name", &mut errors);
        self.field_errors(&at, &errors, None);
        let (Some(slug), Some(name)) = (slug, name) else {
            return Ok(());
        };
        if !self.organizers.insert(slug.as_str().to_owned()) {
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
            let changed = match api::string_list(value) {
                Ok(list) => change_plugins(organizers, &organizer, &list).await,
                Err(e) => {
                    self.error(&at, Some("plugins"), e);
                    Ok(organizer.clone())
                }
            };
            match changed {
                Ok(o) => organizer = o,
                Err(ChangePluginsError::Invalid(e)) => {
                    self.error(&at, Some("plugins"), e.to_string())
                }
                Err(ChangePluginsError::Repository(r)) => return Err(r),
            }
        }
        let target = Target::Organizer(organizer.id);
        self.settings(target, &at, body.get("settings")).await?;
        self.meta_properties(&organizer, &at, body).await?;
        self.sales_channels(&organizer, &at, body).await?;
        let principal = principal(&organizer);
        let mut slugs = HashSet::new();
        for (child, event) in self.objects(&at, body, "events", "slug") {
            self.event(&organizer, &principal, child, event, &mut slugs)
                .await?;
        }
        self.teams(&organizer, &at, body).await?;
        self.devices(&organizer, &at, body).await
    }

    /// A `settings` object: a PATCH of the level's settings (unknown keys are refused).
    async fn settings(&mut self, target: Target, at: &At, value: Option<&Value>) -> Done {
        let Some(value) = value else {
            return Ok(());
        };
        let Value::Object(map) = value else {
            self.error(at, Some("settings"), not_a_dict(value));
            return Ok(());
        };
        let known = |key: &String| keys_for(target.level()).any(|k| k.name == key.as_str());
        let unknown: Vec<&String> = map.keys().filter(|key| !known(key)).collect();
        for key in &unknown {
            self.error(at, Some(&format!("settings.{key}")), "Unknown setting.");
        }
        if !unknown.is_empty() {
            return Ok(());
        }
        match settings::change_values(self.tx.settings(), target, map).await {
            Ok(_) => {}
            Err(ChangeError::Invalid(errors)) => self.field_errors(at, &errors, Some("settings")),
            Err(ChangeError::Repository(r)) => return Err(r),
        }
        Ok(())
    }

    async fn meta_properties(&mut self, organizer: &Organizer, at: &At, body: &Body) -> Done {
        let repo = self.tx.meta_properties();
        let stored = repo.all(organizer.id).await?;
        let mut names = HashSet::new();
        let known = format!("id {}", fields::META_PROPERTY);
        for (at, entry) in self.objects(at, body, "meta_properties", "name") {
            self.known_keys(&at, entry, known.as_str());
            let fields = match api::meta_property(entry) {
                Ok(fields) if !names.insert(fields.name.clone()) => {
                    self.error(&at, Some("name"), DUPLICATE_NAME);
                    continue;
                }
                Ok(fields) => fields,
                Err(errors) => {
                    self.field_errors(&at, &errors, None);
                    continue;
                }
            };
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

    async fn sales_channels(&mut self, organizer: &Organizer, at: &At, body: &Body) -> Done {
        let repo = self.tx.sales_channels();
        let stored = repo.all(organizer.id).await?;
        let mut identifiers = HashSet::new();
        for (at, entry) in self.objects(at, body, "sales_channels", "identifier") {
            self.known_keys(&at, entry, fields::SALES_CHANNEL);
            let identifier = entry
                .get("identifier")
                .and_then(Value::as_str)
                .map(str::trim);
            let identifier = identifier.unwrap_or_default();
            if !identifier.is_empty() && !identifiers.insert(identifier.to_owned()) {
                self.error(&at, Some("identifier"), DUPLICATE_IDENTIFIER);
                continue;
            }
            let existing = stored.iter().find(|c| c.identifier == identifier);
            let result = match api::sales_channel(entry, existing) {
                Err(errors) => Err(SalesChannelError::Invalid(errors)),
                Ok(fields) => match existing {
                    Some(channel) => {
                        sales_channel::update_sales_channel(repo, channel, fields).await
                    }
                    None => sales_channel::create_sales_channel(repo, organizer.id, fields).await,
                },
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
        body: &Body,
        slugs: &mut HashSet<String>,
    ) -> Done {
        let nested = fields::EVENT_NESTED.names();
        let known: Vec<&str> = event::EVENT_FIELDS.iter().copied().chain(nested).collect();
        self.known_keys(&at, body, known.as_slice());
        let (mut changes, errors) = api::event(&without(body, fields::EVENT_NESTED));
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
        if go_live {
            changes.live = existing.as_ref().map(|e| e.data.live);
        }
        let result = match &existing {
            Some(current) => {
                let mode = WriteMode::Replace;
                event::update_event(&ports, principal, organizer, current, changes, mode, errors)
                    .await
            }
            None => event::create_event(&ports, principal, organizer, changes, errors).await,
        };
        let Some(stored) = self.outcome(&at, result)? else {
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
            let (mode, none) = (WriteMode::Partial, FieldErrors::new());
            let result =
                event::update_event(&ports, principal, organizer, &stored, live, mode, none).await;
            self.outcome(&at, result)?;
        }
        Ok(())
    }

    /// The row an entry names: by its `id`, else by name among the event's rows. `Err(())`
    /// when an earlier entry without id named the same row (reported).
    fn matched<'r, T: Keyed>(
        &mut self,
        at: &At,
        id: Option<i64>,
        changes: &T::Changes,
        rows: &'r [T],
        matched: &[i64],
    ) -> Result<Option<&'r T>, ()> {
        if let Some(id) = id {
            return Ok(rows.iter().find(|r| r.id() == id));
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
    async fn entries<T: Entry>(&mut self, event: &Event, at: &At, body: &Body) -> Done {
        let entries = self.objects(at, body, T::LIST, T::NAME);
        if entries.is_empty() {
            return Ok(());
        }
        let rows = T::rows(self.tx, event).await?;
        let mut matched = Vec::new();
        for (at, entry) in entries {
            self.known_keys(&at, entry, T::FIELDS);
            let Ok(id) = self.given_id(&at, entry, "id", Some(T::KIND)) else {
                continue;
            };
            let (changes, errors) = T::read(entry, id);
            let Ok(current) = self.matched::<T>(&at, id, &changes, &rows, &matched) else {
                continue;
            };
            let result = T::write(self.tx, event, current, changes, errors).await;
            let result = result.map_err(|e| e.id_taken(T::KIND));
            if let Some(row) = self.outcome(&at, result)? {
                matched.push(row.id());
            }
        }
        Ok(())
    }

    /// A refused product or variation; a given id another row has is reported on the entry
    /// that gave it.
    fn item_error(&mut self, at: &At, e: ItemError, variations: &[(At, Option<i64>)]) -> Done {
        let refusal = match e {
            ItemError::Invalid(errors) => {
                self.field_errors(at, &errors.fields, None);
                if let Some(message) = errors.variations_not_a_list {
                    self.error(at, Some("variations"), message);
                }
                for (i, v) in errors.variations.iter().enumerate() {
                    self.field_errors(&at.child("variations", i, None), v, None);
                }
                return Ok(());
            }
            ItemError::Refused(detail) => Refusal::Whole(detail.into()),
            ItemError::NotFound => Refusal::Whole("Not found.".into()),
            ItemError::Repository(RepositoryError::IdTaken(id)) => {
                match variations.iter().find(|(_, given)| *given == Some(id)) {
                    Some((vat, _)) => {
                        let message = belongs_elsewhere("Variation", id, "product");
                        self.error(vat, Some("id"), message);
                        return Ok(());
                    }
                    None => Refusal::Repository(RepositoryError::IdTaken(id)).id_taken("Product"),
                }
            }
            ItemError::Repository(r) => Refusal::Repository(r),
        };
        self.outcome(at, Err::<(), _>(refusal)).map(|_| ())
    }

    async fn items(&mut self, event: &Event, at: &At, body: &Body) -> Done {
        let entries = self.objects(at, body, "items", "name");
        if entries.is_empty() {
            return Ok(());
        }
        let repo = self.tx.items();
        let rows = repo.all(event.id).await?;
        let mut matched: Vec<i64> = Vec::new();
        for (at, entry) in entries {
            self.known_keys(&at, entry, item::ITEM_FIELDS);
            let Ok(id) = self.given_id(&at, entry, "id", Some("Product")) else {
                continue;
            };
            let (mut changes, errors) = api::item(entry);
            let Ok(current) = self.matched::<Item>(&at, id, &changes, &rows, &matched) else {
                continue;
            };
            let mut variations = Vec::new();
            let inline = entry
                .get("variations")
                .and_then(Value::as_array)
                .into_iter()
                .flatten();
            for (i, v) in inline.enumerate() {
                let Value::Object(m) = v else { continue };
                let vat = at.child("variations", i, label_of(m.get("value")));
                self.known_keys(&vat, m, item::VARIATION_FIELDS);
                if let Ok(vid) = self.given_id(&vat, m, "id", Some("Variation")) {
                    variations.push((vat, vid, m));
                }
            }
            let Some(item) = current else {
                // A new product: created with its variations, under the ids given.
                changes.id = id.map(ItemId);
                let given: Vec<(At, Option<i64>)> =
                    variations.iter().map(|(a, v, _)| (a.clone(), *v)).collect();
                for (v, (_, vid)) in changes.variations.iter_mut().flatten().zip(&given) {
                    v.id = vid.map(VariationId);
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
            if let Err(e) = item::update_item(repo, item, changes, WriteMode::Replace, errors).await
            {
                self.item_error(&at, e, &[])?;
                continue;
            }
            let mut vmatched = Vec::new();
            for (vat, vid, vbody) in variations.into_iter().filter(|_| inline.is_some()) {
                self.variation(item, vat, vid, vbody, &mut vmatched).await?;
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
        body: &Body,
        matched: &mut Vec<VariationId>,
    ) -> Done {
        let (mut changes, errors) = api::variation(body);
        let current = match id {
            Some(vid) => item.variation(VariationId(vid)),
            None => {
                let same =
                    |v: &&item::ItemVariation| Some(&v.fields.value) == changes.value.as_ref();
                let found = item.variations.iter().find(same);
                if found.is_some_and(|v| matched.contains(&v.id)) {
                    let message = "An earlier entry of this product has the same value; give the entries their ids.";
                    self.error(&at, Some("value"), message);
                    return Ok(());
                }
                found
            }
        };
        let repo = self.tx.items();
        changes.id = id.map(VariationId).filter(|_| current.is_none());
        let result = match current {
            Some(v) => item::update_variation(repo, v, changes, WriteMode::Replace, errors).await,
            None => item::create_variation(repo, item, changes, errors).await,
        };
        match result {
            Ok(v) => matched.push(v.id),
            Err(e) => self.item_error(&at, e, &[(at.clone(), id)])?,
        }
        Ok(())
    }

    async fn secrets(&mut self, event: &Event, at: &At, body: &Body) -> Done {
        let mut seen = HashSet::new();
        let mut entries: Vec<(At, SecretChanges)> = Vec::new();
        for (at, entry) in self.objects(at, body, "imported_secrets", "") {
            self.known_keys(&at, entry, secret::IMPORTED_SECRET_FIELDS);
            let changes = api::imported_secret(&Value::Object(entry.clone()));
            match &changes.secret {
                Some(s) if !seen.insert(s.clone()) => {
                    self.error(&at, Some("secret"), DUPLICATE_IN_REQUEST)
                }
                _ => entries.push((at, changes)),
            }
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
                .find(|(s, _)| Some(s) == changes.secret.as_ref());
            let current = match id {
                Some((_, id)) => repo.find(event.id, *id).await?,
                None => None,
            };
            let Some(current) = current else {
                new.push((at, changes));
                continue;
            };
            let mode = WriteMode::Replace;
            let result = secret::update_secret(repo, event.id, current, changes, mode).await;
            self.outcome(&at, result)?;
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
                        self.outcome(at, Err::<(), _>(e))?;
                    }
                }
            }
        }
        Ok(())
    }

    async fn teams(&mut self, organizer: &Organizer, at: &At, body: &Body) -> Done {
        let mut known = vec!["id", "name", "all_events", "limit_events", "tokens"];
        known.extend(Permission::ALL.iter().map(|p| p.name()));
        let mut names = HashSet::new();
        let (organizers, teams) = (self.tx.organizers(), self.tx.teams());
        for (at, entry) in self.objects(at, body, "teams", "name") {
            self.known_keys(&at, entry, known.as_slice());
            let (fields, errors) = api::team(&without(entry, "tokens"));
            if !fields.name.is_empty() && !names.insert(fields.name.clone()) {
                let message = "An earlier entry of the document has this team name.";
                self.error(&at, Some("name"), message);
                continue;
            }
            let org = organizer.id;
            let result = match teams.find_by_name(org, &fields.name).await?.first() {
                Some(t) => team::update_team(organizers, teams, org, t.id, fields, errors).await,
                None => team::create_team(organizers, teams, org, fields, errors)
                    .await
                    .map(Some),
            };
            let team = match result {
                Ok(team) => team,
                Err(TeamError::Invalid(errors)) => {
                    self.field_errors(&at, &errors, None);
                    continue;
                }
                Err(TeamError::Repository(r)) => return Err(r),
            };
            for (tat, token) in self.objects(&at, entry, "tokens", "name") {
                if let Some(team) = &team {
                    self.token(organizer, team.team.id, tat, token).await?;
                }
            }
        }
        Ok(())
    }

    /// A team token: found by its hash anywhere in the organizer (and moved to this team),
    /// or created with it.
    async fn token(&mut self, organizer: &Organizer, team: TeamId, at: At, body: &Body) -> Done {
        self.known_keys(&at, body, fields::TOKEN);
        let mut errors = FieldErrors::new();
        let name = required_string(body, "name", &mut errors).and_then(|n| {
            team::check_name(&n)
                .map(|()| n)
                .map_err(|e| errors.add("name", e.to_string()))
                .ok()
        });
        let active = optional_bool(body, "active", &mut errors).unwrap_or(true);
        let hash = token_hash(body, ("token", "token_sha256"), &mut errors);
        if hash.is_none() && !body.contains_key("token_sha256") && !body.contains_key("token") {
            errors.add("token", REQUIRED);
        }
        errors.sort_by_order(&["name", "active", "token", "token_sha256"]);
        self.field_errors(&at, &errors, None);
        let (Some(name), Some(hash), true) = (name, hash, errors.is_empty()) else {
            return Ok(());
        };
        if !self.tokens.insert(hash) {
            let message = "An earlier entry of the document has this token.";
            self.error(&at, Some("token"), message);
            return Ok(());
        }
        let tokens = self.tx.tokens();
        match tokens.find_by_hash(hash).await? {
            Some((_, owner)) if owner.organizer != organizer.id => self.error(
                &at,
                Some("token"),
                "This token is used by another organizer.",
            ),
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

    async fn devices(&mut self, organizer: &Organizer, at: &At, body: &Body) -> Done {
        let entries = self.objects(at, body, "devices", "name");
        if entries.is_empty() {
            return Ok(());
        }
        let extra = fields::DEVICE_EXTRA.names();
        let known: Vec<&str> = device::DEVICE_FIELDS.iter().copied().chain(extra).collect();
        let stored = self.tx.devices().list(organizer.id, ALL).await?.items;
        let (mut numbers, mut names, mut written) =
            (HashSet::new(), HashSet::new(), HashSet::new());
        for (at, entry) in entries {
            self.known_keys(&at, entry, known.as_slice());
            let Ok(number) = self.given_id(&at, entry, "device_id", None) else {
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
            };
            if duplicate || existing.is_some_and(|d| written.contains(&d.id)) {
                let field = if number.is_some() {
                    "device_id"
                } else {
                    "name"
                };
                let message = "An earlier entry of the document names this device.";
                self.error(&at, Some(field), message);
                continue;
            }
            let state = self.device_state(entry, existing, &mut errors).await?;
            let ports = DevicePorts::of(self.tx);
            let result = match existing {
                Some(d) => {
                    device::update_device(&ports, d, changes, WriteMode::Replace, errors).await
                }
                None => {
                    changes.device_id = number;
                    changes.unique_serial = state.serial.clone();
                    changes.initialization_token = state.initialization.clone();
                    device::create_device(&ports, organizer.id, changes, errors).await
                }
            };
            if let Some(device) = self.outcome(&at, result)? {
                written.insert(device.id);
                self.apply_device_state(&device, state).await?;
            }
        }
        Ok(())
    }

    /// The credentials and state a device entry gives, checked against the other devices
    /// (those of earlier entries included); errors go to `errors`.
    async fn device_state(
        &mut self,
        entry: &Body,
        existing: Option<&Device>,
        errors: &mut FieldErrors,
    ) -> Done<DeviceState> {
        let serial = fixed_token(entry, "unique_serial", errors);
        let initialization = fixed_token(entry, "initialization_token", errors);
        let api_token = token_hash(entry, ("api_token", "api_token_sha256"), errors);
        let revoked = optional_bool(entry, "revoked", errors);
        let mut reported = fields::HARDWARE.names().map(|key| {
            let value = entry.get(key).filter(|v| !v.is_null())?;
            match api::string(value, true) {
                Ok(t) if t.chars().count() > 190 => {
                    errors.add(key, "Ensure this field has no more than 190 characters.");
                    None
                }
                Ok(t) => Some(t),
                Err(e) => {
                    errors.add(key, e);
                    None
                }
            }
        });
        let mut next = || reported.next().flatten();
        let hardware = Hardware {
            hardware_brand: next(),
            hardware_model: next(),
            os_name: next(),
            os_version: next(),
            software_brand: next(),
            software_version: next(),
        };
        let devices = self.tx.devices();
        let other = |d: &Device| existing.is_none_or(|mine| mine.id != d.id);
        if let Some(t) = &initialization {
            if devices
                .find_by_initialization_token(t)
                .await?
                .is_some_and(|d| other(&d))
            {
                errors.add("initialization_token", DEVICE_TOKEN_USED);
            }
            if existing.is_some_and(|d| d.initialization_token != *t) {
                let message = "A device's initialization token cannot be changed.";
                errors.add("initialization_token", message);
            }
        }
        if existing.is_some_and(|d| serial.as_ref().is_some_and(|s| d.unique_serial != *s)) {
            errors.add("unique_serial", "A device's serial cannot be changed.");
        }
        if let Some(h) = api_token {
            if devices
                .find_by_api_token(h)
                .await?
                .is_some_and(|d| other(&d))
            {
                let plain = entry.contains_key("api_token");
                errors.add(
                    if plain {
                        "api_token"
                    } else {
                        "api_token_sha256"
                    },
                    DEVICE_TOKEN_USED,
                );
            }
        }
        if revoked == Some(false) && existing.is_some_and(|d| d.revoked) {
            errors.add("revoked", "A revoked device cannot be restored.");
        }
        Ok(DeviceState {
            serial,
            initialization,
            api_token,
            hardware,
            revoked,
        })
    }

    /// A device with an API token is initialized with it (and what it reports, as given);
    /// `revoked: true` revokes it.
    async fn apply_device_state(&mut self, device: &Device, state: DeviceState) -> Done {
        let devices = self.tx.devices();
        if let Some(new) = state.api_token {
            if device.initialized.is_none() {
                let init = Initialization {
                    hardware: state.hardware,
                    info: None,
                    rsa_pubkey: None,
                    api_token: new,
                    at: WireDateTime::now(),
                };
                devices.initialize(device.id, init).await?;
            } else {
                let current = devices.api_token_hash(device.id).await?;
                if let Some(current) = current.filter(|c| *c != new) {
                    devices.set_api_token(device.id, current, new).await?;
                }
                if device.hardware != state.hardware {
                    let (info, key) = (device.info.clone(), device.rsa_pubkey.clone());
                    devices
                        .update_report(device.id, state.hardware, info, key)
                        .await?;
                }
            }
        }
        if state.revoked == Some(true) && !device.revoked {
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
    hardware: Hardware,
    revoked: Option<bool>,
}
