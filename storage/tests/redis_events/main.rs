//! The Redis event stores against a real `redis-server` each test starts on
//! a free port: two nodes on one Redis hear each other and never
//! themselves; a Streams node cut off from Redis hears, once back, every
//! event published meanwhile, in order; a node survives Redis being killed,
//! and a Streams node adds what it published meanwhile once Redis is back.
//! No timing assertions: every wait is for an event, bounded by [`PATIENCE`].

mod server;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use edgeio_storage::{
    EventMessage, EventStore, EventStoreType, EventType, PublishMode, RedisEventConfig,
    RedisPubSubEventStore, RedisStreamEventStore,
};
use server::{Proxy, RedisServer, PATIENCE};

type Heard = Arc<Mutex<Vec<EventMessage>>>;

async fn listen(node: &dyn EventStore, event_type: EventType) -> Heard {
    let heard: Heard = Arc::default();
    let sink = heard.clone();
    node.subscribe(
        event_type,
        Arc::new(move |m: &EventMessage| sink.lock().expect("lock").push(m.clone())),
    )
    .await
    .expect("subscribe");
    heard
}

/// The payloads heard, as text.
fn payloads(h: &Heard) -> Vec<String> {
    h.lock()
        .expect("lock")
        .iter()
        .map(|m| String::from_utf8_lossy(&m.payload).into_owned())
        .collect()
}

