//! Socket.IO inside an axum 0.8 app, on the same port as the app's own
//! routes, through edgeio's tower layer. Run it with
//! `cargo run --example axum` (port 3000, or `PORT`), then
//! `curl localhost:3000/hello` and connect a Socket.IO client to
//! `http://localhost:3000` (path `/socket.io/`).

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::routing::get;
use axum::Router;
use edgeio::engine::{Engine, EngineConfig};
use edgeio::{Io, IoConfig};
use serde_json::json;

/// The Socket.IO application: a welcome, and `hello` answered with an ack.
pub fn io() -> Io {
    let io = Io::new(IoConfig::default());
    io.main().on_connection(|socket| {
        let _ = socket.emit("welcome", "from axum");
        socket.on_data("hello", |_socket, name: String, ack| {
            if let Some(ack) = ack {
                let _ = ack.send(json!({ "greeting": format!("hello, {name}") }));
            }
        });
    });
    io
}

/// The axum app: its own routes, and the engine's path answered by edgeio
/// (every other request reaches the routes unchanged).
pub fn app(io: &Io) -> Router {
    // At `/socket.io/`, the path Socket.IO clients use by default.
    let engine = Engine::new(EngineConfig::default(), io.engine_handler());
    Router::new()
        .route("/hello", get(|| async { "hello from axum" }))
        .layer(
            // The peer address is where `into_make_service_with_connect_info`
            // puts it; edgeio's per-address handshake limit uses it.
            edgeio::layer(engine)
                .peer_addr(|ext| ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0)),
        )
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    // axum::serve serves HTTP/1.1 with upgrades on, which WebSocket needs.
    axum::serve(
        listener,
        app(&io()).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}
