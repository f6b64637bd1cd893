//! Redis killed and restarted under two edgeio nodes on the Streams adapter
//! (a real `redis-server`, without persistence): the broadcasts one node
//! makes while Redis is away reach its own clients at once and, once Redis
//! is back, the other node's clients too — every one, in order, once, and
//! before what is broadcast after.

mod node_support;
mod redis_streams;
mod redis_support;
mod sio_client;

use std::sync::Arc;
use std::time::Duration;

use edgeio::server::adapter::streams::{StreamsAdapterConfig, StreamsNode};
use edgeio::server::{Io, IoConfig};
use redis_streams::Edge;
use redis_support::Redis;
use serde_json::Value;
use sio_client::{join, next_text, send, Ws, LIMIT};

/// A client of `edge` in room `r`.
async fn member(edge: &Edge) -> Ws {
    let (mut ws, answer) = join(edge.addr, "", "").await;
    assert!(answer.starts_with("40{"), "{answer}");
    send(&mut ws, r#"420["join","r"]"#).await;
    assert_eq!(next_text(&mut ws).await, r#"430["joined"]"#);
    ws
}

/// The number of the next `tick`.
async fn tick(ws: &mut Ws) -> u64 {
    let frame = next_text(ws).await;
    let v: Value = serde_json::from_str(&frame[2..]).expect("an event");
    assert_eq!(v[0], "tick", "unexpected frame {frame}");
    v[1].as_u64().expect("a number")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcasts_made_while_redis_is_away_reach_the_other_node_once_it_is_back() {
    let mut redis = Redis::start();
    let e1 = Edge::start(&redis.url()).await;
    let e2 = Edge::start(&redis.url()).await;
    let mut here = member(&e1).await;
    let mut there = member(&e2).await;
    e1.io.main().to("r").emit("tick", 0).expect("emit");
    assert_eq!(tick(&mut here).await, 0);
    assert_eq!(tick(&mut there).await, 0, "the nodes share broadcasts");

    redis.kill();
    for n in 1..=3 {
        // The error says the entry waits for Redis; local delivery goes on.
        let _ = e1.io.main().to("r").emit("tick", n);
        assert_eq!(tick(&mut here).await, n);
    }
    redis.restart();
    let _ = e1.io.main().to("r").emit("tick", 4);
    assert_eq!(tick(&mut here).await, 4);
    for n in 1..=4 {
        assert_eq!(tick(&mut there).await, n, "in order, none lost");
    }
    // Once: nothing more comes before what is sent next.
    e2.io.main().to("r").emit("tick", 5).expect("emit");
    assert_eq!(tick(&mut there).await, 5);
    assert_eq!(tick(&mut here).await, 5);
}

/// A node on `redis` keeping at most two entries while Redis is away; its
/// clients join room `r` as [`Edge`]'s do.
async fn small_backlog_node(redis: &Redis) -> (Arc<StreamsNode>, Io, std::net::SocketAddr) {
    let node = StreamsNode::start(StreamsAdapterConfig {
        url: redis.url(),
        block: Duration::from_millis(500),
        outbox_max_entries: 2,
        ..StreamsAdapterConfig::default()
    })
    .expect("a valid url");
    node.ready(LIMIT).await.expect("reads the stream");
    let io = Io::new(IoConfig {
        adapter: node.factory(),
        ..IoConfig::default()
    });
    io.main().on_connection(|socket| {
        socket.on("join", |socket, event| {
            socket.join("r");
            if let Some(ack) = event.ack {
                let _ = ack.send("joined");
            }
        });
    });
    let (addr, stop) = sio_client::serve(&io).await;
    std::mem::forget(stop);
    (node, io, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_its_bound_the_backlog_drops_the_newest_and_counts_them() {
    let mut redis = Redis::start();
    let (node, io, addr) = small_backlog_node(&redis).await;
    let e2 = Edge::start(&redis.url()).await;
    let (mut here, _) = join(addr, "", "").await;
    send(&mut here, r#"420["join","r"]"#).await;
    assert_eq!(next_text(&mut here).await, r#"430["joined"]"#);
    let mut there = member(&e2).await;
    io.main().to("r").emit("tick", 0).expect("emit");
    assert_eq!(tick(&mut here).await, 0);
    assert_eq!(tick(&mut there).await, 0);

    redis.kill();
    for n in 1..=4 {
        let _ = io.main().to("r").emit("tick", n);
        assert_eq!(tick(&mut here).await, n, "local delivery goes on");
    }
    redis_streams::eventually("two entries dropped", || node.dropped_entries() == 2).await;
    redis.restart();
    e2.io.main().to("r").emit("tick", 9).expect("emit");
    // The two kept, in order (the other node's own may come between), and
    // then nothing of the dropped: the next from this node comes next.
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(tick(&mut there).await);
    }
    let mine: Vec<u64> = got.iter().copied().filter(|n| *n != 9).collect();
    assert_eq!(mine, [1, 2], "{got:?}");
    assert!(got.contains(&9), "{got:?}");
    io.main().to("r").emit("tick", 10).expect("emit");
    assert_eq!(tick(&mut there).await, 10, "3 and 4 were dropped");
}
