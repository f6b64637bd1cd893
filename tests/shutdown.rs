//! Graceful shutdown: every session is closed with "server shutting down",
//! pending requests are answered, WebSocket clients see the close, and
//! `serve` returns.

mod common;

use std::time::Duration;

use common::{bounded, config, ws_expect_closed, ws_recv_text, ws_send, TestServer};
use edgeio::engine::DisconnectReason;

#[tokio::test(flavor = "multi_thread")]
async fn pending_get_returns_a_close_packet_on_shutdown() {
    let server = TestServer::start(config()).await;
    let sid = server.handshake_polling().await;
    let get = server.spawn_poll(&sid);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!get.is_finished(), "nothing queued: the GET waits");

    let recorder = server.recorder.clone();
    server.shutdown().await;

    let r = bounded("the pending GET", get).await.expect("GET task");
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "1");
    let events = recorder.events();
    assert!(
        events.contains(&common::Event::Disconnect(
            sid.clone(),
            DisconnectReason::ServerShuttingDown
        )),
        "{events:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn websocket_clients_see_the_close() {
    let server = TestServer::start(config()).await;
    let (mut direct, direct_sid) = server.handshake_ws().await;
    ws_send(&mut direct, "4hi").await;
    assert_eq!(ws_recv_text(&mut direct).await, "4hi");

    let upgraded_sid = server.handshake_polling().await;
    let mut upgraded = server.ws(Some(&upgraded_sid)).await;
    ws_send(&mut upgraded, "2probe").await;
    assert_eq!(ws_recv_text(&mut upgraded).await, "3probe");
    ws_send(&mut upgraded, "5").await;
    ws_send(&mut upgraded, "4up").await;
    assert_eq!(ws_recv_text(&mut upgraded).await, "4up");

    let idle_sid = server.handshake_polling().await;

    let recorder = server.recorder.clone();
    let addr = server.addr;
    server.shutdown().await;

    ws_expect_closed(&mut direct).await;
    ws_expect_closed(&mut upgraded).await;
    let events = recorder.events();
    for sid in [&direct_sid, &upgraded_sid, &idle_sid] {
        let reasons: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                common::Event::Disconnect(s, r) if s == sid => Some(*r),
                _ => None,
            })
            .collect();
        assert_eq!(reasons, vec![DisconnectReason::ServerShuttingDown], "{sid}");
    }
    // The listener is gone.
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no new connection after shutdown"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn idle_keep_alive_connections_do_not_hold_shutdown() {
    let server = TestServer::start(config()).await;
    // A connection that made one request and stays open, idle.
    let mut conn = common::connect(server.addr).await;
    tokio::io::AsyncWriteExt::write_all(
        &mut conn,
        &common::request_bytes("GET", "/socket.io/?EIO=4&transport=polling", &[], b""),
    )
    .await
    .expect("write");
    let r = bounded("the handshake", common::read_response(&mut conn)).await;
    assert_eq!(r.status, 200);
    server.shutdown().await;
    drop(conn);
}
