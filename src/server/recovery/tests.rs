//! The recovery store over real storage (memory here; sled in
//! `tests/recovery_storage.rs`): what is restored, to whom, and until when.

use std::sync::Arc;
use std::time::Duration;

use edgeio_storage::{LocalEventStore, MemoryStoreFactory, StoreFactory};

use super::*;
use crate::server::storage::ServerStorage;

mod budget;
mod durable;
mod gated;
mod stamp;

fn config(window_ms: u64, max: usize) -> RecoveryConfig {
    RecoveryConfig {
        max_disconnection_duration: Duration::from_millis(window_ms),
        max_buffered_packets: max,
        ..RecoveryConfig::default()
    }
}

async fn storage() -> (Arc<dyn StoreFactory>, ServerStorage) {
    let factory: Arc<dyn StoreFactory> =
        Arc::new(MemoryStoreFactory::new(LocalEventStore::new("node")));
    let storage = ServerStorage::open(factory.clone()).await.expect("opens");
    (factory, storage)
}

fn to(rooms: &[&str], except: &[&str]) -> BroadcastOptions {
    BroadcastOptions {
        rooms: rooms.iter().map(|r| r.to_string()).collect(),
        except: except.iter().map(|r| r.to_string()).collect(),
        ..Default::default()
    }
}

/// Keeps a broadcast of event `name` and returns its offset.
fn keep(store: &RecoveryStore, name: &str, opts: &BroadcastOptions) -> Offset {
    let offset = store.issue_offset();
    let frame = Frame::message(&format!("2[\"{name}\",\"{offset}\"]"));
    store.keep(offset, &[frame], opts);
    offset
}

fn save(store: &RecoveryStore, pid: &str, sid: &str, rooms: &[&str], since: Offset, left: bool) {
    store.save(
        &Sid::from(pid),
        SessionState {
            sid: &Sid::from(sid),
            rooms: rooms.iter().map(|r| r.to_string()).collect(),
            data: Some(&serde_json::json!({"user": "ann"})),
            since,
            left,
        },
    );
}

/// What `probe` says once `done` holds, or after about 6 s of asking: the
/// upkeep works in the background, and its passes are a second apart.
async fn settled<T, F, Fut>(mut probe: F, done: impl Fn(&T) -> bool) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let mut got = probe().await;
    for _ in 0..60 {
        if done(&got) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        got = probe().await;
    }
    got
}

fn names(restored: &Restored) -> Vec<String> {
    restored
        .missed
        .iter()
        .filter_map(|f| match f {
            Frame::Text(t) => t.as_str().split('"').nth(1).map(str::to_owned),
            Frame::Binary(_) => None,
        })
        .collect()
}

#[tokio::test]
async fn restores_rooms_data_and_the_broadcasts_missed_in_them_once() {
    let (_, storage) = storage().await;
    let store = RecoveryStore::open(config(60_000, 100), &storage, "/").expect("store");
    let since = store.next_offset();
    let seen = keep(&store, "a", &to(&["r"], &[]));
    save(&store, "pid", "sid", &["r"], since, true);
    keep(&store, "b", &to(&["r"], &[]));
    keep(&store, "c", &to(&["other"], &[]));
    keep(&store, "d", &to(&[], &["r"]));
    keep(&store, "e", &to(&["sid"], &[]));
    keep(&store, "f", &to(&[], &[]));
    let offset = seen.to_string();
    let restored = store
        .restore("pid", Some(&offset))
        .await
        .expect("storage")
        .expect("kept");
    assert_eq!(restored.sid, Sid::from("sid"));
    assert_eq!(restored.rooms, vec!["r".to_owned()]);
    assert_eq!(restored.data, Some(serde_json::json!({"user": "ann"})));
    assert_eq!(
        names(&restored),
        ["b", "e", "f"],
        "to its rooms, to itself, to all; not excepted"
    );
    assert!(
        store
            .restore("pid", Some(&offset))
            .await
            .expect("storage")
            .is_none(),
        "once"
    );
    assert!(store
        .restore("nobody", Some(&offset))
        .await
        .expect("storage")
        .is_none());
}

#[tokio::test]
async fn without_an_offset_a_session_is_restored_from_where_it_connected() {
    let (_, storage) = storage().await;
    let store = RecoveryStore::open(config(60_000, 100), &storage, "/").expect("store");
    keep(&store, "before", &to(&[], &[]));
    let since = store.next_offset();
    save(&store, "pid", "sid", &["r"], since, true);
    keep(&store, "after", &to(&["r"], &[]));
    let restored = store
        .restore("pid", None)
        .await
        .expect("storage")
        .expect("kept");
    assert_eq!(names(&restored), ["after"]);
}

