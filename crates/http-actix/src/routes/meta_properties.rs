//! `/api/v1/organizers/{organizer}/meta_properties/`: the properties events may carry in
//! `meta_data`.

use super::resource::{not_found, Delete, InOrganizer, Resource};
use super::Needs;
use crate::error::ApiError;
use crate::fields::{self, string_list, FieldReader};
use presale_domain::access::Permission;
use presale_domain::ids::MetaPropertyId;
use presale_domain::meta::{
    create_meta_property, update_meta_property, MetaProperty, MetaPropertyChanges,
    MetaPropertyError, MetaPropertyFields,
};
use presale_domain::pagination::{Page, Window};
use presale_domain::store::Store;
use presale_domain::validation::FieldErrors;
use presale_domain::write::WriteMode;
use presale_domain::RepositoryError;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

pub(super) struct MetaProperties;

impl Resource for MetaProperties {
    type Scope = InOrganizer;
    type Id = MetaPropertyId;
    type Entity = MetaProperty;
    type Changes = (MetaPropertyChanges, FieldErrors);
    type Filter = ();
    type Body<'a> = Body<'a>;

    const SEGMENT: &'static str = "meta_properties";
    const NOUNS: [&'static str; 2] = ["meta property", "meta properties"];
    /// docs/api-compatibility.md: reading needs the permission too (pretix lets any organizer
    /// token read).
    const NEEDS: Needs = Needs {
        read: Some(Permission::ChangeOrganizerSettings),
        write: Some(Permission::ChangeOrganizerSettings),
        device_read: false,
    };
    const NOT_FOUND: &'static str = "No EventMetaProperty matches the given query.";

    fn read(body: &Map<String, Value>) -> (MetaPropertyChanges, FieldErrors) {
        read(body)
    }

    fn render<'a>(property: &'a MetaProperty, _: &'a InOrganizer) -> Body<'a> {
        render(property)
    }

    async fn list(
        store: &dyn Store,
        scope: &InOrganizer,
        _: (),
        window: Window,
    ) -> Result<Page<MetaProperty>, RepositoryError> {
        store
            .meta_properties()
            .list(scope.organizer.id, window)
            .await
    }

    async fn find(
        store: &dyn Store,
        scope: &InOrganizer,
        id: MetaPropertyId,
    ) -> Result<Option<MetaProperty>, RepositoryError> {
        store.meta_properties().find(scope.organizer.id, id).await
    }

    /// `name` and `allowed_values` are required, as pretix does.
    async fn create(
        store: &dyn Store,
        scope: &InOrganizer,
        (changes, errors): (MetaPropertyChanges, FieldErrors),
    ) -> Result<MetaProperty, ApiError> {
        let fields = changes.apply_to(MetaPropertyFields::defaults(), WriteMode::Create, errors)?;
        let repo = store.meta_properties();
        Ok(create_meta_property(repo, scope.organizer.id, fields).await?)
    }

    async fn update(
        store: &dyn Store,
        scope: &InOrganizer,
        current: &MetaProperty,
        (changes, errors): (MetaPropertyChanges, FieldErrors),
        mode: WriteMode,
    ) -> Result<MetaProperty, ApiError> {
        let fields = changes.apply_to(current.fields(), mode, errors)?;
        let repo = store.meta_properties();
        update_meta_property(repo, scope.organizer.id, current.id, fields)
            .await?
            .ok_or_else(not_found::<Self>)
    }
}

impl Delete for MetaProperties {
    /// The event values of the property go with it.
    async fn delete(
        store: &dyn Store,
        scope: &InOrganizer,
        id: MetaPropertyId,
    ) -> Result<(), ApiError> {
        if store
            .meta_properties()
            .delete(scope.organizer.id, id)
            .await?
        {
            Ok(())
        } else {
            Err(not_found::<Self>())
        }
    }
}

/// A meta property as JSON.
#[derive(Serialize, ToSchema)]
#[schema(as = MetaProperty)]
pub struct Body<'a> {
    #[schema(read_only)]
    id: i64,
    #[schema(min_length = 1)]
    name: &'a str,
    default: &'a str,
    required: bool,
    allowed_values: Option<&'a [String]>,
    protected: bool,
    filter_allowed: bool,
}

/// `id, name, default, required, allowed_values, protected, filter_allowed`.
pub fn render(p: &MetaProperty) -> Body<'_> {
    Body {
        id: p.id.0,
        name: &p.name,
        default: &p.default,
        required: p.required,
        allowed_values: p.allowed_values.as_deref(),
        protected: p.protected,
        filter_allowed: p.filter_allowed,
    }
}

/// The fields the body sends, and what was wrong with them (`id` is read-only and ignored).
pub fn read(body: &Map<String, Value>) -> (MetaPropertyChanges, FieldErrors) {
    let mut r = FieldReader::new(body);
    let changes = MetaPropertyChanges {
        name: r.read("name", |v| fields::string(v, false)),
        default: r.read("default", |v| fields::string(v, true)),
        required: r.read("required", fields::boolean),
        allowed_values: r.read("allowed_values", |v| match v {
            Value::Null => Ok(None),
            v => string_list(v).map(Some),
        }),
        protected: r.read("protected", fields::boolean),
        filter_allowed: r.read("filter_allowed", fields::boolean),
    };
    (changes, r.errors)
}

impl From<MetaPropertyError> for ApiError {
    fn from(e: MetaPropertyError) -> Self {
        match e {
            MetaPropertyError::Invalid(errors) => errors.into(),
            MetaPropertyError::Repository(r) => r.into(),
        }
    }
}
