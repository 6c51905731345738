use crate::auth::{authenticate, Authenticated};
use crate::error::{json_ok, json_response, ApiError};
use crate::state::{AppState, PRETIX_VERSION, PRETIX_VERSION_NUMERIC};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

/// `GET /healthz`: the process is up.
pub(super) async fn healthz() -> Result<HttpResponse, ApiError> {
    json_ok(&json!({"status": "ok"}))
}

/// `GET /readyz`: the database answers; 503 otherwise.
pub(super) async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    match state.store.organizers().ping().await {
        Ok(()) => json_ok(&json!({"status": "ok"})),
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
    json_ok(&json!({"pretix": PRETIX_VERSION, "pretix_numeric": PRETIX_VERSION_NUMERIC}))
}
