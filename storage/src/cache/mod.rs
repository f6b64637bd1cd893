//! [`Cache`]: keys with an optional time to live, atomic counters, and
//! publish/subscribe on channels matched by glob patterns (`photo.*`), as
//! the store/cache seed describes. Expired keys are never returned and are
//! reclaimed in the background.
//!
//! [`MapCache`] implements it over any backend's [`crate::RawMap`]; a Redis
//! backend implements the trait natively.

pub(crate) mod expiry;
mod glob;
mod map_cache;
mod pubsub;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::codec::{decode, encode};
use crate::error::Result;
use crate::event::SubscriptionId;

pub use glob::glob_match;
pub use map_cache::{MapCache, MAX_KEY_LEN};
pub use pubsub::MAX_PATTERN_LEN;

/// Called with the channel and the message of every publish matching a
/// subscription's pattern.
pub type MessageListener = Arc<dyn Fn(&str, &[u8]) + Send + Sync>;

/// A cache with TTLs, counters and pattern publish/subscribe.
#[async_trait]
pub trait Cache: Send + Sync + 'static {
    /// The record at `key`, unless absent or expired.
    async fn get_raw(&self, key: &str) -> Result<Option<Vec<u8>>>;

    /// Sets `key` to a record, expiring after `ttl` when given (a set
    /// without a TTL clears any earlier one).
    async fn set_raw(&self, key: &str, record: Vec<u8>, ttl: Option<Duration>) -> Result<()>;

    /// Removes `key`; true when it held a live value.
    async fn delete(&self, key: &str) -> Result<bool>;

    /// True when `key` holds a live value.
    async fn has(&self, key: &str) -> Result<bool>;

    /// Adds `by` to the counter at `key` atomically (absent or expired counts
    /// as 0; an existing TTL is kept) and returns the new count.
    async fn increment(&self, key: &str, by: i64) -> Result<i64>;

    /// Sets the time to live of a live `key`; false when there is none.
    async fn expire(&self, key: &str, ttl: Duration) -> Result<bool>;

    /// Sends `message` to every subscription whose pattern matches `channel`;
    /// returns how many received it.
    async fn publish(&self, channel: &str, message: Vec<u8>) -> Result<usize>;

    /// Calls `listener` for every message published on a channel matching
    /// `pattern` (`*` any run of characters, `?` one, `[abc]` a class).
    async fn subscribe(&self, pattern: &str, listener: MessageListener) -> Result<SubscriptionId>;

    /// Removes a subscription; true when it existed.
    async fn unsubscribe(&self, id: SubscriptionId) -> Result<bool>;
}

impl dyn Cache {
    /// The value at `key` as a `T`, unless absent or expired.
    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        match self.get_raw(key).await? {
            Some(record) => decode(&record).map(Some),
            None => Ok(None),
        }
    }

    /// Sets `key` to `value`, expiring after `ttl` when given.
    pub async fn set<T: Serialize + ?Sized>(
        &self,
        key: &str,
        value: &T,
        ttl: Option<Duration>,
    ) -> Result<()> {
        self.set_raw(key, encode(value)?, ttl).await
    }
}
