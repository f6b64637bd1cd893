//! Redis killed and restarted under two running `edgeio` binaries (the
//! loadtest app, `--events redis-pubsub` and `--events redis-streams`):
//!
//! - both processes stay up (they answer `/health`, their clients stay
//!   connected);
//! - local room traffic goes on: a broadcast reaches the room's members on
//!   the sender's own node, and the sender gets its acknowledgement;
//! - once Redis is back (both nodes `/ready` again), cross-node broadcasts
//!   resume, each delivered once;
//! - with Streams, the broadcasts made while Redis was down reach the other
//!   node once it is back (each node kept them in its outbox), before what
//!   comes after; with pub/sub they are lost (by design: it is the
//!   unreliable store).
//!
//! The test's `redis-server` runs without persistence, as a cache-like
//! Redis usually does, so the restarted one is empty: with Streams the
//! readers must start over on the new stream rather than wait for an id
//! that will never come, which the resumed broadcasts below prove.

mod chat_support;
mod common;
mod redis_support;
mod sio_client;

use std::time::Duration;

use chat_support::binary::ChatBinary;
use common::request;
use redis_support::Redis;
use sio_client::{join, next_text, send, Ws};

/// A loadtest node on `events`, sharing `redis`.
fn node(name: &str, events: &str, redis: &Redis) -> ChatBinary {
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
            events,
            "--redis-url",
            &url,
        ],
    )
}

/// A socket of the main namespace on `server`, in room `r`.
async fn member(server: &ChatBinary) -> Ws {
    let (mut ws, answer) = join(server.addr, "", "").await;
    assert!(answer.starts_with("40{"), "{answer}");
    send(&mut ws, r#"421["join"]"#).await;
    assert_eq!(next_text(&mut ws).await, "431[]");
    ws
}

/// Polls `/ready` on `server` until it answers `status` (bounded).
async fn wait_ready(server: &ChatBinary, status: u16) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let r = request(server.addr, "GET", "/ready", &[], b"").await;
        if r.status == status {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "/ready stayed {} (waited for {status}); log:\n{}",
            r.status,
            server.log_text()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `from` broadcasts `text` to room `r` with ack id `ack`; returns the
/// frames `from` got until its acknowledgement (its own copy, as a member).
async fn broadcast(from: &mut Ws, ack: u32, text: &str) -> Vec<String> {
    send(from, &format!(r#"42{ack}["bcast","{text}"]"#)).await;
    let mut frames = Vec::new();
    loop {
        let frame = next_text(from).await;
        if frame == format!("43{ack}[]") {
            return frames;
        }
        frames.push(frame);
    }
}

/// The next frame of `ws` if one comes within `wait` (a poll, not an
/// assertion on time).
async fn frame_within(ws: &mut Ws, wait: Duration) -> Option<String> {
    tokio::time::timeout(wait, next_text(ws)).await.ok()
}

async fn nodes_survive_redis_loss(events: &str, kept: bool) {
    let mut redis = Redis::start();
    let a = node(&format!("loss-{events}-a"), events, &redis);
    let b = node(&format!("loss-{events}-b"), events, &redis);
    let mut alice = member(&a).await;
    let mut carol = member(&a).await;
    let mut bob = member(&b).await;

    // Before: across nodes.
    let own = broadcast(&mut alice, 2, "before").await;
    assert_eq!(own, [r#"42["bcast","before"]"#]);
    assert_eq!(next_text(&mut carol).await, r#"42["bcast","before"]"#);
    assert_eq!(next_text(&mut bob).await, r#"42["bcast","before"]"#);

    redis.kill();
    wait_ready(&a, 503).await;
    wait_ready(&b, 503).await;

    // During: each node's room traffic is its own business and goes on.
    let own = broadcast(&mut alice, 3, "during-a").await;
    assert_eq!(own, [r#"42["bcast","during-a"]"#]);
    assert_eq!(next_text(&mut carol).await, r#"42["bcast","during-a"]"#);
    let own = broadcast(&mut bob, 4, "during-b").await;
    assert_eq!(own, [r#"42["bcast","during-b"]"#]);
    for server in [&a, &b] {
        let r = request(server.addr, "GET", "/health", &[], b"").await;
        assert_eq!(r.status, 200, "the process stays up");
    }

    redis.restart();
    wait_ready(&a, 200).await;
    wait_ready(&b, 200).await;
    if kept {
        // What each node broadcast meanwhile reaches the other one now.
        assert_eq!(next_text(&mut bob).await, r#"42["bcast","during-a"]"#);
        assert_eq!(next_text(&mut alice).await, r#"42["bcast","during-b"]"#);
        assert_eq!(next_text(&mut carol).await, r#"42["bcast","during-b"]"#);
    }

    // After: cross-node delivery resumes. The publisher's connection may
    // still be re-making itself, so broadcast until one crosses (bounded).
    let mut crossed = None;
    for i in 0..30 {
        let text = format!("after-{i}");
        let own = broadcast(&mut alice, 10 + i, &text).await;
        assert_eq!(own, [format!(r#"42["bcast","{text}"]"#)]);
        assert_eq!(
            next_text(&mut carol).await,
            format!(r#"42["bcast","{text}"]"#)
        );
        if let Some(frame) = frame_within(&mut bob, Duration::from_secs(2)).await {
            crossed = Some(frame);
            break;
        }
    }
    let crossed = crossed.expect("a broadcast crossed nodes after Redis came back");
    assert!(crossed.starts_with(r#"42["bcast","after-"#), "{crossed}");
    // Nothing from before the loss is replayed and the next one arrives
    // once: Bob's frames until it are late "after-N" only.
    let own = broadcast(&mut alice, 50, "final").await;
    assert_eq!(own, [r#"42["bcast","final"]"#]);
    loop {
        let frame = next_text(&mut bob).await;
        if frame == r#"42["bcast","final"]"# {
            break;
        }
        assert!(frame.starts_with(r#"42["bcast","after-"#), "{frame}");
    }
    send(&mut bob, r#"425["echo","me"]"#).await;
    assert_eq!(next_text(&mut bob).await, r#"435["me"]"#, "final came once");
    // And back, from Bob's node to Alice's.
    let own = broadcast(&mut bob, 6, "back").await;
    assert_eq!(own, [r#"42["bcast","back"]"#]);
    let mut seen = Vec::new();
    while seen.last().map(String::as_str) != Some(r#"42["bcast","back"]"#) {
        seen.push(next_text(&mut alice).await);
    }
    assert_eq!(seen, [r#"42["bcast","back"]"#], "Alice had nothing pending");
}

#[tokio::test(flavor = "multi_thread")]
async fn nodes_survive_redis_loss_over_pubsub() {
    nodes_survive_redis_loss("redis-pubsub", false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn nodes_survive_redis_loss_over_streams() {
    nodes_survive_redis_loss("redis-streams", true).await;
}
