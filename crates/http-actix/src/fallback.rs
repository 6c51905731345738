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
