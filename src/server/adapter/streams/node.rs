//! [`StreamsNode`]: this node's side of a Redis Streams cluster — its uid,
//! the publishing connection, the stream reader and the pub/sub subscriber
//! (one each per node, whatever the number of namespaces), and the
//! namespaces that what they read is dispatched to.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use redis::aio::ConnectionManager;
use tokio::sync::{mpsc, oneshot, OnceCell};
use tokio::task::JoinHandle;

use edgeio_storage::{ComponentHealth, StreamWriter};

use super::adapter::apply;
use super::requests::{is_answer, Requests};
use super::wire::{entry, pubsub, ClusterMessage};
use super::StreamsAdapterConfig;
use crate::server::adapter::turn::in_turn;
use crate::server::adapter::AdapterHandle;
use crate::server::error::AdapterError;

/// The name the Redis Streams adapter reports its health under (`/ready`,
/// the `component` label of the `edgeio_redis_*` metrics).
pub const COMPONENT: &str = "adapter";

/// The longest wait between two reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// The first wait before reconnecting.
pub(super) const FIRST_BACKOFF: Duration = Duration::from_millis(50);
/// How long connecting or one command may take before it counts as failed.
pub(super) const COMMAND_TIMEOUT: Duration = Duration::from_secs(5);

/// The next wait before reconnecting: doubled, at most [`MAX_BACKOFF`].
pub(super) fn next_backoff(current: Duration) -> Duration {
    (current * 2).min(MAX_BACKOFF)
}

/// A Redis error as an adapter error.
pub(super) fn redis_error(what: &str, e: &redis::RedisError) -> AdapterError {
    AdapterError::Storage(format!("redis {what}: {e}"))
}

/// What the node's tasks and adapters share.
pub(super) struct Shared {
    /// This node's id in the cluster (16 hex digits, as socket.io-adapter's).
    pub(super) uid: String,
    pub(super) config: StreamsAdapterConfig,
    pub(super) client: redis::Client,
    /// The publishing connection, made on first use and re-made by itself.
    publisher: OnceCell<ConnectionManager>,
    /// The namespaces on this node, by name, with the registration that
    /// put each there and whether their broadcasts carry offsets.
    handles: Mutex<HashMap<String, (u64, AdapterHandle, bool)>>,
    /// The last registration number given.
    registrations: AtomicU64,
    /// Tells the subscriber of a new namespace.
    subscribe: mpsc::UnboundedSender<String>,
    /// The requests this node waits on answers to.
    pub(super) requests: Arc<Requests>,
    /// Whether the stream reader reaches Redis (publish errors counted
    /// too), for `/ready` and the metrics.
    pub(super) health: ComponentHealth,
    /// What this node publishes goes out in the order asked.
    turn: tokio::sync::Mutex<()>,
    /// Adds this node's entries to the stream, in order, keeping them while
    /// Redis is away.
    pub(super) writer: StreamWriter,
}

impl Shared {
    /// The names of the namespaces on this node.
    pub(super) fn namespaces(&self) -> Vec<String> {
        self.handles
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect()
    }

    /// Applies a message from Redis to its namespace here (`entry`: its
    /// stream entry id, read from the stream); drops this node's own
    /// messages and those of namespaces it does not have.
    pub(super) fn dispatch(self: &Arc<Self>, message: ClusterMessage, entry: Option<&str>) {
        if message.uid == self.uid {
            return;
        }
        if is_answer(message.kind) {
            if !self.requests.answer(message) {
                self.health.unknown_answer();
            }
            return;
        }
        let handle = self
            .handles
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&message.nsp)
            .map(|(_, handle, offsets)| (handle.clone(), *offsets));
        if let Some((handle, offsets)) = handle {
            // With recovery on, a broadcast's entry id is its offset.
            let offset = entry.filter(|_| offsets);
            if let Err(e) = apply(self, &handle, &message, offset) {
                self.health.refused();
                tracing::warn!(from = %message.uid, error = %e, "cluster message refused");
            }
        }
    }

    /// Registers namespace `nsp` to receive what other nodes send it (with
    /// `offsets`, each broadcast read from the stream gets its entry id as
    /// its offset); returns the registration's number, for
    /// [`Shared::unregister`].
    pub(super) fn register(&self, nsp: &str, handle: AdapterHandle, offsets: bool) -> u64 {
        let number = self.registrations.fetch_add(1, Ordering::Relaxed) + 1;
        self.handles
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(nsp.to_owned(), (number, handle, offsets));
        let _ = self.subscribe.send(nsp.to_owned());
        number
    }

    /// Forgets namespace `nsp` if registration `number` is still the one in
    /// place (a namespace re-created meanwhile keeps its new one).
    pub(super) fn unregister(&self, nsp: &str, number: u64) {
        let mut handles = self.handles.lock().unwrap_or_else(PoisonError::into_inner);
        if handles.get(nsp).is_some_and(|(n, _, _)| *n == number) {
            handles.remove(nsp);
        }
    }

    /// The publishing connection (made on first use).
    pub(super) async fn publisher(&self) -> Result<ConnectionManager, AdapterError> {
        let conn = self
            .publisher
            .get_or_try_init(|| async {
                let config = redis::aio::ConnectionManagerConfig::new()
                    .set_connection_timeout(COMMAND_TIMEOUT)
                    .set_response_timeout(COMMAND_TIMEOUT);
                ConnectionManager::new_with_config(self.client.clone(), config)
                    .await
                    .map_err(|e| redis_error("connect", &e))
            })
            .await?;
        Ok(conn.clone())
    }

    /// Adds `message` to the stream (`XADD` capped with `MAXLEN ~`) after
    /// everything this node added before; resolves to its entry id, or to
    /// an error at once when Redis cannot take it now — it is then added
    /// once Redis is back ([`StreamWriter`]).
    pub(super) async fn xadd(&self, message: &ClusterMessage) -> Result<String, AdapterError> {
        let fields = entry::encode(message).map_err(|e| AdapterError::Message(e.to_string()))?;
        let size = fields.iter().map(|(n, v)| n.len() + v.len()).sum();
        let mut cmd = redis::cmd("XADD");
        cmd.arg(&self.config.stream_name)
            .arg("MAXLEN")
            .arg("~")
            .arg(self.config.maxlen.max(1))
            .arg("*");
        for (name, value) in &fields {
            cmd.arg(*name).arg(value);
        }
        self.writer
            .add(cmd, size)
            .await
            .map_err(|e| AdapterError::Storage(e.to_string()))
    }

    /// How many subscribers `channel` has (`PUBSUB NUMSUB`): on a
    /// namespace's public channel, the nodes of the cluster, as Node's
    /// `serverCount()` counts them.
    pub(super) async fn numsub(&self, channel: String) -> Result<usize, AdapterError> {
        let mut conn = self.publisher().await?;
        let (_, n): (String, usize) = redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg(channel)
            .query_async(&mut conn)
            .await
            .map_err(|e| {
                self.health.error(&e);
                redis_error("PUBSUB NUMSUB", &e)
            })?;
        Ok(n)
    }

    /// Publishes `message` on `channel` (pub/sub, MessagePack).
    pub(super) async fn publish(
        &self,
        channel: String,
        message: &ClusterMessage,
    ) -> Result<(), AdapterError> {
        let payload = pubsub::encode(message);
        in_turn(&self.turn, async {
            let mut conn = self.publisher().await?;
            Ok(async move {
                redis::cmd("PUBLISH")
                    .arg(channel)
                    .arg(payload)
                    .query_async::<i64>(&mut conn)
                    .await
                    .map(drop)
                    .map_err(|e| {
                        self.health.error(&e);
                        redis_error("PUBLISH", &e)
                    })
            })
        })
        .await
    }
}

