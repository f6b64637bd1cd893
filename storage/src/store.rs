//! [`Store`]: one session's key-value data (socketio4j's `Store`): a user
//! id, token claims, hints for reconnection. Lives for one session;
//! [`Store::destroy`] removes every entry, and any use after it is an error.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::codec::{decode, encode};
use crate::error::{Result, StorageError};
use crate::kv::RawMap;

/// One session's store. Cheap to clone; clones share the destroyed flag.
#[derive(Clone)]
pub struct Store {
    /// The map that holds every session's entries.
    raw: Arc<dyn RawMap>,
    /// The session id.
    session: Arc<str>,
    /// `session id` + `\0`: the prefix of this session's keys.
    prefix: Arc<[u8]>,
    /// Set by `destroy`; every later call fails.
    destroyed: Arc<AtomicBool>,
}

impl Store {
    /// The store of `session_id`, kept in `raw` (shared by every session).
    pub fn new(raw: Arc<dyn RawMap>, session_id: &str) -> Self {
        let mut prefix = session_id.as_bytes().to_vec();
        prefix.push(0);
        Self {
            raw,
            session: session_id.into(),
            prefix: prefix.into(),
            destroyed: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The session id.
    pub fn session_id(&self) -> &str {
        &self.session
    }

    fn key(&self, key: &str) -> Result<Vec<u8>> {
        if self.destroyed.load(Ordering::Acquire) {
            return Err(StorageError::Destroyed(self.session.to_string()));
        }
        let mut k = Vec::with_capacity(self.prefix.len() + key.len());
        k.extend_from_slice(&self.prefix);
        k.extend_from_slice(key.as_bytes());
        Ok(k)
    }

    /// Sets `key` to `value` (visible at once, durable after a flush).
    pub async fn set<V: Serialize + ?Sized>(&self, key: &str, value: &V) -> Result<()> {
        let k = self.key(key)?;
        self.raw.insert(&k, encode(value)?).await.map(drop)
    }

    /// The value at `key` as a `V`; `None` when absent.
    pub async fn get<V: DeserializeOwned>(&self, key: &str) -> Result<Option<V>> {
        let k = self.key(key)?;
        match self.raw.get(&k).await? {
            Some(record) => decode(&record).map(Some),
            None => Ok(None),
        }
    }

    /// True when `key` holds a value (not decoded).
    pub async fn has(&self, key: &str) -> Result<bool> {
        let k = self.key(key)?;
        self.raw.contains(&k).await
    }

    /// Removes `key`; true when it held a value.
    pub async fn del(&self, key: &str) -> Result<bool> {
        let k = self.key(key)?;
        Ok(self.raw.remove(&k).await?.is_some())
    }

    /// Returns once every write made before the call is durable.
    pub async fn flush(&self) -> Result<()> {
        self.key("")?;
        self.raw.flush().await
    }

    /// Removes every entry of the session; the store cannot be used again.
    pub async fn destroy(&self) -> Result<()> {
        if self.destroyed.swap(true, Ordering::AcqRel) {
            return Err(StorageError::Destroyed(self.session.to_string()));
        }
        self.raw.remove_prefix(&self.prefix).await.map(drop)
    }

    /// True once [`Store::destroy`] was called.
    pub fn is_destroyed(&self) -> bool {
        self.destroyed.load(Ordering::Acquire)
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("session", &self.session)
            .field("destroyed", &self.is_destroyed())
            .finish()
    }
}
