//! [`SledMap`]: a [`RawMap`] over one `sled::Tree`. Reads and writes go
//! straight to sled (in memory until flushed; they do not block for I/O in
//! the common case); [`RawMap::flush`] goes through the database's
//! [`GroupCommit`]. When the factory shuts down it takes the tree away, so
//! that a map handle kept by someone does not keep the database open; every
//! later call fails with [`StorageError::ShutDown`].

use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use sled::{CompareAndSwapError, IVec, Tree};

use super::group_commit::GroupCommit;
use crate::error::{Result, StorageError};
use crate::kv::{Entry, RawMap, UpdateFn};

/// An ordered byte map in a sled tree.
pub struct SledMap {
    /// The name the map was created with (the tree's name).
    name: String,
    /// The tree; `None` once the factory shut down.
    tree: RwLock<Option<Tree>>,
    /// The database's shared flush.
    commit: Arc<GroupCommit>,
}

/// A sled error as a storage error.
pub(crate) fn backend(e: sled::Error) -> StorageError {
    StorageError::Backend(format!("sled: {e}"))
}

fn entry((k, v): (IVec, IVec)) -> Entry {
    (k.to_vec(), v.to_vec())
}

impl SledMap {
    /// The map `name` over `tree`, flushed through `commit`.
    pub(crate) fn new(name: &str, tree: Tree, commit: Arc<GroupCommit>) -> Self {
        Self {
            name: name.to_owned(),
            tree: RwLock::new(Some(tree)),
            commit,
        }
    }

    /// The tree, unless the factory shut down.
    fn tree(&self) -> Result<Tree> {
        self.tree
            .read()
            .map_err(|_| StorageError::Backend(format!("map {:?}: lock poisoned", self.name)))?
            .clone()
            .ok_or(StorageError::ShutDown)
    }

    /// Lets go of the tree (at shutdown), so the database can close.
    pub(crate) fn release(&self) {
        match self.tree.write() {
            Ok(mut tree) => *tree = None,
            Err(poisoned) => *poisoned.into_inner() = None,
        }
    }
}

#[async_trait]
impl RawMap for SledMap {
    fn name(&self) -> &str {
        &self.name
    }

    async fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.tree()?.get(key).map_err(backend)?.map(|v| v.to_vec()))
    }

    async fn contains(&self, key: &[u8]) -> Result<bool> {
        self.tree()?.contains_key(key).map_err(backend)
    }

    async fn insert(&self, key: &[u8], value: Vec<u8>) -> Result<Option<Vec<u8>>> {
        Ok(self
            .tree()?
            .insert(key, value)
            .map_err(backend)?
            .map(|v| v.to_vec()))
    }

    async fn remove(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self
            .tree()?
            .remove(key)
            .map_err(backend)?
            .map(|v| v.to_vec()))
    }

    async fn insert_if_absent(&self, key: &[u8], value: Vec<u8>) -> Result<Option<Vec<u8>>> {
        let tree = self.tree()?;
        let value = IVec::from(value);
        loop {
            match tree
                .compare_and_swap(key, None::<&[u8]>, Some(value.clone()))
                .map_err(backend)?
            {
                Ok(()) => return Ok(None),
                Err(CompareAndSwapError {
                    current: Some(current),
                    ..
                }) => return Ok(Some(current.to_vec())),
                // Removed between sled's look and ours: try again.
                Err(CompareAndSwapError { current: None, .. }) => continue,
            }
        }
    }

    async fn update(&self, key: &[u8], f: UpdateFn<'_>) -> Result<Option<Vec<u8>>> {
        Ok(self
            .tree()?
            .update_and_fetch(key, f)
            .map_err(backend)?
            .map(|v| v.to_vec()))
    }

    async fn range_from(&self, start: &[u8], limit: usize) -> Result<Vec<Entry>> {
        self.tree()?
            .range(start..)
            .take(limit)
            .map(|kv| kv.map(entry).map_err(backend))
            .collect()
    }

    async fn scan_prefix(&self, prefix: &[u8], limit: usize) -> Result<Vec<Entry>> {
        self.tree()?
            .scan_prefix(prefix)
            .take(limit)
            .map(|kv| kv.map(entry).map_err(backend))
            .collect()
    }

    async fn remove_prefix(&self, prefix: &[u8]) -> Result<usize> {
        let tree = self.tree()?;
        let mut batch = sled::Batch::default();
        let mut removed = 0;
        for key in tree.scan_prefix(prefix).keys() {
            batch.remove(key.map_err(backend)?);
            removed += 1;
        }
        tree.apply_batch(batch).map_err(backend)?;
        Ok(removed)
    }

    async fn len(&self) -> Result<usize> {
        Ok(self.tree()?.len())
    }

    async fn clear(&self) -> Result<()> {
        self.tree()?.clear().map_err(backend)
    }

    async fn flush(&self) -> Result<()> {
        self.tree()?;
        self.commit.commit().await
    }

    fn is_durable(&self) -> bool {
        true
    }
}

impl std::fmt::Debug for SledMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledMap").field("name", &self.name).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_names_the_map() {
        let db = sled::Config::new().temporary(true).open().expect("opens");
        let tree = db.open_tree("m").expect("tree");
        let map = SledMap::new("m", tree, GroupCommit::new(|| Ok(())));
        assert_eq!(format!("{map:?}"), "SledMap { name: \"m\" }");
    }
}
