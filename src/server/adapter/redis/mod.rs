//! The Redis adapter of Node's `@socket.io/redis-adapter` (v8), so that
//! edgeio nodes and Node socket.io nodes can share one cluster: [`wire`] is
//! its wire format (what travels on which channel, and how),
//! [`RedisAdapter`] the adapter of one namespace, [`RedisNode`] the Redis
//! connections all of a node's namespaces share.
//!
//! When Redis is lost, this node's sockets are still served (local delivery
//! first, always); publishing fails with an error that is returned and
//! logged, and the subscriber connects again with backoff, subscribing its
//! channels again, so that cross-node delivery resumes when Redis returns.
//! What was published meanwhile is not replayed (pub/sub keeps nothing).

mod adapter;
mod convert;
mod incoming;
mod link;
mod node;
mod remote_ops;
mod requests;
pub mod wire;

use std::sync::Arc;
use std::time::Duration;

pub use adapter::RedisAdapter;
pub use node::RedisNode;
pub use requests::RequestError;

use super::AdapterFactory;

/// The Redis adapter's settings; the defaults suit a small box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisAdapterConfig {
    /// The Redis URL (`redis://`, `rediss://`, a password in it).
    pub url: String,
    /// A PEM file of CAs to trust for `rediss://` instead of the system's.
    pub ca_file: Option<std::path::PathBuf>,
    /// The prefix of every channel (Node's `key`), `socket.io` by default.
    pub prefix: String,
    /// How long a request waits for the other nodes' answers (Node's
    /// `requestsTimeout`), 5 s by default.
    pub requests_timeout: Duration,
    /// A message from Redis longer than this is dropped before decoding
    /// (1 MB by default, as Node's `maxHttpBufferSize`).
    pub max_message_bytes: usize,
    /// How many requests of one namespace may wait for answers at once.
    pub max_pending_requests: usize,
}

/// Node's default channel prefix.
pub const DEFAULT_PREFIX: &str = "socket.io";

impl Default for RedisAdapterConfig {
    fn default() -> Self {
        Self {
            url: "redis://127.0.0.1:6379/".into(),
            ca_file: None,
            prefix: DEFAULT_PREFIX.into(),
            requests_timeout: Duration::from_secs(5),
            max_message_bytes: 1_000_000,
            max_pending_requests: 1024,
        }
    }
}

impl AdapterFactory {
    /// The Redis adapter for every namespace, on one new [`RedisNode`].
    pub fn redis(config: RedisAdapterConfig) -> Self {
        Self::redis_on(RedisNode::new(config))
    }

    /// The Redis adapter for every namespace, on `node` (to keep a handle
    /// on the node: its uid, its refused-message count).
    pub fn redis_on(node: Arc<RedisNode>) -> Self {
        let health = node.health();
        Self::new(move |ctx| Arc::new(RedisAdapter::new(node.clone(), &ctx.ns))).with_health(health)
    }
}
