//! Event stores over Redis, for nodes in several processes:
//! [`RedisPubSubEventStore`] (pub/sub: lowest latency, a node that is not
//! connected when an event is published never hears it) and
//! [`RedisStreamEventStore`] (a Redis Stream: a node that lost Redis reads,
//! once back, everything published meanwhile, within the retention).
//!
//! Both stamp every event with the publisher's node id and drop their own
//! events on receipt, keep running when Redis is lost (errors are logged,
//! the connection is re-made with backoff), report whether they reach Redis
//! in a [`ComponentHealth`] named [`COMPONENT`] (up while the reading
//! connection is, every error counted), and share the pieces here: the
//! configuration, the wire encoding and the listener registry.

mod pubsub;
mod reader;
mod streams;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use super::{EventListener, EventMessage, EventType, SubscriptionId};
use crate::error::StorageError;
use crate::health::ComponentHealth;

pub use pubsub::RedisPubSubEventStore;
pub use streams::RedisStreamEventStore;

/// The longest wait between two reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// The first wait before reconnecting.
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
/// The name the Redis event stores report their health under.
pub const COMPONENT: &str = "events";

/// How long connecting or one command may take before it counts as failed.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(5);

/// Where a Redis event store talks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisEventConfig {
    /// The server, as `redis://host:port[/db]`.
    pub url: String,
    /// Prefixes every channel or stream key, so that several clusters can
    /// share one Redis.
    pub prefix: String,
}

/// A new health handle for an event store, down until its reader connects.
fn new_health() -> ComponentHealth {
    ComponentHealth::new(COMPONENT)
}

/// Encodes an event for Redis (postcard, as every stored record).
fn encode(message: &EventMessage) -> Result<Vec<u8>, StorageError> {
    postcard::to_allocvec(message).map_err(|e| StorageError::Encode(e.to_string()))
}

/// Decodes an event read from Redis; `None` (logged) when it is not one, so
/// one foreign or corrupt entry never stops a reader.
fn decode(bytes: &[u8], from: &str) -> Option<EventMessage> {
    match postcard::from_bytes(bytes) {
        Ok(message) => Some(message),
        Err(e) => {
            tracing::warn!(%from, error = %e, "ignoring an undecodable event from Redis");
            None
        }
    }
}

/// A Redis error as a storage error.
fn unavailable(what: &str, e: &redis::RedisError) -> StorageError {
    StorageError::Unavailable(format!("redis {what}: {e}"))
}

/// The next wait before reconnecting: doubled, at most [`MAX_BACKOFF`].
fn next_backoff(current: Duration) -> Duration {
    (current * 2).min(MAX_BACKOFF)
}

/// Opens a client for `url`, refusing a malformed one.
fn client(url: &str) -> Result<redis::Client, StorageError> {
    redis::Client::open(url)
        .map_err(|e| StorageError::Backend(format!("invalid Redis url {url:?}: {e}")))
}

/// The publishing connection: re-made by itself after a loss. Fails, within
/// [`COMMAND_TIMEOUT`], when Redis cannot be reached now.
async fn publisher(client: &redis::Client) -> Result<redis::aio::ConnectionManager, StorageError> {
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(COMMAND_TIMEOUT)
        .set_response_timeout(COMMAND_TIMEOUT)
        .set_number_of_retries(2);
    let connect = redis::aio::ConnectionManager::new_with_config(client.clone(), config);
    tokio::time::timeout(COMMAND_TIMEOUT, connect)
        .await
        .map_err(|_| StorageError::Unavailable("redis: connect timed out".into()))?
        .map_err(|e| unavailable("connect", &e))
}

/// A node's listeners, by subscription.
#[derive(Default)]
struct Subscribers {
    list: Mutex<Vec<(SubscriptionId, EventType, EventListener)>>,
    next_id: AtomicU64,
}

impl Subscribers {
    fn lock(&self) -> MutexGuard<'_, Vec<(SubscriptionId, EventType, EventListener)>> {
        self.list.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn add(&self, event_type: EventType, listener: EventListener) -> SubscriptionId {
        let id = SubscriptionId(self.next_id.fetch_add(1, Ordering::Relaxed) + 1);
        self.lock().push((id, event_type, listener));
        id
    }

    fn remove(&self, id: SubscriptionId) -> bool {
        let mut list = self.lock();
        let before = list.len();
        list.retain(|(i, _, _)| *i != id);
        list.len() != before
    }

    /// Calls the listeners of `message`'s type unless `own_node` published
    /// it; listeners run with no lock held.
    fn deliver(&self, own_node: &str, message: &EventMessage) {
        if message.node_id == own_node {
            return;
        }
        let listeners: Vec<EventListener> = self
            .lock()
            .iter()
            .filter(|(_, t, _)| *t == message.event_type)
            .map(|(_, _, l)| l.clone())
            .collect();
        for listener in listeners {
            listener(message);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn own_events_and_other_types_are_not_delivered() {
        let subs = Subscribers::default();
        let count = Arc::new(AtomicU64::new(0));
        let c = count.clone();
        let id = subs.add(
            EventType::Join,
            Arc::new(move |_| {
                c.fetch_add(1, Ordering::Relaxed);
            }),
        );
        let msg = |node: &str, event_type| EventMessage {
            node_id: node.into(),
            event_type,
            payload: vec![],
        };
        subs.deliver("me", &msg("me", EventType::Join));
        subs.deliver("me", &msg("other", EventType::Leave));
        subs.deliver("me", &msg("other", EventType::Join));
        assert_eq!(count.load(Ordering::Relaxed), 1);
        assert!(subs.remove(id));
        assert!(!subs.remove(id));
        subs.deliver("me", &msg("other", EventType::Join));
        assert_eq!(count.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn backoff_doubles_up_to_a_ceiling() {
        assert_eq!(next_backoff(FIRST_BACKOFF), FIRST_BACKOFF * 2);
        assert_eq!(next_backoff(MAX_BACKOFF), MAX_BACKOFF);
    }

    #[test]
    fn a_garbage_entry_decodes_to_none_and_a_bad_url_is_refused() {
        assert!(decode(&[0xff, 0xff, 0xff], "test").is_none());
        let m = EventMessage {
            node_id: "n".into(),
            event_type: EventType::Ack,
            payload: vec![1, 2],
        };
        assert_eq!(decode(&encode(&m).expect("encodes"), "test"), Some(m));
        assert!(client("not a url").is_err());
    }
}
