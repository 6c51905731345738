//! `/api/v1/organizers/{organizer}/meta_properties/`: the properties events may carry in
//! `meta_data`.

use super::{organizer_context, organizer_resource, read, Needs};
use crate::body::{expect_object, parse_body};
use crate::error::{json_ok, json_response, ApiError};
use crate::fields::string_list;
use crate::fields::{self, REQUIRED};
use crate::pagination::{paginate, PageRequest};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use presale_domain::access::Permission;
use presale_domain::ids::MetaPropertyId;
use presale_domain::meta::{
    check_name, create_meta_property, update_meta_property, MetaProperty, MetaPropertyError,
    MetaPropertyFields,
};
use presale_domain::validation::FieldErrors;
use serde_json::{json, Map, Value};

/// docs/api-compatibility.md: reading needs the permission too (pretix lets any organizer token read).
const NEEDS: Needs = Needs {
    read: Some(Permission::ChangeOrganizerSettings),
    write: Some(Permission::ChangeOrganizerSettings),
    device_read: false,
};

const NOT_FOUND: &str = "No EventMetaProperty matches the given query.";

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        organizer_resource(
            "/organizers/{organizer}/meta_properties/",
            "GET, POST, HEAD",
            NEEDS,
        )
        .route(read().to(list))
        .route(web::post().to(create)),
    )
    .service(
        organizer_resource(
            "/organizers/{organizer}/meta_properties/{id}/",
            "GET, PUT, PATCH, DELETE, HEAD",
            NEEDS,
        )
        .route(read().to(detail))
        .route(web::put().to(replace))
        .route(web::patch().to(patch))
        .route(web::delete().to(delete)),
    );
}

/// `id, name, default, required, allowed_values, protected, filter_allowed`.
pub fn render(p: &MetaProperty) -> Value {
    json!({
        "id": p.id.0,
        "name": p.name,
        "default": p.default,
        "required": p.required,
        "allowed_values": p.allowed_values,
        "protected": p.protected,
        "filter_allowed": p.filter_allowed,
    })
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

/// The property id from the path: a non-number is `Not found.`, as in pretix.
fn property_id(req: &HttpRequest) -> Result<MetaPropertyId, ApiError> {
    req.match_info()
        .get("id")
        .and_then(|s| s.parse::<i64>().ok())
        .map(MetaPropertyId)
        .ok_or_else(ApiError::not_found)
}

fn not_found() -> ApiError {
    ApiError::NotFound(NOT_FOUND.into())
}

async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (_, organizer) = organizer_context(&req, NEEDS).await?;
    let page = PageRequest::from_request(&req)?;
    let envelope = paginate(
        &req,
        &state,
        page,
        |window| state.store.meta_properties().list(organizer.id, window),
        |p| render(&p),
    )
    .await?;
    json_ok(&envelope)
}

async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (_, organizer) = organizer_context(&req, NEEDS).await?;
    let body = expect_object(parse_body(&req, &body)?)?;
    let fields = read_fields(&body, MetaPropertyFields::default(), true)?;
    let created = create_meta_property(state.store.meta_properties(), organizer.id, fields).await?;
    json_response(StatusCode::CREATED, &render(&created))
}

async fn detail(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (_, organizer) = organizer_context(&req, NEEDS).await?;
    let id = property_id(&req)?;
    let property = state
        .store
        .meta_properties()
        .find(organizer.id, id)
        .await?
        .ok_or_else(not_found)?;
    json_ok(&render(&property))
}

async fn replace(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    update(req, state, body, true).await
}

async fn patch(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    update(req, state, body, false).await
}

/// PUT (`full`) and PATCH: the object is looked up before the body is read, as in pretix.
async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
    full: bool,
) -> Result<HttpResponse, ApiError> {
    let (_, organizer) = organizer_context(&req, NEEDS).await?;
    let id = property_id(&req)?;
    let repo = state.store.meta_properties();
    let existing = repo.find(organizer.id, id).await?.ok_or_else(not_found)?;
    let body = expect_object(parse_body(&req, &body)?)?;
    let fields = read_fields(&body, existing.fields(), full)?;
    let updated = update_meta_property(repo, organizer.id, id, fields)
        .await?
        .ok_or_else(not_found)?;
    json_ok(&render(&updated))
}

/// 204; the event values of the property go with it.
async fn delete(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (_, organizer) = organizer_context(&req, NEEDS).await?;
    let id = property_id(&req)?;
    if state
        .store
        .meta_properties()
        .delete(organizer.id, id)
        .await?
    {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(not_found())
    }
}
