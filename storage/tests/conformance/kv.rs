//! Maps: the same behaviour on every backend. Every assertion names the
//! backend it ran on. (Session stores are in `stores.rs`.)

use std::sync::Arc;

use edgeio_storage::codec::{encode, FORMAT_VERSION};
use edgeio_storage::{StorageError, StoreFactory};

use crate::backends;

#[tokio::test]
async fn a_map_sets_gets_and_deletes_typed_values() {
    for b in backends().await {
        let map = b.factory.create_map("things").expect("map");
        assert_eq!(
            map.get::<String>("k").await.expect("get"),
            None,
            "{}",
            b.name
        );
        map.set("k", "v").await.expect("set");
        assert_eq!(
            map.get::<String>("k").await.expect("get").as_deref(),
            Some("v"),
            "{}",
            b.name
        );
        assert!(map.has("k").await.expect("has"), "{}", b.name);
        assert!(map.del("k").await.expect("del"), "{}", b.name);
        assert!(!map.has("k").await.expect("has"), "{}", b.name);
        assert!(!map.del("k").await.expect("del"), "{}", b.name);
        map.set_durable("k", &(1u32, "two")).await.expect("set");
        assert_eq!(
            map.get::<(u32, String)>("k").await.expect("get"),
            Some((1, "two".into())),
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn maps_of_one_name_are_shared_and_of_two_names_apart() {
    for b in backends().await {
        let a = b.factory.create_map("a").expect("map");
        let a2 = b.factory.create_map("a").expect("map");
        let other = b.factory.create_map("b").expect("map");
        a.set("k", &1u8).await.expect("set");
        assert_eq!(a2.get::<u8>("k").await.expect("get"), Some(1), "{}", b.name);
        assert_eq!(other.get::<u8>("k").await.expect("get"), None, "{}", b.name);
        assert_eq!(a.name(), "a", "{}", b.name);
        assert_eq!(a.len().await.expect("len"), 1, "{}", b.name);
        assert!(other.is_empty().await.expect("len"), "{}", b.name);
        assert!(!a.is_empty().await.expect("len"), "{}", b.name);
        a.clear().await.expect("clear");
        assert!(a2.is_empty().await.expect("len"), "{}", b.name);
        a.flush().await.expect("flush");
        assert_eq!(format!("{a:?}"), r#"Map { name: "a" }"#, "{}", b.name);
    }
}

#[tokio::test]
async fn a_value_read_as_the_wrong_type_is_a_decode_error() {
    for b in backends().await {
        let map = b.factory.create_map("typed").expect("map");
        map.set("n", &5u8).await.expect("set");
        let err = map.get::<String>("n").await.expect_err(b.name);
        assert!(matches!(err, StorageError::Decode(_)), "{}: {err}", b.name);
        map.set("b", &7u8).await.expect("set");
        let err = map.get::<bool>("b").await.expect_err(b.name);
        assert!(matches!(err, StorageError::Decode(_)), "{}: {err}", b.name);
        let raw = map.raw();
        raw.insert(b"old", vec![FORMAT_VERSION + 1, 0])
            .await
            .expect("insert");
        let err = map.get::<u8>("old").await.expect_err(b.name);
        assert!(
            matches!(err, StorageError::Version { found, .. } if found == FORMAT_VERSION + 1),
            "{}: {err}",
            b.name
        );
        let err = map
            .scan_prefix::<u8>("", 10)
            .await
            .expect_err("one record is bad");
        assert!(matches!(err, StorageError::Version { .. }), "{}", b.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_increments_are_exact() {
    for b in backends().await {
        let map = b.factory.create_map("counters").expect("map");
        let tasks: Vec<_> = (0..64)
            .map(|_| {
                let map = map.clone();
                tokio::spawn(async move {
                    for _ in 0..100 {
                        map.increment("hits", 1).await.expect("increments");
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("joins");
        }
        assert_eq!(
            map.get::<i64>("hits").await.expect("get"),
            Some(6400),
            "{}",
            b.name
        );
        assert_eq!(
            map.increment("hits", -400).await.expect("inc"),
            6000,
            "{}",
            b.name
        );
        assert_eq!(
            map.increment("new", -3).await.expect("inc"),
            -3,
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn incrementing_a_non_counter_fails_and_keeps_the_value() {
    for b in backends().await {
        let map = b.factory.create_map("counters").expect("map");
        map.set("unit", &()).await.expect("set");
        let err = map.increment("unit", 1).await.expect_err(b.name);
        assert!(
            matches!(err, StorageError::NotACounter(ref k) if k == "unit"),
            "{}: {err}",
            b.name
        );
        let garbage = vec![
            FORMAT_VERSION,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
        ];
        map.raw()
            .insert(b"junk", garbage.clone())
            .await
            .expect("insert");
        let err = map.increment("junk", 1).await.expect_err(b.name);
        assert!(
            matches!(err, StorageError::NotACounter(_)),
            "{}: {err}",
            b.name
        );
        assert_eq!(
            map.raw().get(b"junk").await.expect("get"),
            Some(garbage),
            "{}",
            b.name
        );
        assert_eq!(
            map.get::<()>("unit").await.expect("get"),
            Some(()),
            "{}",
            b.name
        );
    }
}

/// Fills `map` with keys given out of order.
async fn fill(map: &edgeio_storage::Map, keys: &[&str]) {
    for k in keys {
        map.set(k, *k).await.expect("set");
    }
}

fn keys<V>(entries: &[(Vec<u8>, V)]) -> Vec<String> {
    entries
        .iter()
        .map(|(k, _)| String::from_utf8_lossy(k).into_owned())
        .collect()
}

#[tokio::test]
async fn ranges_and_prefix_scans_are_ordered_and_limited() {
    for b in backends().await {
        let map = b.factory.create_map("ordered").expect("map");
        fill(&map, &["b/2", "a/1", "c", "b/1", "a/2", "b/10", "ab"]).await;
        let all = map.range_from::<String>("", 100).await.expect("range");
        assert_eq!(
            keys(&all),
            ["a/1", "a/2", "ab", "b/1", "b/10", "b/2", "c"],
            "{}",
            b.name
        );
        assert!(all.iter().all(|(k, v)| k == v.as_bytes()), "{}", b.name);
        let from = map.range_from::<String>("b", 2).await.expect("range");
        assert_eq!(keys(&from), ["b/1", "b/10"], "{}", b.name);
        let from = map.range_from::<String>("b/10", 100).await.expect("range");
        assert_eq!(keys(&from), ["b/10", "b/2", "c"], "{}", b.name);
        assert!(
            map.range_from::<String>("d", 5)
                .await
                .expect("range")
                .is_empty(),
            "{}",
            b.name
        );
        assert!(
            map.range_from::<String>("", 0)
                .await
                .expect("range")
                .is_empty(),
            "{}",
            b.name
        );
        let scan = map.scan_prefix::<String>("b/", 100).await.expect("scan");
        assert_eq!(keys(&scan), ["b/1", "b/10", "b/2"], "{}", b.name);
        let scan = map.scan_prefix::<String>("b/", 2).await.expect("scan");
        assert_eq!(keys(&scan), ["b/1", "b/10"], "{}", b.name);
        let scan = map.scan_prefix::<String>("a", 100).await.expect("scan");
        assert_eq!(keys(&scan), ["a/1", "a/2", "ab"], "{}", b.name);
        assert!(
            map.scan_prefix::<String>("x", 9)
                .await
                .expect("scan")
                .is_empty(),
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn remove_prefix_removes_exactly_the_prefix() {
    for b in backends().await {
        let map = b.factory.create_map("prefixed").expect("map");
        fill(&map, &["s1/a", "s1/b", "s1", "s10/a", "s2/a"]).await;
        let raw = map.raw();
        assert_eq!(
            raw.remove_prefix(b"s1/").await.expect("remove"),
            2,
            "{}",
            b.name
        );
        assert_eq!(
            raw.remove_prefix(b"s1/").await.expect("remove"),
            0,
            "{}",
            b.name
        );
        let left = map.range_from::<String>("", 100).await.expect("range");
        assert_eq!(keys(&left), ["s1", "s10/a", "s2/a"], "{}", b.name);
        assert_eq!(
            raw.remove_prefix(b"").await.expect("remove"),
            3,
            "{}",
            b.name
        );
        assert_eq!(map.len().await.expect("len"), 0, "{}", b.name);
    }
}

#[tokio::test]
async fn raw_updates_replace_insert_and_remove() {
    for b in backends().await {
        let map = b.factory.create_map("raw").expect("map");
        let raw = map.raw();
        assert_eq!(
            raw.insert(b"k", b"1".to_vec()).await.expect("insert"),
            None,
            "{}",
            b.name
        );
        assert_eq!(
            raw.insert(b"k", b"2".to_vec()).await.expect("insert"),
            Some(b"1".to_vec()),
            "{}",
            b.name
        );
        let appended = raw
            .update(b"k", &|old| old.map(|v| [v, b"+"].concat()))
            .await
            .expect("update");
        assert_eq!(appended, Some(b"2+".to_vec()), "{}", b.name);
        let created = raw
            .update(b"new", &|old| {
                Some(if old.is_none() {
                    b"fresh".to_vec()
                } else {
                    Vec::new()
                })
            })
            .await
            .expect("update");
        assert_eq!(created, Some(b"fresh".to_vec()), "{}", b.name);
        assert_eq!(
            raw.update(b"k", &|_| None).await.expect("update"),
            None,
            "{}",
            b.name
        );
        assert!(!raw.contains(b"k").await.expect("contains"), "{}", b.name);
        assert_eq!(
            raw.remove(b"new").await.expect("remove"),
            Some(b"fresh".to_vec()),
            "{}",
            b.name
        );
        assert_eq!(
            raw.remove(b"new").await.expect("remove"),
            None,
            "{}",
            b.name
        );
        assert_eq!(raw.name(), "raw", "{}", b.name);
        assert_eq!(raw.is_durable(), b.factory.is_durable(), "{}", b.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exactly_one_concurrent_insert_if_absent_wins() {
    for b in backends().await {
        let map = b.factory.create_map("claims").expect("map");
        for round in 0..5u8 {
            let key = [b'k', round];
            let tasks: Vec<_> = (0..32u8)
                .map(|i| {
                    let raw = Arc::clone(map.raw());
                    tokio::spawn(async move { (i, raw.insert_if_absent(&key, vec![i]).await) })
                })
                .collect();
            let mut winners = Vec::new();
            let mut seen = Vec::new();
            for t in tasks {
                let (i, result) = t.await.expect("joins");
                match result.expect("inserts") {
                    None => winners.push(i),
                    Some(existing) => seen.push(existing),
                }
            }
            assert_eq!(winners.len(), 1, "{}: winners {winners:?}", b.name);
            assert!(seen.iter().all(|v| *v == [winners[0]]), "{}", b.name);
            assert_eq!(
                map.raw().get(&key).await.expect("get"),
                Some(vec![winners[0]]),
                "{}",
                b.name
            );
        }
    }
}

#[tokio::test]
async fn a_shut_down_factory_refuses_new_maps() {
    for b in backends().await {
        b.factory.shutdown().await.expect("shuts down");
        let err = b.factory.create_map("late").expect_err(b.name);
        assert!(matches!(err, StorageError::ShutDown), "{}: {err}", b.name);
        let err = b.factory.create_store("late").expect_err(b.name);
        assert!(matches!(err, StorageError::ShutDown), "{}: {err}", b.name);
        let err = b
            .factory
            .idempotency("late", std::time::Duration::from_secs(1))
            .map(drop);
        assert!(matches!(err, Err(StorageError::ShutDown)), "{}", b.name);
    }
}

#[tokio::test]
async fn encoded_records_carry_the_format_version() {
    for b in backends().await {
        let map = b.factory.create_map("records").expect("map");
        map.set("k", &42u64).await.expect("set");
        let stored = map.raw().get(b"k").await.expect("get");
        assert_eq!(stored, Some(encode(&42u64).expect("encodes")), "{}", b.name);
        let _: &dyn StoreFactory = b.factory.as_ref();
    }
}
