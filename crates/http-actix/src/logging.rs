use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::Error;
use std::time::Instant;
use tracing::Instrument;

/// Middleware: one span per request and one log line when it is answered, with method,
/// path, status and latency; the request counted in the metrics by its route template.
pub async fn request_log(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let recording = crate::metrics::recording();
    let verb = req.method().clone();
    let span = tracing::info_span!("request", %method, %path);
    let result = next.call(req).instrument(span.clone()).await;
    let took = started.elapsed();
    let latency_ms = took.as_secs_f64() * 1000.0;
    let _entered = span.enter();
    match &result {
        Ok(resp) => {
            if recording {
                // Read from the request once routed (routing needs the request to itself, so
                // it cannot be kept aside before).
                let route = crate::routes::route_template(resp.request());
                crate::metrics::record_request(route, &verb, resp.status(), took);
            }
            tracing::info!(
                status = resp.status().as_u16(),
                latency_ms = format_args!("{latency_ms:.2}"),
                "{method} {path} {}",
                resp.status().as_u16()
            )
        }
        Err(e) => {
            if recording {
                // An error that no handler turned into a response: no route to name.
                let status = e.as_response_error().status_code();
                crate::metrics::record_request(None, &verb, status, took);
            }
            tracing::warn!(
                error = %e,
                latency_ms = format_args!("{latency_ms:.2}"),
                "{method} {path} failed"
            )
        }
    }
    result
}
