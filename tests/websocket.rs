//! Sessions opened directly on WebSocket.

mod common;

use bytes::Bytes;
use common::{config, open_packet, ws_expect_closed, ws_next, ws_recv_text, ws_send, TestServer};
use edgeio::engine::Message;
use edgeio::engine::{DisconnectReason, Text, TransportKind};
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message as WsMessage;

#[tokio::test(flavor = "multi_thread")]
async fn open_packet_comes_first() {
    let server = TestServer::start(config()).await;
    let mut ws = server.ws(None).await;
    let first = ws_recv_text(&mut ws).await;
    let open = open_packet(&first);
    let sid = open["sid"].as_str().expect("sid");
    assert_eq!(open["upgrades"], serde_json::json!([]));
    assert_eq!(server.socket(sid).transport(), TransportKind::WebSocket);
}

#[tokio::test(flavor = "multi_thread")]
async fn text_frames_echo() {
    let server = TestServer::start(config()).await;
    let (mut ws, sid) = server.handshake_ws().await;
    for text in ["4hello", "4", "4héllo €", "4\x1ewith a separator"] {
        ws_send(&mut ws, text).await;
        assert_eq!(ws_recv_text(&mut ws).await, text);
    }
    assert_eq!(
        server.messages(&sid),
        vec![
            Message::Text(Text::from("hello")),
            Message::Text(Text::from("")),
            Message::Text(Text::from("héllo €")),
            Message::Text(Text::from("\x1ewith a separator")),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn binary_frames_echo_as_raw_bytes() {
    let server = TestServer::start(config()).await;
    let (mut ws, sid) = server.handshake_ws().await;
    let data: Vec<u8> = (0..=255u8).collect();
    ws.send(WsMessage::binary(data.clone()))
        .await
        .expect("send binary");
    match ws_next(&mut ws).await {
        Some(WsMessage::Binary(b)) => assert_eq!(b.as_ref(), &data[..]),
        other => panic!("expected a binary frame, got {other:?}"),
    }
    assert_eq!(
        server.messages(&sid),
        vec![Message::Binary(Bytes::from(data))]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn server_sent_messages_arrive_in_order() {
    let server = TestServer::start(config()).await;
    let (mut ws, sid) = server.handshake_ws().await;
    let socket = server.socket(&sid);
    for i in 0..100 {
        let m = if i % 2 == 0 {
            Message::Text(Text::from(format!("n{i}")))
        } else {
            Message::Binary(Bytes::from(vec![i as u8; 3]))
        };
        socket.send(m).expect("queue");
    }
    for i in 0..100 {
        match ws_next(&mut ws).await {
            Some(WsMessage::Text(t)) if i % 2 == 0 => assert_eq!(t.as_str(), format!("4n{i}")),
            Some(WsMessage::Binary(b)) if i % 2 == 1 => assert_eq!(b.as_ref(), [i as u8; 3]),
            other => panic!("message {i}: unexpected {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_packet_closes_with_parse_error() {
    let server = TestServer::start(config()).await;
    for bad in ["abc", "", "9", "5x", "1junk"] {
        let (mut ws, sid) = server.handshake_ws().await;
        ws_send(&mut ws, bad).await;
        ws_expect_closed(&mut ws).await;
        assert_eq!(
            server.wait_disconnect(&sid).await,
            DisconnectReason::ParseError,
            "after {bad:?}"
        );
        assert!(server.engine.socket(&sid).is_none());
    }
    // The server is still there.
    let (mut ws, _) = server.handshake_ws().await;
    ws_send(&mut ws, "4still up").await;
    assert_eq!(ws_recv_text(&mut ws).await, "4still up");
}

#[tokio::test(flavor = "multi_thread")]
async fn open_packet_from_the_client_is_a_parse_error() {
    let server = TestServer::start(config()).await;
    let (mut ws, sid) = server.handshake_ws().await;
    ws_send(&mut ws, "0{}").await;
    ws_expect_closed(&mut ws).await;
    assert_eq!(
        server.wait_disconnect(&sid).await,
        DisconnectReason::ParseError
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn close_packet_and_close_frame_end_with_transport_close() {
    let server = TestServer::start(config()).await;

    let (mut ws, sid) = server.handshake_ws().await;
    ws_send(&mut ws, "1").await;
    ws_expect_closed(&mut ws).await;
    assert_eq!(
        server.wait_disconnect(&sid).await,
        DisconnectReason::TransportClose
    );

    let (mut ws, sid) = server.handshake_ws().await;
    ws.close(None).await.expect("close frame");
    assert_eq!(
        server.wait_disconnect(&sid).await,
        DisconnectReason::TransportClose
    );

    let (ws, sid) = server.handshake_ws().await;
    drop(ws);
    let reason = server.wait_disconnect(&sid).await;
    assert!(
        matches!(
            reason,
            DisconnectReason::TransportClose | DisconnectReason::TransportError
        ),
        "a dropped connection ends the session: {reason:?}"
    );
    assert_eq!(server.disconnects(&sid).len(), 1, "on_disconnect once");
}

#[tokio::test(flavor = "multi_thread")]
async fn server_close_sends_a_close_frame() {
    let server = TestServer::start(config()).await;
    let (mut ws, sid) = server.handshake_ws().await;
    let socket = server.socket(&sid);
    socket
        .send(Message::Text(Text::from("bye")))
        .expect("queue");
    socket.close();
    // What was queued before the close is still delivered, then the close.
    loop {
        match ws_next(&mut ws).await {
            Some(WsMessage::Text(t)) => assert_eq!(t.as_str(), "4bye"),
            None | Some(WsMessage::Close(_)) => break,
            Some(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(
        server.disconnects(&sid),
        vec![DisconnectReason::ForcedClose]
    );
    assert!(socket.is_closed());
    assert_eq!(
        socket.send(Message::Text(Text::from("late"))),
        Err(edgeio::engine::SendError::Closed)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn websocket_without_upgrade_headers_is_refused() {
    let server = TestServer::start(config()).await;
    let r = server.get("/socket.io/?EIO=4&transport=websocket").await;
    r.assert_error(400, 3, "Bad request");
    assert_eq!(server.engine.session_count(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn ping_from_a_client_is_answered() {
    let server = TestServer::start(config()).await;
    let (mut ws, _sid) = server.handshake_ws().await;
    ws_send(&mut ws, "2hey").await;
    assert_eq!(ws_recv_text(&mut ws).await, "3hey");
}

#[tokio::test(flavor = "multi_thread")]
async fn polling_requests_on_a_websocket_session_are_refused() {
    let server = TestServer::start(config()).await;
    let (mut ws, sid) = server.handshake_ws().await;
    server.poll(&sid).await.assert_error(400, 3, "Bad request");
    server
        .post(&sid, b"4x")
        .await
        .assert_error(400, 3, "Bad request");
    // The session is unaffected.
    ws_send(&mut ws, "4still here").await;
    assert_eq!(ws_recv_text(&mut ws).await, "4still here");
    assert!(server.disconnects(&sid).is_empty());
    assert!(server
        .messages(&sid)
        .iter()
        .all(|m| *m != Message::Text(Text::from("x"))));
}
