//! [`RedisNode`]: this node's Redis side, shared by the adapters of all its
//! namespaces — its uid, one publishing connection (redis-rs
//! `ConnectionManager`, which reconnects by itself), and one subscribing
//! connection read by a task that hands each message to its namespace and
//! reconnects with backoff (subscribing again) when Redis goes away.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use futures_util::StreamExt;
use rand::distr::{Alphanumeric, SampleString};
use redis::aio::{ConnectionManager, ConnectionManagerConfig, PubSubSink};
use tokio::sync::OnceCell;
use tokio::task::JoinHandle;

use edgeio_storage::ComponentHealth;

use super::link::Link;
use super::RedisAdapterConfig;
use crate::server::adapter::turn::in_turn;
use crate::server::error::AdapterError;

/// The name the Redis adapter reports its health under (`/ready`, the
/// `component` label of the `edgeio_redis_*` metrics).
pub const COMPONENT: &str = "adapter";

/// How long connecting, subscribing or one command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(5);
/// The first wait before subscribing again; doubled up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// A random id of `len` letters and digits (Node's `uid2`).
pub(super) fn random_id(len: usize) -> String {
    Alphanumeric.sample_string(&mut rand::rng(), len)
}

/// This node on Redis.
pub struct RedisNode {
    uid: String,
    config: RedisAdapterConfig,
    client: Result<redis::Client, String>,
    publisher: OnceCell<ConnectionManager>,
    links: Mutex<Vec<Arc<Link>>>,
    sink: Mutex<Option<PubSubSink>>,
    reader: Mutex<Option<JoinHandle<()>>>,
    /// Whether the subscribing connection reaches Redis (publish errors
    /// counted too), for `/ready` and the metrics.
    health: ComponentHealth,
    /// What this node publishes goes out in the order asked.
    turn: tokio::sync::Mutex<()>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn redis_error(what: &str, e: impl std::fmt::Display) -> AdapterError {
    AdapterError::Storage(format!("redis adapter {what}: {e}"))
}

impl RedisNode {
    /// The node for `config`, with a new uid. Connects when first used.
    pub fn new(config: RedisAdapterConfig) -> Arc<Self> {
        let client = edgeio_storage::open_redis_client(&config.url, config.ca_file.as_deref())
            .map_err(|e| e.to_string());
        Arc::new(Self {
            uid: random_id(6),
            config,
            client,
            publisher: OnceCell::new(),
            links: Mutex::default(),
            sink: Mutex::default(),
            reader: Mutex::default(),
            health: ComponentHealth::new(COMPONENT),
            turn: tokio::sync::Mutex::new(()),
        })
    }

    /// This node's uid, which its messages carry.
    pub fn uid(&self) -> &str {
        &self.uid
    }

    /// The adapter's settings.
    pub fn config(&self) -> &RedisAdapterConfig {
        &self.config
    }

    /// Whether this node reaches Redis (shared: clones see the same state).
    pub fn health(&self) -> ComponentHealth {
        self.health.clone()
    }

    /// How many messages from Redis were refused (too large, malformed).
    /// (Counted in its health, which the metrics report.)
    pub fn malformed(&self) -> u64 {
        self.health.status().refused
    }

    /// Counts and logs a refused message.
    pub(super) fn refuse(&self, channel: &str, why: &dyn std::fmt::Display) {
        self.health.refused();
        tracing::warn!(%channel, error = %why, "redis adapter: message refused");
    }

    fn client(&self) -> Result<&redis::Client, AdapterError> {
        self.client
            .as_ref()
            .map_err(|e| AdapterError::Storage(e.clone()))
    }

    async fn publisher(&self) -> Result<ConnectionManager, AdapterError> {
        let client = self.client()?.clone();
        self.publisher
            .get_or_try_init(|| async move {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(COMMAND_TIMEOUT)
                    .set_response_timeout(COMMAND_TIMEOUT)
                    .set_number_of_retries(2);
                tokio::time::timeout(
                    COMMAND_TIMEOUT,
                    ConnectionManager::new_with_config(client, config),
                )
                .await
                .map_err(|_| redis_error("connect", "timed out"))?
                .map_err(|e| redis_error("connect", e))
            })
            .await
            .cloned()
    }

    /// Publishes `bytes` on `channel`.
    pub async fn publish(&self, channel: &str, bytes: Vec<u8>) -> Result<(), AdapterError> {
        in_turn(&self.turn, async {
            let mut conn = self.publisher().await?;
            Ok(async move {
                redis::cmd("PUBLISH")
                    .arg(channel)
                    .arg(bytes)
                    .query_async::<i64>(&mut conn)
                    .await
                    .map(drop)
                    .map_err(|e| {
                        self.health.error(&e);
                        redis_error("publish", e)
                    })
            })
        })
        .await
    }

    /// How many connections subscribe to `channel` (`PUBSUB NUMSUB`): the
    /// nodes of a namespace, counted on its request channel.
    pub async fn numsub(&self, channel: &str) -> Result<usize, AdapterError> {
        let mut conn = self.publisher().await?;
        let (_, n): (String, usize) = redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg(channel)
            .query_async(&mut conn)
            .await
            .map_err(|e| redis_error("numsub", e))?;
        Ok(n)
    }