#[tokio::test]
async fn an_unknown_or_foreign_offset_restores_nothing() {
    let (_, storage) = storage().await;
    let store = RecoveryStore::open(config(60_000, 100), &storage, "/").expect("store");
    save(&store, "pid", "sid", &[], store.next_offset(), true);
    for offset in ["99-99", "garbage", ""] {
        assert!(
            store
                .restore("pid", Some(offset))
                .await
                .expect("storage")
                .is_none(),
            "{offset}"
        );
    }
    assert!(
        store.restore("pid", None).await.expect("storage").is_some(),
        "still kept"
    );
}

#[tokio::test]
async fn a_connected_socket_is_not_taken_over_but_one_left_by_a_dead_process_is() {
    let (factory, storage) = storage().await;
    let store = RecoveryStore::open(config(60_000, 100), &storage, "/").expect("store");
    save(&store, "pid", "sid", &["r"], store.next_offset(), false);
    assert!(
        store.restore("pid", None).await.expect("storage").is_none(),
        "still connected here"
    );
    // The same storage opened again: the next start of the server.
    let next = ServerStorage::open(factory).await.expect("reopens");
    assert_eq!(next.boot(), storage.boot() + 1);
    let store = RecoveryStore::open(config(60_000, 100), &next, "/").expect("store");
    let restored = store
        .restore("pid", None)
        .await
        .expect("storage")
        .expect("restored");
    assert_eq!(restored.rooms, vec!["r".to_owned()]);
}

#[tokio::test]
async fn sessions_expire_with_the_window_and_are_reclaimed() {
    let (factory, storage) = storage().await;
    let store = RecoveryStore::open(config(100, 100), &storage, "/").expect("store");
    save(&store, "gone", "s1", &[], store.next_offset(), true);
    save(&store, "late", "s2", &[], store.next_offset(), true);
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(
        store
            .restore("late", None)
            .await
            .expect("storage")
            .is_none(),
        "past the window"
    );
    let sessions = factory.create_map("recovery:/:sessions").expect("map");
    let left = settled(|| async { sessions.len().await.expect("len") }, |n| *n == 0).await;
    assert_eq!(left, 0, "expired sessions are dropped in the background");
}

#[tokio::test]
async fn broadcasts_past_the_window_or_the_size_are_dropped_oldest_first() {
    let (factory, storage) = storage().await;
    let store = RecoveryStore::open(config(60_000, 3), &storage, "/").expect("store");
    let since = store.next_offset();
    save(&store, "pid", "sid", &[], since, true);
    let first = keep(&store, "1", &to(&[], &[]));
    keep(&store, "2", &to(&[], &[]));
    let third = keep(&store, "3", &to(&[], &[]));
    for name in ["4", "5"] {
        keep(&store, name, &to(&[], &[]));
    }
    let packets = factory.create_map("recovery:/:packets").expect("map");
    let len = settled(|| async { packets.len().await.expect("len") }, |n| *n == 3).await;
    assert_eq!(len, 3, "exactly the buffer's size is kept");
    assert!(store
        .restore("pid", Some(&first.to_string()))
        .await
        .expect("storage")
        .is_none());
    assert!(
        store.restore("pid", None).await.expect("storage").is_none(),
        "it missed dropped ones"
    );
    save(&store, "pid", "sid", &[], since, true);
    let restored = store
        .restore("pid", Some(&third.to_string()))
        .await
        .expect("storage");
    assert_eq!(names(&restored.expect("3 is kept")), ["4", "5"]);

    // A client without an offset that connected just before the oldest
    // broadcast still kept missed nothing that was dropped.
    save(&store, "at-the-edge", "sid", &[], third, true);
    let restored = store.restore("at-the-edge", None).await.expect("storage");
    assert_eq!(names(&restored.expect("restored")), ["3", "4", "5"]);

    // The next start of the server knows what was dropped.
    save(&store, "before-the-edge", "sid", &[], since, true);
    let next = ServerStorage::open(factory).await.expect("reopens");
    let store = RecoveryStore::open(config(60_000, 3), &next, "/").expect("store");
    assert!(
        store
            .restore("before-the-edge", None)
            .await
            .expect("storage")
            .is_none(),
        "what it missed was dropped in the earlier start"
    );
}

