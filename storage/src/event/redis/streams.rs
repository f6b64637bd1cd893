//! [`RedisStreamEventStore`]: events in one Redis Stream (`{prefix}:events`),
//! reliable within a retention. A publish is an `XADD` capped with
//! `MAXLEN ~ retention`; each node's reader task `XREAD BLOCK`s from the
//! last id it delivered. When Redis is lost the reader logs, reconnects with
//! backoff, and resumes from that id, so it hears everything published
//! meanwhile that the cap has not trimmed, in publish order. If the stream
//! was lost with Redis (restarted without persistence), the reader starts
//! over from the new stream's beginning. What a node publishes while Redis
//! is away waits in its [`StreamWriter`]'s outbox and is added, in order,
//! once Redis is back.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::MultiplexedConnection;
use redis::streams::StreamReadReply;
use tokio::sync::oneshot;

use super::reader::Reader;
use super::{
    client, decode, encode, masked_url, new_health, next_backoff, publisher, unavailable,
    RedisEventConfig, StreamWriter, Subscribers, COMMAND_TIMEOUT, FIRST_BACKOFF,
};
use crate::error::{Result, StorageError};
use crate::event::{
    EventListener, EventMessage, EventStore, EventStoreMode, EventStoreType, EventType,
    PublishMode, SubscriptionId,
};
use crate::health::ComponentHealth;

/// How long one `XREAD` blocks waiting for new entries.
const BLOCK: Duration = Duration::from_secs(2);
/// The most entries one `XREAD` returns.
const BATCH: usize = 256;
/// The field of a stream entry that holds the encoded event.
const FIELD: &str = "m";

/// A node on a Redis Stream.
pub struct RedisStreamEventStore {
    node_id: String,
    key: String,
    retention: u64,
    writer: StreamWriter,
    reader: Reader,
    health: ComponentHealth,
}

impl RedisStreamEventStore {
    /// Connects node `node_id`, keeping about `retention` entries in the
    /// stream (at least 1). Returns once the reader has its starting point:
    /// the node hears what is published from then on. Fails when Redis
    /// cannot be reached now; later losses are survived.
    pub async fn connect(
        node_id: impl Into<String>,
        config: &RedisEventConfig,
        retention: u64,
    ) -> Result<Arc<Self>> {
        let client = client(config)?;
        let publisher = publisher(&client).await?;
        let health = new_health();
        let writer = StreamWriter::start(
            client.clone(),
            Some(publisher),
            health.clone(),
            config.outbox_max_entries,
            config.outbox_max_bytes,
        );
        let node_id = node_id.into();
        let key = format!("{}:events", config.prefix);
        let reading = Reading {
            client,
            key: key.clone(),
            node_id: node_id.clone(),
            health: health.clone(),
        };
        let reader = Reader::start(
            |subscribers, ready| read_loop(reading, subscribers, ready),
            || {
                format!(
                    "redis streams: cannot read {key} at {}",
                    masked_url(&config.url)
                )
            },
        )
        .await?;
        Ok(Arc::new(Self {
            node_id,
            key,
            retention: retention.max(1),
            writer,
            reader,
            health,
        }))
    }
}

/// A stream id, `ms-seq`, as a comparable pair; `None` when malformed.
fn parse_id(id: &str) -> Option<(u64, u64)> {
    let (ms, seq) = id.split_once('-')?;
    Some((ms.parse().ok()?, seq.parse().ok()?))
}

/// A connection for blocking reads (its own: a blocked `XREAD` would hold
/// up the publisher's commands).
async fn connect_reader(client: &redis::Client) -> Result<MultiplexedConnection> {
    let config = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(COMMAND_TIMEOUT)
        .set_response_timeout(BLOCK + COMMAND_TIMEOUT);
    client
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .map_err(|e| unavailable("connect", &e))
}

/// The id of the stream's newest entry, if any.
async fn newest_id(conn: &mut MultiplexedConnection, key: &str) -> Result<Option<String>> {
    let reply: redis::streams::StreamRangeReply = redis::cmd("XREVRANGE")
        .arg(key)
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(1)
        .query_async(conn)
        .await
        .map_err(|e| unavailable("XREVRANGE", &e))?;
    Ok(reply.ids.into_iter().next().map(|entry| entry.id))
}

