//! Session stores: the same behaviour on every backend — isolated from
//! each other, and refusing every use once destroyed.

use edgeio_storage::StorageError;

use crate::backends;

#[tokio::test]
async fn session_stores_are_isolated() {
    for b in backends().await {
        let a = b.factory.create_store("a").expect("store");
        let ab = b.factory.create_store("ab").expect("store");
        assert_eq!(a.session_id(), "a", "{}", b.name);
        a.set("user", "alice").await.expect("set");
        ab.set("user", "bob").await.expect("set");
        a.set("n", &3u32).await.expect("set");
        assert_eq!(
            a.get::<String>("user").await.expect("get").as_deref(),
            Some("alice"),
            "{}",
            b.name
        );
        assert_eq!(
            ab.get::<String>("user").await.expect("get").as_deref(),
            Some("bob"),
            "{}",
            b.name
        );
        assert!(!ab.has("n").await.expect("has"), "{}", b.name);
        assert!(a.del("n").await.expect("del"), "{}", b.name);
        assert!(!a.has("n").await.expect("has"), "{}", b.name);
        let again = b.factory.create_store("a").expect("store");
        assert_eq!(
            again.get::<String>("user").await.expect("get").as_deref(),
            Some("alice"),
            "{}",
            b.name
        );
        a.flush().await.expect("flush");
        a.destroy().await.expect("destroy");
        assert_eq!(
            ab.get::<String>("user").await.expect("get").as_deref(),
            Some("bob"),
            "{}",
            b.name
        );
        let fresh = b.factory.create_store("a").expect("store");
        assert_eq!(
            fresh.get::<String>("user").await.expect("get"),
            None,
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn a_destroyed_store_refuses_every_use() {
    for b in backends().await {
        let store = b.factory.create_store("gone").expect("store");
        store.set("k", &1u8).await.expect("set");
        let clone = store.clone();
        assert!(!clone.is_destroyed(), "{}", b.name);
        assert_eq!(
            format!("{store:?}"),
            r#"Store { session: "gone", destroyed: false }"#,
            "{}",
            b.name
        );
        store.destroy().await.expect("destroy");
        assert!(clone.is_destroyed(), "{}", b.name);
        assert_eq!(
            format!("{clone:?}"),
            r#"Store { session: "gone", destroyed: true }"#,
            "{}",
            b.name
        );
        let destroyed = |r: Result<(), StorageError>, what: &str| {
            assert!(
                matches!(r, Err(StorageError::Destroyed(ref s)) if s == "gone"),
                "{}: {what}: {r:?}",
                b.name
            );
        };
        destroyed(clone.set("k", &2u8).await, "set");
        destroyed(clone.get::<u8>("k").await.map(drop), "get");
        destroyed(clone.has("k").await.map(drop), "has");
        destroyed(clone.del("k").await.map(drop), "del");
        destroyed(clone.flush().await, "flush");
        destroyed(clone.destroy().await, "second destroy");
        destroyed(store.destroy().await, "destroy of the original");
    }
}
