//! Layer 0: the server's Prometheus metrics, in one [`Metrics`] handle that
//! the engine and the Socket.IO layer record into and `/metrics` encodes.
//!
//! - [`engine`]: sessions by transport, handshakes, packets and bytes in and
//!   out, refused handshakes, dropped packets, session closes.
//! - [`socketio`]: sockets per namespace ([`namespaces`]), broadcasts and
//!   deliveries, disconnects, recovery, handler errors.
//! - the storage's flush latency ([`Metrics::observe_storage_flush`]).
//! - whether Redis is reachable, per component ([`redis`],
//!   [`Metrics::watch_redis`]).
//!
//! Each handle owns its own registry (no global state: two servers in one
//! process, or two tests, count apart). Recording is an atomic add on a
//! counter made when the handle was: the label sets of the hot paths are
//! fixed and created up front, so a packet costs no lock and no
//! allocation. Only rare events (a close, a refusal, a socket joining or
//! leaving a namespace) look their label up under a lock.

pub mod engine;
pub mod namespaces;
pub mod redis;
pub mod socketio;

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};

use self::redis::RedisCollector;

pub use engine::{Dropped, EngineMetrics, Refusal, Traffic, Transport};
pub use socketio::{HandlerError, SocketMetrics};

/// The `Content-Type` of [`Metrics::encode`]'s text (OpenMetrics 1.0, which
/// Prometheus scrapes natively).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The metrics of one server. Cheap to clone; clones record into the same
/// counters. Give the same handle to the engine
/// ([`crate::engine::EngineConfig::metrics`]) and to the Socket.IO layer
/// ([`crate::IoConfig::metrics`]) so that one scrape shows both.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    engine: EngineMetrics,
    socketio: SocketMetrics,
    storage_flush: Histogram,
    redis: Arc<RedisCollector>,
}

impl Metrics {
    /// A new set of metrics, all at zero, in a registry of its own.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("edgeio");
        let engine = EngineMetrics::register(&mut registry);
        let socketio = SocketMetrics::register(&mut registry);
        // 100 µs to about 13 s: a sled flush takes milliseconds on a disk,
        // seconds on a starved one.
        let storage_flush = Histogram::new(exponential_buckets(0.0001, 2.0, 18));
        registry.register_with_unit(
            "storage_flush",
            "Time taken by each flush of the durable storage",
            Unit::Seconds,
            storage_flush.clone(),
        );
        let redis = Arc::new(RedisCollector::default());
        registry.register_collector(Box::new(redis.clone()));
        Self {
            inner: Arc::new(Inner {
                registry,
                engine,
                socketio,
                storage_flush,
                redis,
            }),
        }
    }

    /// What the Engine.IO layer records.
    pub fn engine(&self) -> &EngineMetrics {
        &self.inner.engine
    }

    /// What the Socket.IO layer records.
    pub fn socketio(&self) -> &SocketMetrics {
        &self.inner.socketio
    }

    /// Records one storage flush that took `took`.
    pub fn observe_storage_flush(&self, took: Duration) {
        self.inner.storage_flush.observe(took.as_secs_f64());
    }

    /// Reports the Redis components of `health` (`edgeio_redis_up`,
    /// `edgeio_redis_errors_total`, `edgeio_redis_reconnects_total`, by
    /// `component`), read at each scrape.
    pub fn watch_redis(&self, health: edgeio_storage::Health) {
        self.inner.redis.watch(health);
    }

    /// Every metric in the OpenMetrics text format ([`CONTENT_TYPE`]).
    pub fn encode(&self) -> String {
        let mut text = String::with_capacity(8 * 1024);
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.inner.registry);
        text
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
