use presale_domain::auth::{TeamRepository, TokenRepository};
use presale_domain::event::EventRepository;
use presale_domain::meta::MetaPropertyRepository;
use presale_domain::organizer::OrganizerRepository;
use presale_domain::sales_channel::SalesChannelRepository;
use presale_domain::settings::SettingsRepository;
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
    pub events: Arc<dyn EventRepository>,
    pub meta_properties: Arc<dyn MetaPropertyRepository>,
    pub sales_channels: Arc<dyn SalesChannelRepository>,
    pub settings: Arc<dyn SettingsRepository>,
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
