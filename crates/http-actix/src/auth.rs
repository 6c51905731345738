use crate::error::ApiError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use presale_domain::auth::{authenticate_token, AuthError, Principal};

/// The authenticated credential of a request (`Authorization: Token <token>`).
///
/// Header rules and messages are pretix's: no header or another scheme is "not provided", the
/// scheme word is case-insensitive, and a header with no token or with spaces in the token is
/// refused before any lookup.
pub(crate) struct Authenticated(pub Principal);

fn unauthenticated(detail: &str) -> ApiError {
    ApiError::Unauthenticated {
        detail: detail.to_owned(),
        scheme: "Token",
    }
}

/// The token from an `Authorization` header, or the 401 for a malformed one.
fn presented_token(req: &HttpRequest) -> Result<String, ApiError> {
    let not_provided = || unauthenticated("Authentication credentials were not provided.");
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Err(not_provided());
    };
    let raw = value.as_bytes();
    let mut parts = raw
        .split(|b| b.is_ascii_whitespace())
        .filter(|p| !p.is_empty());
    match parts.next() {
        Some(scheme) if scheme.eq_ignore_ascii_case(b"token") => {}
        _ => return Err(not_provided()),
    }
    let token = parts.next();
    if parts.next().is_some() {
        return Err(unauthenticated(
            "Invalid token header. Token string should not contain spaces.",
        ));
    }
    let Some(token) = token else {
        return Err(unauthenticated(
            "Invalid token header. No credentials provided.",
        ));
    };
    String::from_utf8(token.to_vec()).map_err(|_| {
        unauthenticated("Invalid token header. Token string should not contain invalid characters.")
    })
}

pub(crate) async fn authenticate(req: &HttpRequest) -> Result<Principal, ApiError> {
    let token = presented_token(req)?;
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Internal("application state missing".into()))?;
    authenticate_token(state.ports.tokens.as_ref(), &token)
        .await
        .map_err(|e| match e {
            AuthError::Repository(r) => r.into(),
            other => unauthenticated(&other.to_string()),
        })
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(&req).await.map(Authenticated) })
    }
}
