//! What answers when no route matches: the trailing-slash redirect, else a JSON 404.

use crate::error::ApiError;
use actix_web::http::{header, Method};
use actix_web::{HttpRequest, HttpResponse};

/// GET/HEAD/DELETE on a known URL without its trailing slash: 301 to the slash URL, query
/// kept. Everything else that matched no route: `{"detail":"Not found."}`.
pub(crate) async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let path = req.path();
    let redirectable = matches!(*req.method(), Method::GET | Method::HEAD | Method::DELETE);
    if redirectable && !path.ends_with('/') {
        let with_slash = format!("{path}/");
        if req.resource_map().has_resource(&with_slash) {
            let location = match req.query_string() {
                "" => with_slash,
                q => format!("{with_slash}?{q}"),
            };
            return Ok(HttpResponse::MovedPermanently()
                .insert_header((header::LOCATION, location))
                .finish());
        }
    }
    Err(ApiError::not_found())
}

/// Middleware: a NUL character in the decoded path or query can name nothing (PostgreSQL
/// cannot even compare it), so such a request is answered before any lookup: 404 for the
/// path, 400 for the query.
pub async fn reject_null_characters(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let has_nul = |s: &str| {
        s.contains('\0')
            || s.as_bytes()
                .windows(3)
                .any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
    };
    let error = if has_nul(req.uri().path()) {
        Some(ApiError::not_found())
    } else if req.uri().query().is_some_and(has_nul) {
        Some(ApiError::BadRequest(
            "Null characters are not allowed.".into(),
        ))
    } else {
        None
    };
    match error {
        Some(e) => {
            let (http, _) = req.into_parts();
            Ok(actix_web::dev::ServiceResponse::new(
                http,
                actix_web::ResponseError::error_response(&e),
            ))
        }
        None => next.call(req).await.map(|r| r.map_into_boxed_body()),
    }
}

/// Middleware: an error that actix-web itself answers (a body over the size limit, a payload
/// that could not be read) gets pretix's shape too, `{"detail": "..."}`, with its status.
pub async fn json_errors(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let res = next.call(req).await?.map_into_boxed_body();
    let Some(error) = res.response().error() else {
        return Ok(res);
    };
    if error.as_error::<ApiError>().is_some() {
        return Ok(res);
    }
    let status = res.status();
    let detail = if status == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE {
        "Request body is too large.".to_owned()
    } else {
        error.to_string()
    };
    let (http, _) = res.into_parts();
    let body = serde_json::json!({ "detail": detail }).to_string();
    Ok(actix_web::dev::ServiceResponse::new(
        http,
        HttpResponse::build(status)
            .content_type("application/json")
            .body(body),
    ))
}
