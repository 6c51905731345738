#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure
//! The end-to-end tests: the real app over real HTTP on SQLite and PostgreSQL, in one test
//! binary whose modules follow the URL tree (`organizers::events::quotas` tests
//! `/api/v1/organizers/{organizer}/events/{event}/quotas/`); the modules at this level test
//! what every resource shares (authentication, errors, pagination, idempotency, the kept
//! answers, the HTTP edge, availability, races).

mod auth;
mod availability;
mod conformance;
mod edge;
mod errors;
mod idempotency;
mod openapi;
mod organizers;
mod pagination;
mod races;
mod read_cache;
