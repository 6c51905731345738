//! # presale-http-actix
//!
//! The pretix REST API v1 on actix-web: routes, authentication, pagination and the pretix
//! error shapes. It talks to storage only through the `presale-domain` ports held in
//! [`AppState`], so any adapter (or a mock) can stand behind it.

mod auth;
mod body;
mod error;
mod fallback;
mod fields;
pub mod fixture;
mod idempotency;
mod logging;
pub mod metrics;
pub mod openapi;
mod pagination;
mod profiles;
mod query;
mod read_cache;
mod routes;
mod state;

pub use error::ApiError;
pub use fallback::{json_errors, reject_null_characters};
pub use idempotency::{
    Idempotency, IdempotencyMiddleware, IDEMPOTENCY_KEY_HEADER, MAX_STORED_RESPONSE_BYTES,
};
pub use logging::request_log;
pub use read_cache::{serve_kept_answers, AnswerScope, DataVersions, ReadCache};
pub use routes::configure;
pub use routes::imported_secrets::imported_secret_changes;
pub use state::{
    AppState, HttpOptions, DEFAULT_MAX_BODY_BYTES, PRETIX_VERSION, PRETIX_VERSION_NUMERIC,
};
