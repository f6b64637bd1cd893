//! The embedding examples, run with a real client: `examples/axum.rs` (edgeio
//! as a tower layer in an axum 0.8 app) and `examples/hyper.rs` (the layer in
//! a plain hyper 1.x server). Each serves on a free loopback port in this
//! process; the official npm `socket.io-client` (tests/interop/embed_client.mjs)
//! connects over WebSocket only and over polling upgraded to WebSocket, gets
//! the welcome, emits with an ack, and fetches the app's own `/hello`.
//!
//! Needs Node.js and `npm ci --prefix tests/interop` (`.ci/run` does both).

#[allow(dead_code)]
#[path = "../examples/axum.rs"]
mod axum_example;
#[allow(dead_code)]
#[path = "../examples/hyper.rs"]
mod hyper_example;
mod node_support;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use node_support::{require_node_package, INTEROP_DIR};
use serde_json::{json, Value};

/// Runs embed_client.mjs against `addr` in `mode`; its JSON line.
async fn client(addr: SocketAddr, mode: &'static str) -> Value {
    require_node_package("socket.io-client");
    let script = Path::new(INTEROP_DIR).join("embed_client.mjs");
    let url = format!("http://{addr}");
    // The script ends itself within its own 30 s timeout.
    let run = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(script)
            .arg(url)
            .arg(mode)
            .output()
    });
    let out = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the client did not finish within 60 s")
        .expect("the client task")
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "client failed ({}): {stdout}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

fn expected(server: &str, transport: &str) -> Value {
    json!({
        "transport": transport,
        "welcome": format!("from {server}"),
        "ack": { "greeting": "hello, node" },
        "hello": format!("200 hello from {server}"),
    })
}

async fn axum_server() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = axum_example::app(&axum_example::io());
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    addr
}

async fn hyper_server() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(hyper_example::serve(listener, hyper_example::io()));
    addr
}

#[tokio::test(flavor = "multi_thread")]
async fn axum_example_websocket_only() {
    let addr = axum_server().await;
    assert_eq!(
        client(addr, "websocket").await,
        expected("axum", "websocket")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn axum_example_polling_upgraded_to_websocket() {
    let addr = axum_server().await;
    assert_eq!(client(addr, "default").await, expected("axum", "websocket"));
}

#[tokio::test(flavor = "multi_thread")]
async fn hyper_example_websocket_only() {
    let addr = hyper_server().await;
    assert_eq!(
        client(addr, "websocket").await,
        expected("hyper", "websocket")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn hyper_example_polling_upgraded_to_websocket() {
    let addr = hyper_server().await;
    assert_eq!(
        client(addr, "default").await,
        expected("hyper", "websocket")
    );
}
