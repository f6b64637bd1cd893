//! Blocks, mutes, missed messages, last seen, and sled across a reopen.

use edgeio_storage::{LocalEventStore, StoreFactory};

use super::super::*;
use super::{clone_maps, message, pair, store};

#[tokio::test]
async fn blocks_stop_senders_and_mutes_are_kept() {
    let store = store();
    let (cid, handle) = pair(&store).await;
    let mut state = handle.lock().await;
    let block = store.block(&mut state, "alice", None).await.expect("block");
    assert_eq!(
        (block.blocker.as_str(), block.blocked.as_str()),
        ("alice", "bob")
    );
    let again = store.block(&mut state, "alice", None).await.expect("twice");
    assert_eq!(again, block, "the first block stands");
    assert_eq!(state.blocks.len(), 1);
    let bad = store.block(&mut state, "alice", Some("alice")).await;
    assert_eq!(bad.expect_err("self").code(), "invalid_payload");
    let bad = store.block(&mut state, "alice", Some("eve")).await;
    assert_eq!(bad.expect_err("outsider").code(), "invalid_payload");
    drop(state);
    let refused = store.append(&handle, message("b1", &cid, "bob")).await;
    assert_eq!(refused.expect_err("blocked").code(), "blocked");
    let refused = store.append(&handle, message("a1", &cid, "alice")).await;
    assert_eq!(refused.expect_err("blocker in a 1:1").code(), "blocked");
    assert_eq!(handle.lock().await.head.last_seq, 0, "nothing stored");
    assert_eq!(
        store.blocks_of("alice").await.expect("list"),
        vec![block.clone()]
    );
    assert!(store.blocks_of("bob").await.expect("list").is_empty());
    // Loaded again, the block stands.
    let fresh = clone_maps(&store);
    let reloaded = fresh.state(&cid).await.expect("load").expect("exists");
    assert_eq!(reloaded.lock().await.blocks, vec![block]);
    let mut state = handle.lock().await;
    let lifted = store
        .unblock(&mut state, "alice", None)
        .await
        .expect("unblock");
    assert!(lifted.is_some());
    assert!(store
        .unblock(&mut state, "alice", None)
        .await
        .expect("again")
        .is_none());
    drop(state);
    store
        .append(&handle, message("b2", &cid, "bob"))
        .await
        .expect("allowed again");
    assert!(store.blocks_of("alice").await.expect("list").is_empty());

    let mut state = handle.lock().await;
    let at = store
        .set_muted(&mut state, "bob", true)
        .await
        .expect("mute");
    assert!(at.is_some());
    assert_eq!(
        store
            .set_muted(&mut state, "bob", true)
            .await
            .expect("again"),
        at
    );
    assert!(state.muted.contains("bob"));
    assert!(store.is_muted("bob", &cid).await.expect("muted"));
    assert_eq!(
        store.mutes_of("bob").await.expect("list"),
        vec![(cid.clone(), at.unwrap_or(0))]
    );
    assert_eq!(
        store
            .set_muted(&mut state, "bob", false)
            .await
            .expect("unmute"),
        None
    );
    assert!(!state.muted.contains("bob"));
    assert!(store.mutes_of("bob").await.expect("list").is_empty());
}

#[tokio::test]
async fn missed_messages_and_last_seen() {
    let store = store();
    let (cid, handle) = pair(&store).await;
    store
        .append(&handle, message("old", &cid, "bob"))
        .await
        .expect("old");
    let old_ts = handle.lock().await.head.last_ts;
    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    let cut = crate::apps::chat::clock::now_ms();
    store
        .append(&handle, message("new1", &cid, "bob"))
        .await
        .expect("new1");
    store
        .append(&handle, message("new2", &cid, "bob"))
        .await
        .expect("new2");
    let missed = store.missed("alice", cut, 10).await.expect("missed");
    let ids: Vec<&str> = missed.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, vec!["new1", "new2"]);
    // Inclusive: a message stored in the millisecond of the cut is missed.
    let at_old = store.missed("alice", old_ts, 10).await.expect("from old");
    assert_eq!(at_old.first().map(|m| m.id.as_str()), Some("old"));
    let past_old = store
        .missed("alice", old_ts + 1, 10)
        .await
        .expect("past old");
    assert_eq!(past_old.len(), 2, "old is before the cut");
    assert_eq!(
        store.missed("alice", cut, 1).await.expect("capped").len(),
        1
    );
    assert!(store.missed("carol", 0, 10).await.expect("none").is_empty());
    assert_eq!(store.device_seen("alice", "web").await.expect("get"), None);
    store
        .set_device_seen("alice", "web", 42)
        .await
        .expect("set");
    assert_eq!(
        store
            .device_seen("alice", "web")
            .await
            .expect("get")
            .map(|d| d.seen_until),
        Some(42)
    );
    assert_eq!(store.last_seen("alice").await.expect("get"), None);
    store.set_last_seen("alice", 7).await.expect("set");
    assert_eq!(store.last_seen("alice").await.expect("get"), Some(7));
}

#[tokio::test]
async fn sled_keeps_messages_and_idempotency_across_a_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cid;
    {
        let factory = edgeio_storage::SledStoreFactory::open(dir.path(), LocalEventStore::new("n"))
            .expect("sled");
        let store = ChatStore::open(&factory).expect("open");
        let (id, handle) = pair(&store).await;
        cid = id;
        store
            .append(&handle, message("m1", &cid, "alice"))
            .await
            .expect("m1");
        factory.shutdown().await.expect("shutdown");
    }
    let factory = edgeio_storage::SledStoreFactory::open(dir.path(), LocalEventStore::new("n"))
        .expect("sled again");
    let store = ChatStore::open(&factory).expect("open");
    let (conv, created) = store.one_to_one("bob", "alice").await.expect("pair");
    assert!(!created);
    assert_eq!(conv.id, cid);
    let handle = store.state(&cid).await.expect("load").expect("exists");
    let again = store
        .append(&handle, message("m1", &cid, "alice"))
        .await
        .expect("resend");
    assert!(matches!(again, Sent::Again(m) if m.seq == 1));
    factory.shutdown().await.expect("shutdown");
}
