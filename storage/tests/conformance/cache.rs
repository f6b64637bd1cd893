//! The cache of every backend: typed values, TTLs (real sleeps; the only
//! timing assertion is "gone after 3× the TTL"), background reclaim, atomic
//! counters, and pattern publish/subscribe.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use edgeio_storage::{Cache, MessageListener, StorageError};

use crate::backends;

const TTL: Duration = Duration::from_millis(80);
const LONG: Duration = Duration::from_secs(600);

#[tokio::test]
async fn typed_values_set_get_and_delete() {
    for b in backends().await {
        let cache = b.factory.cache().expect("cache");
        assert_eq!(
            cache.get::<String>("k").await.expect("get"),
            None,
            "{}",
            b.name
        );
        cache.set("k", "v", None).await.expect("set");
        cache.set("n", &(1u8, vec![2u16]), None).await.expect("set");
        assert_eq!(
            cache.get::<String>("k").await.expect("get").as_deref(),
            Some("v"),
            "{}",
            b.name
        );
        assert_eq!(
            cache.get::<(u8, Vec<u16>)>("n").await.expect("get"),
            Some((1, vec![2])),
            "{}",
            b.name
        );
        assert!(cache.has("k").await.expect("has"), "{}", b.name);
        assert!(cache.delete("k").await.expect("delete"), "{}", b.name);
        assert!(!cache.delete("k").await.expect("delete"), "{}", b.name);
        assert!(!cache.has("k").await.expect("has"), "{}", b.name);
        let again = b.factory.cache().expect("cache");
        assert!(again.has("n").await.expect("has"), "{}: one cache", b.name);
    }
}

