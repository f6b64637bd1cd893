//! [`MapCache`]: the cache over a raw map. (Filled by the storage work.)

use std::sync::Arc;

use crate::kv::RawMap;

/// The cache over any backend's map.
pub struct MapCache;

impl MapCache {
    /// The cache kept in `raw`.
    pub fn new(_raw: Arc<dyn RawMap>) -> Arc<Self> {
        unimplemented!("storage work")
    }
}

#[async_trait::async_trait]
impl super::Cache for MapCache {
    async fn get_raw(&self, _: &str) -> crate::Result<Option<Vec<u8>>> {
        todo!()
    }
    async fn set_raw(
        &self,
        _: &str,
        _: Vec<u8>,
        _: Option<std::time::Duration>,
    ) -> crate::Result<()> {
        todo!()
    }
    async fn delete(&self, _: &str) -> crate::Result<bool> {
        todo!()
    }
    async fn has(&self, _: &str) -> crate::Result<bool> {
        todo!()
    }
    async fn increment(&self, _: &str, _: i64) -> crate::Result<i64> {
        todo!()
    }
    async fn expire(&self, _: &str, _: std::time::Duration) -> crate::Result<bool> {
        todo!()
    }
    async fn publish(&self, _: &str, _: Vec<u8>) -> crate::Result<usize> {
        todo!()
    }
    async fn subscribe(
        &self,
        _: &str,
        _: super::MessageListener,
    ) -> crate::Result<crate::SubscriptionId> {
        todo!()
    }
    async fn unsubscribe(&self, _: crate::SubscriptionId) -> crate::Result<bool> {
        todo!()
    }
}
