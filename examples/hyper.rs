//! Socket.IO inside a plain hyper 1.x server, by hand: the app's own tower
//! service behind edgeio's layer, one HTTP/1.1 connection task per client
//! **with upgrades on** (WebSocket needs them). Run it with
//! `cargo run --example hyper` (port 3000, or `PORT`).

use std::convert::Infallible;

use bytes::Bytes;
use edgeio::engine::{Engine, EngineConfig};
use edgeio::{Io, IoConfig, PeerAddr};
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use serde_json::json;
use tokio::net::TcpListener;
use tower::{Layer, ServiceBuilder};

/// The Socket.IO application: a welcome, and `hello` answered with an ack.
pub fn io() -> Io {
    let io = Io::new(IoConfig::default());
    io.main().on_connection(|socket| {
        let _ = socket.emit("welcome", "from hyper");
        socket.on_data("hello", |_socket, name: String, ack| {
            if let Some(ack) = ack {
                let _ = ack.send(json!({ "greeting": format!("hello, {name}") }));
            }
        });
    });
    io
}

/// The app's own routes: every request edgeio does not answer.
async fn routes(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (status, text) = match req.uri().path() {
        "/hello" => (StatusCode::OK, "hello from hyper"),
        _ => (StatusCode::NOT_FOUND, "not found"),
    };
    let mut res = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *res.status_mut() = status;
    Ok(res)
}

/// Serves `io` and the routes on `listener`, until the task is dropped.
pub async fn serve(listener: TcpListener, io: Io) {
    // At `/socket.io/`, the path Socket.IO clients use by default.
    let engine = Engine::new(EngineConfig::default(), io.engine_handler());
    let edge = edgeio::layer(engine);
    loop {
        let (stream, addr) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: wait, keep serving.
                eprintln!("accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let service = ServiceBuilder::new()
            // The peer's address, for edgeio's per-address handshake limit.
            .map_request(move |mut req: Request<Incoming>| {
                req.extensions_mut().insert(PeerAddr(addr));
                req
            })
            .service(edge.layer(tower::service_fn(routes)));
        tokio::spawn(async move {
            let conn = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
                // Without this, every WebSocket fails: edgeio logs an error
                // saying so and keeps clients on long-polling.
                .with_upgrades();
            if let Err(e) = conn.await {
                eprintln!("connection from {addr}: {e}");
            }
        });
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    serve(listener, io()).await;
    Ok(())
}