#[tokio::test]
async fn expired_broadcasts_are_dropped() {
    let (factory, storage) = storage().await;
    let store = RecoveryStore::open(config(100, 100), &storage, "/").expect("store");
    keep(&store, "old", &to(&[], &[]));
    let packets = factory.create_map("recovery:/:packets").expect("map");
    let len = settled(|| async { packets.len().await.expect("len") }, |n| *n == 0).await;
    assert_eq!(len, 0);
}

#[tokio::test]
async fn a_socket_that_left_for_good_is_forgotten() {
    let (_, storage) = storage().await;
    let store = RecoveryStore::open(config(60_000, 100), &storage, "/").expect("store");
    save(&store, "pid", "sid", &[], store.next_offset(), true);
    store.forget(&Sid::from("pid"));
    save(&store, "other", "sid2", &[], store.next_offset(), true);
    assert!(store.restore("pid", None).await.expect("storage").is_none());
    assert!(store
        .restore("other", None)
        .await
        .expect("storage")
        .is_some());
}

#[test]
fn only_a_lost_connection_is_recoverable() {
    use crate::engine::DisconnectReason as Engine;
    for reason in [
        Engine::TransportClose,
        Engine::TransportError,
        Engine::PingTimeout,
    ] {
        assert!(
            is_recoverable(DisconnectReason::Connection(reason)),
            "{reason:?}"
        );
    }
    assert!(!is_recoverable(DisconnectReason::Connection(
        Engine::ParseError
    )));
    assert!(!is_recoverable(DisconnectReason::ClientNamespaceDisconnect));
    assert!(!is_recoverable(DisconnectReason::ServerNamespaceDisconnect));
}

#[tokio::test(start_paused = true)]
async fn past_the_buffers_size_the_oldest_go_at_once_not_at_the_next_tick() {
    let (factory, storage) = storage().await;
    let store = RecoveryStore::open(config(60_000, 3), &storage, "/").expect("store");
    let packets = factory.create_map("recovery:/:packets").expect("map");
    // Its first pass, at start, done: the next periodic one is a second away.
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    let started = tokio::time::Instant::now();
    for name in ["1", "2", "3", "4", "5"] {
        keep(&store, name, &to(&[], &[]));
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
    assert_eq!(len, 3);
    // These passes count nothing: they go by the count kept since, which
    // must still be right for the next burst (neither too few dropped nor
    // too many).
    let newest: Vec<_> = ["6", "7", "8", "9"]
        .into_iter()
        .map(|name| keep(&store, name, &to(&[], &[])).key())
        .collect();
    let mut kept = Vec::new();
    for _ in 0..1000 {
        kept = packets.raw().range_from(&[], 100).await.expect("range");
        if kept.len() == 3 {
            break;
        }
        tokio::task::yield_now().await;
    }
    let keys: Vec<_> = kept.into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, newest[1..], "the buffer's size again, the newest");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "dropped by the periodic pass"
    );
}

#[tokio::test]
async fn connected_sessions_are_kept_and_those_of_a_dead_start_expire() {
    let (factory, first) = storage().await;
    let old = RecoveryStore::open(config(100, 100), &first, "/").expect("store");
    save(&old, "old", "s1", &[], old.next_offset(), false);
    drop(old);
    let next = ServerStorage::open(factory.clone()).await.expect("reopens");
    let store = RecoveryStore::open(config(100, 100), &next, "/").expect("store");
    save(&store, "live", "s2", &[], store.next_offset(), false);
    let sessions = factory.create_map("recovery:/:sessions").expect("map");
    let old_kept = settled(|| async { sessions.has("old").await.expect("has") }, |k| !k).await;
    assert!(!old_kept, "left connected by a start that died: expires");
    assert!(
        sessions.has("live").await.expect("has"),
        "connected now: kept"
    );
}

#[tokio::test]
async fn a_long_run_of_live_sessions_does_not_hide_expired_ones_behind_it() {
    // Two sessions per pass in tests: "a" and "b" fill the first pass.
    let (factory, storage) = storage().await;
    let store = RecoveryStore::open(config(100, 100), &storage, "/").expect("store");
    save(&store, "a", "s1", &[], store.next_offset(), false);
    save(&store, "b", "s2", &[], store.next_offset(), false);
    save(&store, "c", "s3", &[], store.next_offset(), true);
    let sessions = factory.create_map("recovery:/:sessions").expect("map");
    let c_kept = settled(|| async { sessions.has("c").await.expect("has") }, |k| !k).await;
    assert!(
        !c_kept,
        "the expired session after the live ones is reclaimed"
    );
    assert_eq!(sessions.len().await.expect("len"), 2, "the live ones stay");
}
