//! # edgeio-storage
//!
//! Storage for edgeio, independent of Socket.IO: per-session stores, shared
//! maps, a TTL cache with pattern publish/subscribe, idempotency keys, and
//! node-to-node event propagation. Values are any serde type, encoded as
//! versioned postcard records.
//!
//! # Layout
//! - [`kv`]: [`RawMap`], the ordered byte map every backend implements
//!   (atomic updates, a group-committed durable flush).
//! - [`map`], [`store`]: the typed [`Map`] and the per-session [`Store`].
//! - [`factory`]: [`StoreFactory`], which creates them on one backend.
//! - [`event`]: [`EventStore`] and the in-process [`LocalEventStore`].
//! - [`cache`]: [`Cache`] (TTL, counters, glob pub/sub) over any backend.
//! - [`idempotency`]: claim a key once, durably.
//! - [`health`]: whether the Redis-backed components reach Redis now.
//! - [`memory`], [`sled`]: the backends. [`open()`](fn@open) picks one from a config.
//! - [`codec`], [`error`]: records and errors.

pub mod cache;
pub mod codec;
pub mod error;
pub mod event;
pub mod factory;
pub mod health;
pub mod idempotency;
pub mod kv;
pub mod map;
pub mod memory;
pub mod open;
pub mod sled;
pub mod store;

pub use self::sled::{FlushObserver, SledStoreFactory};
pub use cache::{Cache, MapCache, MessageListener};
pub use error::{Result, StorageError};
pub use event::{
    masked_url, open_redis_client, EventListener, EventMessage, EventStore, EventStoreMode,
    EventStoreType, EventType, LocalEventStore, PublishMode, RedisEventConfig,
    RedisPubSubEventStore, RedisStreamEventStore, StreamWriter, SubscriptionId,
};
pub use factory::StoreFactory;
pub use health::{ComponentHealth, ComponentStatus, Health};
pub use idempotency::{Claim, IdempotencyStore};
pub use kv::RawMap;
pub use map::Map;
pub use memory::MemoryStoreFactory;
pub use open::{open, Backend, EventStoreConfig, StorageConfig, DEFAULT_STREAM_RETENTION};
pub use store::Store;
