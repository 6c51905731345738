//! `/api/v1/organizers/{organizer}/devices/` and `.../devices/{device_id}/`: the organizer's
//! devices (docs/api-compatibility.md). No DELETE: a device is revoked, never deleted.

use super::{organizer_context, organizer_resource, read, Needs};
use crate::body::{expect_object, parse_body};
use crate::error::{json_ok, json_response, ApiError};
use crate::fields::{self, FieldReader};
use crate::pagination::{paginate, PageRequest};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use presale_domain::access::Permission;
use presale_domain::device::{
    create_device, update_device, Device, DeviceChanges, DeviceError, DevicePorts,
};
use presale_domain::validation::FieldErrors;
use presale_domain::write::WriteMode;
use serde_json::{json, Map, Value};

/// Reading and writing need `can_change_organizer_settings`; devices never see devices.
const NEEDS: Needs = Needs {
    read: Some(Permission::ChangeOrganizerSettings),
    write: Some(Permission::ChangeOrganizerSettings),
    device_read: false,
};

const NOT_FOUND: &str = "No Device matches the given query.";

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        organizer_resource("/organizers/{organizer}/devices/", "GET, POST, HEAD", NEEDS)
            .route(read().to(list))
            .route(web::post().to(create)),
    )
    .service(
        organizer_resource(
            "/organizers/{organizer}/devices/{device_id}/",
            "GET, PUT, PATCH, HEAD",
            NEEDS,
        )
        .route(read().to(detail))
        .route(web::put().to(replace))
        .route(web::patch().to(patch)),
    );
}

/// The device resource, fields in pretix's order.
pub fn render(d: &Device) -> Value {
    let h = &d.hardware;
    json!({
        "device_id": d.device_id,
        "unique_serial": d.unique_serial,
        "initialization_token": d.initialization_token,
        "all_events": d.all_events,
        "limit_events": d.limit_events.iter().map(|e| e.slug.as_str()).collect::<Vec<_>>(),
        "revoked": d.revoked,
        "name": d.name,
        "created": d.created,
        "initialized": d.initialized,
        "hardware_brand": h.hardware_brand,
        "hardware_model": h.hardware_model,
        "os_name": h.os_name,
        "os_version": h.os_version,
        "software_brand": h.software_brand,
        "software_version": h.software_version,
        "security_profile": d.security_profile,
    })
}

/// The writable fields of a body; read-only ones (`device_id`, `unique_serial`, `revoked`,
/// the hardware fields, ...) are ignored, as in pretix.
pub fn read_changes(body: &Map<String, Value>) -> (DeviceChanges, FieldErrors) {
    let mut r = FieldReader::new(body);
    let changes = DeviceChanges {
        all_events: r.read("all_events", fields::boolean),
        limit_events: r.read("limit_events", fields::slug_list),
        name: r.read("name", |v| fields::string(v, false)),
        security_profile: r.read("security_profile", fields::choice),
        ..DeviceChanges::default()
    };
    (changes, r.errors)
}

impl From<DeviceError> for ApiError {
    fn from(e: DeviceError) -> Self {
        match e {
            DeviceError::Invalid(errors) => errors.into(),
            DeviceError::Repository(r) => r.into(),
        }
    }
}

fn ports(state: &AppState) -> DevicePorts<'_> {
    DevicePorts::of(state.store.as_ref())
}

async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (_, organizer) = organizer_context(&req, NEEDS).await?;
    let page = PageRequest::from_request(&req)?;
    let envelope = paginate(
        &req,
        &state,
        page,
        |window| state.store.devices().list(organizer.id, window),
        |d| render(&d),
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
    let (changes, errors) = read_changes(&body);
    let created = create_device(&ports(&state), organizer.id, changes, errors).await?;
    json_response(StatusCode::CREATED, &render(&created))
}

/// The organizer's device named by the path: a non-number is `Not found.`, as in pretix.
async fn find(req: &HttpRequest, state: &AppState) -> Result<Device, ApiError> {
    let (_, organizer) = organizer_context(req, NEEDS).await?;
    let device_id = req
        .match_info()
        .get("device_id")
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or_else(ApiError::not_found)?;
    state
        .store
        .devices()
        .find(organizer.id, device_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(NOT_FOUND.into()))
}

async fn detail(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    json_ok(&render(&find(&req, &state).await?))
}

/// PUT (`Replace`) and PATCH: the device is looked up before the body is read, as in pretix.
async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
    mode: WriteMode,
) -> Result<HttpResponse, ApiError> {
    let device = find(&req, &state).await?;
    let body = expect_object(parse_body(&req, &body)?)?;
    let (changes, errors) = read_changes(&body);
    let updated = update_device(&ports(&state), &device, changes, mode, errors).await?;
    json_ok(&render(&updated))
}

async fn replace(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    update(req, state, body, WriteMode::Replace).await
}

async fn patch(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    update(req, state, body, WriteMode::Partial).await
}
