//! `/api/v1/organizers/{organizer}/saleschannels/`: where an organizer sells; channels are
//! addressed by their identifier, and every organizer has `web`.

use super::resource::{not_found, Delete, Identifier, InOrganizer, Resource};
use super::Needs;
use crate::error::ApiError;
use crate::fields::{self, FieldReader, NOT_NULL as NULL};
use presale_domain::access::Permission;
use presale_domain::pagination::{Page, Window};
use presale_domain::sales_channel::{
    create_sales_channel, delete_sales_channel, update_sales_channel, SalesChannel,
    SalesChannelChanges, SalesChannelError, NOT_DELETABLE,
};
use presale_domain::store::Store;
use presale_domain::validation::FieldErrors;
use presale_domain::values::I18nString;
use presale_domain::write::WriteMode;
use presale_domain::RepositoryError;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

pub(super) struct SalesChannels;

impl Resource for SalesChannels {
    type Scope = InOrganizer;
    /// Channels are addressed by their identifier.
    type Id = Identifier;
    type Entity = SalesChannel;
    type Changes = (SalesChannelChanges, FieldErrors);
    type Filter = ();
    type Body<'a> = Body<'a>;

    const SEGMENT: &'static str = "saleschannels";
    const ID_FIELD: &'static str = "identifier";
    const NOUNS: [&'static str; 2] = ["sales channel", "sales channels"];
    const NEEDS: Needs = Needs {
        read: Some(Permission::ChangeOrganizerSettings),
        write: Some(Permission::ChangeOrganizerSettings),
        device_read: false,
    };
    const NOT_FOUND: &'static str = "No SalesChannel matches the given query.";

    fn read(body: &Map<String, Value>) -> (SalesChannelChanges, FieldErrors) {
        read(body)
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
        Identifier(identifier): Identifier,
    ) -> Result<Option<SalesChannel>, RepositoryError> {
        store
            .sales_channels()
            .find(scope.organizer.id, &identifier)
            .await
    }

    async fn create(
        store: &dyn Store,
        scope: &InOrganizer,
        (changes, errors): (SalesChannelChanges, FieldErrors),
    ) -> Result<SalesChannel, ApiError> {
        let fields = changes.apply_to(None, WriteMode::Create, errors)?;
        let repo = store.sales_channels();
        Ok(create_sales_channel(repo, scope.organizer.id, fields).await?)
    }

    async fn update(
        store: &dyn Store,
        _: &InOrganizer,
        current: &SalesChannel,
        (changes, errors): (SalesChannelChanges, FieldErrors),
        mode: WriteMode,
    ) -> Result<SalesChannel, ApiError> {
        let fields = changes.apply_to(Some(current), mode, errors)?;
        Ok(update_sales_channel(store.sales_channels(), current, fields).await?)
    }
}

impl Delete for SalesChannels {
    /// `web` cannot be deleted (403).
    async fn delete(
        store: &dyn Store,
        scope: &InOrganizer,
        Identifier(identifier): Identifier,
    ) -> Result<(), ApiError> {
        let repo = store.sales_channels();
        Ok(delete_sales_channel(repo, scope.organizer.id, &identifier).await?)
    }
}

/// A sales channel as JSON.
#[derive(Serialize, ToSchema)]
#[schema(as = SalesChannel)]
pub struct Body<'a> {
    #[schema(min_length = 1, pattern = r"^[a-zA-Z0-9.\-_]+$")]
    identifier: &'a str,
    #[schema(value_type = crate::openapi::I18n)]
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

/// The fields the body sends, and what was wrong with them.
pub fn read(body: &Map<String, Value>) -> (SalesChannelChanges, FieldErrors) {
    let mut r = FieldReader::new(body);
    let changes = SalesChannelChanges {
        identifier: r.read("identifier", |v| fields::string(v, false)),
        label: r.read("label", |v| match v {
            Value::Null => Err(NULL.to_owned()),
            v => I18nString::from_json(v).map_err(|e| e.to_string()),
        }),
        kind: r.read("type", |v| fields::string(v, false)),
        position: r.read("position", fields::integer),
    };
    (changes, r.errors)
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
