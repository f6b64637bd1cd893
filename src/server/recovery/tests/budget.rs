//! The recovery budgets, in memory and on disk (sled): broadcasts by bytes
//! (oldest dropped first; a client that missed a dropped one is not
//! restored), disconnected sessions by count (the one that left first is
//! forgotten), and what an earlier start left counted against both.

use std::sync::Arc;
use std::time::Duration;

use edgeio_storage::StoreFactory;

use super::*;

/// The bytes of the payload of each big broadcast.
const BIG: usize = 1_000;

fn budget(bytes: usize, sessions: usize) -> RecoveryConfig {
    RecoveryConfig {
        max_buffered_bytes: bytes,
        max_kept_sessions: sessions,
        ..config(60_000, 100)
    }
}

/// Keeps a broadcast of event `name` with a payload of [`BIG`] bytes.
fn keep_big(store: &RecoveryStore, name: &str) -> Offset {
    let offset = store.issue_offset();
    let payload = "x".repeat(BIG);
    let frame = Frame::message(&format!("2[\"{name}\",\"{payload}\",\"{offset}\"]"));
    store.keep(offset, &[frame], &to(&[], &[]));
    offset
}

/// A fresh sled storage in `dir`.
async fn sled(dir: &std::path::Path) -> Arc<dyn StoreFactory> {
    edgeio_storage::open(edgeio_storage::StorageConfig {
        backend: edgeio_storage::Backend::Sled {
            dir: dir.to_owned(),
        },
        node_id: None,
        events: Default::default(),
    })
    .await
    .expect("sled")
}

/// Memory, then sled: every budget must hold for both.
async fn backends(dir: &std::path::Path) -> Vec<(Arc<dyn StoreFactory>, ServerStorage)> {
    let (memory, in_memory) = storage().await;
    let on_disk = sled(dir).await;
    let storage = ServerStorage::open(on_disk.clone()).await.expect("opens");
    vec![(memory, in_memory), (on_disk, storage)]
}

async fn kept(factory: &Arc<dyn StoreFactory>, n: usize) -> Vec<Vec<u8>> {
    let packets = factory.create_map("recovery:/:packets").expect("map");
    let keys = || async {
        let entries = packets.raw().range_from(&[], 100).await.expect("range");
        entries.into_iter().map(|(k, _)| k).collect::<Vec<_>>()
    };
    settled(keys, |k| k.len() == n).await
}

#[tokio::test]
async fn over_the_byte_budget_the_oldest_go_and_who_missed_them_starts_afresh() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (factory, storage) in backends(dir.path()).await {
        // Room for three big broadcasts, not four.
        let store =
            RecoveryStore::open(budget(3 * BIG + BIG / 2, 100), &storage, "/").expect("store");
        let since = store.next_offset();
        save(&store, "pid", "sid", &[], since, true);
        let offsets: Vec<_> = ["1", "2", "3", "4", "5"]
            .into_iter()
            .map(|name| keep_big(&store, name))
            .collect();
        let keys: Vec<_> = offsets[2..].iter().map(|o| o.key().to_vec()).collect();
        assert_eq!(kept(&factory, 3).await, keys, "the newest that fit");
        assert!(
            store
                .restore("pid", Some(&offsets[1].to_string()))
                .await
                .expect("storage")
                .is_none(),
            "what it saw last was dropped: a fresh session, not a hole"
        );
        assert!(
            store.restore("pid", None).await.expect("storage").is_none(),
            "it missed dropped ones"
        );
        let restored = store
            .restore("pid", Some(&offsets[2].to_string()))
            .await
            .expect("storage")
            .expect("3 is kept");
        assert_eq!(names(&restored), ["4", "5"], "the rest, in order");

        // The bytes dropped were counted off: the next burst keeps three
        // again (neither fewer, as a count that only grows would, nor more).
        let newest: Vec<_> = ["6", "7", "8", "9"]
            .into_iter()
            .map(|name| keep_big(&store, name).key().to_vec())
            .collect();
        assert_eq!(kept(&factory, 3).await, newest[1..]);
        factory.shutdown().await.expect("shutdown");
    }
}

