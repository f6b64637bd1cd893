//! [`Map`]: a named map of keys to any serde value, shared across sessions
//! and namespaces (`StoreFactory::create_map`). Values are versioned postcard
//! records ([`crate::codec`]).

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::codec::{decode, encode};
use crate::error::{Result, StorageError};
use crate::kv::RawMap;

/// A named, shared, typed map. Cheap to clone; clones are the same map.
#[derive(Clone)]
pub struct Map {
    raw: Arc<dyn RawMap>,
}

impl Map {
    /// A typed view of `raw`.
    pub fn new(raw: Arc<dyn RawMap>) -> Self {
        Self { raw }
    }

    /// The backend's map, for byte-level access.
    pub fn raw(&self) -> &Arc<dyn RawMap> {
        &self.raw
    }

    /// The map's name.
    pub fn name(&self) -> &str {
        self.raw.name()
    }

    /// The value at `key` as a `V`; `None` when absent.
    pub async fn get<V: DeserializeOwned>(&self, key: impl AsRef<[u8]>) -> Result<Option<V>> {
        match self.raw.get(key.as_ref()).await? {
            Some(record) => decode(&record).map(Some),
            None => Ok(None),
        }
    }

    /// Sets `key` to `value`: visible at once, durable after the next flush.
    pub async fn set<V: Serialize + ?Sized>(&self, key: impl AsRef<[u8]>, value: &V) -> Result<()> {
        self.raw
            .insert(key.as_ref(), encode(value)?)
            .await
            .map(drop)
    }

    /// Sets `key` to `value` and returns once it is durable (group commit).
    pub async fn set_durable<V: Serialize + ?Sized>(
        &self,
        key: impl AsRef<[u8]>,
        value: &V,
    ) -> Result<()> {
        self.set(key, value).await?;
        self.raw.flush().await
    }

    /// True when `key` holds a value; the value is not decoded.
    pub async fn has(&self, key: impl AsRef<[u8]>) -> Result<bool> {
        self.raw.contains(key.as_ref()).await
    }

    /// Removes `key`; true when it held a value.
    pub async fn del(&self, key: impl AsRef<[u8]>) -> Result<bool> {
        Ok(self.raw.remove(key.as_ref()).await?.is_some())
    }

    /// Adds `by` to the counter at `key` (absent counts as 0) atomically and
    /// returns the new count.
    pub async fn increment(&self, key: impl AsRef<[u8]>, by: i64) -> Result<i64> {
        let key = key.as_ref();
        let bad = std::sync::atomic::AtomicBool::new(false);
        let new = self
            .raw
            .update(key, &|old| {
                let current = match old {
                    None => 0,
                    Some(record) => match decode::<i64>(record) {
                        Ok(n) => n,
                        Err(_) => {
                            bad.store(true, std::sync::atomic::Ordering::Relaxed);
                            return old.map(<[u8]>::to_vec);
                        }
                    },
                };
                encode(&current.wrapping_add(by)).ok()
            })
            .await?;
        if bad.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(StorageError::NotACounter(
                String::from_utf8_lossy(key).into(),
            ));
        }
        match new {
            Some(record) => decode(&record),
            None => Err(StorageError::Encode("counter".into())),
        }
    }

    /// Up to `limit` entries with keys `>= start`, in key order, decoded.
    pub async fn range_from<V: DeserializeOwned>(
        &self,
        start: impl AsRef<[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, V)>> {
        let entries = self.raw.range_from(start.as_ref(), limit).await?;
        entries
            .into_iter()
            .map(|(k, v)| decode(&v).map(|v| (k, v)))
            .collect()
    }

    /// Up to `limit` entries whose key starts with `prefix`, decoded.
    pub async fn scan_prefix<V: DeserializeOwned>(
        &self,
        prefix: impl AsRef<[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, V)>> {
        let entries = self.raw.scan_prefix(prefix.as_ref(), limit).await?;
        entries
            .into_iter()
            .map(|(k, v)| decode(&v).map(|v| (k, v)))
            .collect()
    }

    /// The number of entries.
    pub async fn len(&self) -> Result<usize> {
        self.raw.len().await
    }

    /// True when the map holds nothing.
    pub async fn is_empty(&self) -> Result<bool> {
        Ok(self.raw.len().await? == 0)
    }

    /// Removes every entry.
    pub async fn clear(&self) -> Result<()> {
        self.raw.clear().await
    }

    /// Returns once every write made before the call is durable.
    pub async fn flush(&self) -> Result<()> {
        self.raw.flush().await
    }
}

impl std::fmt::Debug for Map {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Map").field("name", &self.name()).finish()
    }
}
