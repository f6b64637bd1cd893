//! The memory backend: every map a `BTreeMap` behind a lock. Fastest, kept
//! by nothing: a restart starts empty. `flush` returns at once.

mod map;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use async_trait::async_trait;

use crate::cache::Cache;
use crate::error::{Result, StorageError};
use crate::event::EventStore;
use crate::factory::{shared_cache, StoreFactory};
use crate::kv::RawMap;

pub use map::MemoryMap;

/// Stores and maps in memory, with any event store.
pub struct MemoryStoreFactory {
    /// Maps by name (created on first use).
    maps: Mutex<HashMap<String, Arc<MemoryMap>>>,
    events: Arc<dyn EventStore>,
    cache: OnceLock<Arc<dyn Cache>>,
    shut: std::sync::atomic::AtomicBool,
}

impl MemoryStoreFactory {
    /// A factory whose events go through `events`.
    pub fn new(events: Arc<dyn EventStore>) -> Self {
        Self {
            maps: Mutex::default(),
            events,
            cache: OnceLock::new(),
            shut: std::sync::atomic::AtomicBool::new(false),
        }
    }

    fn raw(&self, name: &str) -> Result<Arc<dyn RawMap>> {
        if self.shut.load(std::sync::atomic::Ordering::Acquire) {
            return Err(StorageError::ShutDown);
        }
        let mut maps = self
            .maps
            .lock()
            .map_err(|_| StorageError::Backend("memory maps lock poisoned".into()))?;
        let map = maps
            .entry(name.to_owned())
            .or_insert_with(|| Arc::new(MemoryMap::new(name)))
            .clone();
        Ok(map)
    }
}

#[async_trait]
impl StoreFactory for MemoryStoreFactory {
    async fn init(&self) -> Result<()> {
        Ok(())
    }

    fn raw_map(&self, name: &str) -> Result<Arc<dyn RawMap>> {
        self.raw(name)
    }

    fn event_store(&self) -> Arc<dyn EventStore> {
        self.events.clone()
    }

    fn cache(&self) -> Result<Arc<dyn Cache>> {
        shared_cache(&self.cache, self)
    }

    fn is_durable(&self) -> bool {
        false
    }

    async fn shutdown(&self) -> Result<()> {
        self.shut.store(true, std::sync::atomic::Ordering::Release);
        self.events.shutdown().await
    }
}
