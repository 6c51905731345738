//! Prometheus metrics: the process's recorder (`metrics-exporter-prometheus`), the gauges
//! sampled when the metrics are shown, and where `GET /metrics` is served (`--metrics`).

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use presale_http_actix::metrics::{self as http, MetricsText};
use presale_storage_diesel::metrics as storage;
use presale_storage_diesel::Database;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Where `GET /metrics` is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// On the API's own address (the default).
    Api,
    /// On an address of its own (`127.0.0.1:9100`); the API's address has no `/metrics`.
    Address(String),
    /// Nowhere, and nothing is recorded.
    Off,
}

impl Placement {
    /// `api`, `off`, or an address to listen on.
    pub fn parse(value: &str) -> Placement {
        match value.trim() {
            "" | "api" => Placement::Api,
            "off" => Placement::Off,
            address => Placement::Address(address.to_owned()),
        }
    }
}

/// Latency buckets, in seconds: from half a millisecond (a kept answer) to ten seconds.
const SECONDS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The recorder of this process, installed once (every server of the process shares it).
fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS)
                .ok()?;
            let handle = match builder.install_recorder() {
                Ok(handle) => handle,
                Err(e) => {
                    tracing::warn!(error = %e, "metrics are not recorded");
                    return None;
                }
            };
            describe();
            http::recording_started();
            // Histograms keep their samples until upkeep folds them into the buckets:
            // without a scrape they would grow.
            let upkeep = handle.clone();
            std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || loop {
                    std::thread::sleep(Duration::from_secs(5));
                    upkeep.run_upkeep();
                })
                .ok()?;
            Some(handle)
        })
        .as_ref()
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        http::HTTP_REQUESTS,
        "Requests answered, by route template, method and status class."
    );
    describe_histogram!(
        http::HTTP_DURATION,
        Unit::Seconds,
        "Time from a request's arrival to its answer, by route template, method and status class."
    );
    describe_counter!(
        http::CACHE_HITS,
        "Lookups answered from memory, by cache (answers: kept GET answers; credentials: tokens, devices, organizers, sales channels)."
    );
    describe_counter!(
        http::CACHE_MISSES,
        "Lookups that went to the database, by cache."
    );
    describe_counter!(
        http::CACHE_INVALIDATIONS,
        "Kept entries found outdated by a change to their organizer, by cache."
    );
    describe_counter!(
        http::IDEMPOTENCY_REPLAYS,
        "Requests with an idempotency key answered with the stored response."
    );
    describe_counter!(
        http::IDEMPOTENCY_CONFLICTS,
        "Requests with an idempotency key refused (409) while the first one runs."
    );
    describe_histogram!(
        storage::POOL_WAIT,
        Unit::Seconds,
        "Time a database call waited for a connection of the pool."
    );
    describe_gauge!(storage::POOL_SIZE, "The most connections the pool opens.");
    describe_gauge!(storage::POOL_IN_USE, "Connections of the pool in use.");
    describe_counter!(storage::SECRETS_WRITTEN, "Imported secrets inserted.");
    // Shown from the start (at zero), not only once something happened.
    for cache in ["answers", "credentials"] {
        for name in [
            http::CACHE_HITS,
            http::CACHE_MISSES,
            http::CACHE_INVALIDATIONS,
        ] {
            metrics::counter!(name, "cache" => cache).increment(0);
        }
    }
    for name in [
        http::IDEMPOTENCY_REPLAYS,
        http::IDEMPOTENCY_CONFLICTS,
        storage::SECRETS_WRITTEN,
    ] {
        metrics::counter!(name).increment(0);
    }
}

/// Installs the recorder (once per process) and returns what renders the metrics of this
/// process with `db`'s pool gauges; `None` when the recorder cannot be installed (another one
/// is already).
pub fn install(db: &Database) -> Option<MetricsText> {
    let handle = handle()?;
    let db = db.clone();
    Some(Arc::new(move || {
        let (size, in_use) = db.pool_usage();
        metrics::gauge!(storage::POOL_SIZE).set(f64::from(size));
        metrics::gauge!(storage::POOL_IN_USE).set(f64::from(in_use));
        handle.render()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placement_is_api_off_or_an_address() {
        assert_eq!(Placement::parse("api"), Placement::Api);
        assert_eq!(Placement::parse(""), Placement::Api);
        assert_eq!(Placement::parse("off"), Placement::Off);
        assert_eq!(
            Placement::parse("127.0.0.1:9100"),
            Placement::Address("127.0.0.1:9100".into())
        );
    }
}
