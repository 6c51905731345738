//! `/api/v1/organizers/{organizer}/saleschannels/`: where an organizer sells; channels are
//! addressed by their identifier, and every organizer has `web`.

use super::{organizer_context, organizer_resource, read, Needs};
use crate::body::{expect_object, parse_body};
use crate::error::{json_ok, json_response, ApiError};
use crate::fields::{self, NOT_NULL as NULL, REQUIRED};
use crate::pagination::{paginate, PageRequest};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use presale_domain::access::Permission;
use presale_domain::sales_channel::{
    changed_identifier_error, changed_type_error, create_sales_channel, delete_sales_channel,
    new_identifier_error, new_type_error, position_error, update_sales_channel, SalesChannel,
    SalesChannelError, SalesChannelFields, API, NOT_DELETABLE,
};
use presale_domain::validation::FieldErrors;
use presale_domain::values::I18nString;
use serde_json::{json, Map, Value};

const NEEDS: Needs = Needs {
    read: Some(Permission::ChangeOrganizerSettings),
    write: Some(Permission::ChangeOrganizerSettings),
    device_read: false,
};

const NOT_FOUND: &str = "No SalesChannel matches the given query.";

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        organizer_resource(
            "/organizers/{organizer}/saleschannels/",
            "GET, POST, HEAD",
            NEEDS,
        )
        .route(read().to(list))
        .route(web::post().to(create)),
    )
    .service(
        organizer_resource(
            "/organizers/{organizer}/saleschannels/{identifier}/",
            "GET, PUT, PATCH, DELETE, HEAD",
            NEEDS,
        )
        .route(read().to(detail))
        .route(web::put().to(replace))
        .route(web::patch().to(patch))
        .route(web::delete().to(delete)),
    );
}

/// `identifier, label, type, position` (docs/api-compatibility.md; pretix puts `type` second).
pub fn render(c: &SalesChannel) -> Value {
    json!({
        "identifier": c.identifier,
        "label": c.label.to_json(),
        "type": c.kind,
        "position": c.position,
    })
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
            SalesChannelError::NotFound => not_found(),
            SalesChannelError::NotDeletable => ApiError::Forbidden(NOT_DELETABLE.into()),
            SalesChannelError::Repository(r) => r.into(),
        }
    }
}

/// The identifier from the path; one pretix's router would not match
/// (`[a-zA-Z0-9.\-_]+`) is `Not found.`.
fn path_identifier(req: &HttpRequest) -> Result<String, ApiError> {
    req.match_info()
        .get("identifier")
        .filter(|s| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        })
        .map(str::to_owned)
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
        |window| state.store.sales_channels().list(organizer.id, window),
        |c| render(&c),
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
    let blank = SalesChannelFields {
        identifier: String::new(),
        label: I18nString::default(),
        kind: API.to_owned(),
        position: 0,
    };
    let fields = read_fields(&body, blank, None, true)?;
    let created = create_sales_channel(state.store.sales_channels(), organizer.id, fields).await?;
    json_response(StatusCode::CREATED, &render(&created))
}

async fn detail(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (_, organizer) = organizer_context(&req, NEEDS).await?;
    let identifier = path_identifier(&req)?;
    let channel = state
        .store
        .sales_channels()
        .find(organizer.id, &identifier)
        .await?
        .ok_or_else(not_found)?;
    json_ok(&render(&channel))
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

/// PUT (`full`) and PATCH: the channel is looked up before the body is read, as in pretix.
async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
    full: bool,
) -> Result<HttpResponse, ApiError> {
    let (_, organizer) = organizer_context(&req, NEEDS).await?;
    let identifier = path_identifier(&req)?;
    let repo = state.store.sales_channels();
    let channel = repo
        .find(organizer.id, &identifier)
        .await?
        .ok_or_else(not_found)?;
    let body = expect_object(parse_body(&req, &body)?)?;
    let fields = read_fields(&body, channel.fields(), Some(&channel), full)?;
    let updated = update_sales_channel(repo, &channel, fields).await?;
    json_ok(&render(&updated))
}

/// 204; `web` cannot be deleted (403).
async fn delete(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (_, organizer) = organizer_context(&req, NEEDS).await?;
    let identifier = path_identifier(&req)?;
    delete_sales_channel(state.store.sales_channels(), organizer.id, &identifier).await?;
    Ok(HttpResponse::NoContent().finish())
}
