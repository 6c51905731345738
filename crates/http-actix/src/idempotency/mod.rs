//! Middleware: idempotency keys (docs/api-compatibility.md).
//!
//! A request is tracked when its method is not GET, HEAD or OPTIONS, its path starts with
//! `/api/` (but for the one route that takes no credential, `/api/v1/device/initialize`), it
//! carries a non-empty `X-Idempotency-Key`, and its `Authorization` header names a valid
//! credential: the key belongs to that team token or device (its id), never to the raw header,
//! so a stored response is replayed only to the credential's holder. A tracked request is
//! executed once per (credential, key) for 24 hours; a repeat replays the stored status,
//! headers and body without executing, or answers 409 while the first one is in flight. The
//! protocol and its bounds are in [`protocol`]; the store is an
//! [`IdempotencyRepository`], so that several server processes sharing one database
//! deduplicate together.
//!
//! Once claimed, a request runs in a task of its own: if the client goes away, the request
//! still finishes and its response is still stored (or the claim released), so that a key
//! is never left in flight by a dropped connection.

use crate::error::ApiError;
use actix_web::body::{to_bytes, BodySize, BoxBody, MessageBody};
use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{Error, HttpResponse, ResponseError};
use futures_util::future::LocalBoxFuture;
use presale_domain::access::Principal;
mod protocol;

use presale_domain::idempotency::{ClaimId, IdempotencyKey, IdempotencyRepository, StoredResponse};
use presale_domain::values::WireDateTime;
pub use protocol::MAX_STORED_RESPONSE_BYTES;
use protocol::{
    begin, finish, plan, Begin, Finished, NotStored, PurgeSchedule, CONCURRENT_REQUEST,
    CONCURRENT_RETRY_AFTER_SECONDS,
};
use std::future::{ready, Ready};
use std::rc::Rc;
use std::sync::Arc;
use tracing::Instrument;

/// The request header that names the key.
pub const IDEMPOTENCY_KEY_HEADER: &str = "x-idempotency-key";

/// Response headers that belong to one transfer, not to the response: never stored.
const TRANSFER_HEADERS: [&str; 5] = [
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "date",
];

/// The idempotency middleware; wrap it around the whole app (`App::wrap`).
#[derive(Clone)]
pub struct Idempotency {
    store: Arc<dyn IdempotencyRepository>,
    schedule: Arc<PurgeSchedule>,
}

impl Idempotency {
    /// A middleware on `store`. Build one per server and clone it into every worker's app,
    /// so that the workers share one purge schedule.
    pub fn new(store: Arc<dyn IdempotencyRepository>) -> Self {
        Idempotency {
            store,
            schedule: Arc::new(PurgeSchedule::new()),
        }
    }
}

impl<S, B> Transform<S, ServiceRequest> for Idempotency
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Transform = IdempotencyMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(IdempotencyMiddleware {
            service: Rc::new(service),
            store: self.store.clone(),
            schedule: self.schedule.clone(),
        }))
    }
}

/// The service [`Idempotency`] wraps around the app.
pub struct IdempotencyMiddleware<S> {
    service: Rc<S>,
    store: Arc<dyn IdempotencyRepository>,
    schedule: Arc<PurgeSchedule>,
}

/// The route that takes no credential: nothing it answers may be stored for replay.
const UNAUTHENTICATED: &str = "/api/v1/device/initialize";

/// The key of a request that is tracked, `None` for one that is not: a request without a
/// valid credential is not tracked (its handler answers it, 401 included).
async fn tracked(req: &ServiceRequest) -> Option<IdempotencyKey> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    if !req.path().starts_with("/api/") || req.path() == UNAUTHENTICATED {
        return None;
    }
    let key = req.headers().get(IDEMPOTENCY_KEY_HEADER)?;
    if key.is_empty() || req.headers().get(header::AUTHORIZATION).is_none() {
        return None;
    }
    let holder = match crate::auth::authenticate(req.request()).await.ok()? {
        Principal::TeamToken { token, .. } => format!("token:{}", token.0),
        Principal::Device { device, .. } => format!("device:{}", device.0),
    };
    IdempotencyKey::new(holder.as_bytes(), key.as_bytes())
}

impl<S, B> Service<ServiceRequest> for IdempotencyMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        let store = self.store.clone();
        let schedule = self.schedule.clone();
        Box::pin(async move {
            let Some(key) = tracked(&req).await else {
                return service
                    .call(req)
                    .await
                    .map(ServiceResponse::map_into_boxed_body);
            };
            let method = req.method().to_string();
            let path = req.path().to_owned();
            let now = WireDateTime::now().utc();
            match begin(store.as_ref(), &schedule, key, &method, &path, now).await {
                Err(e) => Ok(req.error_response(ApiError::from(e))),
                Ok(Begin::InFlight) => {
                    metrics::counter!(crate::metrics::IDEMPOTENCY_CONFLICTS).increment(1);
                    tracing::info!("concurrent request with idempotency key blocked");
                    Ok(req.into_response(concurrent()))
                }
                Ok(Begin::Replay(stored)) => {
                    metrics::counter!(crate::metrics::IDEMPOTENCY_REPLAYS).increment(1);
                    tracing::info!(
                        status = stored.status,
                        "response replayed from the idempotency store"
                    );
                    Ok(req.into_response(replay(stored)))
                }
                Ok(Begin::Execute(claim)) => {
                    // No clone of the request may be kept: routing needs it unshared.
                    let task =
                        execute(service, req, store, claim).instrument(tracing::Span::current());
                    match actix_web::rt::spawn(task).await {
                        Ok(result) => result,
                        // A panic in the request; the task's guard released the claim.
                        Err(e) => {
                            Err(ApiError::Internal(format!("request task failed: {e}")).into())
                        }
                    }
                }
            }
        })
    }
}

