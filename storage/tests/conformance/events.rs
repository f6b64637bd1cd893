//! Event stores: a node never hears itself, a peer hears every type it
//! subscribed to and nothing else, unsubscribing and shutting down stop
//! delivery. The pair checks take any two `&dyn EventStore` on one network
//! ([`pairs`] lists them, both modes of the local store for now); the
//! factory checks run on every backend's own event store.

use std::sync::{Arc, Mutex};

use edgeio_storage::{
    EventMessage, EventStore, EventStoreMode, EventStoreType, EventType, LocalEventStore,
    PublishMode, StorageError, SubscriptionId,
};

use crate::backends;

/// Two nodes that can hear each other, named for assertion messages.
struct Pair {
    name: &'static str,
    a: Arc<dyn EventStore>,
    b: Arc<dyn EventStore>,
}

/// Every kind of event store, as two peers.
fn pairs() -> Vec<Pair> {
    [
        ("local multi-channel", EventStoreMode::MultiChannel),
        ("local single-channel", EventStoreMode::SingleChannel),
    ]
    .into_iter()
    .map(|(name, mode)| {
        let a = LocalEventStore::with_mode("node-a", mode);
        let b: Arc<dyn EventStore> = a.peer("node-b");
        Pair { name, a, b }
    })
    .collect()
}

type Heard = Arc<Mutex<Vec<EventMessage>>>;

async fn listen(node: &dyn EventStore, event_type: EventType) -> (SubscriptionId, Heard) {
    let heard: Heard = Arc::default();
    let sink = heard.clone();
    let id = node
        .subscribe(
            event_type,
            Arc::new(move |m: &EventMessage| sink.lock().expect("lock").push(m.clone())),
        )
        .await
        .expect("subscribe");
    (id, heard)
}

fn heard(h: &Heard) -> Vec<EventMessage> {
    h.lock().expect("lock").clone()
}

#[tokio::test]
async fn a_peer_hears_and_the_publisher_does_not() {
    for p in pairs() {
        let (_, at_a) = listen(&*p.a, EventType::Broadcast).await;
        let (_, at_b) = listen(&*p.b, EventType::Broadcast).await;
        let (_, other_type) = listen(&*p.b, EventType::Join).await;
        assert!(p.a.has_peers() && p.b.has_peers(), "{}", p.name);
        p.a.publish(EventType::Broadcast, b"hi".to_vec())
            .await
            .expect("publish");
        let expected = EventMessage {
            node_id: "node-a".into(),
            event_type: EventType::Broadcast,
            payload: b"hi".to_vec(),
        };
        assert_eq!(heard(&at_b), vec![expected], "{}", p.name);
        assert!(heard(&at_a).is_empty(), "{}: the publisher heard", p.name);
        assert!(heard(&other_type).is_empty(), "{}: wrong type", p.name);
    }
}

#[tokio::test]
async fn every_type_reaches_its_own_listeners() {
    for p in pairs() {
        let mut by_type = Vec::new();
        for t in EventType::ALL {
            by_type.push((t, listen(&*p.b, t).await.1));
        }
        for t in EventType::ALL {
            p.a.publish(t, t.as_str().into()).await.expect("publish");
        }
        for (t, h) in by_type {
            let got: Vec<_> = heard(&h).into_iter().map(|m| m.event_type).collect();
            assert_eq!(got, vec![t], "{}", p.name);
        }
    }
}

#[tokio::test]
async fn unsubscribe_stops_delivery() {
    for p in pairs() {
        let (id, h) = listen(&*p.b, EventType::Ack).await;
        assert!(
            p.b.unsubscribe(id).await.expect("unsubscribe"),
            "{}",
            p.name
        );
        assert!(!p.b.unsubscribe(id).await.expect("again"), "{}", p.name);
        p.a.publish(EventType::Ack, vec![]).await.expect("publish");
        assert!(heard(&h).is_empty(), "{}", p.name);
    }
}

#[tokio::test]
async fn a_shut_down_node_neither_publishes_nor_hears() {
    for p in pairs() {
        let (_, h) = listen(&*p.b, EventType::Sync).await;
        p.b.shutdown().await.expect("shutdown");
        p.a.publish(EventType::Sync, vec![]).await.expect("publish");
        assert!(heard(&h).is_empty(), "{}", p.name);
        assert!(
            matches!(
                p.b.publish(EventType::Sync, vec![]).await,
                Err(StorageError::ShutDown)
            ),
            "{}",
            p.name
        );
    }
}

#[tokio::test]
async fn a_backends_event_store_does_not_hear_itself_and_stops_with_it() {
    for b in backends().await {
        let events = b.factory.event_store();
        assert!(!events.node_id().is_empty(), "{}: a node id", b.name);
        if events.store_type() == EventStoreType::Local {
            assert_eq!(events.publish_mode(), PublishMode::Reliable, "{}", b.name);
            assert!(!events.has_peers(), "{}: alone", b.name);
        }
        let (_, h) = listen(&*events, EventType::Leave).await;
        events
            .publish(EventType::Leave, vec![1])
            .await
            .expect("publish");
        assert!(heard(&h).is_empty(), "{}: heard itself", b.name);
        b.factory.shutdown().await.expect("shutdown");
        assert!(
            matches!(
                events.publish(EventType::Leave, vec![]).await,
                Err(StorageError::ShutDown)
            ),
            "{}",
            b.name
        );
    }
}
