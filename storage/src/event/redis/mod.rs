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
mod writer;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use super::{EventListener, EventMessage, EventType, SubscriptionId};
use crate::error::StorageError;
use crate::health::ComponentHealth;

pub use pubsub::RedisPubSubEventStore;
pub use streams::RedisStreamEventStore;
pub use writer::StreamWriter;

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
    /// The server, as `redis://[:password@]host:port[/db]`, or
    /// `rediss://...` for TLS.
    pub url: String,
    /// Prefixes every channel or stream key, so that several clusters can
    /// share one Redis.
    pub prefix: String,
    /// A PEM file of the CA certificates to trust for `rediss://` instead
    /// of the system's (a private CA); `None`: the system's roots.
    pub ca_file: Option<PathBuf>,
    /// The most events the Streams store keeps, in order, while Redis
    /// cannot take them (added once it is back); past it an event is
    /// dropped, logged and counted.
    pub outbox_max_entries: usize,
    /// The most bytes of events it keeps while Redis cannot take them.
    pub outbox_max_bytes: usize,
}

impl RedisEventConfig {
    /// Redis at `url`, under `prefix`, trusting the system's CAs.
    pub fn new(url: impl Into<String>, prefix: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            prefix: prefix.into(),
            ca_file: None,
            outbox_max_entries: 10_000,
            outbox_max_bytes: 16 << 20,
        }
    }
}

/// `url` with its password (and a user-only credential) replaced by `***`,
/// for messages and logs: a Redis URL may carry the password.
pub fn masked_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return if url.contains('@') {
            "(a Redis URL with credentials)".into()
        } else {
            url.to_owned()
        };
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{path}"),
            None => format!("{scheme}://***@{host}{path}"),
        },
        None => url.to_owned(),
    }
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

/// Opens a client for `config`'s url (trusting its CA file for TLS),
/// refusing a malformed one; no message shows the password.
fn client(config: &RedisEventConfig) -> Result<redis::Client, StorageError> {
    open_redis_client(&config.url, config.ca_file.as_deref())
}

/// A Redis client for `url` (`redis://` or `rediss://`), trusting the CAs
/// of the PEM file `ca_file` for TLS instead of the system's when given;
/// a malformed URL or an unreadable CA file is an error whose message never
/// shows the password. Shared by everything in a node that talks to Redis
/// (the event stores here, the server's Redis adapters), so they all reach
/// Redis the same way.
pub fn open_redis_client(
    url: &str,
    ca_file: Option<&std::path::Path>,
) -> Result<redis::Client, StorageError> {
    use redis::IntoConnectionInfo;
    let invalid = |e: &dyn std::fmt::Display| {
        StorageError::Backend(format!("invalid Redis url {}: {e}", masked_url(url)))
    };
    let info = url.into_connection_info().map_err(|e| invalid(&e))?;
    let Some(ca_file) = ca_file else {
        return redis::Client::open(info).map_err(|e| invalid(&e));
    };
    let pem = std::fs::read(ca_file).map_err(|e| {
        StorageError::Backend(format!(
            "cannot read the Redis CA file {}: {e}",
            ca_file.display()
        ))
    })?;
    let certificates = redis::TlsCertificates {
        client_tls: None,
        root_cert: Some(pem),
    };
    redis::Client::build_with_tls(info, certificates).map_err(|e| {
        StorageError::Backend(format!(
            "Redis TLS with the CA file {}: {e}",
            ca_file.display()
        ))
    })
}

/// The publishing connection: re-made by itself after a loss. Fails, within
/// twice [`COMMAND_TIMEOUT`], when Redis cannot be reached now or refuses
/// the node, with Redis's own reason: one plain connection and a `PING`
/// first (the connection manager would retry a wrong password or an
/// untrusted certificate until it times out, and without the password a
/// Redis requires, connecting succeeds but every command fails).
async fn publisher(client: &redis::Client) -> Result<redis::aio::ConnectionManager, StorageError> {
    let timed_out = || StorageError::Unavailable("redis: connect timed out".into());
    let probe = async {
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(COMMAND_TIMEOUT)
            .set_response_timeout(COMMAND_TIMEOUT);
        let mut conn = client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(|e| unavailable("connect", &e))?;
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .map_err(|e| unavailable("PING", &e))
    };
    tokio::time::timeout(COMMAND_TIMEOUT, probe)
        .await
        .map_err(|_| timed_out())??;
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(COMMAND_TIMEOUT)
        .set_response_timeout(COMMAND_TIMEOUT)
        .set_number_of_retries(2);
    let connect = redis::aio::ConnectionManager::new_with_config(client.clone(), config);
    tokio::time::timeout(COMMAND_TIMEOUT, connect)
        .await
        .map_err(|_| timed_out())?
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
    fn a_password_never_shows_in_a_masked_url() {
        assert_eq!(
            masked_url("redis://:s3cret@10.0.0.1:6379/0"),
            "redis://:***@10.0.0.1:6379/0"
        );
        assert_eq!(
            masked_url("rediss://app:s3cret@redis.example:6380"),
            "rediss://app:***@redis.example:6380"
        );
        assert_eq!(masked_url("redis://tok@h/"), "redis://***@h/");
        assert_eq!(
            masked_url("redis://127.0.0.1:6379/"),
            "redis://127.0.0.1:6379/"
        );
        assert!(!masked_url("s3cret@h").contains("s3cret"));
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
        let bad = client(&RedisEventConfig::new("not a url", "p")).expect_err("refused");
        assert!(bad.to_string().contains("invalid Redis url"), "{bad}");
        let leak =
            client(&RedisEventConfig::new("redis://:s3cret@host:x/", "p")).expect_err("a bad port");
        assert!(!leak.to_string().contains("s3cret"), "{leak}");
        let mut tls = RedisEventConfig::new("redis://127.0.0.1/", "p");
        tls.ca_file = Some("/nonexistent/ca.pem".into());
        let missing = client(&tls).expect_err("no CA file");
        assert!(missing.to_string().contains("Redis CA file"), "{missing}");
    }
}
