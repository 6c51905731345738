//! Wiring and serving.

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use presale_domain::ids::OrganizerId;
use presale_http_actix::metrics::{configure_metrics, MetricsText};
use presale_http_actix::{
    configure, json_errors, reject_null_characters, request_log, serve_kept_answers, AppState,
    DataVersions, HttpOptions, Idempotency, ReadCache,
};
use presale_storage_diesel::Database;
use std::net::TcpListener;
use std::sync::Arc;

/// The storage's change tracking, as the read cache asks for it.
struct Versions(Database);

impl DataVersions for Versions {
    fn mark(&self) -> Option<u64> {
        self.0.data_mark()
    }

    fn unchanged_since(&self, organizer: i64, mark: u64) -> bool {
        self.0.unchanged_since(OrganizerId(organizer), mark)
    }

    fn suspended(&self) -> Option<String> {
        self.0.cache_suspended()
    }
}

/// Starts serving on `listener`, with `GET /metrics` showing `metrics` when given. The
/// returned server stops gracefully on SIGTERM/SIGINT: in-flight requests finish, then the
/// future resolves.
pub fn start(
    db: &Database,
    options: HttpOptions,
    listener: TcpListener,
    workers: Option<usize>,
    metrics: Option<MetricsText>,
) -> std::io::Result<Server> {
    let body_limit = web::PayloadConfig::new(options.max_body_bytes);
    let answer_ttl = options.answer_ttl;
    let state = web::Data::new(AppState::new(Arc::new(db.clone()), options));
    // Inside the request log, so that replayed and refused repeats are logged too.
    let idempotency = Idempotency::new(Arc::new(db.clone()));
    let read_cache = web::Data::new(ReadCache::new(answer_ttl, Arc::new(Versions(db.clone()))));
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(read_cache.clone())
            .app_data(body_limit.clone())
            .wrap(from_fn(json_errors))
            .wrap(from_fn(serve_kept_answers))
            .wrap(idempotency.clone())
            .wrap(from_fn(reject_null_characters))
            .wrap(from_fn(request_log))
            .configure(|cfg| {
                if let Some(text) = metrics.clone() {
                    configure_metrics(text)(cfg);
                }
                configure(cfg);
            })
    })
    .shutdown_timeout(30);
    if let Some(n) = workers {
        server = server.workers(n.max(1));
    }
    // Repository calls run on each worker's blocking pool, each holding a pooled connection
    // while it runs. Any worker may hold every connection of the pool (the permits are shared),
    // and a unit of work must always find a thread for its next call (its COMMIT above all)
    // while other calls wait in the database for its rows: each worker gets the whole pool
    // plus one thread (`blocking_threads_for`). Idle threads cost little and are reaped.
    server = server.worker_max_blocking_threads(presale_storage_diesel::blocking_threads_for(
        db.max_connections(),
    ));
    Ok(server.listen(listener)?.run())
}

/// Serves `GET /metrics` alone on `listener` (an address of its own, `--metrics ADDR`), with
/// one worker; it stops on SIGTERM/SIGINT like the API's server.
pub fn start_metrics(listener: TcpListener, metrics: MetricsText) -> std::io::Result<Server> {
    let server = HttpServer::new(move || App::new().configure(configure_metrics(metrics.clone())))
        .workers(1)
        .shutdown_timeout(5);
    Ok(server.listen(listener)?.run())
}