#[tokio::test]
async fn a_broadcast_bigger_than_the_byte_budget_is_not_kept_and_not_skipped() {
    let (factory, storage) = storage().await;
    let store = RecoveryStore::open(budget(BIG / 2, 100), &storage, "/").expect("store");
    save(&store, "pid", "sid", &[], store.next_offset(), true);
    let seen = keep(&store, "small", &to(&[], &[]));
    keep_big(&store, "big");
    assert_eq!(kept(&factory, 0).await.len(), 0, "both go: the big is over");
    keep(&store, "after", &to(&[], &[]));
    assert!(
        store
            .restore("pid", Some(&seen.to_string()))
            .await
            .expect("storage")
            .is_none(),
        "it missed the big one"
    );
}

#[tokio::test]
async fn past_the_sessions_cap_the_session_that_left_first_is_forgotten() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (factory, storage) in backends(dir.path()).await {
        let store = RecoveryStore::open(budget(1 << 20, 2), &storage, "/").expect("store");
        let since = store.next_offset();
        save(&store, "a", "s1", &[], since, true);
        save(&store, "b", "s2", &[], since, true);
        // Connected sessions do not count: they are bounded by connections.
        save(&store, "live", "s3", &[], since, false);
        save(&store, "c", "s4", &[], since, true);
        let sessions = factory.create_map("recovery:/:sessions").expect("map");
        assert!(!sessions.has("a").await.expect("has"), "over the cap");
        assert_eq!(sessions.len().await.expect("len"), 3);
        assert!(store.restore("a", None).await.expect("storage").is_none());
        assert!(store.restore("b", None).await.expect("storage").is_some());
        // Restored, b counts no more; c and d fit, and one restored and
        // gone again counts as leaving now.
        save(&store, "d", "s5", &[], since, true);
        assert!(store.restore("c", None).await.expect("storage").is_some());
        save(&store, "c", "s4", &[], since, true);
        save(&store, "e", "s6", &[], since, true);
        assert!(store.restore("d", None).await.expect("storage").is_none());
        assert!(store.restore("c", None).await.expect("storage").is_some());
        assert!(store.restore("e", None).await.expect("storage").is_some());
        // A socket forgotten for good, or restored, frees its place (it
        // must not stay counted, newer than the one that then goes).
        save(&store, "g", "s8", &[], since, true);
        save(&store, "f", "s7", &[], since, true);
        store.forget(&Sid::from("f"));
        save(&store, "h", "s9", &[], since, true);
        assert!(store.restore("g", None).await.expect("storage").is_some());
        save(&store, "g", "s8", &[], since, true);
        assert!(store.restore("h", None).await.expect("storage").is_some());
        save(&store, "i", "s10", &[], since, true);
        assert!(store.restore("g", None).await.expect("storage").is_some());
        assert!(store.restore("i", None).await.expect("storage").is_some());
        factory.shutdown().await.expect("shutdown");
    }
}

