//! What the storage records for Prometheus, through the `metrics` facade (nothing is kept
//! unless the process installed a recorder). No label names an organizer, a credential or a
//! row.

use std::time::Duration;

/// Seconds a repository call waited for a connection of the pool (zero when one was free).
pub const POOL_WAIT: &str = "presale_db_pool_wait_seconds";
/// The most connections the pool opens (a gauge, set when the metrics are shown).
pub const POOL_SIZE: &str = "presale_db_pool_size";
/// Connections in use by a call or a unit of work (a gauge, set when the metrics are shown).
pub const POOL_IN_USE: &str = "presale_db_pool_in_use";
/// Imported secrets inserted (counted as their rows are written; inside a unit of work that
/// is later rolled back, too).
pub const SECRETS_WRITTEN: &str = "presale_imported_secrets_written_total";
/// The cache counters the HTTP edge shares, here with the label `cache="credentials"`.
pub const CACHE_HITS: &str = "presale_cache_hits_total";
pub const CACHE_MISSES: &str = "presale_cache_misses_total";
pub const CACHE_INVALIDATIONS: &str = "presale_cache_invalidations_total";

pub(crate) fn pool_wait(waited: Duration) {
    metrics::histogram!(POOL_WAIT).record(waited.as_secs_f64());
}

pub(crate) fn secrets_written(rows: usize) {
    metrics::counter!(SECRETS_WRITTEN).increment(u64::try_from(rows).unwrap_or(u64::MAX));
}

pub(crate) fn credentials_cache(hit: bool) {
    let name = if hit { CACHE_HITS } else { CACHE_MISSES };
    metrics::counter!(name, "cache" => "credentials").increment(1);
}

pub(crate) fn credentials_invalidated() {
    metrics::counter!(CACHE_INVALIDATIONS, "cache" => "credentials").increment(1);
}
