//! How a write treats the fields a request left out.

/// One mode for every aggregate's writes. `Create` and `Replace` (PUT) need every required
/// field; `Partial` (PATCH) changes only what was sent. What an omitted optional field becomes
/// under `Replace` is the aggregate's rule, as in pretix's serializers: most keep their value,
/// some fall back to their default (a digital content's, an imported secret's, an event's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    Create,
    Replace,
    Partial,
}

impl WriteMode {
    /// Whether the required fields must be sent.
    pub fn is_full(self) -> bool {
        self != WriteMode::Partial
    }
}
