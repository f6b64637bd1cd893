//! The Socket.IO layer against misbehaving clients and application code,
//! over real WebSocket clients speaking raw Socket.IO frames: what one client
//! can make the server hold is bounded, and a panicking handler is caught.
//!
//! - `attachments`: binary packets whose attachments never come, or weigh
//!   too much.
//! - `connect`: duplicate CONNECTs, and the namespaces one client may join.
//! - `namespaces`: dynamic namespaces removed when empty; name lengths.
//! - `panics`: handlers, middlewares and connection handlers that panic.
//! - `json`: JSON as JavaScript writes it (lone surrogates).
//!
//! Every wait is bounded by `LIMIT`; none is a timing assertion.

mod sio_client;

#[path = "server_hardening/attachments.rs"]
mod attachments;
#[path = "server_hardening/connect.rs"]
mod connect;
#[path = "server_hardening/json.rs"]
mod json;
#[path = "server_hardening/namespaces.rs"]
mod namespaces;
#[path = "server_hardening/panics.rs"]
mod panics;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use edgeio::server::{Io, Socket};
use futures_util::StreamExt;
use sio_client::{next_text, send, Ws, LIMIT};
use tokio_tungstenite::tungstenite::Message;

/// Opens a WebSocket session without joining any namespace (Nagle off: a
/// test writing twice before it reads must not wait for delayed ACKs).
pub async fn open(addr: SocketAddr) -> Ws {
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
    let connect = tokio_tungstenite::connect_async_with_config(url, None, true);
    let (mut ws, _) = tokio::time::timeout(LIMIT, connect)
        .await
        .expect("connected in time")
        .expect("connect");
    assert!(next_text(&mut ws).await.starts_with('0'), "Engine.IO open");
    ws
}

/// Waits until the server ends the connection; fails if it sends a data
/// frame (other than a ping) first, or keeps it open past `LIMIT`.
pub async fn expect_closed(ws: &mut Ws) {
    let closed = tokio::time::timeout(LIMIT, async {
        loop {
            match ws.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(Message::Text(t))) if t.as_str() == "2" => {}
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                Some(Ok(other)) => panic!("expected the connection to close, got {other:?}"),
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the server kept the connection open");
}

/// Sends `42<ns>,<id>["ping"]` and expects the `pong` acknowledgement: the
/// session and the socket in `ns` still work (and everything sent before
/// was handled).
pub async fn ping(ws: &mut Ws, ns: &str, id: u32) {
    let prefix = if ns == "/" {
        String::new()
    } else {
        format!("{ns},")
    };
    send(ws, &format!(r#"42{prefix}{id}["ping"]"#)).await;
    assert_eq!(next_text(ws).await, format!(r#"43{prefix}{id}["pong"]"#));
}

/// Makes `socket` answer `ping` with `pong`.
pub fn answer_pings(socket: &Arc<Socket>) {
    socket.on("ping", |_, event| {
        if let Some(ack) = event.ack {
            let _ = ack.send("pong");
        }
    });
}

/// Waits (bounded) until `cond` holds.
pub async fn eventually(what: &str, cond: impl Fn() -> bool) {
    let waited = tokio::time::timeout(LIMIT, async {
        while !cond() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "timed out waiting for {what}");
}

/// Awaits `fut`, failing with `what` past `LIMIT`.
pub async fn bounded<T>(what: &str, fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, fut)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

/// A server whose main namespace answers pings.
pub fn pinging(io: &Io) {
    io.main().on_connection(answer_pings);
}