/// Where to resume after (re)connecting: `last`, unless the stream now ends
/// before it (it was lost and recreated), then its beginning; on the first
/// connection, the stream's current end.
async fn resume_from(
    conn: &mut MultiplexedConnection,
    key: &str,
    last: Option<String>,
) -> Result<String> {
    let newest = newest_id(conn, key).await?;
    Ok(match (last, newest) {
        (None, newest) => newest.unwrap_or_else(|| "0-0".into()),
        (Some(last), Some(newest)) if parse_id(&newest) < parse_id(&last) => {
            tracing::warn!(%key, "redis stream was reset; reading it from the start");
            "0-0".into()
        }
        (Some(last), Some(_)) => last,
        (Some(_), None) => "0-0".into(),
    })
}

/// What the reading task needs.
struct Reading {
    client: redis::Client,
    key: String,
    node_id: String,
    health: ComponentHealth,
}

/// Reads and delivers until aborted, reconnecting with backoff and resuming
/// from the last id delivered; tells `ready` once it has a starting point.
/// Up in `health` while it reads.
async fn read_loop(reading: Reading, subscribers: Arc<Subscribers>, ready: oneshot::Sender<()>) {
    let Reading {
        client,
        key,
        node_id,
        health,
    } = reading;
    let mut ready = Some(ready);
    let mut last: Option<String> = None;
    let mut backoff = FIRST_BACKOFF;
    loop {
        let result = async {
            let mut conn = connect_reader(&client).await?;
            let mut from = resume_from(&mut conn, &key, last.clone()).await?;
            last = Some(from.clone());
            health.connected();
            if let Some(tx) = ready.take() {
                let _ = tx.send(());
            }
            backoff = FIRST_BACKOFF;
            loop {
                let reply: Option<StreamReadReply> = redis::cmd("XREAD")
                    .arg("COUNT")
                    .arg(BATCH)
                    .arg("BLOCK")
                    .arg(BLOCK.as_millis() as u64)
                    .arg("STREAMS")
                    .arg(&key)
                    .arg(&from)
                    .query_async(&mut conn)
                    .await
                    .map_err(|e| unavailable("XREAD", &e))?;
                for entry in reply.into_iter().flat_map(|r| r.keys).flat_map(|k| k.ids) {
                    let bytes = match entry.map.get(FIELD) {
                        Some(redis::Value::BulkString(bytes)) => Some(bytes.as_slice()),
                        _ => None,
                    };
                    if let Some(message) = bytes.and_then(|b| decode(b, &entry.id)) {
                        subscribers.deliver(&node_id, &message);
                    }
                    from = entry.id;
                    last = Some(from.clone());
                }
            }
            #[allow(unreachable_code)]
            Ok::<(), StorageError>(())
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, %key, "redis stream reader lost Redis; reconnecting");
            health.lost(&e);
        }
        tokio::time::sleep(backoff).await;
        backoff = next_backoff(backoff);
    }
}

#[async_trait]
impl EventStore for RedisStreamEventStore {
    fn node_id(&self) -> &str {
        &self.node_id
    }

    fn mode(&self) -> EventStoreMode {
        EventStoreMode::SingleChannel
    }

    fn store_type(&self) -> EventStoreType {
        EventStoreType::Stream
    }

    fn publish_mode(&self) -> PublishMode {
        PublishMode::Reliable
    }

    async fn publish(&self, event_type: EventType, payload: Vec<u8>) -> Result<()> {
        self.reader.check_open()?;
        let bytes = encode(&EventMessage {
            node_id: self.node_id.clone(),
            event_type,
            payload,
        })?;
        let size = bytes.len();
        let mut cmd = redis::cmd("XADD");
        cmd.arg(&self.key)
            .arg("MAXLEN")
            .arg("~")
            .arg(self.retention)
            .arg("*")
            .arg(FIELD)
            .arg(bytes);
        // Redis errors are counted in the health by the writer.
        self.writer.add(cmd, size).await.map(drop).map_err(|e| {
            tracing::warn!(error = %e, "redis stream publish failed");
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

#[cfg(test)]
mod tests {
    use super::parse_id;

    #[test]
    fn stream_ids_compare_numerically() {
        assert!(parse_id("9-0") < parse_id("10-0"));
        assert!(parse_id("10-2") < parse_id("10-10"));
        assert_eq!(parse_id("junk"), None);
    }
}
