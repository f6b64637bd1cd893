//! Opening a backend from configuration: [`open`] picks the backend, settles
//! this node's id, connects the configured event store for that id (a
//! [`LocalEventStore`] by default, or a Redis one: [`EventStoreConfig`]),
//! gives it to the factory, and calls `init`.
//!
//! A node id is the configured one, else (sled) the id kept in the data
//! directory's `node-id` file — generated once as a UUID v4 and written
//! atomically (temporary file, fsync, rename) — else (memory) a fresh UUID.
//! For sled the directory is locked before the file is read or written, so
//! two processes never race on it.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Result, StorageError};
use crate::event::{
    EventStore, LocalEventStore, RedisEventConfig, RedisPubSubEventStore, RedisStreamEventStore,
};
use crate::factory::StoreFactory;
use crate::memory::MemoryStoreFactory;
use crate::sled::{DirLock, SledStoreFactory};

/// The name of the node id file in a data directory.
pub const NODE_ID_FILE: &str = "node-id";
/// The longest node id accepted from the `node-id` file.
const MAX_NODE_ID: usize = 256;

/// Which backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// In memory: nothing survives the process.
    Memory,
    /// sled in a data directory, kept across restarts.
    Sled {
        /// The data directory (created when missing).
        dir: PathBuf,
    },
}

/// Which event store carries events between nodes (independent of the
/// backend).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum EventStoreConfig {
    /// In this process only: a single node.
    #[default]
    Local,
    /// Redis pub/sub: lowest latency; a node cut off from Redis misses what
    /// is published meanwhile.
    RedisPubSub(RedisEventConfig),
    /// A Redis Stream: a node cut off from Redis reads what it missed once
    /// back, within `retention`.
    RedisStreams {
        /// Where and under which prefix.
        redis: RedisEventConfig,
        /// About how many events the stream keeps (`XADD MAXLEN ~`).
        retention: u64,
    },
}

/// The default stream retention: enough for a node to catch up after a
/// short loss of Redis, small enough (a few MB) for a 512 MB box.
pub const DEFAULT_STREAM_RETENTION: u64 = 10_000;

/// Storage configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageConfig {
    /// The backend.
    pub backend: Backend,
    /// The node id; when absent, kept in the data directory (sled) or
    /// generated afresh (memory).
    pub node_id: Option<String>,
    /// The event store.
    pub events: EventStoreConfig,
}

/// Connects the configured event store for `node_id`.
async fn event_store(node_id: String, config: &EventStoreConfig) -> Result<Arc<dyn EventStore>> {
    Ok(match config {
        EventStoreConfig::Local => LocalEventStore::new(node_id),
        EventStoreConfig::RedisPubSub(redis) => {
            RedisPubSubEventStore::connect(node_id, redis).await?
        }
        EventStoreConfig::RedisStreams { redis, retention } => {
            RedisStreamEventStore::connect(node_id, redis, *retention).await?
        }
    })
}

/// Opens and initialises the configured storage.
pub async fn open(config: StorageConfig) -> Result<Arc<dyn StoreFactory>> {
    let factory: Arc<dyn StoreFactory> = match config.backend {
        Backend::Memory => {
            let node_id = config.node_id.unwrap_or_else(fresh_node_id);
            Arc::new(MemoryStoreFactory::new(
                event_store(node_id, &config.events).await?,
            ))
        }
        Backend::Sled { dir } => {
            let lock = DirLock::acquire(&dir)?;
            let node_id = match config.node_id {
                Some(id) => id,
                None => stored_node_id(&dir)?,
            };
            let events = event_store(node_id, &config.events).await?;
            Arc::new(SledStoreFactory::open_locked(lock, events)?)
        }
    };
    factory.init().await?;
    Ok(factory)
}

/// A new random node id.
fn fresh_node_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The node id kept in `dir`, created on first use. The caller holds the
/// directory's lock.
fn stored_node_id(dir: &Path) -> Result<String> {
    let path = dir.join(NODE_ID_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => parse_node_id(&path, &bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let id = fresh_node_id();
            write_atomically(&path, id.as_bytes())?;
            Ok(id)
        }
        Err(e) => Err(file_error(&path, "cannot read", e)),
    }
}

/// A node id file's content, trimmed; refused when empty or not a plain id.
fn parse_node_id(path: &Path, bytes: &[u8]) -> Result<String> {
    let invalid = |why: &str| {
        StorageError::Backend(format!(
            "node id file {} {why}: write this node's id into it, or delete it \
             to generate a new one",
            path.display()
        ))
    };
    let text = std::str::from_utf8(bytes).map_err(|_| invalid("is not UTF-8"))?;
    let id = text.trim();
    if id.is_empty() {
        return Err(invalid("is empty"));
    }
    if id.len() > MAX_NODE_ID || id.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(&format!(
            "does not hold one id (at most {MAX_NODE_ID} bytes, no spaces)"
        )));
    }
    Ok(id.to_owned())
}

/// Writes `path` so that it is either absent or complete, even after a
/// crash: a temporary file, synced, renamed over it, then the directory
/// synced.
fn write_atomically(path: &Path, content: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    let mut file = File::create(&tmp).map_err(|e| file_error(&tmp, "cannot create", e))?;
    file.write_all(content)
        .and_then(|()| file.write_all(b"\n"))
        .and_then(|()| file.sync_all())
        .map_err(|e| file_error(&tmp, "cannot write", e))?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(|e| file_error(path, "cannot create", e))?;
    if let Some(dir) = path.parent() {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| file_error(dir, "cannot sync", e))?;
    }
    Ok(())
}

fn file_error(path: &Path, what: &str, e: std::io::Error) -> StorageError {
    StorageError::Backend(format!("{what} {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_id_is_generated_once_then_read_back() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let id = stored_node_id(tmp.path()).expect("creates");
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
        assert_eq!(stored_node_id(tmp.path()).expect("reads"), id);
        assert!(!tmp.path().join("node-id.tmp").exists());
    }

    #[test]
    fn a_node_id_file_is_trimmed_and_checked() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join(NODE_ID_FILE);
        std::fs::write(&path, "  node-7 \n").expect("writes");
        assert_eq!(stored_node_id(tmp.path()).expect("reads"), "node-7");
        for bad in ["", " \n", "two ids", "\u{0}x"] {
            std::fs::write(&path, bad).expect("writes");
            let err = stored_node_id(tmp.path()).expect_err(bad);
            assert!(err.to_string().contains("node id file"), "{err}");
        }
        std::fs::write(&path, [0xff, 0xfe]).expect("writes");
        assert!(stored_node_id(tmp.path()).is_err());
    }

    #[tokio::test]
    async fn memory_takes_the_configured_node_id_or_a_fresh_one() {
        let config = |node_id: Option<&str>| StorageConfig {
            backend: Backend::Memory,
            node_id: node_id.map(str::to_owned),
            events: EventStoreConfig::Local,
        };
        let named = open(config(Some("n1"))).await.expect("opens");
        assert_eq!(named.event_store().node_id(), "n1");
        let a = open(config(None)).await.expect("opens");
        let b = open(config(None)).await.expect("opens");
        assert_ne!(a.event_store().node_id(), b.event_store().node_id());
        assert!(!a.is_durable());
    }
}