    /// Adds a namespace: its channels are subscribed now if the reader is
    /// connected, and at every (re)connection.
    pub(super) fn register(self: &Arc<Self>, link: Arc<Link>) {
        lock(&self.links).push(link.clone());
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            tracing::warn!("redis adapter: no runtime, cannot subscribe");
            return;
        };
        let mut reader = lock(&self.reader);
        if reader.is_none() {
            *reader = Some(rt.spawn(read_loop(Arc::downgrade(self))));
            return;
        }
        drop(reader);
        if let Some(sink) = lock(&self.sink).clone() {
            rt.spawn(async move {
                if let Err(e) = subscribe(sink, &link).await {
                    tracing::warn!(error = %e, "redis adapter: cannot subscribe");
                }
            });
        }
    }

    /// Removes namespace `link` (its adapter is gone).
    pub(super) fn unregister(&self, link: &Arc<Link>) {
        lock(&self.links).retain(|l| !Arc::ptr_eq(l, link));
    }

    fn links(&self) -> Vec<Arc<Link>> {
        lock(&self.links).clone()
    }

    /// Hands a message from `channel` to the namespace it belongs to.
    fn dispatch(self: &Arc<Self>, channel: &str, payload: &[u8]) {
        if payload.len() > self.config.max_message_bytes {
            let why = format!(
                "{} bytes, above the limit of {}",
                payload.len(),
                self.config.max_message_bytes
            );
            self.refuse(channel, &why);
            return;
        }
        for link in self.links() {
            if let Some(kind) = link.channels().classify(channel) {
                link.receive(self, channel, kind, payload);
                return;
            }
        }
    }
}

impl Drop for RedisNode {
    fn drop(&mut self) {
        if let Some(task) = lock(&self.reader).take() {
            task.abort();
        }
    }
}

/// Subscribes `link`'s channels through `sink`.
async fn subscribe(mut sink: PubSubSink, link: &Link) -> Result<(), AdapterError> {
    let c = link.channels();
    let specific = c.response_for(link.uid());
    let channels = [c.request(), c.response(), specific.as_str()];
    let work = async {
        sink.psubscribe(c.broadcast_pattern()).await?;
        sink.subscribe(&channels[..]).await
    };
    tokio::time::timeout(COMMAND_TIMEOUT, work)
        .await
        .map_err(|_| redis_error("subscribe", "timed out"))?
        .map_err(|e| redis_error("subscribe", e))
}

/// Reads the subscriptions until the node is dropped, connecting again with
/// backoff whenever the connection is lost.
async fn read_loop(node: Weak<RedisNode>) {
    let mut backoff = FIRST_BACKOFF;
    loop {
        let connected = match node.upgrade() {
            Some(node) => connect(&node).await,
            None => return,
        };
        let health = match node.upgrade() {
            Some(node) => node.health(),
            None => return,
        };
        match connected {
            Ok(mut stream) => {
                backoff = FIRST_BACKOFF;
                health.connected();
                while let Some(msg) = stream.next().await {
                    let Some(node) = node.upgrade() else { return };
                    node.dispatch(msg.get_channel_name(), msg.get_payload_bytes());
                }
                tracing::warn!("redis adapter: subscriber connection lost; reconnecting");
                health.lost(&"the subscriber connection was lost");
            }
            Err(e) => {
                tracing::warn!(error = %e, "redis adapter: cannot subscribe; retrying");
                health.lost(&e);
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Opens the subscribing connection and subscribes every namespace's channels.
async fn connect(node: &Arc<RedisNode>) -> Result<redis::aio::PubSubStream, AdapterError> {
    let client = node.client()?.clone();
    let pubsub = tokio::time::timeout(COMMAND_TIMEOUT, client.get_async_pubsub())
        .await
        .map_err(|_| redis_error("connect", "timed out"))?
        .map_err(|e| redis_error("connect", e))?;
    let (sink, stream) = pubsub.split();
    // The sink first: a namespace registered from now on subscribes itself
    // (subscribing twice is harmless).
    *lock(&node.sink) = Some(sink.clone());
    for link in node.links() {
        subscribe(sink.clone(), &link).await?;
    }
    check(sink).await?;
    Ok(stream)
}

/// Whether the subscribing connection works: Redis refuses a SUBSCRIBE with
/// an error reply (say `NOAUTH`, once it requires a password the URL lacks)
/// that the client takes for a success; a PING on the connection gets the
/// same refusal, reported rather than a subscriber that hears nothing.
async fn check(mut sink: PubSubSink) -> Result<(), AdapterError> {
    let ping = sink.ping::<redis::Value>();
    tokio::time::timeout(COMMAND_TIMEOUT, ping)
        .await
        .map_err(|_| redis_error("PING", "timed out"))?
        .and_then(redis::Value::extract_error)
        .map_err(|e| redis_error("subscribe", e))?;
    Ok(())
}
