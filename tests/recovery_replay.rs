//! Connection-state recovery over real WebSocket clients speaking raw
//! Socket.IO frames: a restored client gets every broadcast it missed, in
//! order, even more than its outgoing queue holds — without being
//! disconnected for it — and a client that never saw an offset is restored
//! from where it connected.

mod sio_client;

use std::time::Duration;

use edgeio::engine::EngineConfig;
use edgeio::server::{Io, IoConfig, RecoveryConfig};
use serde_json::Value;
use sio_client::{join, next_text, serve_with, Ws};

/// Packets one session may have queued: far fewer than will be missed.
const QUEUE: usize = 16;
const MISSED: usize = 200;

async fn serve(io: &Io) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let config = EngineConfig {
        max_buffered_packets: QUEUE,
        ..EngineConfig::default()
    };
    serve_with(io, config).await
}

fn recovering_io() -> Io {
    let io = Io::new(IoConfig {
        recovery: Some(RecoveryConfig {
            max_disconnection_duration: Duration::from_secs(60),
            max_buffered_packets: 10_000,
            ..RecoveryConfig::default()
        }),
        ..IoConfig::default()
    });
    io.main().on_connection(|socket| {
        if !socket.recovered() {
            socket.join("r");
            socket
                .set_data(serde_json::json!({ "user": "ann" }))
                .expect("serializable");
        }
    });
    io
}

fn json_of(frame: &str) -> Value {
    let start = frame.find(['{', '[']).expect("JSON in the frame");
    serde_json::from_str(&frame[start..]).expect("JSON")
}

/// Waits until the server has seen the client leave.
async fn until_gone(io: &Io) {
    for _ in 0..200 {
        if io.main().socket_count() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the server never saw the client leave");
}

/// Reads `n` `tick` events and returns their numbers and the last offset.
async fn ticks(ws: &mut Ws, n: usize) -> (Vec<u64>, String) {
    let mut got = Vec::with_capacity(n);
    let mut offset = String::new();
    while got.len() < n {
        let frame = next_text(ws).await;
        let v = json_of(&frame);
        assert_eq!(v[0], "tick", "unexpected frame {frame}");
        got.push(v[1].as_u64().expect("a number"));
        offset = v[2].as_str().expect("an offset").to_owned();
    }
    (got, offset)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restored_client_gets_more_missed_packets_than_its_queue_holds_in_order() {
    let io = recovering_io();
    let (addr, stop) = serve(&io).await;
    let (mut ws, answer) = join(addr, "", "").await;
    let first = json_of(&answer);
    let (sid, pid) = (first["sid"].clone(), first["pid"].clone());
    io.main().to("r").emit("tick", 0).expect("emit");
    let (_, offset) = ticks(&mut ws, 1).await;
    drop(ws);
    until_gone(&io).await;

    for n in 1..=MISSED as u64 {
        io.main().to("r").emit("tick", n).expect("emit");
    }
    let auth = serde_json::json!({ "pid": pid, "offset": offset }).to_string();
    let (mut ws, answer) = join(addr, "", &auth).await;
    assert_eq!(json_of(&answer)["sid"], sid, "the same socket id: {answer}");
    let (got, _) = ticks(&mut ws, MISSED).await;
    assert_eq!(got, (1..=MISSED as u64).collect::<Vec<_>>());
    // Still connected, and what is sent now comes after the replay.
    io.main().to("r").emit("tick", 1000).expect("emit");
    assert_eq!(ticks(&mut ws, 1).await.0, vec![1000]);
    assert_eq!(io.main().socket_count(), 1);
    let _ = stop.send(());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_without_an_offset_is_restored_from_where_it_connected() {
    let io = recovering_io();
    let (addr, stop) = serve(&io).await;
    io.main()
        .to("r")
        .emit("tick", 0)
        .expect("before it connected");
    let (ws, answer) = join(addr, "", "").await;
    let first = json_of(&answer);
    let sid = first["sid"].as_str().expect("sid").to_owned();
    let gone = io.main().socket(&sid).expect("connected");
    drop(ws);
    until_gone(&io).await;
    // A handler that still holds the socket changes nothing once it left.
    gone.join("late");
    for n in 1..=3 {
        io.main().to("r").emit("tick", n).expect("emit");
    }
    io.main()
        .to("elsewhere")
        .emit("tick", 99)
        .expect("not its room");
    let auth = serde_json::json!({ "pid": first["pid"] }).to_string();
    let (mut ws, answer) = join(addr, "", &auth).await;
    assert_eq!(json_of(&answer)["sid"], first["sid"], "restored: {answer}");
    assert_eq!(ticks(&mut ws, 3).await.0, vec![1, 2, 3]);
    let restored = io.main().socket(&sid).expect("in");
    let rooms = restored.rooms();
    assert!(rooms.contains("r"), "room kept: {rooms:?}");
    assert!(!rooms.contains("late"), "joined after it left: {rooms:?}");
    assert_eq!(
        restored.data::<Value>(),
        Some(serde_json::json!({ "user": "ann" })),
        "socket.data kept"
    );
    let _ = stop.send(());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restored_client_that_does_not_read_is_not_held_for_forever() {
    let io = recovering_io();
    let (addr, stop) = serve(&io).await;
    let (mut ws, answer) = join(addr, "", "").await;
    let first = json_of(&answer);
    io.main().to("r").emit("tick", 0).expect("emit");
    let (_, offset) = ticks(&mut ws, 1).await;
    drop(ws);
    until_gone(&io).await;
    // Large enough that the replay outlasts what the kernel buffers take.
    let big = "x".repeat(16 * 1024);
    for _ in 0..1000 {
        io.main().to("r").emit("big", &big).expect("emit");
    }
    let auth = serde_json::json!({ "pid": first["pid"], "offset": offset }).to_string();
    let (_ws, answer) = join(addr, "", &auth).await;
    assert_eq!(json_of(&answer)["sid"], first["sid"], "restored: {answer}");
    // It reads nothing: behind the replay, what is sent to it piles up to a
    // bound, and then it is a client that does not read.
    let sid = first["sid"].as_str().expect("sid").to_owned();
    let restored = io.main().socket(&sid).expect("in");
    let mut refused = None;
    for n in 0..20_000u64 {
        if let Err(e) = restored.emit("more", n) {
            refused = Some((n, e));
            break;
        }
    }
    let (n, e) = refused.expect("refused at some point");
    assert_eq!(e, edgeio::server::EmitError::QueueFull);
    assert!(
        n >= 4096,
        "thousands may wait behind the replay (not the queue's {QUEUE}); refused after {n}"
    );
    until_gone(&io).await;
    let _ = stop.send(());
}
