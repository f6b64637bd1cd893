//! What only the sled backend promises: data survives a shutdown and a
//! reopen, one process per data directory, a stable node id, and a refusal
//! to read a database of another format.

use std::path::Path;
use std::sync::Arc;

use edgeio_storage::codec::FORMAT_VERSION;
use edgeio_storage::sled::{FORMAT_KEY, META};
use edgeio_storage::{
    open, Backend, LocalEventStore, SledStoreFactory, StorageConfig, StorageError, StoreFactory,
};

fn config(dir: &Path, node_id: Option<&str>) -> StorageConfig {
    StorageConfig {
        backend: Backend::Sled {
            dir: dir.to_owned(),
        },
        node_id: node_id.map(str::to_owned),
        events: Default::default(),
    }
}

async fn open_sled(dir: &Path) -> Arc<dyn StoreFactory> {
    open(config(dir, None)).await.expect("sled opens")
}

#[tokio::test]
async fn flushed_data_is_there_after_shutdown_and_reopen() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let factory = open_sled(tmp.path()).await;
    assert!(factory.is_durable());
    let map = factory.create_map("kept").expect("map");
    map.set_durable("k", "v").await.expect("set");
    map.increment("n", 41).await.expect("inc");
    let store = factory.create_store("s1").expect("store");
    store.set("user", "alice").await.expect("set");
    store.flush().await.expect("flush");
    factory.shutdown().await.expect("shuts down");
    // A map handle kept past shutdown fails cleanly and keeps nothing open.
    let err = map.get::<String>("k").await.expect_err("shut down");
    assert!(matches!(err, StorageError::ShutDown), "{err}");
    assert!(matches!(map.flush().await, Err(StorageError::ShutDown)));
    factory
        .shutdown()
        .await
        .expect("a second shutdown is a no-op");

    let again = open_sled(tmp.path()).await;
    let map = again.create_map("kept").expect("map");
    assert_eq!(
        map.get::<String>("k").await.expect("get").as_deref(),
        Some("v")
    );
    assert_eq!(map.increment("n", 1).await.expect("inc"), 42);
    let store = again.create_store("s1").expect("store");
    assert_eq!(
        store.get::<String>("user").await.expect("get").as_deref(),
        Some("alice")
    );
    again.shutdown().await.expect("shuts down");
}

#[tokio::test]
async fn a_locked_directory_is_refused_until_released() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let first = open_sled(tmp.path()).await;
    let err = open(config(tmp.path(), None))
        .await
        .map(drop)
        .expect_err("locked");
    assert!(
        matches!(err, StorageError::Locked { ref path } if path == tmp.path()),
        "{err}"
    );
    let err = SledStoreFactory::open(tmp.path(), LocalEventStore::new("x")).expect_err("locked");
    assert!(matches!(err, StorageError::Locked { .. }), "{err}");
    first.shutdown().await.expect("shuts down");
    let second = open_sled(tmp.path()).await;
    // Dropping a factory without shutdown releases the directory too.
    drop(second);
    let third = open_sled(tmp.path()).await;
    third.shutdown().await.expect("shuts down");
}

#[tokio::test]
async fn dropping_a_factory_keeps_what_was_written() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let factory = SledStoreFactory::open(tmp.path(), LocalEventStore::new("n")).expect("opens");
    factory
        .create_map("m")
        .expect("map")
        .set("k", &7u8)
        .await
        .expect("set");
    drop(factory);
    let again = SledStoreFactory::open(tmp.path(), LocalEventStore::new("n")).expect("opens");
    let value = again
        .create_map("m")
        .expect("map")
        .get::<u8>("k")
        .await
        .expect("get");
    assert_eq!(value, Some(7));
}

#[tokio::test]
async fn the_node_id_is_kept_across_reopens_unless_configured() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let factory = open_sled(tmp.path()).await;
    let id = factory.event_store().node_id().to_owned();
    assert!(!id.is_empty());
    factory.shutdown().await.expect("shuts down");
    let again = open_sled(tmp.path()).await;
    assert_eq!(again.event_store().node_id(), id);
    again.shutdown().await.expect("shuts down");
    let named = open(config(tmp.path(), Some("explicit")))
        .await
        .expect("opens");
    assert_eq!(named.event_store().node_id(), "explicit");
    named.shutdown().await.expect("shuts down");
    let stored = std::fs::read_to_string(tmp.path().join("node-id")).expect("node-id file");
    assert_eq!(stored.trim(), id);

    std::fs::write(tmp.path().join("node-id"), "\n").expect("writes");
    let err = open(config(tmp.path(), None))
        .await
        .map(drop)
        .expect_err("empty id");
    assert!(err.to_string().contains("node-id"), "{err}");
    // The failed open let go of the directory.
    open(config(tmp.path(), Some("n")))
        .await
        .expect("opens")
        .shutdown()
        .await
        .expect("shuts");
}

#[tokio::test]
async fn a_database_of_another_format_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    open_sled(tmp.path())
        .await
        .shutdown()
        .await
        .expect("shuts down");
    {
        let db = sled::open(tmp.path().join("db")).expect("raw sled");
        let other = FORMAT_VERSION + 1;
        db.open_tree(META)
            .expect("meta")
            .insert(FORMAT_KEY, vec![other, other])
            .expect("insert");
        db.flush().expect("flush");
    }
    let err = open(config(tmp.path(), None))
        .await
        .map(drop)
        .expect_err("refused");
    assert!(
        matches!(err, StorageError::Version { found, expected } if found == FORMAT_VERSION + 1 && expected == FORMAT_VERSION),
        "{err}"
    );
}

#[tokio::test]
async fn the_meta_tree_is_not_a_map() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let factory = open_sled(tmp.path()).await;
    assert!(factory.create_map(META).is_err());
    factory.shutdown().await.expect("shuts down");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_flushes_share_a_group_commit() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let factory = SledStoreFactory::open(tmp.path(), LocalEventStore::new("n")).expect("opens");
    let map = factory.create_map("m").expect("map");
    let before = factory.flush_count();
    let tasks: Vec<_> = (0..64u32)
        .map(|i| {
            let map = map.clone();
            tokio::spawn(async move { map.set_durable(i.to_be_bytes(), &i).await })
        })
        .collect();
    for t in tasks {
        t.await.expect("joins").expect("durable");
    }
    let flushes = factory.flush_count() - before;
    assert!(flushes < 32, "64 durable writes took {flushes} flushes");
    factory.shutdown().await.expect("shuts down");
}
