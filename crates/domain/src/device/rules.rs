//! The device use cases and their rules (docs/api-compatibility.md).

use super::{
    generate_initialization_token, generate_serial, is_rsa_public_key, Device, DeviceFields,
    DeviceRepository, Hardware, Initialization, NewDevice, SecurityProfile,
};
use crate::access::{PlainToken, TokenHash};
use crate::error::RepositoryError;
use crate::ids::EventId;
use crate::ids::OrganizerId;
use crate::organizer::OrganizerRepository;
use crate::team::AuthError;
use crate::validation::FieldErrors;
use crate::values::WireDateTime;
use crate::write::WriteMode;
use serde_json::Value;

/// The device resource's fields, in the order pretix shows them (and reports errors in).
pub const DEVICE_FIELDS: &[&str] = &[
    "device_id",
    "unique_serial",
    "initialization_token",
    "all_events",
    "limit_events",
    "revoked",
    "name",
    "created",
    "initialized",
    "hardware_brand",
    "hardware_model",
    "os_name",
    "os_version",
    "software_brand",
    "software_version",
    "security_profile",
];

/// The fields a device reports when it is initialized and when it updates its information,
/// in pretix's order.
pub const REPORT_FIELDS: &[&str] = &[
    "token",
    "hardware_brand",
    "hardware_model",
    "os_name",
    "os_version",
    "software_brand",
    "software_version",
    "info",
    "rsa_pubkey",
];

/// A device's `last_seen` is written at most once in this many seconds.
pub const SEEN_INTERVAL_SECONDS: i64 = 60;

const MAX_LENGTH: usize = 190;
use crate::validation::REQUIRED;
const TOO_LONG: &str = "Ensure this field has no more than 190 characters.";
pub const NOT_A_KEY: &str = "Not a valid public key.";
pub const UNKNOWN_TOKEN: &str = "Unknown initialization token.";
pub const TOKEN_USED: &str = "This initialization token has already been used.";
pub const TOKEN_REVOKED: &str = "This initialization token has been revoked.";
pub const KEY_IS_SET: &str = "You cannot change the rsa_pubkey of the device once it is set.";

/// How often a create is tried again when a generated serial or token was taken.
const CREATE_ATTEMPTS: u32 = 3;

/// Why a device was not created, initialized or changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceError {
    /// The fields refused, with their messages.
    #[error("invalid device")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

fn invalid(field: &str, message: &str) -> DeviceError {
    DeviceError::Invalid(FieldErrors::single(field, message))
}

/// The ports the organizer-API use cases need.
pub struct DevicePorts<'a> {
    pub devices: &'a dyn DeviceRepository,
    /// For looking up `limit_events` by slug.
    pub organizers: &'a dyn OrganizerRepository,
}

/// The organizer-API fields a request sent, read; `None` = not sent (or not readable, with
/// the error in the accompanying [`FieldErrors`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceChanges {
    pub all_events: Option<bool>,
    /// Event slugs, each element of the list as Python prints it (`1`, `True`, `{}`).
    pub limit_events: Option<Vec<String>>,
    /// Trimmed and not blank.
    pub name: Option<String>,
    /// As sent (Python's text of it).
    pub security_profile: Option<String>,
    /// A new device's identity where a fixture gives it; `None` takes the next `device_id`
    /// and a fresh serial and initialization token. The API never sets these.
    pub device_id: Option<i64>,
    pub unique_serial: Option<String>,
    pub initialization_token: Option<String>,
}

// `Create` creates; `Replace` needs `name` and `limit_events` and resets `security_profile`
// to `full` when it is left out, as pretix does (`all_events` keeps its value); `Partial`
// changes what was sent.
/// The organizer's events with these slugs, in the order sent, without duplicates; the first
/// unknown slug is the error.
async fn resolve_events(
    organizers: &dyn OrganizerRepository,
    organizer: OrganizerId,
    slugs: Vec<String>,
) -> Result<Result<Vec<EventId>, String>, RepositoryError> {
    if slugs.is_empty() {
        return Ok(Ok(Vec::new()));
    }
    let found = organizers.event_ids(organizer, slugs.clone()).await?;
    let mut ids = Vec::with_capacity(slugs.len());
    for slug in slugs {
        match found.iter().find(|(s, _)| *s == slug) {
            Some((_, id)) if ids.contains(id) => {}
            Some((_, id)) => ids.push(*id),
            None => return Ok(Err(format!("Object with slug={slug} does not exist."))),
        }
    }
    Ok(Ok(ids))
}

