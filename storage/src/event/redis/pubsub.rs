//! [`RedisPubSubEventStore`]: events over Redis pub/sub, one channel per
//! event type (`{prefix}:{type}`). Lowest latency, no memory in Redis: an
//! event reaches the nodes subscribed when it is published; a node cut off
//! from Redis at that moment never hears it.

use std::sync::Arc;

use async_trait::async_trait;
use futures_util::StreamExt;
use redis::aio::ConnectionManager;
use tokio::sync::oneshot;

use super::reader::Reader;
use super::{
    client, decode, encode, masked_url, new_health, next_backoff, publisher, unavailable,
    RedisEventConfig, Subscribers, COMMAND_TIMEOUT, FIRST_BACKOFF,
};
use crate::error::{Result, StorageError};
use crate::event::{
    EventListener, EventMessage, EventStore, EventStoreMode, EventStoreType, EventType,
    PublishMode, SubscriptionId,
};
use crate::health::ComponentHealth;

/// A node on Redis pub/sub. Subscribes to every type's channel once, and
/// hands each event to the listeners of its type, except its own events.
pub struct RedisPubSubEventStore {
    node_id: String,
    prefix: String,
    publisher: ConnectionManager,
    reader: Reader,
    health: ComponentHealth,
}

impl RedisPubSubEventStore {
    /// Connects node `node_id` to Redis; returns once it is subscribed, so
    /// that what is published afterwards reaches it. Fails when Redis cannot
    /// be reached now; later losses are survived (logged, reconnected).
    pub async fn connect(
        node_id: impl Into<String>,
        config: &RedisEventConfig,
    ) -> Result<Arc<Self>> {
        let client = client(config)?;
        let publisher = publisher(&client).await?;
        let node_id = node_id.into();
        let channels = channels(&config.prefix);
        let health = new_health();
        let reading = Reading {
            client,
            channels,
            node_id: node_id.clone(),
            health: health.clone(),
        };
        let reader = Reader::start(
            |subscribers, ready| read_loop(reading, subscribers, ready),
            || {
                format!(
                    "redis pub/sub: cannot subscribe at {}",
                    masked_url(&config.url)
                )
            },
        )
        .await?;
        Ok(Arc::new(Self {
            node_id,
            prefix: config.prefix.clone(),
            publisher,
            reader,
            health,
        }))
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

/// What the reading task needs.
struct Reading {
    client: redis::Client,
    channels: Vec<String>,
    node_id: String,
    health: ComponentHealth,
}

/// Subscribes and delivers until aborted, reconnecting with backoff; tells
/// `ready` after the first subscription. Up in `health` while subscribed.
async fn read_loop(reading: Reading, subscribers: Arc<Subscribers>, ready: oneshot::Sender<()>) {
    let Reading {
        client,
        channels,
        node_id,
        health,
    } = reading;
    let mut ready = Some(ready);
    let mut backoff = FIRST_BACKOFF;
    loop {
        match subscribe(&client, &channels).await {
            Ok(mut pubsub) => {
                backoff = FIRST_BACKOFF;
                health.connected();
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
                health.lost(&"redis pub/sub: connection lost");
            }
            Err(e) => {
                tracing::warn!(error = %e, "redis pub/sub: cannot subscribe; retrying");
                health.lost(&e);
            }
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
    // Redis refuses a SUBSCRIBE with an error reply (say `NOAUTH`, once it
    // requires a password the URL lacks) that the client takes for a
    // success; a PING on the connection gets the same refusal, and it is
    // reported rather than a reader that hears nothing.
    let ping = pubsub.ping::<redis::Value>();
    tokio::time::timeout(COMMAND_TIMEOUT, ping)
        .await
        .map_err(|_| StorageError::Unavailable("redis pub/sub: PING timed out".into()))?
        .and_then(redis::Value::extract_error)
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
        self.reader.check_open()?;
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
                let e = unavailable("publish", &e);
                self.health.error(&e);
                e
            })
    }

    async fn subscribe(
        &self,
        event_type: EventType,
        listener: EventListener,
    ) -> Result<SubscriptionId> {
        self.reader.subscribe(event_type, listener)
    }

    async fn unsubscribe(&self, id: SubscriptionId) -> Result<bool> {
        Ok(self.reader.unsubscribe(id))
    }

    fn health(&self) -> Option<ComponentHealth> {
        Some(self.health.clone())
    }

    async fn shutdown(&self) -> Result<()> {
        self.reader.shutdown().await;
        Ok(())
    }
}
