//! [`IdempotencyStore`]: claim a key once, atomically and durably, so a
//! request retried (after a reconnect, on another node) is processed once.
//! The first claimer's value (say, the answer it will give) is kept for a
//! time to live and handed to every later claimer; once the key expires it
//! can be claimed again. Expired keys are reclaimed in the background.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::cache::expiry::{
    deadline, now_ms, reclaim_expired, remove_if_expired, spawn_reclaimer, Reclaim,
};
use crate::codec::{decode, encode};
use crate::error::{Result, StorageError};
use crate::map::Map;

/// The longest key accepted, in bytes (keys come from clients).
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 1024;

/// A claim as stored. The deadline comes first so that [`Head`] reads it
/// from a record of any value type (postcard is sequential and ignores what
/// follows).
#[derive(Serialize, Deserialize)]
struct Record<V> {
    /// When the claim expires (unix milliseconds).
    expires_at_ms: u64,
    /// The first claimer's value.
    value: V,
}

/// The start of any [`Record`]: its deadline.
#[derive(Deserialize)]
struct Head {
    expires_at_ms: u64,
}

impl Head {
    /// Whether the stored `record` expired by `now` (an unreadable one is
    /// kept).
    fn expired(record: &[u8], now: u64) -> bool {
        decode::<Head>(record).is_ok_and(|h| h.expires_at_ms <= now)
    }
}

/// The outcome of a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim<V> {
    /// This call claimed the key; the claim is durable.
    First,
    /// Claimed before, with this value.
    Taken(V),
}

/// Idempotency keys kept in one map, each for a time to live. Cheap to
/// clone; clones are the same store.
#[derive(Clone)]
pub struct IdempotencyStore {
    inner: Arc<Inner>,
}

/// What clones share and the background task holds weakly.
struct Inner {
    /// Where the claims live: the whole map belongs to the store.
    map: Map,
    /// How long a claim holds.
    ttl: Duration,
}

impl Reclaim for Inner {
    fn map_name(&self) -> &str {
        self.map.name()
    }

    async fn reclaim(&self) -> Result<usize> {
        reclaim_expired(&**self.map.raw(), Head::expired).await
    }
}

impl IdempotencyStore {
    /// Keys kept in `map`, each for `ttl`. Inside a tokio runtime, starts a
    /// task that reclaims expired keys about every second, until the last
    /// clone of the store is dropped.
    pub fn new(map: Map, ttl: Duration) -> Self {
        let inner = Arc::new(Inner { map, ttl });
        spawn_reclaimer(Arc::downgrade(&inner));
        Self { inner }
    }

    /// How long a claim holds.
    pub fn ttl(&self) -> Duration {
        self.inner.ttl
    }

    /// Claims `key` with `value`: [`Claim::First`] for the first claimer
    /// (once the claim is durable), [`Claim::Taken`] with the first
    /// claimer's value for every later one until the claim expires. Every
    /// outcome is durable when returned, so no answer rests on a claim a
    /// crash could lose.
    pub async fn claim<V: Serialize + DeserializeOwned>(
        &self,
        key: &str,
        value: &V,
    ) -> Result<Claim<V>> {
        check_key(key)?;
        let raw = self.inner.map.raw();
        let record = encode(&Record {
            expires_at_ms: deadline(now_ms(), self.inner.ttl),
            value,
        })?;
        let outcome = match raw.insert_if_absent(key.as_bytes(), record.clone()).await? {
            None => Claim::First,
            Some(existing) if !Head::expired(&existing, now_ms()) => {
                Claim::Taken(decode::<Record<V>>(&existing)?.value)
            }
            // Expired: take it over, unless someone else just did.
            Some(_) => {
                let now = now_ms();
                let replaced = AtomicBool::new(false);
                let current = raw
                    .update(key.as_bytes(), &|current| {
                        let free = current.is_none_or(|r| Head::expired(r, now));
                        replaced.store(free, Ordering::Relaxed);
                        if free {
                            Some(record.clone())
                        } else {
                            current.map(<[u8]>::to_vec)
                        }
                    })
                    .await?;
                match current {
                    _ if replaced.load(Ordering::Relaxed) => Claim::First,
                    Some(current) => Claim::Taken(decode::<Record<V>>(&current)?.value),
                    None => return Err(StorageError::Backend("claim vanished".into())),
                }
            }
        };
        raw.flush().await?;
        Ok(outcome)
    }

    /// The value of the live claim on `key`, if any.
    pub async fn get<V: DeserializeOwned>(&self, key: &str) -> Result<Option<V>> {
        check_key(key)?;
        let raw = self.inner.map.raw();
        let Some(record) = raw.get(key.as_bytes()).await? else {
            return Ok(None);
        };
        if Head::expired(&record, now_ms()) {
            remove_if_expired(&**raw, key.as_bytes(), Head::expired).await?;
            return Ok(None);
        }
        Ok(Some(decode::<Record<V>>(&record)?.value))
    }

    /// Gives up the claim on `key` (say, its processing failed and a retry
    /// should run); true when there was a live one. Durable when it returns.
    pub async fn release(&self, key: &str) -> Result<bool> {
        check_key(key)?;
        let raw = self.inner.map.raw();
        let Some(record) = raw.remove(key.as_bytes()).await? else {
            return Ok(false);
        };
        raw.flush().await?;
        Ok(!Head::expired(&record, now_ms()))
    }

    /// Removes every expired claim now; returns how many. The background
    /// task calls this; call it where no runtime runs the task.
    pub async fn reclaim_expired(&self) -> Result<usize> {
        self.inner.reclaim().await
    }
}

/// Refuses keys longer than [`MAX_IDEMPOTENCY_KEY_LEN`].
fn check_key(key: &str) -> Result<()> {
    if key.len() > MAX_IDEMPOTENCY_KEY_LEN {
        return Err(StorageError::TooLarge {
            what: "idempotency key",
            len: key.len(),
            max: MAX_IDEMPOTENCY_KEY_LEN,
        });
    }
    Ok(())
}

impl std::fmt::Debug for IdempotencyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdempotencyStore")
            .field("map", &self.inner.map.name())
            .field("ttl", &self.inner.ttl)
            .finish()
    }
}

#[cfg(test)]
mod tests;
