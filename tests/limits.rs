//! Limits: `maxPayload` on POST bodies and WebSocket messages, and the
//! outgoing queue of a client that does not read.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{bounded, config, ws_expect_closed, ws_next, ws_recv_text, ws_send, TestServer};
use edgeio::engine::{DisconnectReason, SendError, Text};
use edgeio::engine::{EngineConfig, Message};
use futures_util::SinkExt;
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::tungstenite::Message as WsMessage;

const LIMIT: usize = 1000;

fn limited() -> EngineConfig {
    EngineConfig {
        max_payload: LIMIT,
        ..config()
    }
}

/// A message packet of exactly `len` bytes.
fn packet_of_len(len: usize) -> String {
    format!("4{}", "a".repeat(len - 1))
}

/// The server still opens and serves new sessions.
async fn assert_still_serving(server: &TestServer) {
    let sid = server.handshake_polling().await;
    assert_eq!(server.post(&sid, b"4ok?").await.text(), "ok");
    assert_eq!(server.poll(&sid).await.text(), "4ok?");
}

#[tokio::test(flavor = "multi_thread")]
async fn post_at_the_limit_is_accepted() {
    let server = TestServer::start(limited()).await;
    let sid = server.handshake_polling().await;
    let body = packet_of_len(LIMIT);
    let r = server.post(&sid, body.as_bytes()).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "ok");
    assert_eq!(server.poll(&sid).await.text(), body);
}

/// Sends only the head of a POST declaring a body over the limit: the answer
/// must come without the body, so the server cannot have waited to buffer it.
#[tokio::test(flavor = "multi_thread")]
async fn declared_content_length_over_the_limit_is_refused_unread() {
    let server = TestServer::start(limited()).await;
    for declared in [LIMIT + 1, 1_000_000_000_000] {
        let sid = server.handshake_polling().await;
        let mut conn = common::connect(server.addr).await;
        let head = format!(
            "POST {} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: {declared}\r\n\r\n",
            TestServer::polling(Some(&sid))
        );
        conn.write_all(head.as_bytes()).await.expect("write head");
        let r = bounded("the 413", common::read_response(&mut conn)).await;
        assert_eq!(r.status, 413, "Content-Length {declared}");
        assert!(server.messages(&sid).is_empty());
    }
    assert_still_serving(&server).await;
}

/// A chunked body that never ends but passes the limit: the server must
/// answer once the limit is passed, not wait for the end of the body.
#[tokio::test(flavor = "multi_thread")]
async fn chunked_body_over_the_limit_is_refused_without_reading_to_the_end() {
    let server = TestServer::start(limited()).await;
    let sid = server.handshake_polling().await;
    let mut conn = common::connect(server.addr).await;
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n",
        TestServer::polling(Some(&sid))
    );
    conn.write_all(head.as_bytes()).await.expect("write head");
    let chunk = "a".repeat(600);
    let first = format!("{:x}\r\n4{}\r\n", 601, chunk);
    conn.write_all(first.as_bytes()).await.expect("chunk 1");
    let second = format!("{:x}\r\n{chunk}\r\n", 600);
    conn.write_all(second.as_bytes()).await.expect("chunk 2");
    // No terminating chunk: a server buffering to the end would hang here.
    let r = bounded("the 413", common::read_response(&mut conn)).await;
    assert_eq!(r.status, 413);
    assert!(server.messages(&sid).is_empty());
    assert_still_serving(&server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn chunked_body_under_the_limit_is_accepted() {
    let server = TestServer::start(limited()).await;
    let sid = server.handshake_polling().await;
    let mut conn = common::connect(server.addr).await;
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n4ab\r\n4\r\n\x1e4cd\r\n0\r\n\r\n",
        TestServer::polling(Some(&sid))
    );
    conn.write_all(head.as_bytes()).await.expect("write");
    let r = bounded("the POST answer", common::read_response(&mut conn)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "ok");
    assert_eq!(server.poll(&sid).await.text(), "4ab\x1e4cd");
}

