use crate::error::ApiError;
use crate::profiles::{route_of, PROFILE_DENIED};
use crate::read_cache::AnswerScope;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::HttpMessage;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use presale_domain::access::Principal;
use presale_domain::access::RouteMethod;
use presale_domain::device::{authenticate_device, record_seen, should_record_seen, Device};
use presale_domain::ids::OrganizerId;
use presale_domain::team::{authenticate_token, AuthError};
use presale_domain::values::WireDateTime;

/// The authenticated credential of a request: `Authorization: Token <token>` (a team API
/// token) or `Authorization: Device <token>` (a device, docs/api-compatibility.md).
///
/// Header rules and messages are pretix's: no header or another scheme is "not provided", the
/// scheme word is case-insensitive, and a header with no token or with spaces in the token is
/// refused before any lookup. The 401s carry `WWW-Authenticate: Token`.
pub(crate) struct Authenticated(pub Principal);

/// A credential scheme of the `Authorization` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Token,
    Device,
}

impl Scheme {
    fn keyword(self) -> &'static [u8] {
        match self {
            Scheme::Token => b"token",
            Scheme::Device => b"device",
        }
    }
}

fn unauthenticated(detail: &str, challenge: &'static str) -> ApiError {
    ApiError::Unauthenticated {
        detail: detail.to_owned(),
        scheme: challenge,
    }
}

/// The scheme and token of an `Authorization` header whose scheme is one of `accepted`, or
/// the 401 (with `challenge` as `WWW-Authenticate`) for a missing or malformed one.
fn presented(
    req: &HttpRequest,
    accepted: &[Scheme],
    challenge: &'static str,
) -> Result<(Scheme, String), ApiError> {
    let not_provided =
        || unauthenticated("Authentication credentials were not provided.", challenge);
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Err(not_provided());
    };
    let raw = value.as_bytes();
    let mut parts = raw
        .split(|b| b.is_ascii_whitespace())
        .filter(|p| !p.is_empty());
    let scheme = parts.next().and_then(|word| {
        accepted
            .iter()
            .copied()
            .find(|s| word.eq_ignore_ascii_case(s.keyword()))
    });
    let Some(scheme) = scheme else {
        return Err(not_provided());
    };
    let token = parts.next();
    if parts.next().is_some() {
        return Err(unauthenticated(
            "Invalid token header. Token string should not contain spaces.",
            challenge,
        ));
    }
    let Some(token) = token else {
        return Err(unauthenticated(
            "Invalid token header. No credentials provided.",
            challenge,
        ));
    };
    let token = String::from_utf8(token.to_vec()).map_err(|_| {
        unauthenticated(
            "Invalid token header. Token string should not contain invalid characters.",
            challenge,
        )
    })?;
    Ok((scheme, token))
}

fn state(req: &HttpRequest) -> Result<&web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Internal("application state missing".into()))
}

/// Authenticates a team token or a device; a device is held to its security profile here,
/// before any access check (as pretix does).
pub(crate) async fn authenticate(req: &HttpRequest) -> Result<Principal, ApiError> {
    let (scheme, token) = presented(req, &[Scheme::Token, Scheme::Device], "Token")?;
    let state = state(req)?;
    let principal = match scheme {
        Scheme::Token => authenticate_token(state.store.tokens(), &token)
            .await
            .map_err(|e| match e {
                AuthError::Repository(r) => r.into(),
                other => unauthenticated(&other.to_string(), "Token"),
            })?,
        Scheme::Device => device(req, state, &token, "Token").await?.principal(),
    };
    scope(req, principal.organizer());
    Ok(principal)
}

/// Names the organizer whose data the answer to `req` is made of: a credential sees one
/// organizer's data only (see [`AnswerScope`]).
fn scope(req: &HttpRequest, organizer: OrganizerId) {
    req.extensions_mut().insert(AnswerScope(organizer.0));
}

/// Authenticates a request to `/api/v1/device/*`, which takes only `Device <token>` and
/// challenges with `WWW-Authenticate: Device`: the device and the token it presented.
pub(crate) async fn authenticate_device_request(
    req: &HttpRequest,
) -> Result<(Device, String), ApiError> {
    let (_, token) = presented(req, &[Scheme::Device], "Device")?;
    let device = device(req, state(req)?, &token, "Device").await?;
    scope(req, device.organizer);
    Ok((device, token))
}

/// The initialized, not revoked device with this token, if its profile allows the request;
/// notes (off the request path) that it was seen.
async fn device(
    req: &HttpRequest,
    state: &AppState,
    token: &str,
    challenge: &'static str,
) -> Result<Device, ApiError> {
    let device = authenticate_device(state.store.devices(), token)
        .await
        .map_err(|e| match e {
            AuthError::Repository(r) => r.into(),
            other => unauthenticated(&other.to_string(), challenge),
        })?;
    record_seen_later(state, &device);
    let method = RouteMethod::from_name(req.method().as_str());
    if !device.profile().allows(method, route_of(req)) {
        return Err(ApiError::Forbidden(PROFILE_DENIED.into()));
    }
    Ok(device)
}

/// Records that the device was seen, at most once a minute, in a task of its own: the request
/// neither waits for it nor fails with it.
fn record_seen_later(state: &AppState, device: &Device) {
    let now = WireDateTime::now();
    if !should_record_seen(device.last_seen, now) {
        return;
    }
    let store = state.store.clone();
    let device = device.clone();
    actix_web::rt::spawn(async move {
        if let Err(e) = record_seen(store.devices(), &device, now).await {
            tracing::warn!(error = %e, device = device.id.0, "could not record that a device was seen");
        }
    });
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(&req).await.map(Authenticated) })
    }
}
