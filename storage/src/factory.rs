//! [`StoreFactory`]: where session stores and shared maps live, and which
//! [`EventStore`] carries events between nodes (socketio4j's
//! `StoreFactory`). Storage and event propagation are chosen independently:
//! every factory takes any event store.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use std::sync::OnceLock;

use crate::cache::{Cache, MapCache};
use crate::error::Result;
use crate::event::EventStore;
use crate::idempotency::IdempotencyStore;
use crate::kv::RawMap;
use crate::map::Map;
use crate::store::Store;

/// The map every session store lives in.
pub const SESSIONS: &str = "__sessions";
/// The map the cache lives in.
pub const CACHE: &str = "__cache";

/// Creates stores and maps on one backend. A backend writes
/// [`StoreFactory::raw_map`]; stores, maps and idempotency keys are built on
/// it (a backend may still override them, e.g. with native operations).
#[async_trait]
pub trait StoreFactory: Send + Sync + 'static {
    /// Prepares storage and events before the server starts.
    async fn init(&self) -> Result<()>;

    /// The backend's map `name` (created on first use), shared by every
    /// caller that names it.
    fn raw_map(&self, name: &str) -> Result<Arc<dyn RawMap>>;

    /// The store of session `session_id`.
    fn create_store(&self, session_id: &str) -> Result<Store> {
        Ok(Store::new(self.raw_map(SESSIONS)?, session_id))
    }

    /// The map `name`, shared by every caller that names it.
    fn create_map(&self, name: &str) -> Result<Map> {
        Ok(Map::new(self.raw_map(name)?))
    }

    /// The event store this factory was given.
    fn event_store(&self) -> Arc<dyn EventStore>;

    /// The cache (one per factory: every call returns the same one).
    fn cache(&self) -> Result<Arc<dyn Cache>>;

    /// The idempotency keys of `name`, each kept for `ttl`.
    fn idempotency(&self, name: &str, ttl: Duration) -> Result<IdempotencyStore> {
        Ok(IdempotencyStore::new(
            self.create_map(&format!("__idem:{name}"))?,
            ttl,
        ))
    }

    /// True when what is flushed survives the process.
    fn is_durable(&self) -> bool;

    /// Tells `observer` how long each durable flush takes from now on (for
    /// a latency metric). Backends with nothing to flush never call it.
    fn observe_flushes(&self, observer: crate::FlushObserver) {
        let _ = observer;
    }

    /// Flushes everything, stops background work, releases the data
    /// directory. Later calls fail with [`crate::StorageError::ShutDown`].
    async fn shutdown(&self) -> Result<()>;
}

/// The factory's one cache, kept in `slot`: a [`MapCache`] over the
/// backend's map [`CACHE`], made on first use.
pub fn shared_cache(
    slot: &OnceLock<Arc<dyn Cache>>,
    factory: &dyn StoreFactory,
) -> Result<Arc<dyn Cache>> {
    if let Some(cache) = slot.get() {
        return Ok(cache.clone());
    }
    let cache: Arc<dyn Cache> = MapCache::new(factory.raw_map(CACHE)?);
    Ok(slot.get_or_init(|| cache).clone())
}