#[tokio::test(flavor = "multi_thread")]
async fn websocket_message_at_the_limit_is_accepted() {
    let server = TestServer::start(limited()).await;
    let (mut ws, _sid) = server.handshake_ws().await;
    let text = packet_of_len(LIMIT);
    ws_send(&mut ws, &text).await;
    assert_eq!(ws_recv_text(&mut ws).await, text);
    ws.send(WsMessage::binary(vec![7u8; LIMIT]))
        .await
        .expect("send binary");
    match ws_next(&mut ws).await {
        Some(WsMessage::Binary(b)) => assert_eq!(b.len(), LIMIT),
        other => panic!("expected the binary echo, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn websocket_text_over_the_limit_closes_with_transport_error() {
    let server = TestServer::start(limited()).await;
    let (mut ws, sid) = server.handshake_ws().await;
    // The send may fail if the server closes first; either way it closes.
    let _ = ws.send(WsMessage::text(packet_of_len(LIMIT + 1))).await;
    ws_expect_closed(&mut ws).await;
    assert_eq!(
        server.wait_disconnect(&sid).await,
        DisconnectReason::TransportError
    );
    assert!(server.messages(&sid).is_empty());
    assert_still_serving(&server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn websocket_binary_over_the_limit_closes_with_transport_error() {
    let server = TestServer::start(limited()).await;
    let (mut ws, sid) = server.handshake_ws().await;
    let _ = ws.send(WsMessage::binary(vec![0u8; 100 * LIMIT])).await;
    ws_expect_closed(&mut ws).await;
    assert_eq!(
        server.wait_disconnect(&sid).await,
        DisconnectReason::TransportError
    );
    assert!(server.messages(&sid).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn fragmented_websocket_message_over_the_limit_closes_with_transport_error() {
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;

    let server = TestServer::start(limited()).await;
    let (mut ws, sid) = server.handshake_ws().await;
    // Control: a fragmented message under the limit is reassembled and echoed.
    let small = "b".repeat(300);
    for f in [
        Frame::message(format!("4{}", &small[1..]), OpCode::Data(Data::Text), false),
        Frame::message(small.clone(), OpCode::Data(Data::Continue), false),
        Frame::message(small.clone(), OpCode::Data(Data::Continue), true),
    ] {
        ws.send(WsMessage::Frame(f)).await.expect("send a fragment");
    }
    assert_eq!(ws_recv_text(&mut ws).await, format!("4{}", "b".repeat(899)));
    // Three frames of 400 bytes: each under the limit, the message over it.
    let part = "a".repeat(400);
    let frames = [
        Frame::message(format!("4{}", &part[1..]), OpCode::Data(Data::Text), false),
        Frame::message(part.clone(), OpCode::Data(Data::Continue), false),
        Frame::message(part, OpCode::Data(Data::Continue), true),
    ];
    for f in frames {
        if ws.send(WsMessage::Frame(f)).await.is_err() {
            break;
        }
    }
    ws_expect_closed(&mut ws).await;
    assert_eq!(
        server.wait_disconnect(&sid).await,
        DisconnectReason::TransportError
    );
    assert_eq!(server.messages(&sid).len(), 1, "only the control message");
}

#[tokio::test(flavor = "multi_thread")]
async fn polling_client_that_never_polls_is_disconnected_when_its_queue_fills() {
    let server = TestServer::start(EngineConfig {
        max_buffered_packets: 8,
        ..config()
    })
    .await;
    let sid = server.handshake_polling().await;
    let socket = server.socket(&sid);
    for i in 0..8 {
        socket
            .send(Message::Text(Text::from(format!("{i}"))))
            .unwrap_or_else(|e| panic!("message {i} of 8 fits the queue: {e}"));
    }
    assert_eq!(
        socket.send(Message::Text(Text::from("one too many"))),
        Err(SendError::QueueFull)
    );
    assert_eq!(
        server.wait_disconnect(&sid).await,
        DisconnectReason::SendBufferFull
    );
    assert_eq!(
        socket.send(Message::Text(Text::from("after"))),
        Err(SendError::Closed)
    );
    server
        .poll(&sid)
        .await
        .assert_error(400, 1, "Session ID unknown");
    assert_still_serving(&server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn websocket_client_that_never_reads_is_disconnected_with_send_buffer_full() {
    let server = TestServer::start(EngineConfig {
        max_buffered_packets: 16,
        ..config()
    })
    .await;
    let (stalled, sid) = server.handshake_ws().await;
    let socket = server.socket(&sid);
    let chunk = Bytes::from(vec![0x5au8; 64 * 1024]);
    // At most 4096 × 64 KiB: far more than any socket buffers hold.
    let mut refused = None;
    for i in 0..4096 {
        match socket.send(Message::Binary(chunk.clone())) {
            Ok(()) => tokio::time::sleep(Duration::from_millis(1)).await,
            Err(e) => {
                refused = Some((i, e));
                break;
            }
        }
    }
    let (count, error) = refused.expect("the queue of a client that never reads fills up");
    assert_eq!(error, SendError::QueueFull, "after {count} messages");
    assert_eq!(
        server.wait_disconnect(&sid).await,
        DisconnectReason::SendBufferFull
    );
    assert!(server.engine.socket(&sid).is_none());

    // The server is unaffected.
    let (mut ws, _) = server.handshake_ws().await;
    ws_send(&mut ws, "4fine").await;
    assert_eq!(ws_recv_text(&mut ws).await, "4fine");
    assert_still_serving(&server).await;
    drop(stalled);
}
