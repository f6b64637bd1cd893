//! The handshake: the open packet and its fields, on polling and WebSocket.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use base64::Engine as _;
use common::{config, open_packet, Event, TestServer};
use edgeio::engine::EngineConfig;
use edgeio::engine::TransportKind;

/// A sid must carry at least 120 random bits: 22 or more base64url characters.
fn assert_sid_shape(sid: &str) {
    assert!(sid.len() >= 22, "sid {sid:?} is shorter than 22 characters");
    assert!(
        sid.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'),
        "sid {sid:?} is not base64url"
    );
    let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(sid)
        .unwrap_or_else(|e| panic!("sid {sid:?} does not decode as base64url: {e}"));
    assert!(decoded.len() * 8 >= 120, "sid {sid:?} carries < 120 bits");
}

#[tokio::test(flavor = "multi_thread")]
async fn polling_open_packet_has_every_field() {
    let server = TestServer::start(EngineConfig::default()).await;
    let r = server.get("/socket.io/?EIO=4&transport=polling").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/plain; charset=UTF-8"));
    let body = r.text();
    assert!(
        !body.contains('\x1e'),
        "the handshake carries the open packet alone: {body:?}"
    );
    let open = open_packet(&body);
    let sid = open["sid"].as_str().expect("sid is a string");
    assert_sid_shape(sid);
    assert_eq!(open["upgrades"], serde_json::json!(["websocket"]));
    assert_eq!(open["pingInterval"], 25_000);
    assert_eq!(open["pingTimeout"], 20_000);
    assert_eq!(open["maxPayload"], 1_000_000);
    let keys: HashSet<&str> = open
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        HashSet::from([
            "sid",
            "upgrades",
            "pingInterval",
            "pingTimeout",
            "maxPayload"
        ])
    );
    server
        .wait_event("on_connect", |e| *e == Event::Connect(sid.to_owned()))
        .await;
    assert!(server.engine.socket(sid).is_some(), "session registered");
}

#[tokio::test(flavor = "multi_thread")]
async fn open_packet_reflects_the_config() {
    let server = TestServer::start(EngineConfig {
        ping_interval: Duration::from_millis(12_345),
        ping_timeout: Duration::from_millis(6_789),
        max_payload: 4242,
        ..config()
    })
    .await;
    let r = server.get("/socket.io/?EIO=4&transport=polling").await;
    let open = open_packet(&r.text());
    assert_eq!(open["pingInterval"], 12_345);
    assert_eq!(open["pingTimeout"], 6_789);
    assert_eq!(open["maxPayload"], 4242);
}

#[tokio::test(flavor = "multi_thread")]
async fn path_without_trailing_slash_is_served() {
    let server = TestServer::start(config()).await;
    let r = server.get("/socket.io?EIO=4&transport=polling").await;
    assert_eq!(r.status, 200);
    open_packet(&r.text());
    let r = server.get("/other/?EIO=4&transport=polling").await;
    assert_eq!(r.status, 404, "only the engine's path is served");
}

#[tokio::test(flavor = "multi_thread")]
async fn sids_are_distinct_across_sessions() {
    let server = TestServer::start(config()).await;
    let mut sids = HashSet::new();
    for _ in 0..50 {
        let sid = server.handshake_polling().await;
        assert_sid_shape(&sid);
        assert!(sids.insert(sid.clone()), "sid {sid} handed out twice");
    }
    let mut open = Vec::new();
    for _ in 0..10 {
        let (ws, sid) = server.handshake_ws().await;
        assert_sid_shape(&sid);
        assert!(sids.insert(sid.clone()), "sid {sid} handed out twice");
        open.push(ws);
    }
    assert_eq!(server.engine.session_count(), 60);
}

#[tokio::test(flavor = "multi_thread")]
async fn websocket_open_packet_offers_no_upgrade() {
    let server = TestServer::start(config()).await;
    let (_ws, sid) = server.handshake_ws().await;
    assert_sid_shape(&sid);
    let mut ws = server.ws(None).await;
    let open = open_packet(&common::ws_recv_text(&mut ws).await);
    assert_eq!(open["upgrades"], serde_json::json!([]));
    assert_eq!(open["pingInterval"], 300_000);
    assert_eq!(open["pingTimeout"], 300_000);
    assert_eq!(open["maxPayload"], 1_000_000);
}

#[tokio::test(flavor = "multi_thread")]
async fn websocket_only_config_offers_no_upgrade() {
    let server = TestServer::start(EngineConfig {
        transports: vec![TransportKind::WebSocket],
        ..config()
    })
    .await;
    let mut ws = server.ws(None).await;
    let open = open_packet(&common::ws_recv_text(&mut ws).await);
    assert_eq!(open["upgrades"], serde_json::json!([]));
    assert_sid_shape(open["sid"].as_str().expect("sid"));
}

#[tokio::test(flavor = "multi_thread")]
async fn polling_only_config_offers_no_upgrade() {
    let server = TestServer::start(EngineConfig {
        transports: vec![TransportKind::Polling],
        ..config()
    })
    .await;
    let r = server.get("/socket.io/?EIO=4&transport=polling").await;
    assert_eq!(open_packet(&r.text())["upgrades"], serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn handshake_keeps_the_request_for_the_layers_above() {
    let server = TestServer::start(config()).await;
    let r = common::request(
        server.addr,
        "GET",
        "/socket.io/?EIO=4&transport=polling&token=abc",
        &[("Authorization", "Bearer xyz")],
        b"",
    )
    .await;
    let sid = open_packet(&r.text())["sid"]
        .as_str()
        .expect("sid")
        .to_owned();
    let socket = server.socket(&sid);
    assert_eq!(socket.handshake().query("token"), Some("abc"));
    assert_eq!(
        socket
            .handshake()
            .headers
            .get("authorization")
            .map(|v| v.as_bytes()),
        Some(&b"Bearer xyz"[..])
    );
    assert!(socket
        .handshake()
        .remote_addr
        .is_some_and(|a| a.ip().is_loopback()));
    assert_eq!(socket.transport(), TransportKind::Polling);
}

/// A draining engine opens no session, on either transport, and says why;
/// the sessions it already has go on until they are closed.
#[tokio::test(flavor = "multi_thread")]
async fn a_draining_engine_refuses_handshakes_and_keeps_its_open_sessions() {
    let server = TestServer::start(EngineConfig::default()).await;
    let sid = server.handshake_polling().await;
    assert!(!server.engine.is_draining());

    server.engine.begin_drain();
    assert!(server.engine.is_draining());
    let r = server.get("/socket.io/?EIO=4&transport=polling").await;
    assert_eq!(r.status, 503);
    assert_eq!(
        r.json(),
        serde_json::json!({"message": "Server shutting down"})
    );
    let refused = tokio_tungstenite::connect_async(server.ws_url(None)).await;
    assert!(
        refused.is_err(),
        "a WebSocket handshake must be refused too"
    );
    assert_eq!(server.engine.session_count(), 1);

    // The open session still carries messages both ways.
    let posted = server.post(&sid, b"4still here").await;
    assert_eq!(posted.status, 200);
    assert_eq!(server.poll(&sid).await.text(), "4still here");
}