#[tokio::test]
async fn what_an_earlier_start_kept_counts_against_the_budgets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let factory = sled(dir.path()).await;
    let first = ServerStorage::open(factory.clone()).await.expect("opens");
    let roomy = RecoveryStore::open(budget(1 << 20, 100), &first, "/").expect("store");
    let offsets: Vec<_> = ["1", "2", "3"]
        .into_iter()
        .map(|name| keep_big(&roomy, name))
        .collect();
    // They connected after the broadcasts: they missed none.
    let since = roomy.next_offset();
    for pid in ["a", "b"] {
        save(&roomy, pid, pid, &[], since, true);
    }
    // Left connected when that start died: counts as leaving at the restart.
    save(&roomy, "c", "c", &[], since, false);
    assert_eq!(kept(&factory, 3).await.len(), 3);
    drop(roomy);

    let next = ServerStorage::open(factory.clone()).await.expect("reopens");
    let store = RecoveryStore::open(budget(2 * BIG + BIG / 2, 2), &next, "/").expect("store");
    let keys: Vec<_> = offsets[1..].iter().map(|o| o.key().to_vec()).collect();
    assert_eq!(kept(&factory, 2).await, keys, "two fit this start's budget");
    assert!(
        store.restore("a", None).await.expect("storage").is_none(),
        "the first to leave, over the sessions' cap"
    );
    for pid in ["b", "c"] {
        let restored = store.restore(pid, None).await.expect("storage");
        assert!(restored.is_some(), "{pid} is kept");
    }
    factory.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn the_earlier_starts_sessions_over_the_cap_are_forgotten_oldest_first() {
    let (factory, first) = storage().await;
    let roomy = RecoveryStore::open(budget(1 << 20, 100), &first, "/").expect("store");
    for pid in ["a", "b", "c"] {
        save(&roomy, pid, pid, &[], roomy.next_offset(), true);
        // Left in this order, a millisecond or more apart.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    drop(roomy);
    let next = ServerStorage::open(factory).await.expect("reopens");
    let store = RecoveryStore::open(budget(1 << 20, 2), &next, "/").expect("store");
    assert!(store.restore("a", None).await.expect("storage").is_none());
    assert!(store.restore("b", None).await.expect("storage").is_some());
    assert!(store.restore("c", None).await.expect("storage").is_some());
}

#[tokio::test]
async fn more_than_a_batch_left_by_an_earlier_start_is_all_counted() {
    let (factory, first) = storage().await;
    let roomy = RecoveryStore::open(budget(1 << 20, 100), &first, "/").expect("store");
    // Forty broadcasts of the same size, and forty sessions.
    let offsets: Vec<_> = (0..40)
        .map(|n| {
            let offset = roomy.issue_offset();
            let frame = Frame::message(&format!("2[\"n{n:02}\"]"));
            roomy.keep(offset, &[frame], &to(&[], &[]));
            offset.key().to_vec()
        })
        .collect();
    let since = roomy.next_offset();
    for n in 0..40 {
        save(&roomy, &format!("p{n:02}"), "s", &[], since, true);
    }
    drop(roomy);
    let packets = factory.create_map("recovery:/:packets").expect("map");
    let one = packets.raw().range_from(&[], 1).await.expect("range")[0]
        .1
        .len();

    let next = ServerStorage::open(factory.clone()).await.expect("reopens");
    let store = RecoveryStore::open(budget(20 * one, 20), &next, "/").expect("store");
    assert_eq!(kept(&factory, 20).await, offsets[20..], "the newest twenty");
    assert!(store.restore("p19", None).await.expect("storage").is_none());
    assert!(store.restore("p20", None).await.expect("storage").is_some());
    assert!(store.restore("p39", None).await.expect("storage").is_some());
}

#[tokio::test(start_paused = true)]
async fn past_the_byte_budget_the_oldest_go_at_once_not_at_the_next_tick() {
    let (factory, storage) = storage().await;
    let store = RecoveryStore::open(budget(3 * BIG + BIG / 2, 100), &storage, "/").expect("store");
    let packets = factory.create_map("recovery:/:packets").expect("map");
    // Its first pass, at start, done: the next periodic one is a second away.
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    let started = tokio::time::Instant::now();
    for name in ["1", "2", "3", "4", "5"] {
        keep_big(&store, name);
    }
    // The clock is paused and only moves when every task is idle: yielding
    // keeps it still, so the periodic pass cannot be what drops them.
    let mut len = 0;
    for _ in 0..1000 {
        len = packets.len().await.expect("len");
        if len == 3 {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(len, 3, "the newest that fit, at once");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "dropped by the periodic pass"
    );
}
