//! [`MapCache`]: the [`Cache`] over any backend's [`RawMap`]. Every value is
//! a codec record `{ expires_at_ms, value }` (unix milliseconds); an expired
//! one is never returned, is removed when read, and is reclaimed by a
//! background task. Counters are the codec encoding of an `i64` in `value`,
//! so `<dyn Cache>::get::<i64>` reads them. Publish/subscribe is in-process
//! ([`super::pubsub`]).

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::expiry::{
    deadline, now_ms, reclaim_expired, remove_if_expired, spawn_reclaimer, Reclaim,
};
use super::pubsub::Subscriptions;
use super::{Cache, MessageListener};
use crate::codec::{decode, encode};
use crate::error::{Result, StorageError};
use crate::event::SubscriptionId;
use crate::kv::RawMap;

/// The longest key (and channel) accepted, in bytes.
pub const MAX_KEY_LEN: usize = 64 * 1024;

/// What the cache stores at a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Record {
    /// When the key expires (unix milliseconds); `None` never.
    expires_at_ms: Option<u64>,
    /// The caller's record.
    value: Vec<u8>,
}

impl Record {
    fn is_live(&self, now: u64) -> bool {
        self.expires_at_ms.is_none_or(|at| at > now)
    }

    /// Whether the stored `record` expired by `now` (an unreadable one is
    /// kept).
    fn expired(record: &[u8], now: u64) -> bool {
        decode::<Record>(record).is_ok_and(|r| !r.is_live(now))
    }
}

/// Refuses keys longer than [`MAX_KEY_LEN`].
pub(crate) fn check_key(what: &'static str, key: &str) -> Result<()> {
    if key.len() > MAX_KEY_LEN {
        return Err(StorageError::TooLarge {
            what,
            len: key.len(),
            max: MAX_KEY_LEN,
        });
    }
    Ok(())
}

/// The counter in `value`, if it is exactly the encoding of an `i64`
/// (postcard ignores trailing bytes, so decoding alone would take the
/// length prefix of a string for a number).
fn as_counter(value: &[u8]) -> Option<i64> {
    decode::<i64>(value)
        .ok()
        .filter(|n| encode(n).is_ok_and(|e| e == value))
}

/// The outcome of an update closure, which may run more than once: each
/// run overwrites it.
const OK: u8 = 0;
const NOT_A_COUNTER: u8 = 1;
const UNREADABLE: u8 = 2;
const ABSENT: u8 = 3;
const UNENCODABLE: u8 = 4;

/// A cache kept in one raw map, with in-process publish/subscribe.
pub struct MapCache {
    /// Where the records live: the whole map belongs to the cache.
    raw: Arc<dyn RawMap>,
    /// Pattern subscriptions.
    subscriptions: Subscriptions,
}

impl MapCache {
    /// The cache kept in `raw`. When called inside a tokio runtime, starts
    /// the task that reclaims expired keys about every second; it holds the
    /// cache weakly and ends once the cache is dropped.
    pub fn new(raw: Arc<dyn RawMap>) -> Arc<Self> {
        let cache = Arc::new(Self {
            raw,
            subscriptions: Subscriptions::default(),
        });
        spawn_reclaimer(Arc::downgrade(&cache));
        cache
    }

    /// Removes every expired key now, in batches; returns how many. The
    /// background task calls this; call it where no runtime runs the task.
    pub async fn reclaim_expired(&self) -> Result<usize> {
        reclaim_expired(&*self.raw, Record::expired).await
    }

    /// The live record at `key`, removing it when expired.
    async fn live(&self, key: &str) -> Result<Option<Record>> {
        check_key("cache key", key)?;
        let Some(bytes) = self.raw.get(key.as_bytes()).await? else {
            return Ok(None);
        };
        let record: Record = decode(&bytes)?;
        if record.is_live(now_ms()) {
            return Ok(Some(record));
        }
        remove_if_expired(&*self.raw, key.as_bytes(), Record::expired).await?;
        Ok(None)
    }
}

impl Reclaim for MapCache {
    fn map_name(&self) -> &str {
        self.raw.name()
    }

    async fn reclaim(&self) -> Result<usize> {
        self.reclaim_expired().await
    }
}

