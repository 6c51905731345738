//! `/api/v1/organizers/{organizer}/meta_properties/`: the properties events may carry in
//! `meta_data`.

use super::resource::{not_found, numeric_id, Delete, InOrganizer, Resource};
use super::Needs;
use crate::error::ApiError;
use crate::fields::string_list;
use crate::fields::{self, REQUIRED};
use presale_domain::access::Permission;
use presale_domain::ids::MetaPropertyId;
use presale_domain::meta::{
    check_name, create_meta_property, update_meta_property, MetaProperty, MetaPropertyError,
    MetaPropertyFields,
};
use presale_domain::pagination::{Page, Window};
use presale_domain::store::Store;
use presale_domain::validation::FieldErrors;
use presale_domain::write::WriteMode;
use presale_domain::RepositoryError;
use serde::Serialize;
use serde_json::{Map, Value};

pub(super) struct MetaProperties;

impl Resource for MetaProperties {
    type Scope = InOrganizer;
    type Id = MetaPropertyId;
    type Entity = MetaProperty;
    /// The body itself: it is read against the stored property ([`read_fields`]).
    type Changes = Map<String, Value>;
    type Filter = ();
    type Body<'a> = Body<'a>;

    const SEGMENT: &'static str = "meta_properties";
    /// docs/api-compatibility.md: reading needs the permission too (pretix lets any organizer
    /// token read).
    const NEEDS: Needs = Needs {
        read: Some(Permission::ChangeOrganizerSettings),
        write: Some(Permission::ChangeOrganizerSettings),
        device_read: false,
    };
    const NOT_FOUND: &'static str = "No EventMetaProperty matches the given query.";

    fn id(segment: &str) -> Option<MetaPropertyId> {
        numeric_id(segment, MetaPropertyId)
    }

    fn read(body: &Map<String, Value>) -> Map<String, Value> {
        body.clone()
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
        body: Map<String, Value>,
    ) -> Result<MetaProperty, ApiError> {
        let fields = read_fields(&body, MetaPropertyFields::default(), true)?;
        let repo = store.meta_properties();
        Ok(create_meta_property(repo, scope.organizer.id, fields).await?)
    }

    async fn update(
        store: &dyn Store,
        scope: &InOrganizer,
        current: &MetaProperty,
        body: Map<String, Value>,
        mode: WriteMode,
    ) -> Result<MetaProperty, ApiError> {
        let fields = read_fields(&body, current.fields(), mode.is_full())?;
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
#[derive(Serialize)]
pub struct Body<'a> {
    id: i64,
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

/// The field's value if the body has it; an absent field the request must carry records
/// `This field is required.`.
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

/// Applies the body's fields to `fields`, every error in field order. `full` (create, PUT)
/// requires `name` and `allowed_values`, as pretix does; otherwise (PATCH) only what is
/// sent changes. `id` is read-only and ignored.
pub fn read_fields(
    body: &Map<String, Value>,
    mut fields: MetaPropertyFields,
    full: bool,
) -> Result<MetaPropertyFields, FieldErrors> {
    let mut errors = FieldErrors::new();
    if let Some(v) = sent(body, "name", full, &mut errors) {
        match fields::string(v, false) {
            Ok(name) => match check_name(&name) {
                Ok(()) => fields.name = name,
                Err(e) => errors.add("name", e.to_string()),
            },
            Err(e) => errors.add("name", e),
        }
    }
    if let Some(v) = sent(body, "default", false, &mut errors) {
        match fields::string(v, true) {
            Ok(default) => fields.default = default,
            Err(e) => errors.add("default", e),
        }
    }
    if let Some(v) = sent(body, "required", false, &mut errors) {
        match fields::boolean(v) {
            Ok(b) => fields.required = b,
            Err(e) => errors.add("required", e),
        }
    }
    if let Some(v) = sent(body, "allowed_values", full, &mut errors) {
        match v {
            Value::Null => fields.allowed_values = None,
            v => match string_list(v) {
                Ok(values) => fields.allowed_values = Some(values),
                Err(e) => errors.add("allowed_values", e),
            },
        }
    }
    if let Some(v) = sent(body, "protected", false, &mut errors) {
        match fields::boolean(v) {
            Ok(b) => fields.protected = b,
            Err(e) => errors.add("protected", e),
        }
    }
    if let Some(v) = sent(body, "filter_allowed", false, &mut errors) {
        match fields::boolean(v) {
            Ok(b) => fields.filter_allowed = b,
            Err(e) => errors.add("filter_allowed", e),
        }
    }
    errors.into_result().map(|()| fields)
}

impl From<MetaPropertyError> for ApiError {
    fn from(e: MetaPropertyError) -> Self {
        match e {
            MetaPropertyError::Invalid(errors) => errors.into(),
            MetaPropertyError::Repository(r) => r.into(),
        }
    }
}
