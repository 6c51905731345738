//! How a write treats the fields a request left out.

/// `Replace` replaces the writable state (omitted optional fields get their defaults);
/// `Partial` changes only what was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateMode {
    Replace,
    Partial,
}
