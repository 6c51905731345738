use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use presale_domain::organizer::AccessError;
use presale_domain::validation::FieldErrors;
use presale_domain::RepositoryError;
use serde_json::{json, Map, Value};
use std::fmt;

/// Every error the API answers with, each rendered in pretix's JSON shape.
#[derive(Debug)]
pub enum ApiError {
    /// 401 with `WWW-Authenticate: Token` (or the given scheme).
    Unauthenticated {
        detail: String,
        scheme: &'static str,
    },
    /// 403 `You do not have permission to perform this action.`
    PermissionDenied,
    /// 403 with another detail.
    Forbidden(String),
    /// 404 with a detail, e.g. `No Device matches the given query.`
    NotFound(String),
    /// 405 with the `Allow` header.
    MethodNotAllowed { method: String, allow: &'static str },
    /// 400 with field errors (or `non_field_errors`), in field order.
    Validation(Map<String, Value>),
    /// 400 with a `detail`, e.g. a JSON parse error.
    BadRequest(String),
    /// 415 for a content type that is not JSON, form or multipart.
    UnsupportedMediaType(String),
    /// 503: the database cannot be reached.
    Unavailable,
    /// 500; the cause is logged, never shown.
    Internal(String),
}

pub(crate) const PERMISSION_DENIED: &str = "You do not have permission to perform this action.";

impl ApiError {
    pub fn not_found() -> Self {
        ApiError::NotFound("Not found.".into())
    }

    /// One field error: `{"<field>": ["<message>"]}`.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut map = Map::new();
        map.insert(field.to_owned(), json!([message.into()]));
        ApiError::Validation(map)
    }

    pub fn non_field(message: impl Into<String>) -> Self {
        Self::field("non_field_errors", message)
    }

    fn body(&self) -> Value {
        let detail = |d: &str| json!({ "detail": d });
        match self {
            ApiError::Unauthenticated { detail: d, .. } => detail(d),
            ApiError::PermissionDenied => detail(PERMISSION_DENIED),
            ApiError::Forbidden(d) | ApiError::NotFound(d) | ApiError::BadRequest(d) => detail(d),
            ApiError::MethodNotAllowed { method, .. } => {
                detail(&format!("Method \"{method}\" not allowed."))
            }
            ApiError::Validation(map) => Value::Object(map.clone()),
            ApiError::UnsupportedMediaType(ct) => {
                detail(&format!("Unsupported media type \"{ct}\" in request."))
            }
            ApiError::Unavailable => detail("The database is unavailable. Please try again later."),
            ApiError::Internal(_) => detail("Internal server error."),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Internal(cause) => write!(f, "internal error: {cause}"),
            other => write!(f, "{}", other.body()),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
            ApiError::PermissionDenied | ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Validation(_) | ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            tracing::error!(%cause, "internal error");
        }
        let mut resp = HttpResponse::build(self.status_code());
        match self {
            ApiError::Unauthenticated { scheme, .. } => {
                resp.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static(scheme)));
            }
            ApiError::MethodNotAllowed { allow, .. } => {
                resp.insert_header((header::ALLOW, HeaderValue::from_static(allow)));
            }
            ApiError::Unavailable => {
                resp.insert_header((header::RETRY_AFTER, HeaderValue::from_static("5")));
            }
            _ => {}
        }
        resp.content_type("application/json")
            .body(self.body().to_string())
    }
}

impl From<RepositoryError> for ApiError {
    fn from(e: RepositoryError) -> Self {
        match e {
            RepositoryError::Unavailable(cause) => {
                tracing::warn!(%cause, "database unavailable");
                ApiError::Unavailable
            }
            // What is left after the use case checked again: the event (or organizer) the URL
            // names is gone, as a sequential request would find it.
            RepositoryError::ReferenceGone(_) => ApiError::PermissionDenied,
            RepositoryError::Conflict(cause) | RepositoryError::Internal(cause) => {
                ApiError::Internal(cause)
            }
            // The API gives no ids to store rows under.
            e @ RepositoryError::IdTaken(_) => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<AccessError> for ApiError {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::Denied => ApiError::PermissionDenied,
            AccessError::Repository(r) => r.into(),
        }
    }
}

impl From<FieldErrors> for ApiError {
    fn from(errors: FieldErrors) -> Self {
        let mut map = Map::new();
        for (field, message) in errors.iter() {
            map.insert(field.to_owned(), json!([message]));
        }
        ApiError::Validation(map)
    }
}

/// A 200 response with compact JSON.
pub(crate) fn json_ok<T: serde::Serialize>(value: &T) -> Result<HttpResponse, ApiError> {
    json_response(StatusCode::OK, value)
}

pub(crate) fn json_response<T: serde::Serialize>(
    status: StatusCode,
    value: &T,
) -> Result<HttpResponse, ApiError> {
    // Room for a typical answer at once (a page of events is tens of kilobytes): growing from
    // serde_json's 128 bytes copied the body over and over.
    let mut body = Vec::with_capacity(8 * 1024);
    serde_json::to_writer(&mut body, value).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(HttpResponse::build(status)
        .content_type("application/json")
        .body(body))
}
