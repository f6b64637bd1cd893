//! Socket.IO attackers over WebSocket: a session opened by hand, packets
//! written many to one write, and the server's frames gathered until it
//! goes quiet.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use crate::common::{bounded, Ws, PATH};

/// How long without a frame ends a gathering.
const QUIET: Duration = Duration::from_millis(500);

/// An Engine.IO session over WebSocket, its open packet read.
pub async fn open(addr: SocketAddr) -> Ws {
    let url = format!("ws://{addr}{PATH}?EIO=4&transport=websocket");
    let (mut ws, _) = bounded("a WebSocket", tokio_tungstenite::connect_async(url))
        .await
        .expect("WebSocket handshake");
    match next(&mut ws, crate::common::WAIT).await {
        Some(open) if open.starts_with("0{") => ws,
        other => panic!("expected an open packet, got {other:?}"),
    }
}

/// Writes `packets` as text frames in one write.
pub async fn send_all(ws: &mut Ws, packets: impl IntoIterator<Item = String>) {
    for p in packets {
        ws.feed(Message::text(p)).await.expect("queue a frame");
    }
    bounded("a write", ws.flush()).await.expect("write frames");
}

/// The next text frame within `wait` (`None`: nothing came, or the
/// connection ended); answers Engine.IO pings on the way.
pub async fn next(ws: &mut Ws, wait: Duration) -> Option<String> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next()).await.ok()??;
        match msg {
            Ok(Message::Text(t)) if t.as_str() == "2" => {
                let _ = ws.send(Message::text("3")).await;
            }
            Ok(Message::Text(t)) => return Some(t.as_str().to_owned()),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// Frames until `done` says the last one was what was awaited (bounded by
/// [`crate::common::WAIT`]), then any that follow until the server has been
/// quiet a moment.
pub async fn gather(ws: &mut Ws, done: impl Fn(&str) -> bool) -> Vec<String> {
    let mut frames = Vec::new();
    let mut wait = crate::common::WAIT;
    while let Some(f) = next(ws, wait).await {
        if done(&f) {
            wait = QUIET;
        }
        frames.push(f);
    }
    frames
}

/// Waits until the server ends the connection, skipping data frames;
/// fails the test if it is still open after [`crate::common::WAIT`].
pub async fn expect_end(ws: &mut Ws, what: &str) {
    bounded(what, async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
}