/// 409 `{"detail": "Concurrent request with idempotency key."}` with `Retry-After`, as pretix
/// writes it (with a space after the colon: it is Django's `JsonResponse`).
fn concurrent() -> HttpResponse {
    HttpResponse::Conflict()
        .insert_header((
            header::RETRY_AFTER,
            CONCURRENT_RETRY_AFTER_SECONDS.to_string(),
        ))
        .content_type("application/json")
        .body(format!("{{\"detail\": \"{CONCURRENT_REQUEST}\"}}"))
}

/// The stored response, as it was first sent.
fn replay(stored: StoredResponse) -> HttpResponse {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = HttpResponse::build(status);
    for (name, value) in stored.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.as_str()),
        ) {
            resp.append_header((name, value));
        }
    }
    resp.body(stored.body)
}

/// The headers of a response as stored: all but the transfer headers, in order.
fn stored_headers(resp: &HttpResponse) -> Vec<(String, String)> {
    resp.headers()
        .iter()
        .filter(|(name, _)| !TRANSFER_HEADERS.contains(&name.as_str()))
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// Releases a claim unless disarmed: a request that panicked, or whose task was dropped,
/// leaves its key free for a retry instead of in flight.
struct ReleaseOnDrop {
    store: Option<Arc<dyn IdempotencyRepository>>,
    claim: ClaimId,
}

impl ReleaseOnDrop {
    fn disarm(mut self) {
        self.store = None;
    }
}

impl Drop for ReleaseOnDrop {
    fn drop(&mut self) {
        if let Some(store) = self.store.take() {
            let claim = self.claim;
            tracing::warn!("request with idempotency key ended abnormally; key released");
            actix_web::rt::spawn(async move {
                if let Err(e) = store.release(claim).await {
                    tracing::error!(error = %e, "cannot release idempotency key");
                }
            });
        }
    }
}

/// Executes a claimed request, then stores its response (buffered, within the size bound) or
/// releases the claim.
async fn execute<S, B>(
    service: Rc<S>,
    req: ServiceRequest,
    store: Arc<dyn IdempotencyRepository>,
    claim: ClaimId,
) -> Result<ServiceResponse<BoxBody>, Error>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    let guard = ReleaseOnDrop {
        store: Some(store.clone()),
        claim,
    };
    let res = match service.call(req).await {
        Ok(res) => res.map_into_boxed_body(),
        Err(e) => {
            // Passed on as the error it is; what actix answers for it is what is stored.
            let response = e.error_response();
            let status = response.status().as_u16();
            let headers = stored_headers(&response);
            let outcome = match plan(status, &headers, known_size(response.body())) {
                Ok(()) => to_bytes(response.into_body())
                    .await
                    .map(|body| StoredResponse {
                        status,
                        headers,
                        body: body.to_vec(),
                    })
                    .map_err(|_| NotStored::Unreadable),
                Err(reason) => Err(reason),
            };
            settle(store.as_ref(), claim, outcome).await;
            guard.disarm();
            return Err(e);
        }
    };
    let status = res.status().as_u16();
    let headers = stored_headers(res.response());
    let body_len = known_size(res.response().body());
    let (res, outcome) = match plan(status, &headers, body_len) {
        Err(reason) => (res, Err(reason)),
        Ok(()) => {
            let (http_req, response) = res.into_parts();
            let (response, body) = response.into_parts();
            match to_bytes(body).await {
                Ok(bytes) => {
                    let stored = StoredResponse {
                        status,
                        headers,
                        body: bytes.to_vec(),
                    };
                    let response = response.set_body(BoxBody::new(bytes));
                    (ServiceResponse::new(http_req, response), Ok(stored))
                }
                Err(e) => {
                    let error = ApiError::Internal(format!("response body unreadable: {e}"));
                    let response = error.error_response();
                    (
                        ServiceResponse::new(http_req, response),
                        Err(NotStored::Unreadable),
                    )
                }
            }
        }
    };
    settle(store.as_ref(), claim, outcome).await;
    guard.disarm();
    Ok(res)
}

/// The size of a body, `None` for a stream.
fn known_size(body: &impl MessageBody) -> Option<u64> {
    match body.size() {
        BodySize::None => Some(0),
        BodySize::Sized(n) => Some(n),
        BodySize::Stream => None,
    }
}

/// Stores the response or releases the claim; a failure to store releases (best effort).
async fn settle(
    store: &dyn IdempotencyRepository,
    claim: ClaimId,
    outcome: Result<StoredResponse, NotStored>,
) {
    match finish(store, claim, outcome).await {
        Ok(Finished::Stored) => {}
        Ok(Finished::Released(reason)) => {
            tracing::info!(%reason, "response not stored; idempotency key released");
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot store the response of an idempotent request");
            if let Err(e) = store.release(claim).await {
                tracing::error!(error = %e, "cannot release idempotency key");
            }
        }
    }
}
