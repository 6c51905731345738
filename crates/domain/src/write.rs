//! How a write treats the fields a request left out.

/// PUT replaces the writable state (omitted optional fields get their defaults); PATCH
/// changes only what was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateMode {
    Replace,
    Partial,
}
