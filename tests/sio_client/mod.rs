//! A raw Socket.IO client for tests: a WebSocket speaking the wire format by
//! hand (so tests assert exact frames), and a server started in-process.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use edgeio::engine::{Engine, EngineConfig};
use edgeio::server::Io;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

/// A client WebSocket.
pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// How long any one wait may take before the test fails.
pub const LIMIT: Duration = Duration::from_secs(10);

/// Serves `io` on 127.0.0.1:0; the sender stops the server.
pub async fn serve(io: &Io) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    serve_with(io, EngineConfig::default()).await
}

/// Serves `io` with engine settings `config` on 127.0.0.1:0; the sender
/// stops the server.
pub async fn serve_with(
    io: &Io,
    config: EngineConfig,
) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let engine = Engine::new(config, io.engine_handler());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(edgeio::serve(listener, engine, async {
        let _ = stopped.await;
    }));
    (addr, stop)
}

/// The next text frame that is not an Engine.IO ping.
pub async fn next_text(ws: &mut Ws) -> String {
    loop {
        let msg = tokio::time::timeout(LIMIT, ws.next())
            .await
            .expect("a frame in time")
            .expect("connection open")
            .expect("valid frame");
        if let Message::Text(t) = msg {
            if t.as_str() != "2" {
                return t.to_string();
            }
        }
    }
}

/// Sends a text frame.
pub async fn send(ws: &mut Ws, text: &str) {
    ws.send(Message::Text(text.to_owned().into()))
        .await
        .expect("send");
}

/// Opens a WebSocket session and sends CONNECT for namespace `ns` (`""` for
/// the main one) with `auth` (`""` for none); returns the socket and the
/// server's answer.
pub async fn join(addr: SocketAddr, ns: &str, auth: &str) -> (Ws, String) {
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connect");
    assert!(next_text(&mut ws).await.starts_with('0'), "Engine.IO open");
    let connect = if ns.is_empty() {
        format!("40{auth}")
    } else {
        format!("40{ns},{auth}")
    };
    send(&mut ws, &connect).await;
    let answer = next_text(&mut ws).await;
    (ws, answer)
}

/// The socket id in a CONNECT answer (`40{"sid":…}` or `40/ns,{"sid":…}`).
pub fn sid_of(answer: &str) -> String {
    let json = &answer[answer.find('{').expect("a JSON object")..];
    let v: serde_json::Value = serde_json::from_str(json).expect("JSON");
    v["sid"].as_str().expect("sid").to_owned()
}
