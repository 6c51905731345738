//! `/api/v1/organizers/{organizer}/saleschannels/`: where an organizer sells; channels are
//! addressed by their identifier, and every organizer has `web`.

use super::resource::{not_found, Delete, InOrganizer, Resource};
use super::Needs;
use crate::error::ApiError;
use crate::fields::{self, NOT_NULL as NULL, REQUIRED};
use presale_domain::access::Permission;
use presale_domain::pagination::{Page, Window};
use presale_domain::sales_channel::{
    changed_identifier_error, changed_type_error, create_sales_channel, delete_sales_channel,
    new_identifier_error, new_type_error, position_error, update_sales_channel, SalesChannel,
    SalesChannelError, SalesChannelFields, API, NOT_DELETABLE,
};
use presale_domain::store::Store;
use presale_domain::validation::FieldErrors;
use presale_domain::values::I18nString;
use presale_domain::write::WriteMode;
use presale_domain::RepositoryError;
use serde::Serialize;
use serde_json::{Map, Value};

pub(super) struct SalesChannels;

impl Resource for SalesChannels {
    type Scope = InOrganizer;
    /// Channels are addressed by their identifier.
    type Id = String;
    type Entity = SalesChannel;
    /// The body itself: it is read against the stored channel ([`read_fields`]).
    type Changes = Map<String, Value>;
    type Filter = ();
    type Body<'a> = Body<'a>;

    const SEGMENT: &'static str = "saleschannels";
    const NEEDS: Needs = Needs {
        read: Some(Permission::ChangeOrganizerSettings),
        write: Some(Permission::ChangeOrganizerSettings),
        device_read: false,
    };
    const NOT_FOUND: &'static str = "No SalesChannel matches the given query.";

    /// One pretix's router would not match (`[a-zA-Z0-9.\-_]+`) is no identifier.
    fn id(segment: &str) -> Option<String> {
        let valid = !segment.is_empty()
            && segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        valid.then(|| segment.to_owned())
    }

    fn read(body: &Map<String, Value>) -> Map<String, Value> {
        body.clone()
    }

    fn render<'a>(channel: &'a SalesChannel, _: &'a InOrganizer) -> Body<'a> {
        render(channel)
    }

    async fn list(
        store: &dyn Store,
        scope: &InOrganizer,
        _: (),
        window: Window,
    ) -> Result<Page<SalesChannel>, RepositoryError> {
        store
            .sales_channels()
            .list(scope.organizer.id, window)
            .await
    }

    async fn find(
        store: &dyn Store,
        scope: &InOrganizer,
        identifier: String,
    ) -> Result<Option<SalesChannel>, RepositoryError> {
        store
            .sales_channels()
            .find(scope.organizer.id, &identifier)
            .await
    }

    async fn create(
        store: &dyn Store,
        scope: &InOrganizer,
        body: Map<String, Value>,
    ) -> Result<SalesChannel, ApiError> {
        let blank = SalesChannelFields {
            identifier: String::new(),
            label: I18nString::default(),
            kind: API.to_owned(),
            position: 0,
        };
        let fields = read_fields(&body, blank, None, true)?;
        let repo = store.sales_channels();
        Ok(create_sales_channel(repo, scope.organizer.id, fields).await?)
    }

    async fn update(
        store: &dyn Store,
        _: &InOrganizer,
        current: &SalesChannel,
        body: Map<String, Value>,
        mode: WriteMode,
    ) -> Result<SalesChannel, ApiError> {
        let full = mode.is_full();
        let fields = read_fields(&body, current.fields(), Some(current), full)?;
        Ok(update_sales_channel(store.sales_channels(), current, fields).await?)
    }
}

impl Delete for SalesChannels {
    /// `web` cannot be deleted (403).
    async fn delete(
        store: &dyn Store,
        scope: &InOrganizer,
        identifier: String,
    ) -> Result<(), ApiError> {
        let repo = store.sales_channels();
        Ok(delete_sales_channel(repo, scope.organizer.id, &identifier).await?)
    }
}

/// A sales channel as JSON.
#[derive(Serialize)]
pub struct Body<'a> {
    identifier: &'a str,
    label: &'a I18nString,
    #[serde(rename = "type")]
    kind: &'a str,
    position: i64,
}

/// `identifier, label, type, position` (docs/api-compatibility.md; pretix puts `type` second).
pub fn render(c: &SalesChannel) -> Body<'_> {
    Body {
        identifier: &c.identifier,
        label: &c.label,
        kind: &c.kind,
        position: c.position,
    }
}

fn sent<'a>(
    body: &'a Map<String, Value>,
    field: &str,
    required: bool,
    errors: &mut FieldErrors,
) -> Option<&'a Value> {
    let value = body.get(field);
    if value.is_none() && required {
        errors.add(field, REQUIRED);
    }
    value
}

/// Applies the body's fields to `fields`, every error in field order. `existing` is the
/// channel being updated (`None` on create); `full` (create, PUT) requires `identifier` and
/// `label`. A `type` or `position` left out keeps its value (`api` and 0 on create).
pub fn read_fields(
    body: &Map<String, Value>,
    mut fields: SalesChannelFields,
    existing: Option<&SalesChannel>,
    full: bool,
) -> Result<SalesChannelFields, FieldErrors> {
    let mut errors = FieldErrors::new();
    if let Some(v) = sent(body, "identifier", full, &mut errors) {
        match fields::string(v, false) {
            Ok(identifier) => {
                let rule = match existing {
                    None => new_identifier_error(&identifier),
                    Some(channel) => changed_identifier_error(channel, &identifier),
                };
                match rule {
                    None => fields.identifier = identifier,
                    Some(e) => errors.add("identifier", e),
                }
            }
            Err(e) => errors.add("identifier", e),
        }
    }
    if let Some(v) = sent(body, "label", full, &mut errors) {
        match v {
            Value::Null => errors.add("label", NULL),
            v => match I18nString::from_json(v) {
                Ok(label) => fields.label = label,
                Err(e) => errors.add("label", e.to_string()),
            },
        }
    }
    if let Some(v) = sent(body, "type", false, &mut errors) {
        match fields::string(v, false) {
            Ok(kind) => {
                let rule = match existing {
                    None => new_type_error(&kind),
                    Some(channel) => changed_type_error(channel, &kind),
                };
                match rule {
                    None => fields.kind = kind,
                    Some(e) => errors.add("type", e),
                }
            }
            Err(e) => errors.add("type", e),
        }
    }
    if let Some(v) = sent(body, "position", false, &mut errors) {
        match fields::integer(v) {
            Ok(position) => match position_error(position) {
                None => fields.position = position,
                Some(e) => errors.add("position", e),
            },
            Err(e) => errors.add("position", e),
        }
    }
    errors.into_result().map(|()| fields)
}

impl From<SalesChannelError> for ApiError {
    fn from(e: SalesChannelError) -> Self {
        match e {
            SalesChannelError::Invalid(errors) => errors.into(),
            SalesChannelError::NotFound => not_found::<SalesChannels>(),
            SalesChannelError::NotDeletable => ApiError::Forbidden(NOT_DELETABLE.into()),
            SalesChannelError::Repository(r) => r.into(),
        }
    }
}
