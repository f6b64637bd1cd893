//! The Redis Streams adapter, compatible with Node's
//! `@socket.io/redis-streams-adapter` 0.3: edgeio nodes and Node socket.io
//! nodes sharing one Redis Stream form one cluster.
//!
//! Each node ([`StreamsNode`]) has one task reading the stream (`XREAD
//! BLOCK`, resumed from the last id read after a loss of Redis, so nothing
//! added meanwhile within `MAXLEN` is missed) and one pub/sub subscriber
//! (the channels Node nodes count the cluster by and send ephemeral
//! messages on). Each namespace's [`StreamsAdapter`] writes what it sends in
//! the Node package's format ([`wire`]). With connection-state recovery on,
//! it also carries it across nodes ([`StreamsSessions`]): a broadcast's
//! offset is its stream entry id, and sessions are kept in Redis.

mod adapter;
mod answers;
mod asking;
mod node;
mod offsets;
mod packet;
mod reader;
mod recovery;
mod requests;
mod session;
mod subscriber;
pub mod wire;

use std::sync::Arc;
use std::time::Duration;

pub use adapter::StreamsAdapter;
pub use node::StreamsNode;
pub use recovery::StreamsSessions;

use super::AdapterFactory;
use crate::server::error::AdapterError;

/// Where and how a node joins a Redis Streams cluster. The defaults are the
/// Node package's (`streamName`, `channelPrefix`, `maxLen`, `readCount`),
/// except the block time, shorter so that a lost connection is noticed
/// sooner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamsAdapterConfig {
    /// The Redis server, `redis://[:password@]host:port[/db]` (or
    /// `rediss://` for TLS).
    pub url: String,
    /// A PEM file of CAs to trust for `rediss://` instead of the system's.
    pub ca_file: Option<std::path::PathBuf>,
    /// The stream's key (Node: `streamName`, default `socket.io`).
    pub stream_name: String,
    /// The prefix of the pub/sub channels (Node: `channelPrefix`, default
    /// `socket.io`).
    pub channel_prefix: String,
    /// About how many entries the stream keeps (`XADD MAXLEN ~`; Node:
    /// `maxLen`, default 10 000): how much a node that lost Redis can catch
    /// up on.
    pub maxlen: u64,
    /// The most entries one `XREAD` returns (Node: `readCount`, 100).
    pub read_count: u64,
    /// How long one `XREAD` blocks (Node: `blockTimeInMs`, 5 s).
    pub block: Duration,
    /// How long a request/response operation waits for answers, and how
    /// long this node waits for its server-side handler's acknowledgement
    /// before giving up answering (Node: `requestsTimeout`, 5 s).
    pub requests_timeout: Duration,
    /// The most stream entries kept, in order, while Redis cannot take
    /// them (sent once it is back); past it (or [`Self::outbox_max_bytes`])
    /// an entry is dropped, logged and counted.
    pub outbox_max_entries: usize,
    /// The most bytes of stream entries kept while Redis cannot take them.
    pub outbox_max_bytes: usize,
    /// The prefix of the keys of the sessions kept for connection-state
    /// recovery (Node: `sessionKeyPrefix`, default `sio:session:`).
    pub session_prefix: String,
}

impl Default for StreamsAdapterConfig {
    fn default() -> Self {
        Self {
            url: "redis://127.0.0.1:6379/".into(),
            ca_file: None,
            stream_name: "socket.io".into(),
            channel_prefix: "socket.io".into(),
            maxlen: 10_000,
            read_count: 100,
            block: Duration::from_secs(2),
            requests_timeout: Duration::from_secs(5),
            outbox_max_entries: 10_000,
            outbox_max_bytes: 16 << 20,
            session_prefix: "sio:session:".into(),
        }
    }
}

impl StreamsNode {
    /// The factory of this node's namespace adapters.
    pub fn factory(self: &Arc<Self>) -> AdapterFactory {
        let node = self.clone();
        let health = self.health();
        AdapterFactory::new(move |ctx| {
            Arc::new(StreamsAdapter::new(&ctx.ns, node.clone(), ctx.recovery))
        })
        .with_health(health)
    }
}

impl AdapterFactory {
    /// The Redis Streams adapter on a node started with `config` (see
    /// [`StreamsNode::start`]; use it directly to wait until the node reads
    /// the stream).
    pub fn redis_streams(config: StreamsAdapterConfig) -> Result<Self, AdapterError> {
        Ok(StreamsNode::start(config)?.factory())
    }
}
