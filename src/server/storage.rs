//! [`ServerStorage`]: the storage the Socket.IO server keeps its state in —
//! connection-state recovery's sessions and kept broadcasts — and the event
//! store its adapter publishes through. Opening it counts a *boot*: a number
//! kept by the storage and raised at every start, so that recovery offsets
//! issued by this process never repeat those of an earlier one.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use edgeio_storage::{EventStore, LocalEventStore, MemoryStoreFactory, StorageError, StoreFactory};

/// The map of the server's own counters.
const META: &str = "edgeio:meta";

/// The server's storage. Cheap to clone; clones share the backend.
#[derive(Clone)]
pub struct ServerStorage {
    factory: Arc<dyn StoreFactory>,
    /// This start's number, unique across the starts of this storage.
    boot: u64,
    /// When this start opened the storage (unix ms): sessions a killed
    /// process left connected count as disconnected from then.
    opened_at_ms: u64,
}

impl ServerStorage {
    /// Opens the server's state in `factory` (raising its boot counter,
    /// durably).
    pub async fn open(factory: Arc<dyn StoreFactory>) -> Result<Self, StorageError> {
        let meta = factory.create_map(META)?;
        let boot = meta.increment("boot", 1).await?;
        meta.flush().await?;
        Ok(Self {
            factory,
            boot: u64::try_from(boot).unwrap_or_default(),
            opened_at_ms: now_ms(),
        })
    }

    /// Storage in memory, for one process: nothing survives it.
    pub fn memory() -> Self {
        let mut id = [0u8; 8];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut id);
        let node: String = id.iter().map(|b| format!("{b:02x}")).collect();
        Self {
            factory: Arc::new(MemoryStoreFactory::new(LocalEventStore::new(node))),
            boot: 1,
            opened_at_ms: now_ms(),
        }
    }

    /// The backend.
    pub fn factory(&self) -> &Arc<dyn StoreFactory> {
        &self.factory
    }

    /// The event store of the backend (what adapters publish through).
    pub fn event_store(&self) -> Arc<dyn EventStore> {
        self.factory.event_store()
    }

    /// This start's number.
    pub fn boot(&self) -> u64 {
        self.boot
    }

    /// When this start opened the storage, in unix milliseconds.
    pub fn opened_at_ms(&self) -> u64 {
        self.opened_at_ms
    }
}

impl std::fmt::Debug for ServerStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerStorage")
            .field("durable", &self.factory.is_durable())
            .field("node_id", &self.event_store().node_id())
            .field("boot", &self.boot)
            .finish()
    }
}

/// The wall clock in unix milliseconds (records outlive the process, so
/// not a monotonic clock).
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}