/// Waits (bounded) until `h` has heard `n` events, then returns them.
async fn wait_for(h: &Heard, n: usize, what: &str) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let got = payloads(h);
        if got.len() >= n {
            return got;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: heard only {got:?}, waited for {n}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Publishes until Redis takes it (bounded): the node reconnects by itself.
async fn publish_when_back(node: &dyn EventStore, event_type: EventType, payload: &str) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while let Err(e) = node.publish(event_type, payload.into()).await {
        assert!(tokio::time::Instant::now() < deadline, "never back: {e}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn config(url: String) -> RedisEventConfig {
    RedisEventConfig::new(url, "edgeio-test")
}

/// Two nodes per kind of Redis store, on one Redis.
async fn pairs(
    redis: &RedisServer,
) -> Vec<(&'static str, Arc<dyn EventStore>, Arc<dyn EventStore>)> {
    let c = config(redis.url());
    vec![
        (
            "pub/sub",
            RedisPubSubEventStore::connect("node-a", &c)
                .await
                .expect("a") as Arc<dyn EventStore>,
            RedisPubSubEventStore::connect("node-b", &c)
                .await
                .expect("b") as Arc<dyn EventStore>,
        ),
        (
            "streams",
            RedisStreamEventStore::connect("node-a", &c, 1000)
                .await
                .expect("a") as Arc<dyn EventStore>,
            RedisStreamEventStore::connect("node-b", &c, 1000)
                .await
                .expect("b") as Arc<dyn EventStore>,
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_hear_each_other_never_themselves() {
    let redis = RedisServer::start().await;
    for (name, a, b) in pairs(&redis).await {
        let at_a = listen(&*a, EventType::Broadcast).await;
        let at_b = listen(&*b, EventType::Broadcast).await;
        let joins_at_b = listen(&*b, EventType::Join).await;
        a.publish(EventType::Broadcast, "a1".into())
            .await
            .expect("publish");
        b.publish(EventType::Broadcast, "b1".into())
            .await
            .expect("publish");
        // Each node's own event went out before the other's: once each hears
        // the other's, it would have heard its own already.
        assert_eq!(wait_for(&at_b, 1, name).await, vec!["a1"], "{name}");
        a.publish(EventType::Broadcast, "a2".into())
            .await
            .expect("publish");
        assert_eq!(wait_for(&at_a, 1, name).await, vec!["b1"], "{name}");
        assert_eq!(wait_for(&at_b, 2, name).await, vec!["a1", "a2"], "{name}");
        let from_a = at_b.lock().expect("lock")[0].clone();
        assert_eq!(from_a.node_id, "node-a", "{name}");
        assert_eq!(from_a.event_type, EventType::Broadcast, "{name}");
        assert!(payloads(&joins_at_b).is_empty(), "{name}: wrong type heard");
        b.shutdown().await.expect("shutdown");
        assert!(b.publish(EventType::Ack, vec![]).await.is_err(), "{name}");
        a.shutdown().await.expect("shutdown");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kinds_and_promises_are_reported() {
    let redis = RedisServer::start().await;
    let [(_, pubsub, _), (_, streams, _)] =
        <[_; 2]>::try_from(pairs(&redis).await).ok().expect("two");
    assert_eq!(pubsub.store_type(), EventStoreType::PubSub);
    assert_eq!(pubsub.publish_mode(), PublishMode::Unreliable);
    assert_eq!(streams.store_type(), EventStoreType::Stream);
    assert_eq!(streams.publish_mode(), PublishMode::Reliable);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streams_node_cut_off_from_redis_catches_up_in_order() {
    let redis = RedisServer::start().await;
    let mut proxy = Proxy::start(redis.port).await;
    let a = RedisStreamEventStore::connect("node-a", &config(redis.url()), 1000)
        .await
        .expect("a");
    let b = RedisStreamEventStore::connect("node-b", &config(proxy.url()), 1000)
        .await
        .expect("b");
    let at_b = listen(&*b, EventType::Broadcast).await;
    // Listening from the start: a listener added later could still be handed
    // an event already on its way to A's reading task.
    let at_a = listen(&*a, EventType::Broadcast).await;
    a.publish(EventType::Broadcast, "0".into())
        .await
        .expect("publish");
    assert_eq!(wait_for(&at_b, 1, "before the cut").await, vec!["0"]);

    proxy.cut().await;
    // B cannot reach Redis: its publish waits in its outbox, and it keeps
    // running.
    assert!(b
        .publish(EventType::Broadcast, "b-cut".into())
        .await
        .is_err());
    let expected: Vec<String> = (0..=20).map(|i| i.to_string()).collect();
    for i in &expected[1..] {
        a.publish(EventType::Broadcast, i.clone().into_bytes())
            .await
            .expect("publish");
    }
    proxy.resume().await;

    assert_eq!(
        wait_for(&at_b, expected.len(), "after the cut").await,
        expected
    );
    // B is back: what it published while cut off reaches A first, then
    // what it publishes now, in order.
    let _ = b.publish(EventType::Broadcast, "b-back".into()).await;
    assert_eq!(wait_for(&at_a, 2, "b back").await, vec!["b-cut", "b-back"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_survive_redis_being_killed_and_resume_when_it_returns() {
    let mut redis = RedisServer::start().await;
    let (_, a, b) = pairs(&redis).await.remove(0);
    let at_b = listen(&*b, EventType::Sync).await;
    a.publish(EventType::Sync, "before".into())
        .await
        .expect("publish");
    assert_eq!(wait_for(&at_b, 1, "before the kill").await, vec!["before"]);

    redis.kill();
    // Pub/sub keeps nothing: a publish while Redis is away fails, and is lost.
    assert!(a.publish(EventType::Sync, "lost".into()).await.is_err());
    redis.restart().await;

    publish_when_back(&*a, EventType::Sync, "after").await;
    assert_eq!(
        wait_for(&at_b, 2, "after the restart").await,
        vec!["before", "after"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streams_node_keeps_what_it_publishes_while_redis_is_away_and_adds_it_in_order() {
    let mut redis = RedisServer::start().await;
    let (_, a, b) = pairs(&redis).await.remove(1);
    let at_b = listen(&*b, EventType::Sync).await;
    a.publish(EventType::Sync, "before".into())
        .await
        .expect("publish");
    assert_eq!(wait_for(&at_b, 1, "before the kill").await, vec!["before"]);

    redis.kill();
    for payload in ["kept-1", "kept-2"] {
        let e = a.publish(EventType::Sync, payload.into()).await;
        let e = e.expect_err("Redis is away");
        assert!(e.to_string().contains("queued"), "{e}");
    }
    redis.restart().await;
    // Said once, whatever it answers: it goes behind the kept ones.
    let _ = a.publish(EventType::Sync, "after".into()).await;
    assert_eq!(
        wait_for(&at_b, 4, "after the restart").await,
        vec!["before", "kept-1", "kept-2", "after"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_connects_the_configured_redis_event_store() {
    use edgeio_storage::{open, Backend, EventStoreConfig, StorageConfig};
    let redis = RedisServer::start().await;
    let storage = |events| StorageConfig {
        backend: Backend::Memory,
        node_id: Some("n1".into()),
        events,
    };
    let streams = open(storage(EventStoreConfig::RedisStreams {
        redis: config(redis.url()),
        retention: 10,
    }))
    .await
    .expect("opens");
    assert_eq!(streams.event_store().store_type(), EventStoreType::Stream);
    assert_eq!(streams.event_store().node_id(), "n1");
    let pubsub = open(storage(EventStoreConfig::RedisPubSub(config(redis.url()))))
        .await
        .expect("opens");
    assert_eq!(pubsub.event_store().store_type(), EventStoreType::PubSub);
    let unreachable = config(format!("redis://127.0.0.1:{}/", server::free_port()));
    assert!(open(storage(EventStoreConfig::RedisPubSub(unreachable)))
        .await
        .is_err());
}
