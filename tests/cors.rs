//! CORS on the polling transport: preflights, allowed and refused origins,
//! credentials, and no CORS headers at all by default.

mod common;

use common::{config, request, HttpResponse, TestServer};
use edgeio::engine::CorsConfig;
use edgeio::engine::EngineConfig;

const APP: &str = "https://app.example";
const EVIL: &str = "https://evil.example";

const CORS_HEADERS: [&str; 5] = [
    "access-control-allow-origin",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-allow-credentials",
    "access-control-max-age",
];

fn with_cors(origins: &[&str], credentials: bool) -> EngineConfig {
    let origins: Vec<String> = origins.iter().map(|o| (*o).to_owned()).collect();
    EngineConfig {
        cors: CorsConfig::from_origins(&origins, credentials),
        ..config()
    }
}

async fn preflight(server: &TestServer, origin: &str) -> HttpResponse {
    request(
        server.addr,
        "OPTIONS",
        "/socket.io/?EIO=4&transport=polling",
        &[
            ("Origin", origin),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "content-type"),
        ],
        b"",
    )
    .await
}

async fn handshake_from(server: &TestServer, origin: &str) -> HttpResponse {
    request(
        server.addr,
        "GET",
        "/socket.io/?EIO=4&transport=polling",
        &[("Origin", origin)],
        b"",
    )
    .await
}

fn assert_no_cors(r: &HttpResponse) {
    for h in CORS_HEADERS {
        assert_eq!(r.header(h), None, "unexpected {h}: {:?}", r.headers);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn preflight_from_an_allowed_origin() {
    let server = TestServer::start(with_cors(&[APP], false)).await;
    let r = preflight(&server, APP).await;
    assert_eq!(r.status, 204);
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    assert_eq!(
        r.header("access-control-allow-methods"),
        Some("GET, POST, OPTIONS")
    );
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("content-type")
    );
    assert_eq!(r.header("access-control-max-age"), Some("600"));
    assert_eq!(r.header("access-control-allow-credentials"), None);
    assert!(r.header_all("vary").iter().any(|v| v.contains("Origin")));
    assert!(r.body.is_empty());
    assert_eq!(
        server.engine.session_count(),
        0,
        "a preflight opens nothing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn preflight_from_a_disallowed_origin_gets_no_cors_headers() {
    let server = TestServer::start(with_cors(&[APP], true)).await;
    let r = preflight(&server, EVIL).await;
    assert_no_cors(&r);
    let r = request(
        server.addr,
        "OPTIONS",
        "/socket.io/?EIO=4&transport=polling",
        &[],
        b"",
    )
    .await;
    assert_no_cors(&r);
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_from_an_allowed_origin_carry_the_origin() {
    let server = TestServer::start(with_cors(&[APP, "https://other.example/"], false)).await;
    let r = handshake_from(&server, APP).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    assert!(r.header_all("vary").iter().any(|v| v.contains("Origin")));
    let r = handshake_from(&server, "https://other.example").await;
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://other.example"),
        "a configured trailing slash does not matter"
    );
    // Errors too, so that a page can read them.
    let r = request(
        server.addr,
        "GET",
        "/socket.io/?EIO=4&transport=polling&sid=nope",
        &[("Origin", APP)],
        b"",
    )
    .await;
    r.assert_error(400, 1, "Session ID unknown");
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_from_a_disallowed_origin_get_no_cors_headers() {
    let server = TestServer::start(with_cors(&[APP], true)).await;
    let r = handshake_from(&server, EVIL).await;
    assert_no_cors(&r);
    let r = handshake_from(&server, "https://app.example.evil").await;
    assert_no_cors(&r);
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_header_when_configured() {
    let server = TestServer::start(with_cors(&[APP], true)).await;
    let r = preflight(&server, APP).await;
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    let r = handshake_from(&server, APP).await;
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
}

#[tokio::test(flavor = "multi_thread")]
async fn wildcard_is_a_star_without_credentials_and_the_origin_with_them() {
    let server = TestServer::start(with_cors(&["*"], false)).await;
    let r = preflight(&server, EVIL).await;
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let r = handshake_from(&server, EVIL).await;
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));

    let server = TestServer::start(with_cors(&["*"], true)).await;
    let r = preflight(&server, EVIL).await;
    assert_eq!(r.header("access-control-allow-origin"), Some(EVIL));
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
}

#[tokio::test(flavor = "multi_thread")]
async fn default_config_sends_no_cors_headers() {
    let server = TestServer::start(config()).await;
    let r = preflight(&server, APP).await;
    assert_no_cors(&r);
    let r = handshake_from(&server, APP).await;
    assert_eq!(r.status, 200);
    assert_no_cors(&r);
    let sid = common::open_packet(&r.text())["sid"]
        .as_str()
        .expect("sid")
        .to_owned();
    let r = request(
        server.addr,
        "POST",
        &TestServer::polling(Some(&sid)),
        &[("Origin", APP)],
        b"4x",
    )
    .await;
    assert_eq!(r.text(), "ok");
    assert_no_cors(&r);
}
