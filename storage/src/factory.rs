//! [`StoreFactory`]: where session stores and shared maps live, and which
//! [`EventStore`] carries events between nodes (socketio4j's
//! `StoreFactory`). Storage and event propagation are chosen independently:
//! every factory takes any event store.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::cache::Cache;
use crate::error::Result;
use crate::event::EventStore;
use crate::idempotency::IdempotencyStore;
use crate::map::Map;
use crate::store::Store;

/// Creates stores and maps on one backend.
#[async_trait]
pub trait StoreFactory: Send + Sync + 'static {
    /// Prepares storage and events before the server starts.
    async fn init(&self) -> Result<()>;

    /// The store of session `session_id`.
    fn create_store(&self, session_id: &str) -> Result<Store>;

    /// The map `name`, shared by every caller that names it.
    fn create_map(&self, name: &str) -> Result<Map>;

    /// The event store this factory was given.
    fn event_store(&self) -> Arc<dyn EventStore>;

    /// The cache (one per factory: every call returns the same one).
    fn cache(&self) -> Result<Arc<dyn Cache>>;

    /// The idempotency keys of `name`, each kept for `ttl`.
    fn idempotency(&self, name: &str, ttl: Duration) -> Result<IdempotencyStore>;

    /// True when what is flushed survives the process.
    fn is_durable(&self) -> bool;

    /// Flushes everything, stops background work, releases the data
    /// directory. Later calls fail with [`crate::StorageError::ShutDown`].
    async fn shutdown(&self) -> Result<()>;
}
