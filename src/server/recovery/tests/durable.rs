//! What an acknowledgement waits for: nothing in memory; on disk, the flush
//! that covers the recovery writes made before it, and not an earlier one.

use std::sync::Arc;
use std::time::Duration;

use super::gated;
use super::*;

#[tokio::test]
async fn memory_storage_never_holds_an_acknowledgement_back() {
    let (_, storage) = storage().await;
    let store = RecoveryStore::open(config(60_000, 100), &storage, "/").expect("store");
    keep(&store, "a", &to(&[], &[]));
    assert_eq!(store.pending_writes(), None);
}

#[tokio::test]
async fn on_disk_an_acknowledgement_waits_for_the_writes_before_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let factory = edgeio_storage::open(edgeio_storage::StorageConfig {
        backend: edgeio_storage::Backend::Sled {
            dir: dir.path().to_owned(),
        },
        node_id: None,
        events: Default::default(),
    })
    .await
    .expect("sled");
    let storage = ServerStorage::open(factory.clone()).await.expect("opens");
    let store = RecoveryStore::open(config(60_000, 100), &storage, "/").expect("store");
    keep(&store, "a", &to(&[], &[]));
    let writes = store.pending_writes().expect("a write not yet on disk");
    let (tx, rx) = tokio::sync::oneshot::channel();
    let probe = store.clone();
    store.after_durable(
        writes,
        Box::new(move || {
            // Runs once the write is flushed: nothing is pending any more.
            let _ = tx.send(probe.pending_writes());
        }),
    );
    let pending = tokio::time::timeout(Duration::from_secs(10), rx)
        .await
        .expect("released in time")
        .expect("ran");
    assert_eq!(pending, None);
    factory.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn an_acknowledgement_leaves_after_the_flush_that_covers_its_writes_not_before() {
    let gated = Arc::new(gated::GatedFactory::new());
    let gate = gated.1.clone();
    gate.add_permits(1); // ServerStorage::open flushes its boot counter
    let storage = ServerStorage::open(gated.clone()).await.expect("opens");
    let store = RecoveryStore::open(config(60_000, 100), &storage, "/").expect("store");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let ack = |name: &'static str| {
        let tx = tx.clone();
        Box::new(move || {
            let _ = tx.send(name);
        }) as Deferred
    };
    let quiet = |rx: &mut tokio::sync::mpsc::UnboundedReceiver<&'static str>| rx.try_recv().ok();
    keep(&store, "a", &to(&[], &[]));
    let first = store.pending_writes().expect("not on disk yet");
    store.after_durable(first, ack("a"));
    // Let the flusher start its flush (it waits at the gate), then write more.
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
    keep(&store, "b", &to(&[], &[]));
    let second = store.pending_writes().expect("not on disk yet");
    assert!(second > first);
    store.after_durable(second, ack("b"));
    assert_eq!(quiet(&mut rx), None, "nothing leaves before a flush");
    gate.add_permits(1);
    let got = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await;
    assert_eq!(got.expect("in time"), Some("a"));
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
    assert_eq!(
        quiet(&mut rx),
        None,
        "b's write came after that flush began"
    );
    gate.add_permits(1);
    let got = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await;
    assert_eq!(got.expect("in time"), Some("b"));
}
