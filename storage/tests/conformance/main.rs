//! One behavioural suite, run against every backend: each test takes a
//! `&dyn StoreFactory` and the suite calls it once per backend listed in
//! [`backends`]. A backend added here is checked by every test at once.

mod cache;
mod events;
mod idempotency;
mod kv;
mod stores;

use std::sync::Arc;

use edgeio_storage::{
    open, Backend as Kind, LocalEventStore, MemoryStoreFactory, StorageConfig, StoreFactory,
};

/// A backend under test; `_dir` keeps a temporary data directory alive.
pub struct Backend {
    pub name: &'static str,
    pub factory: Arc<dyn StoreFactory>,
    pub _dir: Option<tempfile::TempDir>,
}

/// Every backend, freshly opened and empty.
pub async fn backends() -> Vec<Backend> {
    let memory: Arc<dyn StoreFactory> =
        Arc::new(MemoryStoreFactory::new(LocalEventStore::new("node-a")));
    let dir = tempfile::tempdir().expect("temporary directory");
    let sled = open(StorageConfig {
        backend: Kind::Sled {
            dir: dir.path().join("data"),
        },
        node_id: Some("node-a".into()),
        events: Default::default(),
    })
    .await
    .expect("sled opens");
    vec![
        Backend {
            name: "memory",
            factory: memory,
            _dir: None,
        },
        Backend {
            name: "sled",
            factory: sled,
            _dir: Some(dir),
        },
    ]
}

// Each module's tests loop over `backends()` and pass the backend's name
// into their assertion messages, so a failure names the backend.
