//! Devices: scanners and point-of-sale apps that an organizer sets up and that then call the
//! API with a token of their own (docs/api-compatibility.md).
//!
//! - The organizer API creates and changes devices ([`create_device`], [`update_device`]): a
//!   device gets the next `device_id` of its organizer, a `unique_serial` and an
//!   `initialization_token`.
//! - The device API: [`initialize_device`] trades the initialization token for an API token
//!   (64 characters, only its hash is stored); [`update_device_info`], [`roll_token`] and
//!   [`revoke_device`] act on the device that [`authenticate_device`] accepted.
//! - An authenticated device is a [`crate::access::Principal::Device`]: no team permission, only
//!   its events, and the routes its [`SecurityProfile`] allows.
//! - [`record_seen`] notes the last time a device was seen, at most once a minute.

mod rsa;
mod rules;
#[cfg(test)]
mod tests;

pub use rsa::is_rsa_public_key;
pub use rules::{
    authenticate_device, create_device, initialize_device, record_seen, revoke_device, roll_token,
    should_record_seen, update_device, update_device_info, DeviceChanges, DeviceError, DevicePorts,
    DeviceReport, DEVICE_FIELDS, REPORT_FIELDS, SEEN_INTERVAL_SECONDS,
};

use crate::ids::DeviceId;
use crate::ids::EventId;

use crate::access::{EventScope, Principal, SecurityProfile, TokenHash};
use crate::error::RepositoryError;
use crate::ids::OrganizerId;
use crate::pagination::{Page, Window};
use crate::values::WireDateTime;
use async_trait::async_trait;
use rand::distributions::Uniform;
use rand::Rng;
use serde_json::Value;

/// What a device reports about itself when it initializes or updates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hardware {
    pub hardware_brand: Option<String>,
    pub hardware_model: Option<String>,
    pub os_name: Option<String>,
    pub os_version: Option<String>,
    pub software_brand: Option<String>,
    pub software_version: Option<String>,
}

/// An event of a device's `limit_events`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitEvent {
    pub id: EventId,
    pub slug: String,
}

/// A stored device.
#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    pub id: DeviceId,
    pub organizer: OrganizerId,
    /// The organizer's slug, as the device API shows it.
    pub organizer_slug: String,
    /// The number of the device within its organizer, from 1.
    pub device_id: i64,
    pub unique_serial: String,
    pub initialization_token: String,
    pub all_events: bool,
    /// In pretix's event order (start, name, slug).
    pub limit_events: Vec<LimitEvent>,
    pub revoked: bool,
    pub name: String,
    pub created: WireDateTime,
    pub initialized: Option<WireDateTime>,
    pub hardware: Hardware,
    /// The stored identifier; see [`SecurityProfile::from_stored`].
    pub security_profile: String,
    pub rsa_pubkey: Option<String>,
    pub info: Option<Value>,
    pub last_seen: Option<WireDateTime>,
}

impl Device {
    /// The events the device may see.
    pub fn events(&self) -> EventScope {
        if self.all_events {
            EventScope::All
        } else {
            let mut ids: Vec<EventId> = self.limit_events.iter().map(|e| e.id).collect();
            ids.sort();
            ids.dedup();
            EventScope::Limited(ids)
        }
    }

    pub fn profile(&self) -> SecurityProfile {
        SecurityProfile::from_stored(&self.security_profile)
    }

    /// The credential this device acts as.
    pub fn principal(&self) -> Principal {
        Principal::Device {
            device: self.id,
            organizer: self.organizer,
            events: self.events(),
            profile: self.profile(),
        }
    }

    /// The fields the organizer API writes, as stored.
    pub fn fields(&self) -> DeviceFields {
        DeviceFields {
            name: self.name.clone(),
            all_events: self.all_events,
            limit_events: self.limit_events.iter().map(|e| e.id).collect(),
            security_profile: self.security_profile.clone(),
        }
    }
}

/// The fields of a device the organizer API writes (validated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceFields {
    pub name: String,
    pub all_events: bool,
    /// Events of the device's organizer, without duplicates.
    pub limit_events: Vec<EventId>,
    pub security_profile: String,
}

