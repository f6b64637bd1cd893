//! Two `edgeio` binaries sharing a real `redis-server` through their event
//! store (`--events redis-pubsub` and `--events redis-streams`): a broadcast
//! to a room from either node reaches the room's members on both nodes,
//! exactly once and in order, and no one outside the room. The Redis is the
//! test's own, on a free loopback port, killed at the end.

mod chat_support;
mod common;
mod redis_support;
mod sio_client;

use chat_support::binary::ChatBinary;
use redis_support::Redis;
use sio_client::{join, next_text, send, Ws};

/// A node of the loadtest app (`join` puts a socket in room `r`, `bcast`
/// emits to room `r`) on `events`, sharing `redis` (under the prefix
/// `events`, so that the two tests' clusters stay apart).
fn node(name: &str, events: &str, redis: &Redis) -> ChatBinary {
    let url = redis.url();
    ChatBinary::start(
        name,
        &[
            "--app",
            "loadtest",
            "--store",
            "memory",
            // Without recovery, broadcasts carry no offset to compare.
            "--recovery-window",
            "0",
            "--events",
            events,
            "--redis-url",
            &url,
            "--events-redis-prefix",
            events,
        ],
    )
}

/// A socket of the main namespace on `server`, in room `r` when `in_room`.
async fn client(server: &ChatBinary, in_room: bool) -> Ws {
    let (mut ws, answer) = join(server.addr, "", "").await;
    assert!(answer.starts_with("40{"), "{answer}");
    if in_room {
        send(&mut ws, r#"421["join"]"#).await;
        assert_eq!(next_text(&mut ws).await, "431[]");
    }
    ws
}

async fn two_nodes_share_broadcasts(events: &str) {
    let redis = Redis::start();
    let a = node(&format!("redis-{events}-a"), events, &redis);
    let b = node(&format!("redis-{events}-b"), events, &redis);
    let mut alice = client(&a, true).await;
    let mut bob = client(&b, true).await;
    let mut carol = client(&b, false).await;

    send(&mut alice, r#"422["bcast","one"]"#).await;
    send(&mut alice, r#"423["bcast","two"]"#).await;
    // Alice is in the room too: her node delivers to her locally.
    let mut seen = Vec::new();
    while seen.len() < 4 {
        seen.push(next_text(&mut alice).await);
    }
    assert!(seen.contains(&"432[]".to_owned()) && seen.contains(&"433[]".to_owned()));
    let to_alice: Vec<_> = seen.iter().filter(|t| t.starts_with("42")).collect();
    assert_eq!(to_alice, [r#"42["bcast","one"]"#, r#"42["bcast","two"]"#]);
    // Bob, on the other node, gets each once and in order.
    assert_eq!(next_text(&mut bob).await, r#"42["bcast","one"]"#);
    assert_eq!(next_text(&mut bob).await, r#"42["bcast","two"]"#);

    // And back: Bob's broadcast reaches Alice.
    send(&mut bob, r#"424["bcast","three"]"#).await;
    assert_eq!(next_text(&mut bob).await, r#"42["bcast","three"]"#);
    assert_eq!(next_text(&mut bob).await, "434[]");
    assert_eq!(next_text(&mut alice).await, r#"42["bcast","three"]"#);

    // Carol, on Bob's node but not in the room, got none of it: her next
    // frame is the answer to her own echo.
    send(&mut carol, r#"425["echo","me"]"#).await;
    assert_eq!(next_text(&mut carol).await, r#"435["me"]"#);
    drop((a, b));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_room_broadcast_crosses_nodes_over_redis_pubsub() {
    two_nodes_share_broadcasts("redis-pubsub").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_room_broadcast_crosses_nodes_over_redis_streams() {
    two_nodes_share_broadcasts("redis-streams").await;
}
