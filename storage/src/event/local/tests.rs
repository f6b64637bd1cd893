//! The local event store's own behaviour: delivery and node-id filtering in
//! both modes, peers, shutdown, re-entrant listeners, dead nodes.

use super::*;

type Heard = Arc<Mutex<Vec<(String, EventType, Vec<u8>)>>>;

/// Subscribes to `event_type` on `node`, recording what it hears.
async fn record(node: &LocalEventStore, event_type: EventType) -> (SubscriptionId, Heard) {
    let heard: Heard = Arc::default();
    let sink = heard.clone();
    let id = node
        .subscribe(
            event_type,
            Arc::new(move |m: &EventMessage| {
                lock(&sink).push((m.node_id.clone(), m.event_type, m.payload.clone()))
            }),
        )
        .await
        .expect("subscribe");
    (id, heard)
}

/// Runs a future that never waits (every call here) to completion.
fn now<F: std::future::Future>(f: F) -> F::Output {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match std::pin::pin!(f).poll(&mut cx) {
        std::task::Poll::Ready(out) => out,
        std::task::Poll::Pending => panic!("the future waited"),
    }
}

fn count(heard: &Heard) -> usize {
    lock(heard).len()
}

#[tokio::test]
async fn a_peer_hears_and_the_publisher_does_not_in_both_modes() {
    for mode in [EventStoreMode::MultiChannel, EventStoreMode::SingleChannel] {
        let a = LocalEventStore::with_mode("a", mode);
        let b = a.peer("b");
        assert_eq!(b.mode(), mode);
        let (_, at_a) = record(&a, EventType::Join).await;
        let (_, at_b) = record(&b, EventType::Join).await;
        let (_, leaves_at_b) = record(&b, EventType::Leave).await;
        a.publish(EventType::Join, vec![1, 2])
            .await
            .expect("publish");
        assert_eq!(count(&at_a), 0, "{mode:?}: the publisher heard itself");
        assert_eq!(
            *lock(&at_b),
            vec![("a".to_owned(), EventType::Join, vec![1, 2])],
            "{mode:?}"
        );
        assert_eq!(count(&leaves_at_b), 0, "{mode:?}: another type heard it");
    }
}

#[tokio::test]
async fn describes_itself() {
    let a = LocalEventStore::new("a");
    assert_eq!(a.node_id(), "a");
    assert_eq!(a.mode(), EventStoreMode::MultiChannel);
    assert_eq!(a.store_type(), EventStoreType::Local);
    assert_eq!(a.publish_mode(), PublishMode::Reliable);
    assert!(format!("{a:?}").contains("\"a\""));
}

#[tokio::test]
async fn nodes_on_different_hubs_do_not_hear_each_other() {
    let a = LocalEventStore::new("a");
    let other = LocalEventStore::new("b");
    let (_, heard) = record(&other, EventType::Ack).await;
    a.publish(EventType::Ack, vec![]).await.expect("publish");
    assert_eq!(count(&heard), 0);
    assert!(!a.has_peers());
}

#[tokio::test]
async fn a_node_under_the_same_id_is_filtered_out() {
    let a = LocalEventStore::new("a");
    let twin = a.peer("a");
    let (_, heard) = record(&twin, EventType::Sync).await;
    a.publish(EventType::Sync, vec![]).await.expect("publish");
    assert_eq!(count(&heard), 0);
    assert!(!a.has_peers());
}

#[tokio::test]
async fn has_peers_only_with_another_live_node() {
    let a = LocalEventStore::new("a");
    assert!(!a.has_peers());
    let b = a.peer("b");
    assert!(a.has_peers() && b.has_peers());
    drop(b);
    assert!(!a.has_peers(), "a dropped node is still a peer");
    let c = a.peer("c");
    assert!(a.has_peers());
    c.shutdown().await.expect("shutdown");
    assert!(!a.has_peers(), "a shut-down node is still a peer");
}

#[tokio::test]
async fn the_hub_forgets_dropped_and_shut_down_nodes() {
    let a = LocalEventStore::new("a");
    let (b, c) = (a.peer("b"), a.peer("c"));
    let attached = || lock(&a.hub.nodes).len();
    assert_eq!(attached(), 3);
    drop(b);
    a.publish(EventType::Join, vec![]).await.expect("publish");
    assert_eq!(attached(), 2, "a dropped node is pruned");
    c.shutdown().await.expect("shutdown");
    assert_eq!(attached(), 1, "a shut-down node leaves");
    assert!(!a.is_shut_down());
}

