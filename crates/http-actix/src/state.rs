use presale_domain::store::Store;
use std::sync::Arc;

/// The pretix version whose API Presale speaks, as `GET /api/v1/version` reports it.
pub const PRETIX_VERSION: &str = "2026.8.0";
/// pretix's numeric form of [`PRETIX_VERSION`].
pub const PRETIX_VERSION_NUMERIC: u64 = 20_260_080_005_000;

/// How the HTTP edge treats requests, beyond the store.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Public base URL (`https://tickets.example.org`); `None` takes scheme and host from
    /// each request.
    pub base_url: Option<String>,
    /// The largest request body accepted; larger ones answer 413.
    pub max_body_bytes: usize,
    /// Peers whose `Forwarded` and `X-Forwarded-Host`/`-Proto` headers are believed (reverse
    /// proxies); from anyone else the `Host` header and the connection count.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// How long a `200` answer to a `GET` may be kept and served again while nothing of its
    /// organizer changes (see `ReadCache`); zero turns kept answers off.
    pub answer_ttl: std::time::Duration,
}

/// pretix's (Django's) default limit for a request body, 10 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            base_url: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            trusted_proxies: Vec::new(),
            answer_ttl: std::time::Duration::from_secs(1),
        }
    }
}

/// Shared per-application state.
#[derive(Clone)]
pub struct AppState {
    /// The repositories, and units of work over several of them.
    pub store: Arc<dyn Store>,
    pub options: HttpOptions,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, mut options: HttpOptions) -> Self {
        options.base_url = options.base_url.map(|u| u.trim_end_matches('/').to_owned());
        AppState { store, options }
    }

    /// The base URL for links in a response to `req`: the configured one, else scheme and
    /// host of the request, read from forwarding headers only when a trusted proxy sent it.
    pub fn base_url_for(&self, req: &actix_web::HttpRequest) -> String {
        if let Some(url) = &self.options.base_url {
            return url.clone();
        }
        let trusted = req.peer_addr().is_some_and(|peer| {
            self.options
                .trusted_proxies
                .iter()
                .any(|net| net.contains(&peer.ip()))
        });
        if trusted {
            let info = req.connection_info();
            return format!("{}://{}", info.scheme(), info.host());
        }
        let host = req
            .headers()
            .get(actix_web::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned)
            .or_else(|| req.uri().authority().map(|a| a.to_string()))
            .unwrap_or_else(|| req.app_config().host().to_owned());
        let scheme = if req.app_config().secure() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{host}")
    }
}
