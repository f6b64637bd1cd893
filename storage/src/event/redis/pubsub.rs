//! [`RedisPubSubEventStore`]: events over Redis pub/sub, one channel per
//! event type (`{prefix}:{type}`). Lowest latency, no memory in Redis: an
//! event reaches the nodes subscribed when it is published; a node cut off
//! from Redis at that moment never hears it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use futures_util::StreamExt;
use redis::aio::ConnectionManager;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::{
    client, decode, encode, next_backoff, publisher, unavailable, RedisEventConfig, Subscribers,
    COMMAND_TIMEOUT, FIRST_BACKOFF,
};
use crate::error::{Result, StorageError};
use crate::event::{
    EventListener, EventMessage, EventStore, EventStoreMode, EventStoreType, EventType,
    PublishMode, SubscriptionId,
};

/// A node on Redis pub/sub. Subscribes to every type's channel once, and
/// hands each event to the listeners of its type, except its own events.
pub struct RedisPubSubEventStore {
    node_id: String,
    prefix: String,
    publisher: ConnectionManager,
    subscribers: Arc<Subscribers>,
    reader: Mutex<Option<JoinHandle<()>>>,
    shut: AtomicBool,
}

impl RedisPubSubEventStore {
    /// Connects node `node_id` to Redis; returns once it is subscribed, so
    /// that what is published afterwards reaches it. Fails when Redis cannot
    /// be reached now; later losses are survived (logged, reconnected).
    pub async fn connect(
        node_id: impl Into<String>,
        config: &RedisEventConfig,
    ) -> Result<Arc<Self>> {
        let client = client(&config.url)?;
        let publisher = publisher(&client).await?;
        let node_id = node_id.into();
        let subscribers = Arc::new(Subscribers::default());
        let (ready_tx, ready_rx) = oneshot::channel();
        let reader = tokio::spawn(read_loop(
            client,
            channels(&config.prefix),
            node_id.clone(),
            subscribers.clone(),
            ready_tx,
        ));
        match tokio::time::timeout(COMMAND_TIMEOUT, ready_rx).await {
            Ok(Ok(())) => {}
            _ => {
                reader.abort();
                return Err(StorageError::Unavailable(format!(
                    "redis pub/sub: cannot subscribe at {}",
                    config.url
                )));
            }
        }
        Ok(Arc::new(Self {
            node_id,
            prefix: config.prefix.clone(),
            publisher,
            subscribers,
            reader: Mutex::new(Some(reader)),
            shut: AtomicBool::new(false),
        }))
    }

    fn is_shut_down(&self) -> bool {
        self.shut.load(Ordering::Acquire)
    }
}

/// The channel of `event_type` under `prefix`.
fn channel(prefix: &str, event_type: EventType) -> String {
    format!("{prefix}:{}", event_type.as_str())
}

/// Every type's channel.
fn channels(prefix: &str) -> Vec<String> {
    EventType::ALL.iter().map(|t| channel(prefix, *t)).collect()
}

/// Subscribes and delivers until aborted, reconnecting with backoff; tells
/// `ready` after the first subscription.
async fn read_loop(
    client: redis::Client,
    channels: Vec<String>,
    node_id: String,
    subscribers: Arc<Subscribers>,
    ready: oneshot::Sender<()>,
) {
    let mut ready = Some(ready);
    let mut backoff = FIRST_BACKOFF;
    loop {
        match subscribe(&client, &channels).await {
            Ok(mut pubsub) => {
                backoff = FIRST_BACKOFF;
                if let Some(tx) = ready.take() {
                    let _ = tx.send(());
                }
                let mut messages = pubsub.on_message();
                while let Some(msg) = messages.next().await {
                    if let Some(message) = decode(msg.get_payload_bytes(), msg.get_channel_name()) {
                        subscribers.deliver(&node_id, &message);
                    }
                }
                tracing::warn!("redis pub/sub connection lost; reconnecting");
            }
            Err(e) => tracing::warn!(error = %e, "redis pub/sub: cannot subscribe; retrying"),
        }
        tokio::time::sleep(backoff).await;
        backoff = next_backoff(backoff);
    }
}

async fn subscribe(client: &redis::Client, channels: &[String]) -> Result<redis::aio::PubSub> {
    let connect = client.get_async_pubsub();
    let mut pubsub = tokio::time::timeout(COMMAND_TIMEOUT, connect)
        .await
        .map_err(|_| StorageError::Unavailable("redis pub/sub: connect timed out".into()))?
        .map_err(|e| unavailable("connect", &e))?;
    pubsub
        .subscribe(channels)
        .await
        .map_err(|e| unavailable("subscribe", &e))?;
    Ok(pubsub)
}

#[async_trait]
impl EventStore for RedisPubSubEventStore {
    fn node_id(&self) -> &str {
        &self.node_id
    }

    fn mode(&self) -> EventStoreMode {
        EventStoreMode::MultiChannel
    }

    fn store_type(&self) -> EventStoreType {
        EventStoreType::PubSub
    }

    fn publish_mode(&self) -> PublishMode {
        PublishMode::Unreliable
    }

    async fn publish(&self, event_type: EventType, payload: Vec<u8>) -> Result<()> {
        if self.is_shut_down() {
            return Err(StorageError::ShutDown);
        }
        let bytes = encode(&EventMessage {
            node_id: self.node_id.clone(),
            event_type,
            payload,
        })?;
        let mut conn = self.publisher.clone();
        redis::cmd("PUBLISH")
            .arg(channel(&self.prefix, event_type))
            .arg(bytes)
            .query_async::<i64>(&mut conn)
            .await
            .map(drop)
            .map_err(|e| {
                tracing::warn!(error = %e, "redis pub/sub publish failed");
                unavailable("publish", &e)
            })
    }

    async fn subscribe(
        &self,
        event_type: EventType,
        listener: EventListener,
    ) -> Result<SubscriptionId> {
        if self.is_shut_down() {
            return Err(StorageError::ShutDown);
        }
        Ok(self.subscribers.add(event_type, listener))
    }

    async fn unsubscribe(&self, id: SubscriptionId) -> Result<bool> {
        Ok(self.subscribers.remove(id))
    }

    async fn shutdown(&self) -> Result<()> {
        self.shut.store(true, Ordering::Release);
        let reader = self
            .reader
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(reader) = reader {
            reader.abort();
            let _ = reader.await;
        }
        Ok(())
    }
}
