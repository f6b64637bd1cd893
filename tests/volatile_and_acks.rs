//! `volatile` as documented, over real sockets: a volatile broadcast to a
//! client whose queue is full is dropped for it, not a disconnection (any
//! other packet disconnects it with `send buffer full`).

mod common;
mod sio_client;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{packets, request, TestServer};
use edgeio::engine::EngineConfig;
use edgeio::server::{Io, IoConfig};
use sio_client::serve_with;

/// Packets a session may have queued in these tests.
const QUEUE: usize = 4;

/// A long-poll GET of session `sid`: the packets it carried.
async fn poll(addr: SocketAddr, sid: &str) -> Vec<String> {
    let r = request(addr, "GET", &TestServer::polling(Some(sid)), &[], b"").await;
    assert_eq!(r.status, 200, "poll refused: {}", r.text());
    packets(&r.text())
}

/// Opens a polling session and joins the main namespace; returns the
/// Engine.IO session id. The client then reads only when the test polls.
async fn join_polling(addr: SocketAddr) -> String {
    let r = request(addr, "GET", &TestServer::polling(None), &[], b"").await;
    let sid = common::open_packet(&r.text())["sid"]
        .as_str()
        .expect("sid")
        .to_owned();
    let r = request(addr, "POST", &TestServer::polling(Some(&sid)), &[], b"40").await;
    assert_eq!(r.status, 200);
    let answer = poll(addr, &sid).await;
    assert!(answer[0].starts_with("40{"), "CONNECT answered: {answer:?}");
    sid
}

/// Every disconnection reason the server saw.
fn recording_io(config: IoConfig) -> (Io, Arc<Mutex<Vec<String>>>) {
    let io = Io::new(config);
    let reasons = Arc::new(Mutex::new(Vec::new()));
    let seen = reasons.clone();
    io.main().on_connection(move |socket| {
        let seen = seen.clone();
        socket.on_disconnect(move |_, reason| {
            seen.lock().expect("lock").push(reason.as_str().to_owned());
        });
    });
    (io, reasons)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_volatile_broadcast_to_a_full_queue_is_dropped_not_a_disconnection() {
    let (io, reasons) = recording_io(IoConfig::default());
    let engine = EngineConfig {
        max_buffered_packets: QUEUE,
        ping_interval: Duration::from_secs(300),
        ping_timeout: Duration::from_secs(300),
        ..EngineConfig::default()
    };
    let (addr, stop) = serve_with(&io, engine).await;
    let sid = join_polling(addr).await;

    // The client does not read: twice what its queue holds, volatile.
    for n in 0..2 * QUEUE {
        io.main().broadcast().volatile().emit("v", n).expect("emit");
    }
    assert_eq!(io.main().socket_count(), 1, "still connected");
    assert_eq!(reasons.lock().expect("lock").len(), 0);
    let got = poll(addr, &sid).await;
    let expected: Vec<_> = (0..QUEUE).map(|n| format!("42[\"v\",{n}]")).collect();
    assert_eq!(got, expected, "what fitted, in order; the rest dropped");

    // It reads again: alive, and gets what is sent next.
    io.main().emit("after", 1).expect("emit");
    assert_eq!(poll(addr, &sid).await, ["42[\"after\",1]"]);

    // Not volatile, over its queue: disconnected.
    for n in 0..=QUEUE {
        let _ = io.main().emit("n", n);
    }
    for _ in 0..500 {
        if !reasons.lock().expect("lock").is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(*reasons.lock().expect("lock"), ["send buffer full"]);
    assert_eq!(io.main().socket_count(), 0, "disconnected");
    let _ = stop.send(());
}
