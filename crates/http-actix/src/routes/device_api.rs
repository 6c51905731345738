//! `/api/v1/device/*`: what a device calls itself (docs/api-compatibility.md). `initialize` takes no
//! credential; the others take only `Authorization: Device <token>`. No trailing slashes.

use super::{checked_resource, read, Mount};
use crate::auth::authenticate_device_request;
use crate::body::{expect_object, parse_body};
use crate::error::{json_ok, ApiError};
use crate::fields::{self, FieldReader};
use crate::openapi::{Auth, Doc};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use presale_domain::device::{
    initialize_device, revoke_device, roll_token, update_device_info, Device, DeviceReport,
    Hardware,
};
use presale_domain::team::AuthError;
use presale_domain::validation::FieldErrors;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::openapi::path::HttpMethod;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::ToSchema;

pub(super) const MOUNT: Mount = Mount {
    configure,
    describe,
};

fn describe(doc: &mut Doc) {
    let device = doc.schema::<DeviceBody<'static>>();
    let info = doc.schema::<InfoBody<'static>>();
    let initialize = doc.component("DeviceInitialize", report_schema(true));
    let update = doc.component("DeviceUpdate", report_schema(false));
    let tag = "device";
    doc.op(
        HttpMethod::Post,
        "/device/initialize",
        "device_initialize",
        tag,
        "Initialize a device with its one-time token",
        Auth::Public,
    )
    .body(initialize)
    .answer(200, "The device, with its API token.", Some(device.clone()))
    .add();
    doc.op(
        HttpMethod::Post,
        "/device/update",
        "device_update",
        tag,
        "Report the device's hardware and software",
        Auth::Device,
    )
    .body(update)
    .answer(200, "The device.", Some(device.clone()))
    .add();
    doc.op(
        HttpMethod::Post,
        "/device/roll",
        "device_roll",
        tag,
        "Replace the device's API token",
        Auth::Device,
    )
    .answer(
        200,
        "The device, with its new API token; the old one no longer works.",
        Some(device.clone()),
    )
    .add();
    doc.op(
        HttpMethod::Post,
        "/device/revoke",
        "device_revoke",
        tag,
        "Revoke the device for good",
        Auth::Device,
    )
    .answer(200, "The device, revoked.", Some(device))
    .add();
    doc.op(
        HttpMethod::Get,
        "/device/info",
        "device_info",
        tag,
        "The device and the server",
        Auth::Device,
    )
    .answer(
        200,
        "The device, the server's version, and no medium key sets.",
        Some(info),
    )
    .add();
}

/// The body `initialize` (`with_token`) and `update` read, as [`read_report`] reads it.
fn report_schema(with_token: bool) -> Schema {
    let text = || {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
    };
    let optional =
        || ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::String, Type::Null]));
    let mut body = ObjectBuilder::new().schema_type(Type::Object);
    if with_token {
        body = body.property("token", text()).required("token");
    }
    body.property("hardware_brand", text())
        .property("hardware_model", text())
        .property("os_name", optional())
        .property("os_version", optional())
        .property("software_brand", text())
        .property("software_version", text())
        .property("rsa_pubkey", optional())
        .property(
            "info",
            ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::Object, Type::Null])),
        )
        .required("hardware_brand")
        .required("hardware_model")
        .required("software_brand")
        .required("software_version")
        .into()
}

fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        checked_resource("/device/initialize", "POST", |_req| async {
            Ok::<(), ApiError>(())
        })
        .route(web::post().to(initialize)),
    )
    .service(
        checked_resource("/device/update", "POST", device_access).route(web::post().to(update)),
    )
    .service(checked_resource("/device/roll", "POST", device_access).route(web::post().to(roll)))
    .service(
        checked_resource("/device/revoke", "POST", device_access).route(web::post().to(revoke)),
    )
    .service(checked_resource("/device/info", "GET, HEAD", device_access).route(read().to(info)));
}

/// The 405 of a device route comes after the device is authenticated.
async fn device_access(req: HttpRequest) -> Result<(), ApiError> {
    authenticate_device_request(&req).await.map(drop)
}

