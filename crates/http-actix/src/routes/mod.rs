//! The route table: one module per resource, all under `/api/v1`.

mod meta;
mod organizers;

use crate::error::ApiError;
use crate::fallback;
use actix_web::{guard, web, HttpRequest, HttpResponse, Resource};
use std::future::Future;

/// Registers every route and the JSON fallback on an actix `App` (or a scope of one).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/healthz").get(meta::healthz))
        .service(web::resource("/readyz").get(meta::readyz))
        .service(
            web::scope("/api/v1")
                .service(
                    checked_resource("/version", "GET, HEAD", meta::version_access)
                        .route(read().to(meta::version)),
                )
                .configure(organizers::configure)
                .default_service(web::to(fallback::not_found)),
        )
        .default_service(web::to(fallback::not_found));
}

/// A route for GET and HEAD (actix sends no body for HEAD).
pub(crate) fn read() -> actix_web::Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// A resource whose unsupported methods answer 405 only after the request passed `access`
/// (authentication, organizer/event access, permission), as pretix checks in that order.
pub(crate) fn checked_resource<F, Fut>(path: &str, allow: &'static str, access: F) -> Resource
where
    F: Fn(HttpRequest) -> Fut + Clone + 'static,
    Fut: Future<Output = Result<(), ApiError>> + 'static,
{
    web::resource(path).default_service(web::to(move |req: HttpRequest| {
        let access = access.clone();
        async move {
            access(req.clone()).await?;
            Err::<HttpResponse, _>(ApiError::MethodNotAllowed {
                method: req.method().to_string(),
                allow,
            })
        }
    }))
}
