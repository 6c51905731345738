use crate::auth::{authenticate, Authenticated};
use crate::error::{json_ok, json_response, ApiError};
use crate::read_cache::ReadCache;
use crate::state::{AppState, PRETIX_VERSION, PRETIX_VERSION_NUMERIC};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::json;

/// `GET /healthz`: the process is up.
pub(super) async fn healthz() -> Result<HttpResponse, ApiError> {
    json_ok(&json!({"status": "ok"}))
}

/// `GET /readyz`: the database answers; 503 otherwise. While nothing is served from memory
/// (the storage cannot learn what others change), still ready, and `detail` says why.
pub(super) async fn readyz(
    state: web::Data<AppState>,
    cache: Option<web::Data<ReadCache>>,
) -> Result<HttpResponse, ApiError> {
    match state.store.organizers().ping().await {
        Ok(()) => match cache.and_then(|c| c.suspended()) {
            None => json_ok(&json!({"status": "ok"})),
            Some(why) => json_ok(&json!({
                "status": "ok",
                "detail": format!("Answers are not kept in memory: {why}."),
            })),
        },
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                &json!({"detail": "The database is unavailable. Please try again later."}),
            )
        }
    }
}

pub(super) async fn version_access(req: HttpRequest) -> Result<(), ApiError> {
    authenticate(&req).await.map(drop)
}

/// `GET /api/v1/version`, for any credential.
pub(super) async fn version(_auth: Authenticated) -> Result<HttpResponse, ApiError> {
    json_ok(&Version::CURRENT)
}

/// The pretix version Presale answers as (`/api/v1/version`, the device API's `info`).
#[derive(Serialize)]
pub(super) struct Version {
    pretix: &'static str,
    pretix_numeric: u64,
}

impl Version {
    pub(super) const CURRENT: Version = Version {
        pretix: PRETIX_VERSION,
        pretix_numeric: PRETIX_VERSION_NUMERIC,
    };
}