#[tokio::test]
async fn dropped_nodes_leave_the_hub() {
    // Servers come and go in one process (tests, reloads): the hub must
    // not keep an entry per node that ever lived.
    let a = LocalEventStore::new("a");
    for i in 0..10 {
        drop(a.peer(format!("gone-{i}")));
    }
    assert_eq!(lock(&a.hub.nodes).len(), 11);
    assert!(!a.has_peers(), "dropped nodes are no peers");
    a.publish(EventType::Join, vec![1]).await.expect("publish");
    assert_eq!(
        lock(&a.hub.nodes).len(),
        1,
        "dropped nodes pruned by a publish"
    );
}

#[tokio::test]
async fn a_shut_down_node_leaves_the_hub_and_the_others_stay() {
    let a = LocalEventStore::new("a");
    let b = a.peer("b");
    let c = a.peer("c");
    drop(a.peer("dropped"));
    let (_, at_c) = record(&c, EventType::Join).await;
    b.shutdown().await.expect("shutdown");
    assert_eq!(
        lock(&a.hub.nodes).len(),
        2,
        "the shut-down and the dropped node are gone, a and c stay"
    );
    a.publish(EventType::Join, vec![1]).await.expect("publish");
    assert_eq!(count(&at_c), 1, "c still hears a");
    assert!(a.has_peers() && c.has_peers());
}

#[tokio::test]
async fn unsubscribe_stops_delivery_in_both_modes() {
    for mode in [EventStoreMode::MultiChannel, EventStoreMode::SingleChannel] {
        let a = LocalEventStore::with_mode("a", mode);
        let b = a.peer("b");
        let (id, heard) = record(&b, EventType::Broadcast).await;
        let (_, kept) = record(&b, EventType::Broadcast).await;
        assert!(b.unsubscribe(id).await.expect("unsubscribe"), "{mode:?}");
        assert!(!b.unsubscribe(id).await.expect("unsubscribe"), "{mode:?}");
        a.publish(EventType::Broadcast, vec![])
            .await
            .expect("publish");
        assert_eq!(count(&heard), 0, "{mode:?}");
        assert_eq!(count(&kept), 1, "{mode:?}");
    }
}

#[tokio::test]
async fn after_shutdown_nothing_goes_in_or_out() {
    let a = LocalEventStore::new("a");
    let b = a.peer("b");
    let (id, heard) = record(&b, EventType::Disconnect).await;
    let (_, at_a) = record(&a, EventType::Disconnect).await;
    b.shutdown().await.expect("shutdown");
    assert!(b.is_shut_down());
    a.publish(EventType::Disconnect, vec![])
        .await
        .expect("publish");
    assert_eq!(count(&heard), 0);
    assert!(matches!(
        b.publish(EventType::Disconnect, vec![]).await,
        Err(StorageError::ShutDown)
    ));
    assert_eq!(count(&at_a), 0);
    assert!(!b.unsubscribe(id).await.expect("unsubscribe"), "kept");
    assert!(matches!(
        b.subscribe(EventType::Join, Arc::new(|_: &EventMessage| {}))
            .await,
        Err(StorageError::ShutDown)
    ));
    b.shutdown().await.expect("a second shutdown");
}

#[tokio::test]
async fn a_listener_may_publish_and_subscribe_reentrantly() {
    let a = LocalEventStore::new("a");
    let b = a.peer("b");
    let (_, echoes) = record(&a, EventType::Ack).await;
    let b2 = b.clone();
    b.subscribe(
        EventType::ServerSideEmit,
        Arc::new(move |m: &EventMessage| {
            // Inside delivery: a lock held by `publish` would deadlock.
            now(b2.subscribe(EventType::Join, Arc::new(|_: &EventMessage| {}))).expect("subscribe");
            now(b2.publish(EventType::Ack, m.payload.clone())).expect("publish");
        }),
    )
    .await
    .expect("subscribe");
    a.publish(EventType::ServerSideEmit, vec![9])
        .await
        .expect("publish");
    assert_eq!(*lock(&echoes), vec![("b".into(), EventType::Ack, vec![9])]);
}
