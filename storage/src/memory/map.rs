//! [`MemoryMap`]: a [`RawMap`] in a `BTreeMap` behind a mutex. Every
//! operation is one short critical section; nothing awaits while holding it.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use crate::error::{Result, StorageError};
use crate::kv::{Entry, RawMap, UpdateFn};

/// An ordered byte map in memory.
pub struct MemoryMap {
    name: String,
    entries: Mutex<BTreeMap<Vec<u8>, Vec<u8>>>,
}

impl MemoryMap {
    /// An empty map called `name`.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            entries: Mutex::default(),
        }
    }

    fn lock(&self) -> Result<MutexGuard<'_, BTreeMap<Vec<u8>, Vec<u8>>>> {
        self.entries
            .lock()
            .map_err(|_| StorageError::Backend(format!("map {:?}: lock poisoned", self.name)))
    }
}

#[async_trait]
impl RawMap for MemoryMap {
    fn name(&self) -> &str {
        &self.name
    }

    async fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.lock()?.get(key).cloned())
    }

    async fn contains(&self, key: &[u8]) -> Result<bool> {
        Ok(self.lock()?.contains_key(key))
    }

    async fn insert(&self, key: &[u8], value: Vec<u8>) -> Result<Option<Vec<u8>>> {
        Ok(self.lock()?.insert(key.to_vec(), value))
    }

    async fn remove(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.lock()?.remove(key))
    }

    async fn insert_if_absent(&self, key: &[u8], value: Vec<u8>) -> Result<Option<Vec<u8>>> {
        let mut entries = self.lock()?;
        if let Some(existing) = entries.get(key) {
            return Ok(Some(existing.clone()));
        }
        entries.insert(key.to_vec(), value);
        Ok(None)
    }

    async fn update(&self, key: &[u8], f: UpdateFn<'_>) -> Result<Option<Vec<u8>>> {
        let mut entries = self.lock()?;
        let new = f(entries.get(key).map(Vec::as_slice));
        match &new {
            Some(v) => entries.insert(key.to_vec(), v.clone()),
            None => entries.remove(key),
        };
        Ok(new)
    }

    async fn range_from(&self, start: &[u8], limit: usize) -> Result<Vec<Entry>> {
        let entries = self.lock()?;
        Ok(entries
            .range::<[u8], _>((Bound::Included(start), Bound::Unbounded))
            .take(limit)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }

    async fn scan_prefix(&self, prefix: &[u8], limit: usize) -> Result<Vec<Entry>> {
        let entries = self.lock()?;
        Ok(entries
            .range::<[u8], _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .take(limit)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }

    async fn remove_prefix(&self, prefix: &[u8]) -> Result<usize> {
        let mut entries = self.lock()?;
        let keys: Vec<Vec<u8>> = entries
            .range::<[u8], _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, _)| k.clone())
            .collect();
        for k in &keys {
            entries.remove(k);
        }
        Ok(keys.len())
    }

    async fn len(&self) -> Result<usize> {
        Ok(self.lock()?.len())
    }

    async fn clear(&self) -> Result<()> {
        self.lock()?.clear();
        Ok(())
    }

    async fn flush(&self) -> Result<()> {
        Ok(())
    }

    fn is_durable(&self) -> bool {
        false
    }
}