#[tokio::test]
async fn keys_expire_and_a_set_without_ttl_clears_one() {
    for b in backends().await {
        let cache = b.factory.cache().expect("cache");
        cache.set("short", &1u8, Some(TTL)).await.expect("set");
        cache.set("long", &2u8, Some(LONG)).await.expect("set");
        cache.set("cleared", &3u8, Some(TTL)).await.expect("set");
        cache.set("cleared", &4u8, None).await.expect("set");
        assert_eq!(
            cache.get::<u8>("long").await.expect("get"),
            Some(2),
            "{}",
            b.name
        );
        tokio::time::sleep(TTL * 3).await;
        assert_eq!(
            cache.get::<u8>("short").await.expect("get"),
            None,
            "{}",
            b.name
        );
        assert!(!cache.has("short").await.expect("has"), "{}", b.name);
        assert!(!cache.delete("short").await.expect("delete"), "{}", b.name);
        assert_eq!(
            cache.get::<u8>("long").await.expect("get"),
            Some(2),
            "{}",
            b.name
        );
        assert_eq!(
            cache.get::<u8>("cleared").await.expect("get"),
            Some(4),
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn expired_keys_are_reclaimed_without_being_read() {
    for b in backends().await {
        let cache = b.factory.cache().expect("cache");
        let raw = b.factory.create_map("__cache").expect("map").raw().clone();
        cache.set("stays", &0u8, None).await.expect("set");
        if !raw.contains(b"stays").await.expect("contains") {
            eprintln!(
                "{}: the cache is not kept in \"__cache\"; reclaim unchecked",
                b.name
            );
            continue;
        }
        let before = raw.len().await.expect("len");
        for i in 0..20 {
            cache
                .set(&format!("r{i}"), &i, Some(TTL))
                .await
                .expect("set");
        }
        // The sweep runs about every second; allow a few on a busy machine.
        let mut len = raw.len().await.expect("len");
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            len = raw.len().await.expect("len");
            if len == before {
                break;
            }
        }
        assert_eq!(len, before, "{}: expired keys left in the map", b.name);
        assert!(cache.has("stays").await.expect("has"), "{}", b.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_increments_are_all_counted() {
    for b in backends().await {
        let cache = b.factory.cache().expect("cache");
        let tasks: Vec<_> = (0..64)
            .map(|_| {
                let cache = cache.clone();
                tokio::spawn(async move {
                    for _ in 0..100 {
                        cache.increment("hits", 1).await.expect("increment");
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("task");
        }
        assert_eq!(
            cache.get::<i64>("hits").await.expect("get"),
            Some(6400),
            "{}",
            b.name
        );
        assert_eq!(
            cache.increment("hits", -400).await.expect("inc"),
            6000,
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn counters_keep_their_ttl_restart_when_expired_and_refuse_other_values() {
    for b in backends().await {
        let cache = b.factory.cache().expect("cache");
        cache.set("c", &10i64, Some(TTL)).await.expect("set");
        assert_eq!(
            cache.increment("c", 5).await.expect("inc"),
            15,
            "{}",
            b.name
        );
        tokio::time::sleep(TTL * 3).await;
        assert_eq!(
            cache.get::<i64>("c").await.expect("get"),
            None,
            "{}: TTL kept",
            b.name
        );
        assert_eq!(cache.increment("c", 5).await.expect("inc"), 5, "{}", b.name);
        cache.set("s", "text", None).await.expect("set");
        assert!(
            matches!(
                cache.increment("s", 1).await,
                Err(StorageError::NotACounter(_))
            ),
            "{}",
            b.name
        );
        assert_eq!(
            cache.get::<String>("s").await.expect("get").as_deref(),
            Some("text"),
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn expire_applies_only_to_live_keys() {
    for b in backends().await {
        let cache = b.factory.cache().expect("cache");
        assert!(
            !cache.expire("none", TTL).await.expect("expire"),
            "{}",
            b.name
        );
        cache.set("k", &1u8, None).await.expect("set");
        assert!(cache.expire("k", TTL).await.expect("expire"), "{}", b.name);
        tokio::time::sleep(TTL * 3).await;
        assert!(!cache.has("k").await.expect("has"), "{}", b.name);
        assert!(
            !cache.expire("k", LONG).await.expect("expire"),
            "{}",
            b.name
        );
        cache.set("k2", &1u8, Some(TTL)).await.expect("set");
        assert!(
            cache.expire("k2", LONG).await.expect("expire"),
            "{}",
            b.name
        );
        tokio::time::sleep(TTL * 3).await;
        assert!(
            cache.has("k2").await.expect("has"),
            "{}: TTL extended",
            b.name
        );
    }
}

/// Subscribes `pattern`, recording the channels it hears.
async fn record(
    cache: &Arc<dyn Cache>,
    pattern: &str,
) -> (edgeio_storage::SubscriptionId, Arc<Mutex<Vec<String>>>) {
    let heard = Arc::new(Mutex::new(Vec::new()));
    let sink = heard.clone();
    let listener: MessageListener = Arc::new(move |channel: &str, message: &[u8]| {
        assert_eq!(message, b"m");
        sink.lock().expect("lock").push(channel.to_owned());
    });
    (
        cache.subscribe(pattern, listener).await.expect("subscribe"),
        heard,
    )
}

#[tokio::test]
async fn pattern_subscriptions_hear_matching_channels() {
    for b in backends().await {
        let cache = b.factory.cache().expect("cache");
        let (_, photos) = record(&cache, "photo.*").await;
        let (_, one_char) = record(&cache, "room?").await;
        let (_, class) = record(&cache, "user:[a-c]").await;
        let (_, negated) = record(&cache, "user:[^a-c]").await;
        let mut counts = Vec::new();
        for channel in [
            "photo.new",
            "video.new",
            "room1",
            "room12",
            "user:b",
            "user:x",
        ] {
            counts.push(
                cache
                    .publish(channel, b"m".to_vec())
                    .await
                    .expect("publish"),
            );
        }
        assert_eq!(counts, [1, 0, 1, 0, 1, 1], "{}", b.name);
        let got = |h: &Arc<Mutex<Vec<String>>>| h.lock().expect("lock").clone();
        assert_eq!(got(&photos), ["photo.new"], "{}", b.name);
        assert_eq!(got(&one_char), ["room1"], "{}", b.name);
        assert_eq!(got(&class), ["user:b"], "{}", b.name);
        assert_eq!(got(&negated), ["user:x"], "{}", b.name);
    }
}

#[tokio::test]
async fn unsubscribe_stops_delivery() {
    for b in backends().await {
        let cache = b.factory.cache().expect("cache");
        let calls = Arc::new(AtomicUsize::new(0));
        let count = calls.clone();
        let id = cache
            .subscribe(
                "*",
                Arc::new(move |_: &str, _: &[u8]| {
                    count.fetch_add(1, Ordering::SeqCst);
                }),
            )
            .await
            .expect("subscribe");
        assert_eq!(
            cache.publish("a", vec![]).await.expect("publish"),
            1,
            "{}",
            b.name
        );
        assert!(
            cache.unsubscribe(id).await.expect("unsubscribe"),
            "{}",
            b.name
        );
        assert!(
            !cache.unsubscribe(id).await.expect("unsubscribe"),
            "{}",
            b.name
        );
        assert_eq!(
            cache.publish("a", vec![]).await.expect("publish"),
            0,
            "{}",
            b.name
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1, "{}", b.name);
    }
}

#[tokio::test]
async fn over_long_patterns_and_keys_are_refused() {
    for b in backends().await {
        let cache = b.factory.cache().expect("cache");
        let pattern = "*".repeat(edgeio_storage::cache::MAX_PATTERN_LEN + 1);
        let listener: MessageListener = Arc::new(|_: &str, _: &[u8]| {});
        assert!(
            matches!(
                cache.subscribe(&pattern, listener).await,
                Err(StorageError::TooLarge { .. })
            ),
            "{}",
            b.name
        );
        let key = "k".repeat(edgeio_storage::cache::MAX_KEY_LEN + 1);
        assert!(
            matches!(
                cache.set(&key, &1u8, None).await,
                Err(StorageError::TooLarge { .. })
            ),
            "{}",
            b.name
        );
        // The documented limit: keys up to 64 KiB are taken.
        let key = "k".repeat(64 * 1024);
        cache
            .set(&key, &1u8, None)
            .await
            .expect("a 64 KiB key fits");
        assert_eq!(
            cache.get::<u8>(&key).await.expect("get"),
            Some(1),
            "{}",
            b.name
        );
    }
}