#[async_trait]
impl Cache for MapCache {
    async fn get_raw(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.live(key).await?.map(|r| r.value))
    }

    async fn set_raw(&self, key: &str, record: Vec<u8>, ttl: Option<Duration>) -> Result<()> {
        check_key("cache key", key)?;
        let record = Record {
            expires_at_ms: ttl.map(|ttl| deadline(now_ms(), ttl)),
            value: record,
        };
        self.raw.insert(key.as_bytes(), encode(&record)?).await?;
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        check_key("cache key", key)?;
        Ok(match self.raw.remove(key.as_bytes()).await? {
            Some(bytes) => decode::<Record>(&bytes).is_ok_and(|r| r.is_live(now_ms())),
            None => false,
        })
    }

    async fn has(&self, key: &str) -> Result<bool> {
        Ok(self.live(key).await?.is_some())
    }

    async fn increment(&self, key: &str, by: i64) -> Result<i64> {
        check_key("cache key", key)?;
        let now = now_ms();
        let outcome = AtomicU8::new(OK);
        let new = self
            .raw
            .update(key.as_bytes(), &|current| {
                let (expires_at_ms, count) = match current.map(decode::<Record>) {
                    None => (None, by),
                    Some(Ok(r)) if !r.is_live(now) => (None, by),
                    Some(Ok(r)) => match as_counter(&r.value) {
                        Some(n) => (r.expires_at_ms, n.wrapping_add(by)),
                        None => {
                            outcome.store(NOT_A_COUNTER, Ordering::Relaxed);
                            return current.map(<[u8]>::to_vec);
                        }
                    },
                    Some(Err(_)) => {
                        outcome.store(UNREADABLE, Ordering::Relaxed);
                        return current.map(<[u8]>::to_vec);
                    }
                };
                let record = encode(&count).and_then(|value| {
                    encode(&Record {
                        expires_at_ms,
                        value,
                    })
                });
                outcome.store(
                    if record.is_ok() { OK } else { UNENCODABLE },
                    Ordering::Relaxed,
                );
                record.ok().or_else(|| current.map(<[u8]>::to_vec))
            })
            .await?;
        match (outcome.load(Ordering::Relaxed), new) {
            (OK, Some(bytes)) => decode(&decode::<Record>(&bytes)?.value),
            (NOT_A_COUNTER, _) => Err(StorageError::NotACounter(key.to_owned())),
            (UNREADABLE, _) => Err(StorageError::Decode(format!("cache record at {key:?}"))),
            _ => Err(StorageError::Encode(format!("counter at {key:?}"))),
        }
    }

    async fn expire(&self, key: &str, ttl: Duration) -> Result<bool> {
        check_key("cache key", key)?;
        let now = now_ms();
        let outcome = AtomicU8::new(ABSENT);
        self.raw
            .update(key.as_bytes(), &|current| {
                let record = match current.map(decode::<Record>) {
                    Some(Ok(r)) if r.is_live(now) => r,
                    Some(Err(_)) => {
                        outcome.store(UNREADABLE, Ordering::Relaxed);
                        return current.map(<[u8]>::to_vec);
                    }
                    // Absent stays absent; an expired key goes now.
                    None | Some(Ok(_)) => {
                        outcome.store(ABSENT, Ordering::Relaxed);
                        return None;
                    }
                };
                let record = encode(&Record {
                    expires_at_ms: Some(deadline(now, ttl)),
                    value: record.value,
                });
                outcome.store(
                    if record.is_ok() { OK } else { UNENCODABLE },
                    Ordering::Relaxed,
                );
                record.ok().or_else(|| current.map(<[u8]>::to_vec))
            })
            .await?;
        match outcome.load(Ordering::Relaxed) {
            OK => Ok(true),
            ABSENT => Ok(false),
            UNREADABLE => Err(StorageError::Decode(format!("cache record at {key:?}"))),
            _ => Err(StorageError::Encode(format!("cache record at {key:?}"))),
        }
    }
    async fn publish(&self, channel: &str, message: Vec<u8>) -> Result<usize> {
        check_key("channel", channel)?;
        Ok(self.subscriptions.publish(channel, &message))
    }

    async fn subscribe(&self, pattern: &str, listener: MessageListener) -> Result<SubscriptionId> {
        self.subscriptions.subscribe(pattern, listener)
    }

    async fn unsubscribe(&self, id: SubscriptionId) -> Result<bool> {
        Ok(self.subscriptions.unsubscribe(id))
    }
}

impl std::fmt::Debug for MapCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MapCache")
            .field("map", &self.raw.name())
            .field("subscriptions", &self.subscriptions.len())
            .finish()
    }
}

#[cfg(test)]
mod tests;
