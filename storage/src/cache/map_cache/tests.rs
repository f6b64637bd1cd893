//! Unit tests of [`MapCache`] over the memory map: record layout, lazy and
//! background removal, counters and their errors. The behaviour shared by
//! every backend is in the conformance suite.

use super::*;
use crate::cache::expiry::{RECLAIM_BATCH, RECLAIM_EVERY};
use crate::memory::MemoryMap;

const SHORT: Duration = Duration::from_millis(30);

fn cache() -> (Arc<MemoryMap>, Arc<MapCache>) {
    let raw = Arc::new(MemoryMap::new("cache"));
    (raw.clone(), MapCache::new(raw))
}

/// Writes a record that expired a second ago.
async fn put_expired(raw: &MemoryMap, key: &str, value: Vec<u8>) {
    let record = Record {
        expires_at_ms: Some(now_ms() - 1000),
        value,
    };
    raw.insert(key.as_bytes(), encode(&record).expect("encode"))
        .await
        .expect("insert");
}

async fn record_at(raw: &MemoryMap, key: &str) -> Option<Record> {
    let bytes = raw.get(key.as_bytes()).await.expect("get")?;
    Some(decode(&bytes).expect("a cache record"))
}

#[tokio::test]
async fn stores_the_callers_record_with_its_deadline() {
    let (raw, cache) = cache();
    let before = now_ms();
    cache
        .set_raw("k", b"v".to_vec(), Some(Duration::from_secs(10)))
        .await
        .expect("set");
    let record = record_at(&raw, "k").await.expect("stored");
    assert_eq!(record.value, b"v");
    let at = record.expires_at_ms.expect("a deadline");
    assert!((before + 10_000..=now_ms() + 10_000).contains(&at), "{at}");
    cache.set_raw("k", b"w".to_vec(), None).await.expect("set");
    assert_eq!(
        record_at(&raw, "k").await.expect("stored").expires_at_ms,
        None
    );
}

#[tokio::test]
async fn an_expired_key_reads_as_absent_and_is_removed_on_the_way() {
    let (raw, cache) = cache();
    put_expired(&raw, "gone", b"v".to_vec()).await;
    assert!(!cache.has("gone").await.expect("has"));
    assert_eq!(raw.len().await.expect("len"), 0, "has removes it");
    put_expired(&raw, "gone", b"v".to_vec()).await;
    assert_eq!(cache.get_raw("gone").await.expect("get"), None);
    assert_eq!(raw.len().await.expect("len"), 0, "get removes it");
    put_expired(&raw, "gone", b"v".to_vec()).await;
    assert!(!cache.delete("gone").await.expect("delete"), "not live");
    assert_eq!(raw.len().await.expect("len"), 0);
}

#[tokio::test]
async fn a_key_lives_until_its_ttl() {
    let (_, cache) = cache();
    cache
        .set_raw("k", b"v".to_vec(), Some(SHORT))
        .await
        .expect("set");
    assert_eq!(cache.get_raw("k").await.expect("get"), Some(b"v".to_vec()));
    tokio::time::sleep(SHORT * 3).await;
    assert_eq!(cache.get_raw("k").await.expect("get"), None);
    cache
        .set_raw("z", b"v".to_vec(), Some(Duration::ZERO))
        .await
        .expect("set");
    assert!(!cache.has("z").await.expect("has"), "a zero TTL is expired");
}

#[tokio::test]
async fn increment_keeps_a_ttl_and_restarts_an_expired_counter() {
    let (raw, cache) = cache();
    assert_eq!(cache.increment("n", 5).await.expect("inc"), 5);
    assert_eq!(cache.increment("n", -7).await.expect("inc"), -2);
    assert!(cache
        .expire("n", Duration::from_secs(60))
        .await
        .expect("expire"));
    let deadline = record_at(&raw, "n").await.and_then(|r| r.expires_at_ms);
    assert_eq!(cache.increment("n", 1).await.expect("inc"), -1);
    assert_eq!(
        record_at(&raw, "n").await.and_then(|r| r.expires_at_ms),
        deadline,
        "the TTL is kept"
    );
    put_expired(&raw, "n", encode(&41i64).expect("encode")).await;
    assert_eq!(cache.increment("n", 1).await.expect("inc"), 1);
    assert_eq!(
        record_at(&raw, "n").await.and_then(|r| r.expires_at_ms),
        None
    );
}

#[tokio::test]
async fn increment_refuses_what_is_not_a_counter_and_leaves_it() {
    let (raw, cache) = cache();
    let text = encode("abc").expect("encode");
    cache.set_raw("s", text.clone(), None).await.expect("set");
    assert!(matches!(
        cache.increment("s", 1).await,
        Err(StorageError::NotACounter(key)) if key == "s"
    ));
    assert_eq!(cache.get_raw("s").await.expect("get"), Some(text));
    raw.insert(b"bad", vec![0xff]).await.expect("insert");
    assert!(matches!(
        cache.increment("bad", 1).await,
        Err(StorageError::Decode(_))
    ));
    assert_eq!(raw.get(b"bad").await.expect("get"), Some(vec![0xff]));
    assert!(matches!(
        cache.expire("bad", SHORT).await,
        Err(StorageError::Decode(_))
    ));
    assert_eq!(raw.get(b"bad").await.expect("get"), Some(vec![0xff]));
}

