//! What in-memory copies of stored data (an adapter's lookups, the HTTP edge's answers) key
//! their validity on.

/// A number that changes whenever data stored through this process changes.
///
/// Implemented by the storage adapter: every write through its ports moves it, and so does
/// anything that asks the adapter to drop what it keeps in memory. A cache of reads stays
/// valid while the number it was filled under is current (and, for writes by other processes,
/// which this number cannot see, while it is younger than its time-to-live).
///
/// Reading it does no I/O: it is meant to be read on every request.
///
/// ```
/// use presale_domain::freshness::DataVersion;
/// use std::sync::atomic::{AtomicU64, Ordering};
///
/// struct Counter(AtomicU64);
/// impl DataVersion for Counter {
///     fn data_version(&self) -> u64 {
///         self.0.load(Ordering::Acquire)
///     }
/// }
///
/// let store = Counter(AtomicU64::new(0));
/// let filled_under = store.data_version();
/// store.0.fetch_add(1, Ordering::AcqRel); // a write
/// assert_ne!(store.data_version(), filled_under);
/// ```
pub trait DataVersion: Send + Sync {
    fn data_version(&self) -> u64;
}
