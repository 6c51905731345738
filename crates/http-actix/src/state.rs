use presale_domain::auth::{TeamRepository, TokenRepository};
use presale_domain::device::DeviceRepository;
use presale_domain::digital_content::DigitalContentRepository;
use presale_domain::event::EventRepository;
use presale_domain::imported_secret::ImportedSecretRepository;
use presale_domain::item::ItemRepository;
use presale_domain::meta::MetaPropertyRepository;
use presale_domain::organizer::OrganizerRepository;
use presale_domain::quota::QuotaRepository;
use presale_domain::sales_channel::SalesChannelRepository;
use presale_domain::settings::SettingsRepository;
use presale_domain::subevent::SubEventRepository;
use std::sync::Arc;

/// The pretix version whose API Presale speaks, as `GET /api/v1/version` reports it.
pub const PRETIX_VERSION: &str = "2026.8.0";
/// pretix's numeric form of [`PRETIX_VERSION`].
pub const PRETIX_VERSION_NUMERIC: u64 = 20_260_080_005_000;

/// The ports the endpoints use; the server crate fills them with the storage adapter.
#[derive(Clone)]
pub struct Ports {
    pub organizers: Arc<dyn OrganizerRepository>,
    pub tokens: Arc<dyn TokenRepository>,
    pub teams: Arc<dyn TeamRepository>,
    pub devices: Arc<dyn DeviceRepository>,
    pub events: Arc<dyn EventRepository>,
    pub digital_contents: Arc<dyn DigitalContentRepository>,
    pub items: Arc<dyn ItemRepository>,
    pub meta_properties: Arc<dyn MetaPropertyRepository>,
    pub sales_channels: Arc<dyn SalesChannelRepository>,
    pub settings: Arc<dyn SettingsRepository>,
    pub quotas: Arc<dyn QuotaRepository>,
    pub subevents: Arc<dyn SubEventRepository>,
    pub imported_secrets: Arc<dyn ImportedSecretRepository>,
}

/// Shared per-application state.
#[derive(Clone)]
pub struct AppState {
    pub ports: Ports,
    /// Public base URL without trailing slash (`https://tickets.example.org`); `None` takes
    /// scheme and host from each request.
    pub base_url: Option<String>,
}

impl AppState {
    pub fn new(ports: Ports, base_url: Option<String>) -> Self {
        AppState {
            ports,
            base_url: base_url.map(|u| u.trim_end_matches('/').to_owned()),
        }
    }

    /// The base URL for links in a response to `req`.
    pub fn base_url_for(&self, req: &actix_web::HttpRequest) -> String {
        match &self.base_url {
            Some(url) => url.clone(),
            None => {
                let info = req.connection_info();
                format!("{}://{}", info.scheme(), info.host())
            }
        }
    }
}
