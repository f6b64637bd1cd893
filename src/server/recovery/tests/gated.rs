//! A storage whose flushes wait for the test's go-ahead, to see what an
//! acknowledgement waits for.
use std::sync::Arc;

use async_trait::async_trait;
use edgeio_storage::kv::{Entry, UpdateFn};
use edgeio_storage::{
    Cache, EventStore, LocalEventStore, MemoryStoreFactory, RawMap, Result, StoreFactory,
};
use tokio::sync::Semaphore;

/// A durable-looking memory map: every flush takes one permit.
pub struct GatedMap(pub Arc<dyn RawMap>, pub Arc<Semaphore>);

#[async_trait]
impl RawMap for GatedMap {
    fn name(&self) -> &str {
        self.0.name()
    }
    async fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.0.get(key).await
    }
    async fn contains(&self, key: &[u8]) -> Result<bool> {
        self.0.contains(key).await
    }
    async fn insert(&self, key: &[u8], value: Vec<u8>) -> Result<Option<Vec<u8>>> {
        self.0.insert(key, value).await
    }
    async fn remove(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.0.remove(key).await
    }
    async fn insert_if_absent(&self, key: &[u8], value: Vec<u8>) -> Result<Option<Vec<u8>>> {
        self.0.insert_if_absent(key, value).await
    }
    async fn update(&self, key: &[u8], f: UpdateFn<'_>) -> Result<Option<Vec<u8>>> {
        self.0.update(key, f).await
    }
    async fn range_from(&self, start: &[u8], limit: usize) -> Result<Vec<Entry>> {
        self.0.range_from(start, limit).await
    }
    async fn scan_prefix(&self, prefix: &[u8], limit: usize) -> Result<Vec<Entry>> {
        self.0.scan_prefix(prefix, limit).await
    }
    async fn remove_prefix(&self, prefix: &[u8]) -> Result<usize> {
        self.0.remove_prefix(prefix).await
    }
    async fn len(&self) -> Result<usize> {
        self.0.len().await
    }
    async fn clear(&self) -> Result<()> {
        self.0.clear().await
    }
    async fn flush(&self) -> Result<()> {
        if let Ok(permit) = self.1.acquire().await {
            permit.forget();
        }
        Ok(())
    }
    fn is_durable(&self) -> bool {
        true
    }
}

/// Memory storage whose maps are [`GatedMap`]s sharing one gate.
pub struct GatedFactory(pub MemoryStoreFactory, pub Arc<Semaphore>);

impl GatedFactory {
    pub fn new() -> Self {
        Self(
            MemoryStoreFactory::new(LocalEventStore::new("gated")),
            Arc::new(Semaphore::new(0)),
        )
    }
}

#[async_trait]
impl StoreFactory for GatedFactory {
    async fn init(&self) -> Result<()> {
        Ok(())
    }
    fn raw_map(&self, name: &str) -> Result<Arc<dyn RawMap>> {
        Ok(Arc::new(GatedMap(self.0.raw_map(name)?, self.1.clone())))
    }
    fn event_store(&self) -> Arc<dyn EventStore> {
        self.0.event_store()
    }
    fn cache(&self) -> Result<Arc<dyn Cache>> {
        self.0.cache()
    }
    fn is_durable(&self) -> bool {
        true
    }
    async fn shutdown(&self) -> Result<()> {
        self.0.shutdown().await
    }
}