/// Applies `changes` to `base`, collecting every error (with those of reading the body) in
/// field order.
async fn resolve(
    ports: &DevicePorts<'_>,
    organizer: OrganizerId,
    mut fields: DeviceFields,
    changes: DeviceChanges,
    mode: WriteMode,
    mut errors: FieldErrors,
) -> Result<DeviceFields, DeviceError> {
    let full = mode.is_full();
    if let Some(all) = changes.all_events {
        fields.all_events = all;
    }
    match changes.limit_events {
        Some(slugs) => match resolve_events(ports.organizers, organizer, slugs).await? {
            Ok(ids) => fields.limit_events = ids,
            Err(message) => errors.add("limit_events", message),
        },
        // `add` keeps an error found while reading the field.
        None if full => errors.add("limit_events", REQUIRED),
        None => {}
    }
    match changes.name {
        Some(name) if name.chars().count() > MAX_LENGTH => errors.add("name", TOO_LONG),
        Some(name) => fields.name = name,
        None if full => errors.add("name", REQUIRED),
        None => {}
    }
    match changes.security_profile {
        Some(p) if SecurityProfile::parse(&p).is_some() => fields.security_profile = p,
        Some(p) => errors.add(
            "security_profile",
            format!("\"{p}\" is not a valid choice."),
        ),
        None if full && !errors.has("security_profile") => {
            fields.security_profile = SecurityProfile::Full.identifier().to_owned()
        }
        None => {}
    }
    errors.sort_by_order(DEVICE_FIELDS);
    errors.into_result().map_err(DeviceError::Invalid)?;
    Ok(fields)
}

/// Creates a device: validates, then stores it with a fresh serial and
/// initialization token. The caller has checked `can_change_organizer_settings`.
pub async fn create_device(
    ports: &DevicePorts<'_>,
    organizer: OrganizerId,
    changes: DeviceChanges,
    errors: FieldErrors,
) -> Result<Device, DeviceError> {
    let base = DeviceFields {
        name: String::new(),
        all_events: false,
        limit_events: Vec::new(),
        security_profile: SecurityProfile::Full.identifier().to_owned(),
    };
    let given = (
        changes.device_id,
        changes.unique_serial.clone(),
        changes.initialization_token.clone(),
    );
    // A given serial or token that is taken stays taken: no second attempt.
    let attempts = if given.1.is_some() || given.2.is_some() {
        1
    } else {
        CREATE_ATTEMPTS
    };
    let fields = resolve(ports, organizer, base, changes, WriteMode::Create, errors).await?;
    let created = WireDateTime::now();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let device = NewDevice {
            organizer,
            device_id: given.0,
            fields: fields.clone(),
            unique_serial: given.1.clone().unwrap_or_else(generate_serial),
            initialization_token: given
                .2
                .clone()
                .unwrap_or_else(generate_initialization_token),
            created,
        };
        match ports.devices.create(device).await {
            Err(RepositoryError::Conflict(_)) if attempt < attempts => continue,
            other => return other.map_err(DeviceError::from),
        }
    }
}

/// Replaces (`WriteMode::Replace`) or changes (`WriteMode::Partial`) a device's fields,
/// checked by the same field rules as a create (see [`WriteMode`]).
pub async fn update_device(
    ports: &DevicePorts<'_>,
    device: &Device,
    changes: DeviceChanges,
    mode: WriteMode,
    errors: FieldErrors,
) -> Result<Device, DeviceError> {
    let fields = resolve(
        ports,
        device.organizer,
        device.fields(),
        changes,
        mode,
        errors,
    )
    .await?;
    Ok(ports.devices.update(device.id, fields).await?)
}

/// What a device reports when it is initialized or updates its information, read; `None` =
/// not sent or `null` (a `null` where it is not allowed is in the accompanying [`FieldErrors`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeviceReport {
    /// Only for initialize.
    pub token: Option<String>,
    pub hardware: Hardware,
    pub info: Option<Value>,
    /// Trimmed, not blank.
    pub rsa_pubkey: Option<String>,
}

/// The field rules (required, at most 190 characters), then the key.
fn validate_report(
    report: &DeviceReport,
    mut errors: FieldErrors,
    with_token: bool,
) -> Result<(), DeviceError> {
    let h = &report.hardware;
    let fields = [
        ("token", &report.token, with_token),
        ("hardware_brand", &h.hardware_brand, true),
        ("hardware_model", &h.hardware_model, true),
        ("os_name", &h.os_name, false),
        ("os_version", &h.os_version, false),
        ("software_brand", &h.software_brand, true),
        ("software_version", &h.software_version, true),
    ];
    for (field, value, required) in fields {
        if field == "token" && !with_token {
            continue;
        }
        match value {
            None if required => errors.add(field, REQUIRED),
            Some(v) if v.chars().count() > MAX_LENGTH => errors.add(field, TOO_LONG),
            _ => {}
        }
    }
    errors.sort_by_order(REPORT_FIELDS);
    errors.into_result().map_err(DeviceError::Invalid)?;
    match &report.rsa_pubkey {
        Some(key) if !is_rsa_public_key(key) => Err(invalid("rsa_pubkey", NOT_A_KEY)),
        _ => Ok(()),
    }
}

