//! HTTP long-polling: payloads both ways, content types, overlapping and
//! abandoned requests.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{b64_packet, bounded, config, Event, TestServer, WAIT};
use edgeio::engine::Message;
use edgeio::engine::{DisconnectReason, Text};
use tokio::io::AsyncWriteExt;

#[tokio::test(flavor = "multi_thread")]
async fn posted_text_and_binary_packets_come_back_in_one_get() {
    let server = TestServer::start(config()).await;
    let sid = server.handshake_polling().await;
    let binary = [1u8, 2, 3, 4];
    let body = format!("4hello\x1e{}\x1e4wörld €", b64_packet(&binary));
    assert_eq!(b64_packet(&binary), "bAQIDBA==");

    let r = server.post(&sid, body.as_bytes()).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "ok");

    let r = server.poll(&sid).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/plain; charset=UTF-8"));
    assert_eq!(r.text(), body, "the echo returns the same payload");

    assert_eq!(
        server.messages(&sid),
        vec![
            Message::Text(Text::from("hello")),
            Message::Binary(Bytes::copy_from_slice(&binary)),
            Message::Text(Text::from("wörld €")),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn server_sent_messages_arrive_in_order_with_binary_as_base64() {
    let server = TestServer::start(config()).await;
    let sid = server.handshake_polling().await;
    let socket = server.socket(&sid);
    socket
        .send(Message::Text(Text::from("first")))
        .expect("queue text");
    socket
        .send(Message::Binary(Bytes::from_static(&[0, 255, 128])))
        .expect("queue binary");
    socket
        .send(Message::Binary(Bytes::new()))
        .expect("queue empty binary");
    socket
        .send(Message::Text(Text::from("")))
        .expect("queue empty text");
    let r = server.poll(&sid).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "4first\x1ebAP+A\x1eb\x1e4");
}

#[tokio::test(flavor = "multi_thread")]
async fn pending_get_returns_when_the_server_sends() {
    let server = TestServer::start(config()).await;
    let sid = server.handshake_polling().await;
    let get = server.spawn_poll(&sid);
    tokio::time::sleep(Duration::from_millis(100)).await;
    server
        .socket(&sid)
        .send(Message::Text(Text::from("later")))
        .expect("queue");
    let r = bounded("the pending GET", get).await.expect("GET task");
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "4later");
}

#[tokio::test(flavor = "multi_thread")]
async fn post_answers_ok_as_text_html() {
    let server = TestServer::start(config()).await;
    let sid = server.handshake_polling().await;
    let r = server.post(&sid, b"4x").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"ok");
    assert_eq!(r.header("content-type"), Some("text/html"));
}

#[tokio::test(flavor = "multi_thread")]
async fn posts_on_one_keep_alive_connection() {
    let server = TestServer::start(config()).await;
    let sid = server.handshake_polling().await;
    let mut conn = common::connect(server.addr).await;
    let pq = TestServer::polling(Some(&sid));
    for i in 0..3 {
        let body = format!("4m{i}");
        conn.write_all(&common::request_bytes("POST", &pq, &[], body.as_bytes()))
            .await
            .expect("write");
        let r = bounded("POST response", common::read_response(&mut conn)).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.text(), "ok");
    }
    let r = server.poll(&sid).await;
    assert_eq!(r.text(), "4m0\x1e4m1\x1e4m2");
}

#[tokio::test(flavor = "multi_thread")]
async fn close_packet_ends_the_session_with_transport_close() {
    let server = TestServer::start(config()).await;
    let sid = server.handshake_polling().await;
    let get = server.spawn_poll(&sid);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let r = server.post(&sid, b"1").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "ok");
    let r = bounded("the pending GET", get).await.expect("GET task");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.text(),
        "6",
        "a client-requested close ends the GET with a noop"
    );
    assert_eq!(
        server.wait_disconnect(&sid).await,
        DisconnectReason::TransportClose
    );
    server
        .poll(&sid)
        .await
        .assert_error(400, 1, "Session ID unknown");
}

#[tokio::test(flavor = "multi_thread")]
async fn server_close_ends_the_pending_get_with_a_close_packet() {
    let server = TestServer::start(config()).await;
    let sid = server.handshake_polling().await;
    let get = server.spawn_poll(&sid);
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.socket(&sid).close();
    let r = bounded("the pending GET", get).await.expect("GET task");
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "1");
    assert_eq!(
        server.disconnects(&sid),
        vec![DisconnectReason::ForcedClose]
    );
    server
        .poll(&sid)
        .await
        .assert_error(400, 1, "Session ID unknown");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_close_with_no_get_waiting_leaves_the_queued_frames_for_the_next_get() {
    let server = TestServer::start(config()).await;
    let sid = server.handshake_polling().await;
    let socket = server.socket(&sid);
    socket
        .send(Message::Text(Text::from("goodbye")))
        .expect("queue text");
    socket.close();
    assert_eq!(
        server.disconnects(&sid),
        vec![DisconnectReason::ForcedClose],
        "the handler hears of the close at once"
    );
    // The client's next GET gets what was queued, then the close packet.
    let r = server.poll(&sid).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "4goodbye\x1e1");
    server
        .poll(&sid)
        .await
        .assert_error(400, 1, "Session ID unknown");
}

