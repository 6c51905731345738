//! # presale (server)
//!
//! Configuration, command line, tracing and the wiring of the storage adapter into the HTTP
//! endpoints. The `presale` binary is a thin `main` over this library, which the end-to-end
//! tests also use to start the real server.

pub mod admin;
pub mod cli;
pub mod config;
pub mod metrics;
pub mod secrets_import;
pub mod seed;
pub mod server;
pub mod telemetry;
