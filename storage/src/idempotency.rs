//! Idempotency keys. (Filled by the storage work.)

use std::time::Duration;

use crate::map::Map;

/// Idempotency keys.
pub struct IdempotencyStore;

impl IdempotencyStore {
    /// Keys kept in `map`, each for `ttl`.
    pub fn new(_map: Map, _ttl: Duration) -> Self {
        Self
    }
}

/// The outcome of a claim.
pub enum Claim<V> {
    /// This call claimed the key.
    First,
    /// Claimed before, with this value.
    Taken(V),
}
