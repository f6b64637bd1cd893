//! The server's heartbeat: pings every `pingInterval`, and a session whose
//! pong does not come within `pingTimeout` is closed with "ping timeout".
//!
//! Intervals are short, but nothing here asserts timing: a test only needs
//! the server to ping eventually, to close eventually, or (with a generous
//! timeout) not to close a client that answers.

mod common;

use std::time::{Duration, Instant};

use common::{config, ws_expect_closed, ws_recv_text, ws_send, TestServer};
use edgeio::engine::DisconnectReason;
use edgeio::engine::EngineConfig;

fn heartbeat(interval_ms: u64, timeout_ms: u64) -> EngineConfig {
    EngineConfig {
        ping_interval: Duration::from_millis(interval_ms),
        ping_timeout: Duration::from_millis(timeout_ms),
        ..config()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn server_pings_over_polling() {
    // A long timeout so that a slow machine never closes the session first.
    let server = TestServer::start(heartbeat(100, 30_000)).await;
    let sid = server.handshake_polling().await;
    let r = server.poll(&sid).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "2");
}

#[tokio::test(flavor = "multi_thread")]
async fn server_pings_over_websocket() {
    let server = TestServer::start(heartbeat(100, 30_000)).await;
    let (mut ws, _sid) = server.handshake_ws().await;
    assert_eq!(ws_recv_text(&mut ws).await, "2");
}

#[tokio::test(flavor = "multi_thread")]
async fn no_pong_closes_a_polling_session_with_ping_timeout() {
    let server = TestServer::start(heartbeat(100, 100)).await;
    let sid = server.handshake_polling().await;
    assert_eq!(
        server.wait_disconnect(&sid).await,
        DisconnectReason::PingTimeout
    );
    assert!(server.engine.socket(&sid).is_none());
    server
        .poll(&sid)
        .await
        .assert_error(400, 1, "Session ID unknown");
    // A pong now is too late.
    server
        .post(&sid, b"3")
        .await
        .assert_error(400, 1, "Session ID unknown");
    assert_eq!(server.disconnects(&sid).len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn no_pong_ends_a_pending_get_with_a_close_packet() {
    let server = TestServer::start(heartbeat(100, 100)).await;
    let sid = server.handshake_polling().await;
    // The first GET gets the ping (or is refused if the machine was so slow
    // that the session already timed out); the second waits for the close.
    let first = server.poll(&sid).await;
    if first.status == 200 {
        assert_eq!(first.text(), "2");
        let second = server.poll(&sid).await;
        if second.status == 200 {
            assert_eq!(second.text(), "1");
        } else {
            second.assert_error(400, 1, "Session ID unknown");
        }
    } else {
        first.assert_error(400, 1, "Session ID unknown");
    }
    assert_eq!(
        server.wait_disconnect(&sid).await,
        DisconnectReason::PingTimeout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn no_pong_closes_a_websocket_session_with_ping_timeout() {
    let server = TestServer::start(heartbeat(100, 100)).await;
    let (mut ws, sid) = server.handshake_ws().await;
    assert_eq!(ws_recv_text(&mut ws).await, "2");
    ws_expect_closed(&mut ws).await;
    assert_eq!(
        server.wait_disconnect(&sid).await,
        DisconnectReason::PingTimeout
    );
}

/// Each pong has `TIMEOUT_MS` to arrive; the test runs for several times
/// `interval + timeout`, so a server that ignored pongs would have closed it.
const INTERVAL_MS: u64 = 100;
const TIMEOUT_MS: u64 = 1_000;

fn long_enough(start: Instant, pings: usize) -> bool {
    pings >= 3 && start.elapsed() > Duration::from_millis(2 * (INTERVAL_MS + TIMEOUT_MS) + 200)
}

#[tokio::test(flavor = "multi_thread")]
async fn pongs_keep_a_polling_session_alive() {
    let server = TestServer::start(heartbeat(INTERVAL_MS, TIMEOUT_MS)).await;
    let sid = server.handshake_polling().await;
    let start = Instant::now();
    let mut pings = 0;
    while !long_enough(start, pings) {
        let r = server.poll(&sid).await;
        assert_eq!(r.status, 200, "after {pings} pings: {}", r.text());
        assert_eq!(r.text(), "2");
        pings += 1;
        let r = server.post(&sid, b"3").await;
        assert_eq!(r.text(), "ok");
    }
    assert!(server.disconnects(&sid).is_empty());
    assert!(server.engine.socket(&sid).is_some());
    // Messages still flow.
    assert_eq!(server.post(&sid, b"4alive").await.text(), "ok");
    let r = server.poll(&sid).await;
    assert!(
        common::packets(&r.text()).contains(&"4alive".to_owned()),
        "{:?}",
        r.text()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn pongs_keep_a_websocket_session_alive() {
    let server = TestServer::start(heartbeat(INTERVAL_MS, TIMEOUT_MS)).await;
    let (mut ws, sid) = server.handshake_ws().await;
    let start = Instant::now();
    let mut pings = 0;
    while !long_enough(start, pings) {
        assert_eq!(ws_recv_text(&mut ws).await, "2", "after {pings} pings");
        pings += 1;
        ws_send(&mut ws, "3").await;
    }
    assert!(server.disconnects(&sid).is_empty());
    ws_send(&mut ws, "4alive").await;
    loop {
        let t = ws_recv_text(&mut ws).await;
        if t == "4alive" {
            break;
        }
        assert_eq!(t, "2", "only pings may come before the echo");
        ws_send(&mut ws, "3").await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn pongs_keep_an_upgraded_session_alive() {
    let server = TestServer::start(heartbeat(INTERVAL_MS, TIMEOUT_MS)).await;
    let sid = server.handshake_polling().await;
    let mut ws = server.ws(Some(&sid)).await;
    ws_send(&mut ws, "2probe").await;
    assert_eq!(ws_recv_text(&mut ws).await, "3probe");
    // Any ping sent on polling meanwhile must be answered there.
    let r = server.poll(&sid).await;
    for p in common::packets(&r.text()) {
        if p == "2" {
            assert_eq!(server.post(&sid, b"3").await.text(), "ok");
        } else {
            assert_eq!(p, "6");
        }
    }
    ws_send(&mut ws, "5").await;
    let start = Instant::now();
    let mut pings = 0;
    while !long_enough(start, pings) {
        assert_eq!(ws_recv_text(&mut ws).await, "2", "after {pings} pings");
        pings += 1;
        ws_send(&mut ws, "3").await;
    }
    assert!(server.disconnects(&sid).is_empty());
}
