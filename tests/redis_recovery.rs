//! Connection-state recovery on two nodes joined by the Redis adapter (a
//! real `redis-server`), with raw Socket.IO clients: each node keeps every
//! broadcast it delivers under its own offsets, so a client that comes back
//! to the node it left gets the other node's broadcasts it missed too, in
//! order; and a client that comes back to the *other* node with an offset
//! that node never issued gets a fresh session, never a replay with a hole.

mod redis_support;
mod sio_client;

use std::time::Duration;

use edgeio::server::adapter::redis::RedisAdapterConfig;
use edgeio::server::adapter::AdapterFactory;
use edgeio::server::{Io, IoConfig, RecoveryConfig};
use redis_support::Redis;
use serde_json::Value;
use sio_client::{join, next_text, serve, Ws};

/// A node recovering sockets, whose main namespace puts each new socket in
/// room `r`, on the Redis adapter of `redis`.
fn node(redis: &Redis) -> Io {
    let io = Io::new(IoConfig {
        recovery: Some(RecoveryConfig {
            max_disconnection_duration: Duration::from_secs(60),
            ..RecoveryConfig::default()
        }),
        adapter: AdapterFactory::redis(RedisAdapterConfig {
            url: redis.url(),
            prefix: "recovery".into(),
            ..RedisAdapterConfig::default()
        }),
        ..IoConfig::default()
    });
    io.main().on_connection(|socket| {
        if !socket.recovered() {
            socket.join("r");
        }
    });
    io
}

fn json_of(frame: &str) -> Value {
    let start = frame.find(['{', '[']).expect("JSON in the frame");
    serde_json::from_str(&frame[start..]).expect("JSON")
}

/// The next `tick`: its number and its offset.
async fn tick(ws: &mut Ws) -> (u64, String) {
    let frame = next_text(ws).await;
    let v = json_of(&frame);
    assert_eq!(v[0], "tick", "unexpected frame {frame}");
    let offset = v[2].as_str().expect("an offset").to_owned();
    (v[1].as_u64().expect("a number"), offset)
}

/// Waits (bounded) until both nodes hear each other and `io` has no socket.
async fn settle(io: &Io, nodes: usize, sockets: usize) {
    for _ in 0..600 {
        let count = io.main().server_count().await.unwrap_or(0);
        if count >= nodes && io.main().socket_count() == sockets {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the nodes never settled");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_back_on_its_node_gets_the_other_nodes_missed_broadcasts_in_order() {
    let redis = Redis::start();
    let (a, b) = (node(&redis), node(&redis));
    let (addr_a, stop_a) = serve(&a).await;
    let (_addr_b, stop_b) = serve(&b).await;
    settle(&a, 2, 0).await;

    let (mut ann, answer) = join(addr_a, "", "").await;
    let first = json_of(&answer);
    // A witness on the same node tells when B's broadcast has arrived.
    let (mut witness, _) = join(addr_a, "", "").await;
    settle(&a, 2, 2).await;
    a.main().to("r").emit("tick", 0).expect("emit");
    let (_, offset) = tick(&mut ann).await;
    assert_eq!(tick(&mut witness).await.0, 0);
    drop(ann);
    settle(&a, 2, 1).await;

    b.main().to("r").emit("tick", 1).expect("emit");
    assert_eq!(tick(&mut witness).await.0, 1, "B's broadcast reached A");
    a.main().to("r").emit("tick", 2).expect("emit");
    assert_eq!(tick(&mut witness).await.0, 2);

    let auth = serde_json::json!({ "pid": first["pid"], "offset": offset }).to_string();
    let (mut ann, answer) = join(addr_a, "", &auth).await;
    assert_eq!(json_of(&answer)["sid"], first["sid"], "restored: {answer}");
    assert_eq!(tick(&mut ann).await.0, 1, "B's broadcast, missed, first");
    assert_eq!(tick(&mut ann).await.0, 2);
    // What comes later from B reaches the restored socket once.
    b.main().to("r").emit("tick", 3).expect("emit");
    assert_eq!(tick(&mut ann).await.0, 3);
    let _ = (stop_a.send(()), stop_b.send(()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_on_the_other_node_with_an_offset_it_never_issued_starts_afresh() {
    let redis = Redis::start();
    let (a, b) = (node(&redis), node(&redis));
    let (addr_a, stop_a) = serve(&a).await;
    let (addr_b, stop_b) = serve(&b).await;
    settle(&a, 2, 0).await;

    let (mut ann, answer) = join(addr_a, "", "").await;
    let first = json_of(&answer);
    settle(&a, 2, 1).await;
    a.main().to("r").emit("tick", 0).expect("emit");
    let (_, offset) = tick(&mut ann).await;
    drop(ann);
    settle(&a, 2, 0).await;
    a.main().to("r").emit("tick", 1).expect("emit");

    let auth = serde_json::json!({ "pid": first["pid"], "offset": offset }).to_string();
    let (mut ann, answer) = join(addr_b, "", &auth).await;
    assert_ne!(
        json_of(&answer)["sid"],
        first["sid"],
        "not restored: {answer}"
    );
    // No replay: the first thing it gets is what is sent now.
    b.main().to("r").emit("tick", 2).expect("emit");
    assert_eq!(tick(&mut ann).await.0, 2);
    let _ = (stop_a.send(()), stop_b.send(()));
}
