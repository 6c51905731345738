//! `/api/v1/organizers/{organizer}/devices/` and `.../devices/{device_id}/`: the organizer's
//! devices (docs/api-compatibility.md). No DELETE: a device is revoked, never deleted.

use super::resource::{InOrganizer, Resource};
use super::Needs;
use crate::error::ApiError;
use crate::fields::{self, FieldReader};
use presale_domain::access::Permission;
use presale_domain::device::{
    create_device, update_device, Device, DeviceChanges, DeviceError, DevicePorts,
};
use presale_domain::pagination::{Page, Window};
use presale_domain::store::Store;
use presale_domain::validation::FieldErrors;
use presale_domain::values::WireDateTime;
use presale_domain::write::WriteMode;
use presale_domain::RepositoryError;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

pub(super) struct Devices;

impl Resource for Devices {
    type Scope = InOrganizer;
    /// The organizer's `device_id`, not the row's id.
    type Id = i64;
    type Entity = Device;
    type Changes = (DeviceChanges, FieldErrors);
    type Filter = ();
    type Body<'a> = Body<'a>;

    const SEGMENT: &'static str = "devices";
    const ID_FIELD: &'static str = "device_id";
    const NOUNS: [&'static str; 2] = ["device", "devices"];
    /// Reading and writing need `can_change_organizer_settings`; devices never see devices.
    const NEEDS: Needs = Needs {
        read: Some(Permission::ChangeOrganizerSettings),
        write: Some(Permission::ChangeOrganizerSettings),
        device_read: false,
    };
    const NOT_FOUND: &'static str = "No Device matches the given query.";

    fn read(body: &Map<String, Value>) -> (DeviceChanges, FieldErrors) {
        read_changes(body)
    }

    fn render<'a>(device: &'a Device, _: &'a InOrganizer) -> Body<'a> {
        render(device)
    }

    async fn list(
        store: &dyn Store,
        scope: &InOrganizer,
        _: (),
        window: Window,
    ) -> Result<Page<Device>, RepositoryError> {
        store.devices().list(scope.organizer.id, window).await
    }

    async fn find(
        store: &dyn Store,
        scope: &InOrganizer,
        device_id: i64,
    ) -> Result<Option<Device>, RepositoryError> {
        store.devices().find(scope.organizer.id, device_id).await
    }

    async fn create(
        store: &dyn Store,
        scope: &InOrganizer,
        (changes, errors): (DeviceChanges, FieldErrors),
    ) -> Result<Device, ApiError> {
        let ports = DevicePorts::of(store);
        Ok(create_device(&ports, scope.organizer.id, changes, errors).await?)
    }

    async fn update(
        store: &dyn Store,
        _: &InOrganizer,
        current: &Device,
        (changes, errors): (DeviceChanges, FieldErrors),
        mode: WriteMode,
    ) -> Result<Device, ApiError> {
        let ports = DevicePorts::of(store);
        Ok(update_device(&ports, current, changes, mode, errors).await?)
    }
}

/// A device as JSON, fields in pretix's order.
#[derive(Serialize, ToSchema)]
#[schema(as = Device)]
pub struct Body<'a> {
    #[schema(read_only)]
    device_id: i64,
    #[schema(read_only)]
    unique_serial: &'a str,
    #[schema(read_only)]
    initialization_token: &'a str,
    all_events: bool,
    limit_events: Vec<&'a str>,
    #[schema(read_only)]
    revoked: bool,
    #[schema(min_length = 1)]
    name: &'a str,
    #[schema(read_only, value_type = String, format = DateTime)]
    created: WireDateTime,
    #[schema(read_only, value_type = Option<String>, format = DateTime)]
    initialized: Option<WireDateTime>,
    #[schema(read_only)]
    hardware_brand: Option<&'a str>,
    #[schema(read_only)]
    hardware_model: Option<&'a str>,
    #[schema(read_only)]
    os_name: Option<&'a str>,
    #[schema(read_only)]
    os_version: Option<&'a str>,
    #[schema(read_only)]
    software_brand: Option<&'a str>,
    #[schema(read_only)]
    software_version: Option<&'a str>,
    security_profile: &'a str,
}

pub fn render(d: &Device) -> Body<'_> {
    let h = &d.hardware;
    Body {
        device_id: d.device_id,
        unique_serial: &d.unique_serial,
        initialization_token: &d.initialization_token,
        all_events: d.all_events,
        limit_events: d.limit_events.iter().map(|e| e.slug.as_str()).collect(),
        revoked: d.revoked,
        name: &d.name,
        created: d.created,
        initialized: d.initialized,
        hardware_brand: h.hardware_brand.as_deref(),
        hardware_model: h.hardware_model.as_deref(),
        os_name: h.os_name.as_deref(),
        os_version: h.os_version.as_deref(),
        software_brand: h.software_brand.as_deref(),
        software_version: h.software_version.as_deref(),
        security_profile: &d.security_profile,
    }
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
