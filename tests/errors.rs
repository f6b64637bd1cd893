//! Refused requests and their `{"code":N,"message":"..."}` bodies, and
//! malformed input that must end a session, never the process.

mod common;

use std::sync::Arc;

use common::{config, request, ws_expect_closed, ws_send, TestServer};
use edgeio::engine::EngineConfig;
use edgeio::engine::{DisconnectReason, TransportKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test(flavor = "multi_thread")]
async fn unknown_sid_is_code_1() {
    let server = TestServer::start(config()).await;
    server
        .poll("unknown")
        .await
        .assert_error(400, 1, "Session ID unknown");
    server
        .post("unknown", b"4x")
        .await
        .assert_error(400, 1, "Session ID unknown");
    let r = server.poll("unknown").await;
    assert_eq!(r.header("content-type"), Some("application/json"));
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_transport_is_code_0() {
    let server = TestServer::start(config()).await;
    for pq in [
        "/socket.io/?EIO=4&transport=tobi",
        "/socket.io/?EIO=4",
        "/socket.io/?EIO=4&transport=",
    ] {
        let r = server.get(pq).await;
        r.assert_error(400, 0, "Transport unknown");
    }
    assert_eq!(server.engine.session_count(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn protocol_v3_is_code_5() {
    let server = TestServer::start(config()).await;
    server
        .get("/socket.io/?EIO=3&transport=polling")
        .await
        .assert_error(400, 5, "Unsupported protocol version");
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_or_garbled_eio_is_400() {
    let server = TestServer::start(config()).await;
    for pq in [
        "/socket.io/?transport=polling",
        "/socket.io/",
        "/socket.io/?EIO=four&transport=polling",
    ] {
        let r = server.get(pq).await;
        assert_eq!(r.status, 400, "{pq}");
        assert!(r.json()["code"].is_u64(), "{pq}: {}", r.text());
    }
    assert_eq!(server.engine.session_count(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn post_handshake_is_code_2() {
    let server = TestServer::start(config()).await;
    let r = request(
        server.addr,
        "POST",
        "/socket.io/?EIO=4&transport=polling",
        &[],
        b"4hello",
    )
    .await;
    r.assert_error(400, 2, "Bad handshake method");
    assert_eq!(server.engine.session_count(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn allow_request_refusal_is_403_code_4_with_its_message() {
    let server = TestServer::start(EngineConfig {
        allow_request: Some(Arc::new(|h: &edgeio::engine::Handshake| {
            if h.query("token") == Some("good") {
                Ok(())
            } else {
                Err("no valid token".to_owned())
            }
        })),
        ..config()
    })
    .await;
    server
        .get("/socket.io/?EIO=4&transport=polling")
        .await
        .assert_error(403, 4, "no valid token");
    let r = server
        .get("/socket.io/?EIO=4&transport=polling&token=bad")
        .await;
    r.assert_error(403, 4, "no valid token");
    // WebSocket handshakes are filtered too.
    let refused = tokio_tungstenite::connect_async(server.ws_url(None)).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status(), 403),
        other => panic!("expected a 403, got {other:?}"),
    }
    assert_eq!(server.engine.session_count(), 0);
    assert!(
        server.events().is_empty(),
        "no on_connect for refused handshakes"
    );

    let r = server
        .get("/socket.io/?EIO=4&transport=polling&token=good")
        .await;
    assert_eq!(r.status, 200);
    common::open_packet(&r.text());
}

#[tokio::test(flavor = "multi_thread")]
async fn websocket_only_config_refuses_polling_with_code_0() {
    let server = TestServer::start(EngineConfig {
        transports: vec![TransportKind::WebSocket],
        ..config()
    })
    .await;
    server
        .get("/socket.io/?EIO=4&transport=polling")
        .await
        .assert_error(400, 0, "Transport unknown");
    // Nor may a WebSocket session be reached by polling.
    let (_ws, sid) = server.handshake_ws().await;
    server
        .poll(&sid)
        .await
        .assert_error(400, 0, "Transport unknown");
}

#[tokio::test(flavor = "multi_thread")]
async fn polling_only_config_refuses_websocket_with_code_0() {
    let server = TestServer::start(EngineConfig {
        transports: vec![TransportKind::Polling],
        ..config()
    })
    .await;
    match tokio_tungstenite::connect_async(server.ws_url(None)).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => {
            assert_eq!(r.status(), 400);
            let body: serde_json::Value =
                serde_json::from_slice(r.body().as_deref().unwrap_or_default())
                    .expect("JSON error body");
            assert_eq!(
                body,
                serde_json::json!({"code": 0, "message": "Transport unknown"})
            );
        }
        other => panic!("expected a 400, got {other:?}"),
    }
    let sid = server.handshake_polling().await;
    match tokio_tungstenite::connect_async(server.ws_url(Some(&sid))).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status(), 400),
        other => panic!("expected a 400, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_post_body_is_400_and_ends_the_session() {
    let server = TestServer::start(config()).await;
    let sid = server.handshake_polling().await;
    let r = server.post(&sid, b"abc").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["code"], 3);
    assert_eq!(
        server.wait_disconnect(&sid).await,
        DisconnectReason::ParseError
    );
    server
        .poll(&sid)
        .await
        .assert_error(400, 1, "Session ID unknown");
}

#[tokio::test(flavor = "multi_thread")]
async fn packets_before_a_malformed_one_are_delivered() {
    let server = TestServer::start(config()).await;
    let sid = server.handshake_polling().await;
    let r = server.post(&sid, b"4first\x1ezzz\x1e4never").await;
    assert_eq!(r.status, 400);
    assert_eq!(
        server.wait_disconnect(&sid).await,
        DisconnectReason::ParseError
    );
    assert_eq!(
        server.messages(&sid),
        vec![edgeio::engine::Message::Text(edgeio::engine::Text::from(
            "first"
        ))]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_input_never_takes_the_server_down() {
    let server = TestServer::start(config()).await;
    let bodies: &[&[u8]] = &[
        b"",
        b"\x1e",
        b"4a\x1e",
        b"\x1e\x1e4a",
        b"b!!!not base64",
        b"b",
        b"7",
        b"5x",
        b"\xff\xfe\xfd",
        b"4\xc3",
        b"0{}",
        "\u{1e}\u{1e}\u{1e}".as_bytes(),
        &[b'9'; 500],
    ];
    for body in bodies {
        let sid = server.handshake_polling().await;
        let r = server.post(&sid, body).await;
        if r.status == 200 {
            // Some of these may be accepted ("b" is an empty binary message).
            assert_eq!(r.text(), "ok", "{body:?}");
        } else {
            assert_eq!(r.status, 400, "{body:?}: {}", r.text());
            assert_eq!(
                server.wait_disconnect(&sid).await,
                DisconnectReason::ParseError,
                "{body:?}"
            );
        }
    }
    // A binary content type is not protocol v4.
    let sid = server.handshake_polling().await;
    let r = request(
        server.addr,
        "POST",
        &TestServer::polling(Some(&sid)),
        &[("Content-Type", "application/octet-stream")],
        &[4, 1, 2, 3],
    )
    .await;
    assert_eq!(r.status, 400);

    // Garbage queries and methods.
    for pq in [
        "/socket.io/?EIO=4&transport=polling&sid=",
        "/socket.io/?&&&=&EIO=4&transport=polling&sid=%00%ff",
        "/socket.io/?EIO=99999999999999999999&transport=polling",
        "/socket.io/?EIO=4&EIO=3&transport=polling&transport=websocket",
    ] {
        let r = server.get(pq).await;
        assert!(matches!(r.status, 200 | 400), "{pq}: {}", r.status);
    }
    let r = request(
        server.addr,
        "PUT",
        "/socket.io/?EIO=4&transport=polling&sid=x",
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, 400);

    // Not HTTP at all.
    let mut conn = common::connect(server.addr).await;
    conn.write_all(b"\x00\x01\x02 garbage \r\n\r\n\r\n")
        .await
        .expect("write garbage");
    let mut sink = Vec::new();
    let _ = common::bounded("the server to drop garbage", conn.read_to_end(&mut sink)).await;

    // Malformed WebSocket traffic.
    for bad in ["", "x", "4\u{1e}", "7"] {
        let (mut ws, _sid) = server.handshake_ws().await;
        ws_send(&mut ws, bad).await;
        if bad == "4\u{1e}" {
            assert_eq!(common::ws_recv_text(&mut ws).await, "4\u{1e}");
        } else {
            ws_expect_closed(&mut ws).await;
        }
    }
    let sid = server.handshake_polling().await;
    let mut ws = server.ws(Some(&sid)).await;
    ws_send(&mut ws, "garbage instead of a probe").await;
    ws_expect_closed(&mut ws).await;

    // After all that, a new session works end to end.
    let sid = server.handshake_polling().await;
    assert_eq!(server.post(&sid, b"4alive").await.text(), "ok");
    assert_eq!(server.poll(&sid).await.text(), "4alive");
    let (mut ws, _) = server.handshake_ws().await;
    ws_send(&mut ws, "4alive").await;
    assert_eq!(common::ws_recv_text(&mut ws).await, "4alive");
}