/// Initializes a device: checks, in pretix's order, the fields, the key, and the token
/// (unknown, already used, revoked), then initializes the device with a new API token, which
/// is returned once (only its hash is stored).
pub async fn initialize_device(
    devices: &dyn DeviceRepository,
    report: DeviceReport,
    errors: FieldErrors,
) -> Result<(Device, PlainToken), DeviceError> {
    validate_report(&report, errors, true)?;
    let token = report.token.unwrap_or_default();
    let device = devices
        .find_by_initialization_token(&token)
        .await?
        .ok_or_else(|| invalid("token", UNKNOWN_TOKEN))?;
    if device.initialized.is_some() {
        return Err(invalid("token", TOKEN_USED));
    }
    if device.revoked {
        return Err(invalid("token", TOKEN_REVOKED));
    }
    let plain = PlainToken::generate();
    let init = Initialization {
        hardware: report.hardware,
        info: report.info,
        rsa_pubkey: report.rsa_pubkey,
        api_token: plain.hash(),
        at: WireDateTime::now(),
    };
    // Another request may have used the token since it was read.
    let device = devices
        .initialize(device.id, init)
        .await?
        .ok_or_else(|| invalid("token", TOKEN_USED))?;
    Ok((device, plain))
}

/// Replaces what the device reports about itself (fields left out
/// become empty, as in pretix); `rsa_pubkey` may be set once and then only sent unchanged.
pub async fn update_device_info(
    devices: &dyn DeviceRepository,
    device: &Device,
    report: DeviceReport,
    errors: FieldErrors,
) -> Result<Device, DeviceError> {
    validate_report(&report, errors, false)?;
    if let (Some(new), Some(old)) = (&report.rsa_pubkey, &device.rsa_pubkey) {
        if new != old {
            return Err(invalid("rsa_pubkey", KEY_IS_SET));
        }
    }
    devices
        .update_report(device.id, report.hardware, report.info, report.rsa_pubkey)
        .await?
        .ok_or_else(|| invalid("rsa_pubkey", KEY_IS_SET))
}

/// Gives the device a new API token; the old one stops working at once.
pub async fn roll_token(
    devices: &dyn DeviceRepository,
    device: &Device,
    presented: &str,
) -> Result<(Device, PlainToken), AuthError> {
    let plain = PlainToken::generate();
    match devices
        .set_api_token(device.id, TokenHash::of(presented), plain.hash())
        .await?
    {
        Some(device) => Ok((device, plain)),
        // A concurrent roll replaced the presented token first: it is dead now.
        None => Err(AuthError::InvalidToken),
    }
}

/// Revokes the device: it is refused from now on, for good.
pub async fn revoke_device(
    devices: &dyn DeviceRepository,
    device: &Device,
) -> Result<Device, RepositoryError> {
    devices.revoke(device.id).await
}

/// Checks a presented device API token: unknown is [`AuthError::InvalidToken`], a device not
/// initialized [`AuthError::NotInitialized`], a revoked one [`AuthError::Revoked`].
pub async fn authenticate_device(
    devices: &dyn DeviceRepository,
    presented: &str,
) -> Result<Device, AuthError> {
    match devices.find_by_api_token(TokenHash::of(presented)).await? {
        None => Err(AuthError::InvalidToken),
        Some(d) if d.initialized.is_none() => Err(AuthError::NotInitialized),
        Some(d) if d.revoked => Err(AuthError::Revoked),
        Some(d) => Ok(d),
    }
}

/// Whether a device last seen at `last` should be recorded as seen at `now`: never seen, or
/// not within the last [`SEEN_INTERVAL_SECONDS`].
pub fn should_record_seen(last: Option<WireDateTime>, now: WireDateTime) -> bool {
    match last {
        None => true,
        Some(last) => (now.utc() - last.utc()).num_seconds() >= SEEN_INTERVAL_SECONDS,
    }
}

/// Records that `device` was seen at `now`, at most once per [`SEEN_INTERVAL_SECONDS`] (also
/// when several requests race: the write is conditional); whether it wrote.
pub async fn record_seen(
    devices: &dyn DeviceRepository,
    device: &Device,
    now: WireDateTime,
) -> Result<bool, RepositoryError> {
    if !should_record_seen(device.last_seen, now) {
        return Ok(false);
    }
    let unless_after =
        WireDateTime::from_utc(now.utc() - chrono::Duration::seconds(SEEN_INTERVAL_SECONDS));
    devices.touch(device.id, now, unless_after).await
}
