//! Byte budgets of a session, over real sockets: the outgoing queue of a
//! client that does not read is bounded in bytes (not only in packets), and
//! the handshake headers a session keeps are bounded too.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{bounded, config, packets, request, ws_next, ws_recv_text, ws_send, TestServer};
use edgeio::engine::{DisconnectReason, SendError, Text};
use edgeio::engine::{EngineConfig, Message};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// A message packet of `len` bytes, as the attacker of issue 10 sent them.
fn big_packet(len: usize) -> String {
    format!("4{}", "a".repeat(len - 1))
}

/// A polling session that posts and polls its own echo.
async fn assert_echoes(server: &TestServer, sid: &str, text: &str) {
    let r = server.post(sid, format!("4{text}").as_bytes()).await;
    assert_eq!(r.status, 200, "{sid} posts: {}", r.text());
    assert_eq!(server.poll(sid).await.text(), format!("4{text}"));
}

/// Waits until `sid`'s queue holds `bytes`.
async fn wait_buffered(server: &TestServer, sid: &str, bytes: usize) {
    let socket = server.socket(sid);
    bounded(&format!("{bytes} bytes queued for {sid}"), async {
        while socket.buffered_bytes() != bytes {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
}

/// Issue 10's attack on the default settings: one polling session POSTs
/// 990 KB messages to an echo handler and never GETs. Every echo used to
/// wait in its queue, up to 4096 of them (4 GB); now the session is closed
/// with `send buffer full` as soon as its queue would pass 1 MiB, while a
/// session beside it keeps working.
#[tokio::test(flavor = "multi_thread")]
async fn polling_flood_without_gets_is_closed_once_over_the_byte_budget() {
    let server = TestServer::start(config()).await;
    let attacker = server.handshake_polling().await;
    let neighbour = server.handshake_polling().await;
    let body = big_packet(990_000);
    let mut accepted = 0;
    for i in 0..12 {
        let r = server.post(&attacker, body.as_bytes()).await;
        if r.status != 200 {
            r.assert_error(400, 1, "Session ID unknown");
            break;
        }
        accepted += 1;
        assert_echoes(&server, &neighbour, &format!("still here {i}")).await;
    }
    assert_eq!(
        server.disconnects(&attacker),
        vec![DisconnectReason::SendBufferFull],
        "closed for its queue after {accepted} POSTs of 990 KB, far under 4096 packets"
    );
    assert_eq!(
        accepted, 2,
        "the first echo fits the empty queue, the second passes 1 MiB"
    );
    assert!(server.engine.socket(&attacker).is_none());
    assert_echoes(&server, &neighbour, "after the flood").await;
    assert!(server.disconnects(&neighbour).is_empty());
}

/// The same on WebSocket: a client that stops reading while the server has
/// messages for it (say, broadcasts) is closed once its queue holds the byte
/// budget, long before the packet count (the kernel's socket buffers take
/// some MB first). The messages share one buffer, so the test itself holds
/// little whatever the server does.
#[tokio::test(flavor = "multi_thread")]
async fn websocket_client_that_stops_reading_is_closed_once_over_the_byte_budget() {
    const BUDGET: usize = 256 * 1024;
    let server = TestServer::start(EngineConfig {
        max_buffered_bytes: BUDGET,
        ..config()
    })
    .await;
    let (stalled, sid) = server.handshake_ws().await;
    let (mut reader, _) = server.handshake_ws().await;
    let socket = server.socket(&sid);
    let chunk = Bytes::from(vec![0x5au8; 64 * 1024]);
    let max_packets = EngineConfig::default().max_buffered_packets;
    // Up to 4000 × 64 KiB (250 MiB): more than any socket buffers hold, and
    // fewer packets than the count cap, which therefore never closes it.
    let mut refused = None;
    for i in 0..4000 {
        match socket.send(Message::Binary(chunk.clone())) {
            Ok(()) => tokio::time::sleep(Duration::from_millis(1)).await,
            Err(e) => {
                refused = Some((i, e));
                break;
            }
        }
    }
    let (count, error) = refused.expect("the queue of a client that stops reading fills up");
    assert_eq!(error, SendError::QueueFull, "after {count} messages");
    assert!(count < max_packets);
    assert_eq!(
        server.wait_disconnect(&sid).await,
        DisconnectReason::SendBufferFull
    );
    ws_send(&mut reader, "4fine").await;
    assert_eq!(ws_recv_text(&mut reader).await, "4fine");
    drop(stalled);
}

/// One frame larger than the whole budget is still sent when the queue is
/// empty: a message up to `max_payload` always gets through, on both
/// transports.
#[tokio::test(flavor = "multi_thread")]
async fn a_frame_larger_than_the_budget_fits_an_empty_queue() {
    let server = TestServer::start(EngineConfig {
        max_buffered_bytes: 1024,
        ..config()
    })
    .await;
    let sid = server.handshake_polling().await;
    let body = big_packet(100_000);
    assert_eq!(server.post(&sid, body.as_bytes()).await.text(), "ok");
    assert_eq!(server.socket(&sid).buffered_bytes(), body.len());
    assert_eq!(server.poll(&sid).await.text(), body);
    assert!(server.disconnects(&sid).is_empty());

    let (mut ws, sid) = server.handshake_ws().await;
    ws_send(&mut ws, &body).await;
    assert_eq!(ws_recv_text(&mut ws).await, body);
    assert!(server.disconnects(&sid).is_empty());
}

/// The queue's byte total follows the frames through a polling GET and an
/// upgrade: frames queued while the upgrade is in flight count, and the
/// WebSocket that takes them over gives their bytes back.
#[tokio::test(flavor = "multi_thread")]
async fn queued_bytes_follow_the_frames_through_a_get_and_an_upgrade() {
    let server = TestServer::start(config()).await;
    let sid = server.handshake_polling().await;
    let socket = server.socket(&sid);
    for text in ["one", "two", "three"] {
        socket.send(Message::Text(Text::from(text))).expect("room");
    }
    assert_eq!(socket.buffered_bytes(), 4 + 4 + 6, "type digit included");
    assert_eq!(server.poll(&sid).await.text(), "4one\x1e4two\x1e4three");
    assert_eq!(socket.buffered_bytes(), 0);

    let mut ws = server.ws(Some(&sid)).await;
    ws_send(&mut ws, "2probe").await;
    assert_eq!(ws_recv_text(&mut ws).await, "3probe");
    socket
        .send(Message::Binary(Bytes::from_static(&[1, 2, 3])))
        .expect("room");
    socket.send(Message::Text(Text::from("mid"))).expect("room");
    assert_eq!(socket.buffered_bytes(), 3 + 4, "queued during the upgrade");
    ws_send(&mut ws, "5").await;
    match ws_next(&mut ws).await {
        Some(WsMessage::Binary(b)) => assert_eq!(&b[..], &[1, 2, 3]),
        other => panic!("expected the binary frame, got {other:?}"),
    }
    assert_eq!(ws_recv_text(&mut ws).await, "4mid");
    wait_buffered(&server, &sid, 0).await;
}

/// What one header costs against `max_handshake_header_bytes`.
fn cost(name: &str, value: &[u8]) -> usize {
    name.len() + value.len() + 32
}

/// The bytes of the headers a session kept.
fn kept_bytes(server: &TestServer, sid: &str) -> usize {
    server
        .socket(sid)
        .handshake()
        .headers
        .iter()
        .map(|(n, v)| cost(n.as_str(), v.as_bytes()))
        .sum()
}

/// A polling handshake with 24 headers of 500 bytes (12 KB, under the HTTP
/// head cap of 16 KiB) keeps at most the cap, keeps the small `Authorization` after
/// them, and drops the transport-only headers.
#[tokio::test(flavor = "multi_thread")]
async fn a_polling_handshake_with_many_large_headers_keeps_at_most_the_cap() {
    const CAP: usize = 2048;
    let server = TestServer::start(EngineConfig {
        max_handshake_header_bytes: CAP,
        ..config()
    })
    .await;
    let names: Vec<String> = (0..24).map(|i| format!("x-filler-{i}")).collect();
    let filler = "f".repeat(500);
    let mut headers: Vec<(&str, &str)> = names
        .iter()
        .map(|n| (n.as_str(), filler.as_str()))
        .collect();
    headers.push(("Accept-Encoding", "gzip, deflate"));
    headers.push(("Authorization", "Bearer kept"));
    let r = request(
        server.addr,
        "GET",
        &TestServer::polling(None),
        &headers,
        b"",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let sid = common::open_packet(&packets(&r.text())[0])["sid"]
        .as_str()
        .expect("sid")
        .to_owned();
    let kept = server.socket(&sid).handshake().headers.clone();
    assert!(
        kept_bytes(&server, &sid) <= CAP,
        "kept {} bytes of headers",
        kept_bytes(&server, &sid)
    );
    assert_eq!(
        kept.get("authorization").map(|v| v.as_bytes()),
        Some(&b"Bearer kept"[..])
    );
    assert!(kept.contains_key("host"));
    assert!(!kept.contains_key("accept-encoding"), "transport-only");
    assert!(kept.contains_key("x-filler-0"), "kept up to the cap");
    assert!(!kept.contains_key("x-filler-23"), "dropped past the cap");
    assert_echoes(&server, &sid, "works").await;
}

/// A WebSocket handshake keeps neither its upgrade headers nor a cookie
/// larger than the cap, and still connects.
#[tokio::test(flavor = "multi_thread")]
async fn a_websocket_handshake_keeps_no_upgrade_headers_and_no_oversized_cookie() {
    let server = TestServer::start(config()).await;
    let mut req = server.ws_url(None).into_client_request().expect("request");
    let cookie = format!("big={}", "c".repeat(12_000));
    req.headers_mut()
        .insert("cookie", cookie.parse().expect("header value"));
    req.headers_mut()
        .insert("x-app", "kept".parse().expect("header value"));
    let (mut ws, _) = bounded(
        "the WebSocket handshake",
        tokio_tungstenite::connect_async(req),
    )
    .await
    .expect("handshake");
    let open = common::open_packet(&ws_recv_text(&mut ws).await);
    let sid = open["sid"].as_str().expect("sid").to_owned();
    let kept = server.socket(&sid).handshake().headers.clone();
    for gone in [
        "upgrade",
        "connection",
        "sec-websocket-key",
        "sec-websocket-version",
        "cookie",
    ] {
        assert!(!kept.contains_key(gone), "{gone} is not kept: {kept:?}");
    }
    assert_eq!(kept.get("x-app").map(|v| v.as_bytes()), Some(&b"kept"[..]));
    assert!(kept_bytes(&server, &sid) <= EngineConfig::default().max_handshake_header_bytes);
    ws_send(&mut ws, "4hi").await;
    assert_eq!(ws_recv_text(&mut ws).await, "4hi");
}