/// The device as the device API shows it, with its current API token.
#[derive(Serialize, ToSchema)]
#[schema(as = DeviceCredentials)]
struct DeviceBody<'a> {
    organizer: &'a str,
    device_id: i64,
    unique_serial: &'a str,
    api_token: &'a str,
    name: &'a str,
    security_profile: &'a str,
    /// Gates are not served.
    gate: Option<i64>,
}

fn render<'a>(d: &'a Device, api_token: &'a str) -> DeviceBody<'a> {
    DeviceBody {
        organizer: &d.organizer_slug,
        device_id: d.device_id,
        unique_serial: &d.unique_serial,
        api_token,
        name: &d.name,
        security_profile: &d.security_profile,
        gate: None,
    }
}

/// `GET /device/info`'s body.
#[derive(Serialize, ToSchema)]
#[schema(as = DeviceInfo)]
struct InfoBody<'a> {
    device: DeviceBody<'a>,
    server: ServerBody,
    /// Reusable media are not served.
    #[schema(value_type = Vec<Object>)]
    medium_key_sets: [(); 0],
}

#[derive(Serialize, ToSchema)]
#[schema(as = ServerInfo)]
struct ServerBody {
    version: super::meta::Version,
}

/// A string field a device must send (`null` is refused).
fn required_text(v: &Value) -> Result<String, &'static str> {
    fields::string(v, false)
}

/// A string field a device may leave out or send as `null`.
fn optional_text(v: &Value) -> Result<Option<String>, &'static str> {
    match v {
        Value::Null => Ok(None),
        v => fields::string(v, false).map(Some),
    }
}

/// The fields of an initialize (`with_token`) or update body, read with pretix's messages.
fn read_report(body: &Map<String, Value>, with_token: bool) -> (DeviceReport, FieldErrors) {
    let mut r = FieldReader::new(body);
    let token = if with_token {
        r.read("token", required_text)
    } else {
        None
    };
    let hardware = Hardware {
        hardware_brand: r.read("hardware_brand", required_text),
        hardware_model: r.read("hardware_model", required_text),
        os_name: r.read("os_name", optional_text).flatten(),
        os_version: r.read("os_version", optional_text).flatten(),
        software_brand: r.read("software_brand", required_text),
        software_version: r.read("software_version", required_text),
    };
    let info = body.get("info").filter(|v| !v.is_null()).cloned();
    let rsa_pubkey = r.read("rsa_pubkey", optional_text).flatten();
    let report = DeviceReport {
        token,
        hardware,
        info,
        rsa_pubkey,
    };
    (report, r.errors)
}

/// `POST /device/initialize`: no credential; the response carries the new API token, the
/// only time it is shown.
async fn initialize(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body = expect_object(parse_body(&req, &body)?)?;
    let (report, errors) = read_report(&body, true);
    let (device, token) = initialize_device(state.store.devices(), report, errors).await?;
    json_ok(&render(&device, token.as_str()))
}

/// `POST /device/update`: what the device reports about itself.
async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (device, token) = authenticate_device_request(&req).await?;
    let body = expect_object(parse_body(&req, &body)?)?;
    let (report, errors) = read_report(&body, false);
    let device = update_device_info(state.store.devices(), &device, report, errors).await?;
    json_ok(&render(&device, &token))
}

/// `POST /device/roll`: a new API token; the one used for this request is dead from now on.
async fn roll(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (device, presented) = authenticate_device_request(&req).await?;
    let (device, token) = roll_token(state.store.devices(), &device, &presented)
        .await
        .map_err(|e| match e {
            AuthError::Repository(r) => r.into(),
            other => ApiError::Unauthenticated {
                detail: other.to_string(),
                scheme: "Device",
            },
        })?;
    json_ok(&render(&device, token.as_str()))
}

/// `POST /device/revoke`: the device is refused from now on, for good.
async fn revoke(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (device, token) = authenticate_device_request(&req).await?;
    let device = revoke_device(state.store.devices(), &device).await?;
    json_ok(&render(&device, &token))
}

/// `GET /device/info`: the device, the server's version, and no medium key sets (reusable
/// media are not served).
async fn info(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let (device, token) = authenticate_device_request(&req).await?;
    json_ok(&InfoBody {
        device: render(&device, &token),
        server: ServerBody {
            version: super::meta::Version::CURRENT,
        },
        medium_key_sets: [],
    })
}
