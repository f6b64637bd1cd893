//! Maps and session stores: the same behaviour on every backend.

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
    }
}