#[test]
fn only_an_exact_i64_encoding_is_a_counter() {
    assert_eq!(as_counter(&encode(&-3i64).expect("encode")), Some(-3));
    assert_eq!(
        as_counter(&encode(&i64::MAX).expect("encode")),
        Some(i64::MAX)
    );
    assert_eq!(as_counter(&encode("abc").expect("encode")), None);
    assert_eq!(as_counter(&encode(&(1i64, 2i64)).expect("encode")), None);
    assert_eq!(as_counter(&[]), None);
}

#[tokio::test]
async fn expire_sets_a_ttl_only_on_a_live_key() {
    let (raw, cache) = cache();
    assert!(!cache.expire("none", SHORT).await.expect("expire"));
    put_expired(&raw, "old", b"v".to_vec()).await;
    assert!(!cache.expire("old", SHORT).await.expect("expire"));
    assert_eq!(raw.len().await.expect("len"), 0, "the expired key went");
    cache.set_raw("k", b"v".to_vec(), None).await.expect("set");
    assert!(cache.expire("k", SHORT).await.expect("expire"));
    assert!(cache.has("k").await.expect("has"));
    tokio::time::sleep(SHORT * 3).await;
    assert!(!cache.has("k").await.expect("has"));
}

#[tokio::test]
async fn reclaim_removes_only_expired_records_across_batches() {
    let (raw, cache) = cache();
    for i in 0..(RECLAIM_BATCH * 2 + 10) {
        put_expired(&raw, &format!("old{i:04}"), vec![]).await;
    }
    cache.set_raw("live", vec![1], None).await.expect("set");
    raw.insert(b"unreadable", vec![0xff]).await.expect("insert");
    assert_eq!(
        cache.reclaim_expired().await.expect("reclaim"),
        RECLAIM_BATCH * 2 + 10
    );
    assert_eq!(raw.len().await.expect("len"), 2);
    assert_eq!(cache.reclaim_expired().await.expect("reclaim"), 0);
}

#[tokio::test]
async fn delete_reports_a_live_value() {
    let (_, cache) = cache();
    assert!(!cache.delete("k").await.expect("delete"));
    cache.set_raw("k", vec![], None).await.expect("set");
    assert!(cache.delete("k").await.expect("delete"));
    assert!(!cache.has("k").await.expect("has"));
}

#[tokio::test]
async fn refuses_over_long_keys_and_channels() {
    let (_, cache) = cache();
    let long = "k".repeat(MAX_KEY_LEN + 1);
    let too_large = |r: Result<_>| {
        matches!(
            r,
            Err(StorageError::TooLarge {
                max: MAX_KEY_LEN,
                ..
            })
        )
    };
    assert!(too_large(cache.get_raw(&long).await.map(drop)));
    assert!(too_large(cache.set_raw(&long, vec![], None).await));
    assert!(too_large(cache.increment(&long, 1).await.map(drop)));
    assert!(too_large(cache.expire(&long, SHORT).await.map(drop)));
    assert!(too_large(cache.delete(&long).await.map(drop)));
    assert!(too_large(cache.publish(&long, vec![]).await.map(drop)));
    assert_eq!(MAX_KEY_LEN, 64 * 1024, "the documented limit");
    let fits = "k".repeat(MAX_KEY_LEN);
    cache.set_raw(&fits, vec![], None).await.expect("set");
    assert!(cache.has(&fits).await.expect("has"));
}

#[tokio::test(start_paused = true)]
async fn the_background_task_ends_with_the_cache() {
    let metrics = tokio::runtime::Handle::current().metrics();
    let (_, cache) = cache();
    assert_eq!(metrics.num_alive_tasks(), 1, "the reclaim task runs");
    tokio::time::sleep(RECLAIM_EVERY * 2).await;
    assert_eq!(metrics.num_alive_tasks(), 1, "it keeps running");
    drop(cache);
    tokio::time::sleep(RECLAIM_EVERY * 2).await;
    assert_eq!(metrics.num_alive_tasks(), 0, "it ended");
}

#[test]
fn no_runtime_no_task_and_debug_names_the_map() {
    let (_, cache) = cache();
    assert_eq!(Arc::weak_count(&cache), 0);
    assert_eq!(
        format!("{cache:?}"),
        "MapCache { map: \"cache\", subscriptions: 0 }"
    );
    // The reclaim task names the map in its warnings.
    assert_eq!(cache.map_name(), "cache");
}