#[tokio::test(flavor = "multi_thread")]
async fn second_concurrent_get_closes_the_session() {
    let server = TestServer::start(config()).await;
    let sid = server.handshake_polling().await;
    let first = server.spawn_poll(&sid);
    // Let the first GET become the pending one; not a timing assertion: the
    // checks below hold whatever the delay, provided the first arrives first.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!first.is_finished(), "nothing is queued: the GET must wait");

    let second = server.poll(&sid).await;
    assert_eq!(second.status, 400);
    assert_eq!(second.json()["code"], 3);

    let first = bounded("the first GET", first).await.expect("GET task");
    assert_eq!(first.status, 200);
    assert_eq!(first.text(), "1");

    assert_eq!(
        server.wait_disconnect(&sid).await,
        DisconnectReason::TransportError
    );
    assert!(server.engine.socket(&sid).is_none(), "session unregistered");
    server
        .poll(&sid)
        .await
        .assert_error(400, 1, "Session ID unknown");
    server
        .post(&sid, b"4x")
        .await
        .assert_error(400, 1, "Session ID unknown");
}

#[tokio::test(flavor = "multi_thread")]
async fn second_concurrent_post_closes_the_session() {
    let server = TestServer::start(config()).await;
    let sid = server.handshake_polling().await;
    // A POST whose body is still arriving.
    let mut first = common::connect(server.addr).await;
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\n4abc",
        TestServer::polling(Some(&sid))
    );
    first.write_all(head.as_bytes()).await.expect("write head");
    tokio::time::sleep(Duration::from_millis(300)).await;

    let second = server.post(&sid, b"4second").await;
    assert_eq!(second.status, 400);
    assert_eq!(
        server.wait_disconnect(&sid).await,
        DisconnectReason::TransportError
    );
    server
        .poll(&sid)
        .await
        .assert_error(400, 1, "Session ID unknown");
    drop(first);
}

#[tokio::test(flavor = "multi_thread")]
async fn aborted_get_closes_the_session() {
    let server = TestServer::start(config()).await;
    let sid = server.handshake_polling().await;
    let mut conn = common::connect(server.addr).await;
    conn.write_all(&common::request_bytes(
        "GET",
        &TestServer::polling(Some(&sid)),
        &[],
        b"",
    ))
    .await
    .expect("write the GET");
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(conn);

    assert_eq!(
        server.wait_disconnect(&sid).await,
        DisconnectReason::TransportClose
    );
    assert!(server.engine.socket(&sid).is_none());
    server
        .poll(&sid)
        .await
        .assert_error(400, 1, "Session ID unknown");
    let events = server.events();
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::Disconnect(s, _) if *s == sid))
            .count(),
        1,
        "on_disconnect once: {events:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn many_sessions_poll_independently() {
    let server = TestServer::start(config()).await;
    let mut sids = Vec::new();
    for _ in 0..20 {
        sids.push(server.handshake_polling().await);
    }
    let gets: Vec<_> = sids.iter().map(|s| server.spawn_poll(s)).collect();
    for (i, sid) in sids.iter().enumerate() {
        let r = server.post(sid, format!("4s{i}").as_bytes()).await;
        assert_eq!(r.text(), "ok");
    }
    for (i, get) in gets.into_iter().enumerate() {
        let r = tokio::time::timeout(WAIT, get)
            .await
            .expect("GET answered")
            .expect("GET task");
        assert_eq!(r.text(), format!("4s{i}"), "each session gets its own echo");
    }
}

/// The handler is told of a session's end once, and of nothing after it.
fn assert_disconnect_is_last(server: &TestServer, sid: &str) {
    let events: Vec<Event> = server
        .events()
        .into_iter()
        .filter(|e| match e {
            Event::Connect(s) | Event::Message(s, _) | Event::Disconnect(s, _) => s == sid,
        })
        .collect();
    assert!(
        matches!(events.last(), Some(Event::Disconnect(..))),
        "events after the disconnect: {events:?}"
    );
    assert_eq!(server.disconnects(sid).len(), 1, "{events:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn packets_after_a_close_packet_in_the_same_payload_are_dropped() {
    let server = TestServer::start(config()).await;
    let sid = server.handshake_polling().await;
    let r = server.post(&sid, b"4before\x1e1\x1e4after").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        server.wait_disconnect(&sid).await,
        DisconnectReason::TransportClose
    );
    assert_eq!(
        server.messages(&sid),
        vec![Message::Text(Text::from("before"))]
    );
    assert_disconnect_is_last(&server, &sid);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_post_still_in_flight_when_the_session_closes_delivers_nothing() {
    let server = TestServer::start(config()).await;
    let sid = server.handshake_polling().await;
    let mut conn = common::connect(server.addr).await;
    let body = b"4late";
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n\r\n",
        TestServer::polling(Some(&sid)),
        body.len()
    );
    conn.write_all(head.as_bytes()).await.expect("write head");
    conn.write_all(&body[..2])
        .await
        .expect("write half the body");
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.socket(&sid).close();
    assert_eq!(
        server.wait_disconnect(&sid).await,
        DisconnectReason::ForcedClose
    );
    conn.write_all(&body[2..]).await.expect("write the rest");
    let _ = bounded("the POST answer", common::read_response(&mut conn)).await;
    assert!(server.messages(&sid).is_empty(), "{:?}", server.events());
    assert_disconnect_is_last(&server, &sid);
}
