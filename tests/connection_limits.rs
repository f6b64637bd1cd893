//! Connection-level limits, on real sockets: the header and body read
//! timeouts, the cap on open connections (WebSockets included), the cap on
//! a request head's size, the per-address handshake rate limit, and the
//! backoff on accept errors (the binary under a low open-file limit).

mod common;

use std::net::SocketAddr;

use common::{bounded, config, read_response, request_bytes, TestServer};
use edgeio::engine::HandshakeRate;
use edgeio::EngineConfig;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Sends one polling handshake on `stream` and checks the answer.
async fn handshake_on(stream: &mut TcpStream) {
    stream
        .write_all(&request_bytes("GET", &TestServer::polling(None), &[], b""))
        .await
        .expect("write");
    let r = bounded("a handshake", read_response(stream)).await;
    assert_eq!(r.status, 200);
}

/// A connection from the loopback address `ip` (Linux routes all of
/// 127.0.0.0/8 to lo), so that one test can be several clients.
async fn connect_from(ip: [u8; 4], to: SocketAddr) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::from((ip, 0)))
        .expect("bind a loopback address");
    bounded("a connection", socket.connect(to))
        .await
        .expect("connect")
}

#[tokio::test(flavor = "multi_thread")]
async fn handshakes_over_the_per_address_rate_are_answered_429() {
    let server = TestServer::start(EngineConfig {
        handshake_rate: Some(HandshakeRate::per_minute(3)),
        ..config()
    })
    .await;
    let first = server.handshake_polling().await;
    server.handshake_polling().await;
    server.handshake_polling().await;

    let refused = server.get(&TestServer::polling(None)).await;
    refused.assert_error(429, 4, "Too many handshakes");
    let ws = tokio_tungstenite::connect_async(server.ws_url(None)).await;
    match ws {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status(), 429),
        other => panic!("expected a refused WebSocket handshake, got {other:?}"),
    }
    assert_eq!(server.engine.session_count(), 3);

    // Requests of an open session are not handshakes.
    assert_eq!(server.post(&first, b"4still here").await.text(), "ok");
    assert_eq!(server.poll(&first).await.text(), "4still here");

    // Another address has its own bucket.
    let mut other = connect_from([127, 0, 0, 2], server.addr).await;
    handshake_on(&mut other).await;
    server.shutdown().await;
}