/// A device to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDevice {
    pub organizer: OrganizerId,
    /// The number to store it under (a fixture's); `None` takes the next free one.
    pub device_id: Option<i64>,
    pub fields: DeviceFields,
    pub unique_serial: String,
    pub initialization_token: String,
    pub created: WireDateTime,
}

/// What initializing writes.
#[derive(Debug, Clone, PartialEq)]
pub struct Initialization {
    pub hardware: Hardware,
    pub info: Option<Value>,
    pub rsa_pubkey: Option<String>,
    pub api_token: TokenHash,
    pub at: WireDateTime,
}

const SERIAL_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const TOKEN_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

fn random_string(alphabet: &[u8], length: usize) -> String {
    let dist = Uniform::from(0..alphabet.len());
    rand::thread_rng()
        .sample_iter(dist)
        .take(length)
        .map(|i| alphabet[i] as char)
        .collect()
}

/// A new `unique_serial`: 16 characters of `A-Z0-9`.
pub fn generate_serial() -> String {
    random_string(SERIAL_ALPHABET, 16)
}

/// A new `initialization_token`: 16 characters of `a-z0-9`.
pub fn generate_initialization_token() -> String {
    random_string(TOKEN_ALPHABET, 16)
}

/// Port: devices.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait DeviceRepository: Send + Sync {
    /// One page of the organizer's devices, ordered by id.
    async fn list(
        &self,
        organizer: OrganizerId,
        window: Window,
    ) -> Result<Page<Device>, RepositoryError>;

    /// The organizer's device with this `device_id`.
    async fn find(
        &self,
        organizer: OrganizerId,
        device_id: i64,
    ) -> Result<Option<Device>, RepositoryError>;

    /// Stores a device under its given `device_id`, else the next free one of its organizer
    /// (the highest so far plus one, safe against concurrent creates). Must return
    /// `RepositoryError::Conflict` when the serial, the initialization token or the given
    /// `device_id` is taken; nothing is written then.
    async fn create(&self, device: NewDevice) -> Result<Device, RepositoryError>;

    /// Replaces the organizer-API fields (`limit_events` already checked to be the device's
    /// organizer's events).
    async fn update(&self, id: DeviceId, fields: DeviceFields) -> Result<Device, RepositoryError>;

    async fn find_by_initialization_token(
        &self,
        token: &str,
    ) -> Result<Option<Device>, RepositoryError>;

    /// Initializes the device, only if it is neither initialized nor revoked (checked in the
    /// same statement); `Ok(None)` when it is, and nothing was written.
    async fn initialize(
        &self,
        id: DeviceId,
        init: Initialization,
    ) -> Result<Option<Device>, RepositoryError>;

    /// The hash of the device's API token, once it was initialized.
    async fn api_token_hash(&self, id: DeviceId) -> Result<Option<TokenHash>, RepositoryError>;

    /// The device whose API token has this hash.
    async fn find_by_api_token(&self, hash: TokenHash) -> Result<Option<Device>, RepositoryError>;

    /// Replaces what the device reports about itself. `rsa_pubkey` is stored when the device
    /// has none yet; when it has a different one, nothing is written and the answer is
    /// `Ok(None)`.
    async fn update_report(
        &self,
        id: DeviceId,
        hardware: Hardware,
        info: Option<Value>,
        rsa_pubkey: Option<String>,
    ) -> Result<Option<Device>, RepositoryError>;

    /// Replaces the API token `current` with `new`, in one conditional write: the old one
    /// stops working at once. `None` when `current` is no longer the device's token (a
    /// concurrent roll replaced it), so that only one of several rolls gets a new token.
    async fn set_api_token(
        &self,
        id: DeviceId,
        current: TokenHash,
        new: TokenHash,
    ) -> Result<Option<Device>, RepositoryError>;

    /// Revokes the device, for good.
    async fn revoke(&self, id: DeviceId) -> Result<Device, RepositoryError>;

    /// Sets `last_seen` to `at` unless it is later than `unless_after` (so concurrent calls
    /// write once); whether it wrote.
    async fn touch(
        &self,
        id: DeviceId,
        at: WireDateTime,
        unless_after: WireDateTime,
    ) -> Result<bool, RepositoryError>;
}
