//! Connection-state recovery's budgets over real WebSocket clients: a
//! client that missed broadcasts dropped for the byte budget comes back to
//! a fresh session (as socket.io when the offset it sends is gone), one
//! whose missed broadcasts all fit gets them; and past the cap on kept
//! sessions, the client that left first starts afresh.

mod sio_client;

use std::sync::Arc;
use std::time::Duration;

use edgeio::server::{Io, IoConfig, RecoveryConfig, ServerStorage};
use edgeio_storage::{LocalEventStore, MemoryStoreFactory, StoreFactory};
use serde_json::Value;
use sio_client::{join, next_text, serve, Ws};

/// The payload of each big broadcast, in bytes.
const BIG: usize = 2_000;

async fn recovering_io(config: RecoveryConfig) -> (Io, Arc<dyn StoreFactory>) {
    let factory: Arc<dyn StoreFactory> =
        Arc::new(MemoryStoreFactory::new(LocalEventStore::new("node")));
    let storage = ServerStorage::open(factory.clone()).await.expect("storage");
    let io = Io::new(IoConfig {
        recovery: Some(config),
        storage: Some(storage),
        ..IoConfig::default()
    });
    (io, factory)
}

fn json_of(frame: &str) -> Value {
    let start = frame.find(['{', '[']).expect("JSON in the frame");
    serde_json::from_str(&frame[start..]).expect("JSON")
}

/// Waits (bounded) until `done` holds.
async fn until(what: &str, mut done: impl AsyncFnMut() -> bool) {
    for _ in 0..500 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("never: {what}");
}

/// Waits until the server has seen every client leave.
async fn until_gone(io: &Io) {
    until("the clients left", async || io.main().socket_count() == 0).await;
}

/// Reads a `tick` event: its number and offset.
async fn tick(ws: &mut Ws) -> (u64, String) {
    let frame = next_text(ws).await;
    let v = json_of(&frame);
    assert_eq!(v[0], "tick", "unexpected frame {frame}");
    let offset = v[3].as_str().expect("an offset").to_owned();
    (v[1].as_u64().expect("a number"), offset)
}

fn big_tick(io: &Io, n: u64) {
    let args = vec![serde_json::json!(n), serde_json::json!("x".repeat(BIG))];
    io.main()
        .broadcast()
        .emit_args("tick", args, Vec::new())
        .expect("emit");
}

/// The CONNECT answer's `sid` and `pid`.
fn ids(answer: &str) -> (Value, Value) {
    let v = json_of(answer);
    (v["sid"].clone(), v["pid"].clone())
}

#[tokio::test(flavor = "multi_thread")]
async fn who_missed_broadcasts_dropped_for_the_byte_budget_starts_afresh_who_did_not_recovers() {
    // Room for three big broadcasts, not four.
    let (io, factory) = recovering_io(RecoveryConfig {
        max_buffered_bytes: 3 * BIG + BIG / 2,
        ..RecoveryConfig::default()
    })
    .await;
    let (addr, stop) = serve(&io).await;
    let (mut early, answer) = join(addr, "", "").await;
    let (early_sid, early_pid) = ids(&answer);
    let (mut late, answer) = join(addr, "", "").await;
    let (late_sid, late_pid) = ids(&answer);
    big_tick(&io, 0);
    let (_, early_offset) = tick(&mut early).await;
    drop(early);
    until("the early client left", async || {
        io.main().socket_count() == 1
    })
    .await;
    let mut late_offset = String::new();
    for n in 0..=5 {
        if n > 0 {
            big_tick(&io, n);
        }
        late_offset = tick(&mut late).await.1;
    }
    drop(late);
    until_gone(&io).await;
    big_tick(&io, 6);
    big_tick(&io, 7);
    let packets = factory.create_map("recovery:/:packets").expect("map");
    until("the buffer back within its bytes", async || {
        packets.len().await.expect("len") == 3
    })
    .await;

    let auth = serde_json::json!({ "pid": early_pid, "offset": early_offset });
    let (_early, answer) = join(addr, "", &auth.to_string()).await;
    let (sid, pid) = ids(&answer);
    assert_ne!(sid, early_sid, "not restored over a hole: {answer}");
    assert_ne!(pid, early_pid, "a fresh session: {answer}");

    let auth = serde_json::json!({ "pid": late_pid, "offset": late_offset });
    let (mut late, answer) = join(addr, "", &auth.to_string()).await;
    assert_eq!(ids(&answer).0, late_sid, "restored: {answer}");
    assert_eq!(tick(&mut late).await.0, 6);
    assert_eq!(tick(&mut late).await.0, 7);
    let _ = stop.send(());
}

#[tokio::test(flavor = "multi_thread")]
async fn past_the_kept_sessions_cap_the_client_that_left_first_starts_afresh() {
    let (io, _factory) = recovering_io(RecoveryConfig {
        max_kept_sessions: 2,
        ..RecoveryConfig::default()
    })
    .await;
    let (addr, stop) = serve(&io).await;
    let mut left = Vec::new();
    for _ in 0..3 {
        let (ws, answer) = join(addr, "", "").await;
        drop(ws);
        until_gone(&io).await;
        left.push(ids(&answer));
    }
    let (first_sid, first_pid) = &left[0];
    let auth = serde_json::json!({ "pid": first_pid }).to_string();
    let (_first, answer) = join(addr, "", &auth).await;
    assert_ne!(&ids(&answer).0, first_sid, "forgotten: {answer}");
    for (sid, pid) in &left[1..] {
        let auth = serde_json::json!({ "pid": pid }).to_string();
        let (_ws, answer) = join(addr, "", &auth).await;
        assert_eq!(&ids(&answer).0, sid, "kept: {answer}");
    }
    let _ = stop.send(());
}
