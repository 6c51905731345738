use super::{checked_resource, read, Mount};
use crate::auth::{authenticate, Authenticated};
use crate::error::{json_ok, json_response, ApiError};
use crate::openapi::{self, Auth};
use crate::read_cache::ReadCache;
use crate::state::{AppState, PRETIX_VERSION, PRETIX_VERSION_NUMERIC};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::json;
use utoipa::openapi::path::HttpMethod;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::ToSchema;
use utoipa_swagger_ui::{Config, SwaggerUi};

/// Outside `/api/v1`: the health checks and the API's browser docs.
pub(super) const ROOT: Mount = Mount {
    configure: |cfg| {
        cfg.service(web::resource("/healthz").get(healthz))
            .service(web::resource("/readyz").get(readyz))
            .service(web::redirect("/api/docs", "/api/docs/"))
            .service(
                SwaggerUi::new("/api/docs/{_:.*}")
                    .config(Config::from(format!("{}/openapi.json", openapi::API_ROOT))),
            );
    },
    describe: |doc| {
        let status = doc.schema::<Status>();
        doc.op(
            HttpMethod::Get,
            "//healthz",
            "healthz",
            "health",
            "Whether the process is up",
            Auth::Public,
        )
        .answer(200, "Up.", Some(status.clone()))
        .add();
        doc.op(
            HttpMethod::Get,
            "//readyz",
            "readyz",
            "health",
            "Whether the database answers",
            Auth::Public,
        )
        .answer(
            200,
            "Ready; `detail` says why answers are not kept in memory, if they are not.",
            Some(status),
        )
        .add();
    },
};

/// Below `/api/v1`: the version and this document.
pub(super) const API: Mount = Mount {
    configure: |cfg| {
        cfg.service(
            checked_resource("/version", "GET, HEAD", version_access).route(read().to(version)),
        )
        .service(web::resource("/openapi.json").get(openapi::serve));
    },
    describe: |doc| {
        let version = doc.schema::<Version>();
        doc.op(
            HttpMethod::Get,
            "/version",
            "version",
            "meta",
            "The pretix version Presale answers as",
            Auth::TokenOrDevice,
        )
        .answer(200, "The version.", Some(version))
        .add();
        let any = ObjectBuilder::new().schema_type(Type::Object).into();
        let document = doc.component("OpenApiDocument", any);
        doc.op(
            HttpMethod::Get,
            "/openapi.json",
            "openapi",
            "meta",
            "This document",
            Auth::Public,
        )
        .answer(200, "The API's OpenAPI 3.1 document.", Some(document))
        .add();
    },
};

/// The body of `/healthz` and `/readyz`.
#[derive(Serialize, ToSchema)]
struct Status {
    status: &'static str,
    #[schema(required = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

impl Status {
    const OK: Status = Status {
        status: "ok",
        detail: None,
    };
}

/// `GET /healthz`: the process is up.
async fn healthz() -> Result<HttpResponse, ApiError> {
    json_ok(&Status::OK)
}

/// `GET /readyz`: the database answers; 503 otherwise. While nothing is served from memory
/// (the storage cannot learn what others change), still ready, and `detail` says why.
async fn readyz(
    state: web::Data<AppState>,
    cache: Option<web::Data<ReadCache>>,
) -> Result<HttpResponse, ApiError> {
    match state.store.organizers().ping().await {
        Ok(()) => match cache.and_then(|c| c.suspended()) {
            None => json_ok(&Status::OK),
            Some(why) => json_ok(&Status {
                detail: Some(format!("Answers are not kept in memory: {why}.")),
                ..Status::OK
            }),
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

async fn version_access(req: HttpRequest) -> Result<(), ApiError> {
    authenticate(&req).await.map(drop)
}

/// `GET /api/v1/version`, for any credential.
async fn version(_auth: Authenticated) -> Result<HttpResponse, ApiError> {
    json_ok(&Version::CURRENT)
}

/// The pretix version Presale answers as (`/api/v1/version`, the device API's `info`).
#[derive(Serialize, ToSchema)]
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
