//! The binary's operational endpoints: `/health` and `/ready` on the main
//! port, `/metrics` there only with `--metrics`, and everything on the
//! `--metrics-listen` address instead (and none of it on the main port)
//! when given — with the chat's REST still answering behind them and the
//! storage's flushes timed in `edgeio_storage_flush_seconds`.

mod chat_support;
mod common;
mod metrics_support;

use std::net::{SocketAddr, TcpListener};

use chat_support::binary::ChatBinary;
use common::request;
use metrics_support::scrape_until;

/// A loopback port free a moment ago.
fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind an ephemeral port")
}

#[tokio::test]
async fn health_and_ready_on_the_main_port_and_metrics_only_when_asked() {
    let server = ChatBinary::start("ops-default", &[]);
    let r = request(server.addr, "GET", "/health", &[], b"").await;
    assert_eq!(r.status, 200, "{}", server.log_text());
    let r = request(server.addr, "GET", "/ready", &[], b"").await;
    assert_eq!((r.status, r.text().as_str()), (200, "ready\n"));
    let r = request(server.addr, "GET", "/metrics", &[], b"").await;
    assert_eq!(r.status, 404, "not public by default");
    // The chat's REST is still there, behind the endpoints.
    let r = request(server.addr, "GET", "/conversations/chat-list", &[], b"").await;
    assert_eq!(r.status, 401, "the chat's own answer: {}", r.text());

    let server = ChatBinary::start("ops-metrics", &["--metrics"]);
    // The sled storage flushes every 500 ms: its latency is recorded.
    let s = scrape_until(server.addr, "edgeio_storage_flush_seconds_count", 1.0).await;
    assert!(s.has("edgeio_storage_flush_seconds_bucket{le=\"+Inf\"}"));
    assert_eq!(s.get("edgeio_sessions{transport=\"polling\"}"), 0.0);
}

#[tokio::test]
async fn metrics_listen_serves_them_apart_and_not_on_the_main_port() {
    let ops = free_addr();
    let listen = ops.to_string();
    let server = ChatBinary::start("ops-listen", &["--metrics", "--metrics-listen", &listen]);
    // Traffic on the main port shows on the metrics port.
    let r = request(
        server.addr,
        "GET",
        "/socket.io/?EIO=4&transport=polling",
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, 200, "{}", server.log_text());
    let s = scrape_until(ops, "edgeio_handshakes_total{transport=\"polling\"}", 1.0).await;
    assert_eq!(s.get("edgeio_sessions{transport=\"polling\"}"), 1.0);
    assert_eq!(request(ops, "GET", "/health", &[], b"").await.status, 200);
    assert_eq!(request(ops, "GET", "/ready", &[], b"").await.status, 200);
    assert_eq!(
        request(ops, "GET", "/elsewhere", &[], b"").await.status,
        404
    );

    for path in ["/metrics", "/health", "/ready"] {
        let r = request(server.addr, "GET", path, &[], b"").await;
        assert_eq!(r.status, 404, "{path} not on the main port: {}", r.text());
    }
}
