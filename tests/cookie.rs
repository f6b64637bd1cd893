//! The sid cookie, for sticky sessions behind a load balancer.

mod common;

use common::{config, open_packet, TestServer};
use edgeio::engine::CookieConfig;
use edgeio::engine::EngineConfig;

#[tokio::test(flavor = "multi_thread")]
async fn handshake_sets_the_io_cookie_when_configured() {
    let server = TestServer::start(EngineConfig {
        cookie: Some(CookieConfig::default()),
        ..config()
    })
    .await;
    let r = server.get("/socket.io/?EIO=4&transport=polling").await;
    assert_eq!(r.status, 200);
    let sid = open_packet(&r.text())["sid"]
        .as_str()
        .expect("sid")
        .to_owned();
    assert_eq!(
        r.header_all("set-cookie"),
        vec![format!("io={sid}; Path=/; SameSite=Lax; HttpOnly")]
    );
    // Only the handshake sets it.
    let r = server.post(&sid, b"4x").await;
    assert_eq!(r.header("set-cookie"), None);
    let r = server.poll(&sid).await;
    assert_eq!(r.text(), "4x");
    assert_eq!(r.header("set-cookie"), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn cookie_settings_are_honoured() {
    let server = TestServer::start(EngineConfig {
        cookie: Some(CookieConfig {
            name: "sticky".to_owned(),
            path: "/app".to_owned(),
            http_only: false,
            same_site: "Strict".to_owned(),
        }),
        ..config()
    })
    .await;
    let r = server.get("/socket.io/?EIO=4&transport=polling").await;
    let sid = open_packet(&r.text())["sid"]
        .as_str()
        .expect("sid")
        .to_owned();
    assert_eq!(
        r.header_all("set-cookie"),
        vec![format!("sticky={sid}; Path=/app; SameSite=Strict")]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn websocket_handshake_sets_the_cookie_too() {
    let server = TestServer::start(EngineConfig {
        cookie: Some(CookieConfig::default()),
        ..config()
    })
    .await;
    let (mut ws, response) = common::bounded(
        "the WebSocket handshake",
        tokio_tungstenite::connect_async(server.ws_url(None)),
    )
    .await
    .expect("WebSocket handshake");
    let open = open_packet(&common::ws_recv_text(&mut ws).await);
    let sid = open["sid"].as_str().expect("sid");
    let cookies: Vec<_> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("ASCII cookie").to_owned())
        .collect();
    assert_eq!(
        cookies,
        vec![format!("io={sid}; Path=/; SameSite=Lax; HttpOnly")]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn no_cookie_by_default() {
    let server = TestServer::start(config()).await;
    let r = server.get("/socket.io/?EIO=4&transport=polling").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("set-cookie"), None);
    let (_ws, response) = common::bounded(
        "the WebSocket handshake",
        tokio_tungstenite::connect_async(server.ws_url(None)),
    )
    .await
    .expect("WebSocket handshake");
    assert!(response.headers().get("set-cookie").is_none());
}