/// This node in a cluster of nodes sharing a Redis Stream, edgeio's or
/// Node's `@socket.io/redis-streams-adapter`. Its tasks stop when it is
/// dropped (the adapters it built hold it).
pub struct StreamsNode {
    pub(super) shared: Arc<Shared>,
    tasks: Vec<JoinHandle<()>>,
    ready: Mutex<Option<oneshot::Receiver<()>>>,
}

impl StreamsNode {
    /// Starts this node's reader and subscriber on `config.url` (they
    /// connect, and reconnect, in the background). Needs a tokio runtime;
    /// fails only on a malformed URL.
    pub fn start(config: StreamsAdapterConfig) -> Result<Arc<Self>, AdapterError> {
        let client = edgeio_storage::open_redis_client(&config.url, config.ca_file.as_deref())
            .map_err(|e| AdapterError::Storage(e.to_string()))?;
        let (subscribe, added) = mpsc::unbounded_channel();
        let uid: String = (0..8)
            .map(|_| format!("{:02x}", rand::random::<u8>()))
            .collect();
        let health = ComponentHealth::new(COMPONENT);
        let writer = StreamWriter::start(
            client.clone(),
            None,
            health.clone(),
            config.outbox_max_entries,
            config.outbox_max_bytes,
        );
        let shared = Arc::new(Shared {
            uid,
            config,
            client,
            publisher: OnceCell::new(),
            handles: Mutex::default(),
            registrations: AtomicU64::new(0),
            subscribe,
            health,
            writer,
            turn: tokio::sync::Mutex::new(()),
            requests: Arc::default(),
        });
        let (ready_tx, ready_rx) = oneshot::channel();
        let tasks = vec![
            tokio::spawn(super::reader::read_loop(shared.clone(), ready_tx)),
            tokio::spawn(super::subscriber::subscribe_loop(shared.clone(), added)),
        ];
        Ok(Arc::new(Self {
            shared,
            tasks,
            ready: Mutex::new(Some(ready_rx)),
        }))
    }

    /// Waits, at most `within`, until the reader has its starting point:
    /// from then on this node hears every entry added to the stream.
    pub async fn ready(&self, within: Duration) -> Result<(), AdapterError> {
        let rx = self
            .ready
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(rx) = rx else { return Ok(()) };
        match tokio::time::timeout(within, rx).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(AdapterError::Storage(format!(
                "redis streams: cannot read {} at {}",
                self.shared.config.stream_name,
                edgeio_storage::masked_url(&self.shared.config.url)
            ))),
        }
    }

    /// Whether this node's stream reader reaches Redis (shared: clones see
    /// the same state).
    pub fn health(&self) -> ComponentHealth {
        self.shared.health.clone()
    }

    /// How many answers arrived that matched no request this node waits
    /// on (late ones, after their request timed out), since it started.
    /// (Counted in its health, which the metrics report.)
    pub fn unknown_answers(&self) -> u64 {
        self.shared.health.status().unknown_answers
    }

    /// How many stream entries were dropped because too many waited while
    /// Redis was away (`outbox_max_entries`, `outbox_max_bytes`).
    pub fn dropped_entries(&self) -> u64 {
        self.shared.writer.dropped()
    }

    /// This node's id in the cluster.
    pub fn uid(&self) -> &str {
        &self.shared.uid
    }
}

impl Drop for StreamsNode {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}
