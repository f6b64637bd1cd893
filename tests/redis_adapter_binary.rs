//! Two `edgeio` binaries with `--adapter redis` on one real `redis-server`
//! (and no event store between them: `--events local`): a broadcast to a
//! room from either node reaches the room's members on both, exactly once,
//! and no one outside the room.

mod chat_support;
mod common;
mod redis_support;
mod sio_client;

use chat_support::binary::ChatBinary;
use redis_support::Redis;
use sio_client::{join, next_text, send, Ws};

/// A node of the loadtest app (`join` puts a socket in room `r`, `bcast`
/// emits to room `r`) on the Redis adapter of `redis`.
fn node(name: &str, redis: &Redis) -> ChatBinary {
    let url = redis.url();
    ChatBinary::start(
        name,
        &[
            "--app",
            "loadtest",
            "--store",
            "memory",
            "--recovery-window",
            "0",
            "--events",
            "local",
            "--adapter",
            "redis",
            "--redis-url",
            &url,
            "--redis-prefix",
            "bin",
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

/// Waits (bounded) until `n` nodes subscribe to the main namespace's
/// request channel under prefix `bin`.
async fn wait_nodes(url: &str, n: usize) {
    let client = redis::Client::open(url).expect("redis url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("connect");
    for _ in 0..600 {
        let (_, count): (String, usize) = redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg("bin-request#/#")
            .query_async(&mut conn)
            .await
            .expect("numsub");
        if count >= n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the two nodes never subscribed");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_binaries_share_a_room_broadcast_through_the_redis_adapter() {
    let redis = Redis::start();
    let a = node("adapter-a", &redis);
    let b = node("adapter-b", &redis);
    wait_nodes(&redis.url(), 2).await;
    let mut alice = client(&a, true).await;
    let mut bob = client(&b, true).await;
    let mut carol = client(&b, false).await;

    send(&mut alice, r#"422["bcast","one"]"#).await;
    let mut seen = vec![next_text(&mut alice).await, next_text(&mut alice).await];
    seen.sort();
    assert_eq!(seen, [r#"42["bcast","one"]"#, "432[]"]);
    assert_eq!(next_text(&mut bob).await, r#"42["bcast","one"]"#);

    send(&mut bob, r#"423["bcast","two"]"#).await;
    let mut seen = vec![next_text(&mut bob).await, next_text(&mut bob).await];
    seen.sort();
    assert_eq!(seen, [r#"42["bcast","two"]"#, "433[]"]);
    // Alice gets Bob's once: her next frame after it is her own echo.
    assert_eq!(next_text(&mut alice).await, r#"42["bcast","two"]"#);
    send(&mut alice, r#"424["echo","me"]"#).await;
    assert_eq!(next_text(&mut alice).await, r#"434["me"]"#);
    // Carol, not in the room, got none of it.
    send(&mut carol, r#"425["echo","me"]"#).await;
    assert_eq!(next_text(&mut carol).await, r#"435["me"]"#);
    drop((a, b));
}
